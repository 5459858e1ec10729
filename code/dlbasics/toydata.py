"""The course's toy problems: small, generated, seeded data sets with a known rule.

Every problem draws integer features uniformly from [-100, 100] and labels
them by a rule, so a reader can check any point by eye:

====  ====================  ===========================================
 no.  features              class 1 when ...  (else class 0)
====  ====================  ===========================================
 1    f1, f2                f1 < f2
 2    f1, f2, f3            f1 < f2 + f3
 3    f1, f2                not f1 * f2 > 0  (XOR-like: the signs differ)
====  ====================  ===========================================

Each problem's ``keep`` test decides which draws are used; the others are
thrown away and more are drawn. It refuses the points on a boundary (problem 1
has no ties, problem 3 no zero feature) and, for problem 2, also those far
from it: problem 2 keeps ``1 <= |f1 - (f2 + f3)| <= 100``.
Features come as float32 tensors of shape ``(N, d)``, labels as int64
tensors of shape ``(N,)``. :func:`save_toy_data` and :func:`load_toy_data`
read and write the course's text format, one point per line:
``label<TAB>f1 f2 ...``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, NamedTuple

import torch

LOW, HIGH = -100, 100


class ToyData(NamedTuple):
    """One data set: ``features`` (N, d) float32 and ``labels`` (N,) int64."""

    features: torch.Tensor
    labels: torch.Tensor


class ToySplit(NamedTuple):
    """A training set and a test set, drawn separately from the same rule."""

    train: ToyData
    test: ToyData


@dataclass(frozen=True)
class ToyProblem:
    number: int
    n_features: int
    description: str
    label: Callable[[torch.Tensor], torch.Tensor]  # features (N, d) -> labels (N,)
    keep: Callable[[torch.Tensor], torch.Tensor]   # features (N, d) -> bool mask of usable points


def _rule_1(f):
    return (f[:, 0] < f[:, 1]).long()


def _rule_2(f):
    return (f[:, 0] < f[:, 1] + f[:, 2]).long()


def _rule_3(f):
    # The course's rule: class 0 when f1 * f2 > 0, else class 1.
    return (f[:, 0] * f[:, 1] <= 0).long()


def _margin_2(f):
    gap = (f[:, 0] - f[:, 1] - f[:, 2]).abs()
    return (gap >= 1) & (gap <= 100)


PROBLEMS = {
    1: ToyProblem(1, 2, "class 1 when f1 < f2", _rule_1, lambda f: f[:, 0] != f[:, 1]),
    2: ToyProblem(2, 3, "class 1 when f1 < f2 + f3", _rule_2, _margin_2),
    3: ToyProblem(3, 2, "class 0 when f1 * f2 > 0, else class 1", _rule_3,
                  lambda f: (f != 0).all(dim=1)),
}


def get_problem(number: int) -> ToyProblem:
    """The toy problem with this number (1, 2 or 3)."""
    if type(number) is not int or number not in PROBLEMS:
        raise ValueError(f"there is no toy problem {number!r}; the problems are {sorted(PROBLEMS)}")
    return PROBLEMS[number]


def label_points(problem: int, features) -> torch.Tensor:
    """Labels that toy problem ``problem``'s rule gives to ``features`` (N, d)."""
    spec = get_problem(problem)
    features = torch.as_tensor(features)
    if features.dim() != 2 or features.shape[1] != spec.n_features:
        raise ValueError(f"toy problem {problem} has {spec.n_features} features per point, so the features "
                         f"must have shape (N, {spec.n_features}); got {tuple(features.shape)}")
    return spec.label(features)


def draw_points(problem: int, n: int, generator: torch.Generator) -> ToyData:
    """``n`` points of toy problem ``problem``, drawn from ``generator``."""
    spec = get_problem(problem)
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    chunks, have = [], 0
    while have < n:  # rejection sampling: draw, keep what spec.keep accepts, repeat
        shape = (2 * n, spec.n_features)
        batch = torch.randint(LOW, HIGH + 1, shape, generator=generator)
        batch = batch[spec.keep(batch)]
        chunks.append(batch)
        have += len(batch)
    features = torch.cat(chunks)[:n]
    return ToyData(features.float(), spec.label(features))


def make_toy_data(problem: int, n_train: int = 1000, n_test: int = 1000,
                  seed: int = 0) -> ToySplit:
    """Training and test sets of toy problem ``problem``, reproducible from ``seed``.

    Both come from one generator seeded with ``seed``, the training set first,
    so they are independent draws and the same seed always gives the same sets.
    """
    generator = torch.Generator().manual_seed(seed)
    train = draw_points(problem, n_train, generator)
    test = draw_points(problem, n_test, generator)
    return ToySplit(train, test)


class ToyFormatError(ValueError):
    """A line of a toy data file is not ``label<TAB>f1 f2 ...``."""


def save_toy_data(path, features, labels) -> Path:
    """Write points in the course's format, ``label<TAB>f1 f2 ...`` per line."""
    features, labels = torch.as_tensor(features), torch.as_tensor(labels)
    if features.dim() != 2 or labels.dim() != 1 or len(features) != len(labels):
        raise ValueError(f"need features (N, d) and labels (N,), got {tuple(features.shape)} and "
                         f"{tuple(labels.shape)}")
    path = Path(path)
    with path.open("w") as out:
        for label, row in zip(labels.tolist(), features.tolist()):
            out.write(f"{int(label)}\t" + " ".join(f"{v:g}" for v in row) + "\n")
    return path


def load_toy_data(path) -> ToyData:
    """Read a file written by :func:`save_toy_data` (or by the course).

    A malformed line raises :class:`ToyFormatError` naming the file and the
    line; no line is skipped silently. Blank lines are allowed.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no toy data file at {path}")
    labels, rows, width = [], [], None
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        label_text, tab, feature_text = line.partition("\t")
        if not tab:
            raise ToyFormatError(f"{where}: expected 'label<TAB>f1 f2 ...', found no tab in {line!r}")
        try:
            label = int(label_text)
        except ValueError:
            raise ToyFormatError(f"{where}: the label {label_text!r} is not an integer") from None
        try:
            row = [float(v) for v in feature_text.split()]
        except ValueError:
            raise ToyFormatError(f"{where}: the features {feature_text!r} are not all numbers") from None
        if not row:
            raise ToyFormatError(f"{where}: the line has a label but no features")
        if width is not None and len(row) != width:
            count = f"{len(row)} feature" + ("s" if len(row) != 1 else "")
            raise ToyFormatError(f"{where}: {count}, but the lines before have {width}")
        width = len(row)
        labels.append(label)
        rows.append(row)
    if not rows:
        raise ToyFormatError(f"{path}: the file holds no data")
    return ToyData(torch.tensor(rows, dtype=torch.float32), torch.tensor(labels, dtype=torch.int64))
