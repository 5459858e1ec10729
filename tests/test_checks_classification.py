"""The exercise checks of chapters 310, 350, 380 and 410 accept right answers and explain wrong ones."""

from __future__ import annotations

import re

import pytest
import torch

from dlbasics.checks import check_310_always_class_0, check_350_weights, check_380_weights, check_410_rule
from dlbasics.checks.classification import _constructed_counterexample, toy_data_set
from dlbasics.toydata import make_toy_data

t = torch.tensor


def reported_input(message: str) -> torch.Tensor:
    """The input ``f = [...]`` a failing check names in its message."""
    match = re.search(r"f = \[([^\]]*)\]", message)
    assert match, f"no input named in: {message}"
    return t([float(v) for v in match.group(1).split(",")], dtype=torch.float64)


# --- 310: always class 0 for positive inputs ----------------------------------

@pytest.mark.parametrize("W,b", [
    (t([[1.0, 0.0], [1.0, 0.0]]), None),           # c0 = f1 + f2 > 0 = c1
    (t([[1.0, 0.0], [0.0, 0.0]]), None),           # c0 = f1 > 0
    (torch.zeros(2, 2), t([1.0, 0.0])),            # the bias alone
    (t([[2.0, 1.0], [3.0, 3.0]]), t([0.5, 0.5])),  # d = [1, 0], e = 0
    (t([[1, 0], [1, 0]]), None),                   # integer tensors are fine
    (t([[1.0, 0.0, -2.0], [1.0, 0.0, 0.5]]), None),  # three classes
])
def test_310_accepts_right_answers(W, b):
    result = check_310_always_class_0(W, b)
    assert result, result.message
    assert str(result).startswith("Correct")


def test_310_rejects_the_chapters_W_with_a_real_counterexample():
    W = t([[0.0, 6.0], [0.0, 9.0]])
    result = check_310_always_class_0(W)
    assert not result and str(result).startswith("Not yet")
    f = reported_input(result.message)
    assert (f > 0).all()
    assert (f @ W.double()).argmax().item() == 1
    assert "argmax picks class 1" in result.message


def test_310_rejects_a_tie_that_only_the_convention_decides():
    result = check_310_always_class_0(torch.zeros(2, 2))
    assert not result
    assert "ties" in result.message and "first maximum" in result.message


@pytest.mark.parametrize("W,b", [
    (t([[1.0, 0.0], [-1e-6, 0.0]]), None),      # class 1 wins only when f2 is a million times f1
    (t([[1.0, 0.0], [1.0, 0.0]]), t([-1e-3, 0.0])),  # the bias wins for tiny inputs
    (t([[1.0, 0.0, 0.0], [1.0, 0.0, 1.0 + 1e-7]]), None),  # the third class, barely
])
def test_310_finds_counterexamples_random_inputs_would_miss(W, b):
    result = check_310_always_class_0(W, b)
    assert not result, "a counterexample exists"
    f = reported_input(result.message)
    c = f @ W.double() + (0 if b is None else b.double())
    assert (f > 0).all() and c[1:].max() >= c[0], (f, c)


def test_310_verdict_matches_the_exact_criterion():
    # Class 0 wins at every positive input iff, for every other class j,
    # d = W[:, 0] - W[:, j] >= 0, e = b[0] - b[j] >= 0, and (d, e) is not all zero.
    generator = torch.Generator().manual_seed(0)
    verdicts = []
    for _ in range(100):
        k = int(torch.randint(2, 4, (1,), generator=generator))
        W = torch.randint(-2, 3, (2, k), generator=generator).float()
        b = torch.randint(-1, 2, (k,), generator=generator).float()
        exact = all(
            bool((W[:, 0] - W[:, j] >= 0).all()) and (b[0] - b[j]).item() >= 0
            and not (bool((W[:, 0] == W[:, j]).all()) and b[0] == b[j])
            for j in range(1, k)
        )
        verdicts.append(exact)
        assert bool(check_310_always_class_0(W, b)) == exact, (W, b)
    assert any(verdicts) and not all(verdicts)


