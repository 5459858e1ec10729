"""Checks for the exercises of part 3 (classification) and chapter 410 (the toy data sets).

A layer's outputs ``c = f W + b`` are preferences for classes, and the
decision is their argmax. The checks here try a reader's ``W`` and ``b`` on
many inputs and, when the decision is wrong somewhere, name one input where
it is: a counterexample says more than a bare "no".
"""

from __future__ import annotations

import functools
import itertools

import torch

from dlbasics.checks.core import CheckResult, call_reader_function, describe_type, not_a_function
from dlbasics.toydata import get_problem, make_toy_data

# The data set the chapters 350 and 380 (and their checks) score weights on.
TOY_SEED, TOY_N_TRAIN, TOY_N_TEST = 0, 1000, 1000


def _fmt(values) -> str:
    """A short readable list of numbers: ``[3, -41.5]``."""
    return "[" + ", ".join(f"{v:.4g}" for v in torch.as_tensor(values).reshape(-1).tolist()) + "]"


def _as_weights(W, b, n_features: int, *, n_classes: int | None = None,
                what: str = "the inputs") -> tuple[torch.Tensor, torch.Tensor] | CheckResult:
    """``W`` (n_features, k) and ``b`` (k,) as float64 CPU tensors, or a failing result saying what is off.

    ``b=None`` means no bias (zeros). With ``n_classes`` given, ``k`` must equal it;
    otherwise any ``k >= 2`` is accepted.
    """
    for name, value in (("W", W), ("b", b)):
        if name == "b" and value is None:
            continue
        if not isinstance(value, torch.Tensor):
            fix = " (wrap it: torch.tensor(...))" if isinstance(value, (list, tuple, int, float)) else ""
            return CheckResult(False, f"{name} is a {describe_type(value)}, not a torch.Tensor{fix}")
        if value.is_complex() or value.dtype == torch.bool:
            return CheckResult(False, f"{name} has dtype {value.dtype}; a real-valued tensor is expected")
    W = W.detach().cpu().to(torch.float64)
    if W.dim() != 2:
        return CheckResult(False, f"W has shape {tuple(W.shape)}; it must be a matrix, one row per "
                                  "feature and one column per class")
    if W.shape[0] != n_features:
        hint = " (it looks transposed: W.T?)" if W.shape == (n_classes, n_features) else ""
        return CheckResult(False, f"W has {W.shape[0]} rows, but {what} have {n_features} features: "
                                  f"W needs one row per feature{hint}")
    k = W.shape[1]
    if n_classes is not None and k != n_classes:
        return CheckResult(False, f"W has {k} columns, but there are {n_classes} classes: W needs one "
                                  f"column per class, shape ({n_features}, {n_classes})")
    if k < 2:
        return CheckResult(False, f"W has {k} column; a decision needs at least 2 classes, one column each")
    if b is None:
        b = torch.zeros(k, dtype=torch.float64)
    else:
        b = b.detach().cpu().to(torch.float64)
        if b.shape != (k,):
            return CheckResult(False, f"b has shape {tuple(b.shape)}, but should have shape ({k},): "
                                      "one bias per class, i.e. per column of W")
    if not (torch.isfinite(W).all() and torch.isfinite(b).all()):
        return CheckResult(False, "W or b contains inf or NaN")
    return W, b


# --- Chapter 310: the decision rule ----------------------------------------

N_FEATURES_310 = 2


@functools.lru_cache(maxsize=4)
def _positive_inputs(n_features: int, seed: int = 310) -> torch.Tensor:
    """Positive test inputs, easy ones first: small integers, then a wide spread of magnitudes, then corners.

    Always the same inputs (drawn from a generator of their own), computed once: never modify the result.
    """
    generator = torch.Generator().manual_seed(seed)
    integers = torch.randint(1, 101, (2000, n_features), generator=generator).to(torch.float64)
    exponents = torch.rand(4000, n_features, generator=generator, dtype=torch.float64) * 8 - 4
    spread = 10.0 ** exponents                                    # from 1e-4 to 1e4
    corners = torch.tensor(list(itertools.product((1e-4, 1.0, 1e4), repeat=n_features)),
                           dtype=torch.float64)
    return torch.cat([integers, spread, corners])


