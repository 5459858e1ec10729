"""Checks for the exercises: is a reader's answer right, and if not, what is off?

Each check returns a :class:`CheckResult`. It prints as one line in a
notebook, is truthy only when the answer is right, and its message tells a
wrong *kind* of answer (not a tensor), a wrong *shape* and wrong *values*
apart, because each needs a different fix. Expected answers are computed
from the exercise's own data, never typed in.

The checks live in one module per part of the book; import any of them from
here: ``from dlbasics.checks import check_110_sum``.
"""

from dlbasics.checks.core import (CheckResult, call_reader_function, compare_tensors, describe_type, first_failure,
                                  not_a_function)
from dlbasics.checks.basics import check_110_slice, check_110_sum, check_210_affine, check_210_linear
from dlbasics.checks.classification import (check_310_always_class_0, check_350_weights, check_380_weights,
                                            check_410_rule)
from dlbasics.checks.losses import (check_430_losses, check_430_softmax, check_450_batch_loss,
                                    check_450_gradient, check_480_bce, check_480_normalised_sigmoid)
from dlbasics.checks.optimisation import (check_510_diverging_lr, check_510_no_zero_grad, check_510_step,
                                          check_530_restored, check_530_standardise, check_550_cosine,
                                          check_550_same_decisions)
from dlbasics.checks.multilayer import (check_610_rule, check_630_line, check_630_merge, check_650_saturation,
                                        check_650_sigmoid, check_650_silu_derivative)
from dlbasics.checks.hidden_layers import (check_670_hand_weights, check_670_unseen, check_680_symmetry,
                                           check_690_distances, check_695_bending)
from dlbasics.checks.backprop import (check_710_gradients, check_720_gradients, check_730_gradients,
                                      check_740_gradients, check_750_gradients)
from dlbasics.checks.sequences import (check_910_first_place, check_910_linear_counter, check_920_copied,
                                       check_920_step, check_980_teacher_forcing)
from dlbasics.checks.digits import check_810_counts, check_810_mean_seven, check_810_steps
from dlbasics.checks.deep_networks import check_870_dead_units, check_870_parameter_count
from dlbasics.checks.convolutions import check_890_output_size, check_890_parameters, check_890_receptive_field
from dlbasics.checks.images import (check_830_accuracy, check_830_parameters, check_830_recall, check_850_collapse,
                                    check_850_parameters)