def test_310_constructed_counterexample_is_none_only_for_right_answers():
    assert _constructed_counterexample(t([[1.0, 0.0], [0.0, 0.0]]).double(), torch.zeros(2).double()) is None
    f = _constructed_counterexample(t([[1.0, 0.0], [-1e-9, 0.0]]).double(), torch.zeros(2).double())
    assert f is not None and (f > 0).all() and f[0] * 1.0 + f[1] * -1e-9 < 0


@pytest.mark.parametrize("W,b,words", [
    ([[1, 0], [1, 0]], None, "W is a list, not a torch.Tensor"),
    (t([[1.0, 0.0], [1.0, 0.0]]), [1, 0], "b is a list, not a torch.Tensor"),
    (t([1.0, 0.0]), None, "must be a matrix"),
    (t([[1.0, 0.0], [1.0, 0.0], [1.0, 0.0]]), None, "W has 3 rows, but the inputs of this exercise have 2"),
    (t([[1.0], [1.0]]), None, "at least 2 classes"),
    (t([[1.0, 0.0], [1.0, 0.0]]), t([1.0, 0.0, 0.0]), "b has shape (3,), but should have shape (2,)"),
    (t([[True, False], [True, False]]), None, "dtype torch.bool"),
    (t([[float("nan"), 0.0], [1.0, 0.0]]), None, "inf or NaN"),
])
def test_310_explains_malformed_answers(W, b, words):
    result = check_310_always_class_0(W, b)
    assert not result
    assert words in result.message, result.message


# --- 350 and 380: weights for toy problems 1 and 2 ----------------------------------

def accuracy_on_all_points(problem, W, b):
    split = make_toy_data(problem, 1000, 1000, seed=0)
    X = torch.cat([split.train.features, split.test.features])
    y = torch.cat([split.train.labels, split.test.labels])
    return ((X @ W + b).argmax(dim=1) == y).float().mean().item()


def test_toy_data_set_is_all_the_chapters_points():
    for problem in (1, 2):
        X, y = toy_data_set(problem)
        split = make_toy_data(problem, 1000, 1000, seed=0)
        assert torch.equal(X, torch.cat([split.train.features, split.test.features]))
        assert torch.equal(y, torch.cat([split.train.labels, split.test.labels]))


@pytest.mark.parametrize("W,b", [
    (t([[1.0, 0.0], [0.0, 1.0]]), None),
    (t([[1.0, 0.0], [0.0, 1.0]]), t([0.0, 0.0])),
    (t([[9.0, 6.0], [12.0, 15.0]]), t([5.0, 5.0])),   # shifted rows, scaled
    (t([[0.0, -1.0], [0.0, 1.0]]), t([0.5, 0.0])),    # shifted by less than the gap
])
def test_350_accepts_weights_that_follow_the_rule(W, b):
    result = check_350_weights(W, b)
    assert result, result.message
    assert "100%" in result.message


def test_350_reports_accuracy_and_a_misclassified_point():
    W, b = t([[0.0, 0.0], [0.0, 1.0]]), t([0.0, 0.0])   # the chapter's wrong guess: c1 = f2
    result = check_350_weights(W, b)
    assert not result
    expected = accuracy_on_all_points(1, W, b)
    assert f"accuracy {expected:.1%}" in result.message
    f = reported_input(result.message)
    label = int(f[0] < f[1])
    decision = int((f.float() @ W + b).argmax())
    assert decision != label
    assert f"has class {label}" in result.message and f"picks class {decision}" in result.message
    assert "swapped" not in result.message


def test_350_recognises_swapped_classes():
    result = check_350_weights(t([[0.0, 1.0], [1.0, 0.0]]))
    assert not result
    assert "accuracy 0.0%" in result.message and "swapped" in result.message


def test_350_explains_ties():
    result = check_350_weights(torch.zeros(2, 2))
    assert not result and "tie" in result.message