def _constructed_counterexample(W: torch.Tensor, b: torch.Tensor) -> torch.Tensor | None:
    """A positive input where another class beats or ties class 0, or None when there is none.

    Class 0 wins strictly over class j at every positive ``f`` exactly when
    ``f d + e > 0`` for all ``f > 0``, with ``d = W[:, 0] - W[:, j]`` and
    ``e = b[0] - b[j]``. That holds if and only if ``d`` has no negative entry,
    ``e`` is not negative, and ``d`` and ``e`` are not both zero. When it fails,
    the input that makes the failing term win is built here, so that a
    counterexample is found even where random inputs would miss it.
    """
    for j in range(1, W.shape[1]):
        d, e = W[:, 0] - W[:, j], (b[0] - b[j]).item()
        if (d < 0).any():  # make the feature whose weight favours class j large, the others small
            i = int(d.argmin())
            f = torch.full_like(d, 1e-3)
            rest = d.abs().sum().item() * 1e-3 + abs(e) + 1.0
            f[i] = rest / -d[i].item() + 1.0
            return f
        if e < 0:          # d >= 0: make every feature so small that the bias decides
            return torch.full_like(d, -e / (d.sum().item() + 1.0) * 1e-3)
        if e == 0 and (d == 0).all():  # the same preference for both classes everywhere
            return torch.ones_like(d)
    return None


def check_310_always_class_0(W, b=None) -> CheckResult:
    """Exercise 310.1: ``W`` (2, k) and optional ``b`` (k,) such that argmax(f W + b) is 0 for every positive f.

    Tries many positive inputs (all features > 0) and reports one where another
    class wins, or ties with class 0: a tie is decided for class 0 only by
    argmax's convention of returning the first maximum, not by a preference.
    """
    weights = _as_weights(W, b, N_FEATURES_310, what="the inputs of this exercise")
    if isinstance(weights, CheckResult):
        return weights
    W, b = weights
    inputs = _positive_inputs(N_FEATURES_310)
    constructed = _constructed_counterexample(W, b)
    if constructed is not None:
        inputs = torch.cat([inputs, constructed[None]])
    scores = inputs @ W + b
    others_best = scores[:, 1:].max(dim=1).values
    bad = (scores[:, 0] <= others_best).nonzero().flatten()
    if len(bad) == 0:
        return CheckResult(True, f"class 0 wins strictly on all {len(inputs)} positive inputs tried")
    f, c = inputs[bad[0]], scores[bad[0]]
    winner = int(c.argmax())
    if winner == 0:  # a tie that argmax breaks towards class 0
        tied = [j for j in range(1, len(c)) if c[j] == c[0]]
        return CheckResult(
            False,
            f"at the positive input f = {_fmt(f)}, c = f W + b = {_fmt(c)}: class 0 only ties with "
            f"class {tied[0]}. argmax picks 0 because it returns the first maximum, not because the "
            "layer prefers class 0; make c0 strictly larger",
        )
    return CheckResult(
        False,
        f"at the positive input f = {_fmt(f)}, c = f W + b = {_fmt(c)} and argmax picks class {winner}, "
        "not class 0",
    )


# --- Chapters 350 and 380: weights found by hand for toy problems 1 and 2 ---

def toy_data_set(problem: int) -> tuple[torch.Tensor, torch.Tensor]:
    """The whole data set (training and test points together) that the checks of 350 and 380 score on."""
    split = make_toy_data(problem, TOY_N_TRAIN, TOY_N_TEST, seed=TOY_SEED)
    return (torch.cat([split.train.features, split.test.features]),
            torch.cat([split.train.labels, split.test.labels]))


def _check_toy_weights(problem: int, W, b) -> CheckResult:
    spec = get_problem(problem)
    weights = _as_weights(W, b, spec.n_features, n_classes=2, what=f"the points of toy problem {problem}")
    if isinstance(weights, CheckResult):
        return weights
    W, b = weights
    features, labels = toy_data_set(problem)
    scores = features.to(torch.float64) @ W + b
    decisions = scores.argmax(dim=1)
    wrong = (decisions != labels).nonzero().flatten()
    accuracy = 1 - len(wrong) / len(labels)
    where = f"on all {len(labels)} points of toy problem {problem} ({spec.description})"
    if len(wrong) == 0:
        return CheckResult(True, f"accuracy 100% {where}")
    i = int(wrong[0])
    message = (f"accuracy {accuracy:.1%} {where}; for example f = {_fmt(features[i])} has class "
               f"{int(labels[i])}, but c = f W + b = {_fmt(scores[i])} picks class {int(decisions[i])}")
    if scores[i, 0] == scores[i, 1]:
        message += " (a tie: the point lies exactly on your boundary, and argmax takes the first class)"
    if accuracy < 0.1:
        message += (". Almost every point is wrong, so your classes are swapped: exchange the two "
                    "columns of W (and the two entries of b)")
    return CheckResult(False, message)


