"""Checks for the exercises: is a reader's answer right, and if not, what is off?

Each check returns a :class:`CheckResult`. It prints as one line in a
notebook, is truthy only when the answer is right, and its message tells a
wrong *kind* of answer (not a tensor), a wrong *shape* and wrong *values*
apart, because each needs a different fix. Expected answers are computed
from the exercise's own data, never typed in.

The checks live in one module per part of the book; import any of them from
here: ``from dlbasics.checks import check_110_sum``.
"""

from dlbasics.checks.core import CheckResult, compare_tensors, describe_type, first_failure
from dlbasics.checks.basics import check_110_slice, check_110_sum, check_210_affine, check_210_linear