@pytest.mark.parametrize("W,b,words", [
    (t([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]), None, "W has 3 rows, but the points of toy problem 1 have 2"),
    (t([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), None, "W has 3 columns, but there are 2 classes"),
    (t([[1.0, 0.0], [0.0, 1.0]]), t([0.0]), "b has shape (1,)"),
    ("W", None, "W is a str, not a torch.Tensor"),
])
def test_350_explains_malformed_answers(W, b, words):
    result = check_350_weights(W, b)
    assert not result
    assert words in result.message, result.message


def test_380_accepts_the_courses_weights_and_variants():
    W = t([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    assert check_380_weights(W)
    assert check_380_weights(W + t([[3.0], [1.0], [2.0]]), t([4.0, 4.0]))
    assert check_380_weights(2 * W)


def test_380_rejects_a_forgotten_word_with_its_accuracy():
    W = t([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]])
    result = check_380_weights(W)
    assert not result
    assert f"accuracy {accuracy_on_all_points(2, W, torch.zeros(2)):.1%}" in result.message
    f = reported_input(result.message)
    assert int(f[0] < f[1] + f[2]) != int((f.float() @ W).argmax())


@pytest.mark.parametrize("W,words", [
    (t([[1.0, 0.0], [0.0, 1.0]]), "W has 2 rows, but the points of toy problem 2 have 3"),
    (t([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]), "(it looks transposed: W.T?)"),
])
def test_380_explains_wrong_shapes(W, words):
    result = check_380_weights(W)
    assert not result
    assert words in result.message, result.message


def test_380_recognises_swapped_classes():
    result = check_380_weights(t([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0]]))
    assert not result and "swapped" in result.message


# --- 410: the reader's own rule --------------------------------------------------

RIGHT_RULES = {
    1: lambda f: (f[:, 0] < f[:, 1]).long(),
    2: lambda f: (f[:, 0] < f[:, 1] + f[:, 2]).long(),
    3: lambda f: (f[:, 0] * f[:, 1] <= 0).long(),   # "class 0 when f1 * f2 > 0", as the course says
}


@pytest.mark.parametrize("problem", [1, 2, 3])
def test_410_accepts_right_rules(problem):
    result = check_410_rule(RIGHT_RULES[problem], problem=problem)
    assert result, result.message


def test_410_accepts_other_integer_dtypes():
    assert check_410_rule(lambda f: (f[:, 0] < f[:, 1] + f[:, 2]).to(torch.int32))


@pytest.mark.parametrize("problem,rule", [
    (1, lambda f: (f[:, 0] <= f[:, 1]).long()),
    (2, lambda f: (f[:, 0] <= f[:, 1] + f[:, 2]).long()),
])
def test_410_catches_less_or_equal_on_the_boundary(problem, rule):
    result = check_410_rule(rule, problem=problem)
    assert not result
    assert "points on the boundary" in result.message and "'<='" in result.message
    f = reported_input(result.message)
    assert f[0] == (f[1] if problem == 1 else f[1] + f[2])


@pytest.mark.parametrize("rule,words", [
    (lambda f: (f[:, 0] > f[:, 1] + f[:, 2]).long(), "swapped"),
    (lambda f: f[:, 0] < f[:, 1] + f[:, 2], "bool tensor"),
    (lambda f: (f[:, 0] < f[:, 1] + f[:, 2]).float(), "torch.float32 values"),
    (lambda f: (f[:, 0] < f[:, 1] + f[:, 2]).long()[:, None], "one label per point"),
    (lambda f: (f[:, 0] < f[:, 1] + f[:, 2]).long().tolist(), "returned a list"),
    (lambda f: (f[:, 0] < f[:, 1]).long(), "on the data set's points"),
    (lambda f: f[:, 3], "rule raised IndexError"),
    ("not a function", "pass the function itself"),
])
def test_410_explains_wrong_rules(rule, words):
    result = check_410_rule(rule, problem=2)
    assert not result
    assert words in result.message, result.message


def test_410_rule_that_ignores_a_feature_is_shown_a_counterexample():
    result = check_410_rule(lambda f: (f[:, 0] < f[:, 1]).long(), problem=2)
    f = reported_input(result.message)
    assert int(f[0] < f[1]) != int(f[0] < f[1] + f[2])