def check_350_weights(W, b=None) -> CheckResult:
    """Exercise 350: ``W`` (2, 2) and ``b`` (2,) whose argmax classifies toy problem 1 (f1 < f2 -> class 1)."""
    return _check_toy_weights(1, W, b)


def check_380_weights(W, b=None) -> CheckResult:
    """Exercise 380: ``W`` (3, 2) and ``b`` (2,) whose argmax classifies toy problem 2 (f1 < f2 + f3 -> class 1)."""
    return _check_toy_weights(2, W, b)


# --- Chapter 410: the rule behind a data set ---------------------------------

def check_410_rule(rule, problem: int = 2) -> CheckResult:
    """Exercise 410: ``rule(features)`` returns the labels toy problem ``problem`` gives to ``features`` (N, d).

    The reader's function is compared with the labels of the generated data
    set and, for problems 1 and 2, of points exactly on the boundary, where
    ``<=`` written for ``<`` shows. (Problem 3's rule, "class 0 when
    f1 * f2 > 0", leaves a zero feature undefined, and the generator never
    draws one, so its boundary is not tested.)
    """
    spec = get_problem(problem)
    failure = not_a_function(rule, "rule", "check_410_rule")
    if failure is not None:
        return failure
    features = toy_data_set(problem)[0]
    cases = [(features, "the data set's points")]
    # Points on the boundary, where the strict '<' decides (the generator never draws these).
    generator = torch.Generator().manual_seed(410)
    near = torch.randint(-100, 101, (2000, spec.n_features), generator=generator)
    if problem == 1:
        near[:, 1] = near[:, 0]
    elif problem == 2:
        near[:, 0] = (near[:, 1] + near[:, 2]).clamp(-100, 100)   # f1 = f2 + f3 within the range,
        near[:, 2] = near[:, 0] - near[:, 1]                      # f3 stays within it too
    if problem in (1, 2):
        cases.append((near.float(), "points on the boundary"))
    for points, kind in cases:
        expected = spec.label(points)
        got, failure = call_reader_function(rule, "rule", points.clone())
        if failure is not None:
            return failure
        if not isinstance(got, torch.Tensor):
            return CheckResult(False, f"rule returned a {describe_type(got)}, not a torch.Tensor")
        if got.shape != expected.shape:
            return CheckResult(False, f"rule returned shape {tuple(got.shape)} for {len(points)} points; "
                                      f"it should return one label per point, shape {tuple(expected.shape)}")
        if got.dtype == torch.bool:
            return CheckResult(False, "rule returned a bool tensor; turn it into class numbers 0 and 1 "
                                      "with .long()")
        if got.is_floating_point() or got.is_complex():
            return CheckResult(False, f"rule returned {got.dtype} values; labels are integers: use .long()")
        got = got.cpu()
        wrong = (got != expected).nonzero().flatten()
        if len(wrong) == 0:
            continue
        if kind == "the data set's points" and torch.equal(got, 1 - expected):
            return CheckResult(False, "rule gives every point the other class: the classes are swapped")
        i = int(wrong[0])
        hint = (" (on the boundary itself the rule's strict '<' gives class 0: check '<' against '<=')"
                if kind == "points on the boundary" else "")
        return CheckResult(False, f"on {kind}, rule gives f = {_fmt(points[i])} class {int(got[i])}, "
                                  f"but toy problem {problem} ({spec.description}) gives class "
                                  f"{int(expected[i])}{hint}")
    on_boundary = f" and {len(cases[1][0])} points on its boundary" if len(cases) > 1 else ""
    return CheckResult(True, f"rule agrees with toy problem {problem} on {len(features)} data points"
                             + on_boundary)
