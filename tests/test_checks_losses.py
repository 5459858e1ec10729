"""The checks of part 4 (losses) accept right answers and name the typical mistakes.

Right answers are computed here independently of the checks, from the
formulas (plain Python math on the exercises' numbers), so a wrong expected
value inside a check makes these tests fail.
"""

import math

import pytest
import torch
import torch.nn.functional as F

from dlbasics.checks import (
    check_430_losses,
    check_430_softmax,
    check_450_batch_loss,
    check_450_gradient,
    check_480_bce,
    check_480_normalised_sigmoid,
)
from dlbasics.checks.losses import COURSE_POINTS, MIXED_POINTS

W = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])


def scores_of(points):
    """c = f W = [f1, f2 + f3] for each point, by hand."""
    return [[p[0], p[1] + p[2]] for p in points]


def rule_2(points):
    return [1 if p[0] < p[1] + p[2] else 0 for p in points]


def ce(c, label):
    """-log softmax(c)[label], from the formula."""
    return -(c[label] - math.log(sum(math.exp(v) for v in c)))


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


COURSE_C = scores_of(COURSE_POINTS)
MIXED_C = scores_of(MIXED_POINTS)
MIXED_Y = rule_2(MIXED_POINTS)


def assert_rejected(result, *phrases):
    assert not result, f"accepted a wrong answer: {result}"
    assert not result.ok
    for phrase in phrases:
        assert phrase in result.message, f"{phrase!r} not in {result.message!r}"


def test_course_data_is_as_the_course_states():
    assert COURSE_POINTS == [[6.0, 2.0, 1.9], [5.0, 2.0, 1.9], [4.0, 2.0, 1.9]]
    assert rule_2(COURSE_POINTS) == [0, 0, 0]
    assert 0 in MIXED_Y and 1 in MIXED_Y


# --- 430 softmax --------------------------------------------------------------

def stable_softmax(x):
    e = (x - x.max(dim=-1, keepdim=True).values).exp()
    return e / e.sum(dim=-1, keepdim=True)


def test_430_softmax_accepts_a_stable_softmax_and_torchs():
    assert check_430_softmax(stable_softmax)
    assert check_430_softmax(lambda x: F.softmax(x, dim=-1))


def test_430_softmax_rejects_overflow():
    result = check_430_softmax(lambda x: x.exp() / x.exp().sum(dim=-1, keepdim=True))
    assert_rejected(result, "large scores", "Subtract each row's maximum")


def test_430_softmax_rejects_normalising_the_whole_batch():
    result = check_430_softmax(lambda x: (x - x.max()).exp() / (x - x.max()).exp().sum())
    assert_rejected(result, "over the whole batch", "keepdim=True")


def test_430_softmax_rejects_normalising_columns():
    result = check_430_softmax(lambda x: F.softmax(x, dim=0))
    assert_rejected(result, "down each column", "dim=-1")


def test_430_softmax_explains_the_missing_keepdim():
    def no_keepdim(x):
        e = x.exp()
        return e / e.sum(dim=-1)
    result = check_430_softmax(no_keepdim)
    assert_rejected(result, "raised RuntimeError", "keepdim=True")


def test_430_softmax_rejects_a_call_instead_of_a_function():
    assert_rejected(check_430_softmax(torch.tensor([0.5, 0.5])), "pass the function itself")


def test_430_softmax_rejects_plain_exp():
    assert_rejected(check_430_softmax(lambda x: x.exp()), "different values")


# --- 430 losses ---------------------------------------------------------------

COURSE_LOSSES = [ce(c, 0) for c in COURSE_C]


def test_430_losses_accepts_the_three_losses():
    result = check_430_losses(torch.tensor(COURSE_LOSSES))
    assert result, result
    assert COURSE_LOSSES[0] < COURSE_LOSSES[1] < COURSE_LOSSES[2]


@pytest.mark.parametrize("wrong, phrase", [
    ([-v for v in COURSE_LOSSES], "negative"),
    ([math.exp(-v) for v in COURSE_LOSSES], "probabilities q"),
    ([ce(c, 1) for c in COURSE_C], "class 1"),
    ([v / math.log(10) for v in COURSE_LOSSES], "log10"),
])
def test_430_losses_names_the_mistake(wrong, phrase):
    assert_rejected(check_430_losses(torch.tensor(wrong)), phrase)


def test_430_losses_rejects_the_mean_and_both_columns():
    assert_rejected(check_430_losses(torch.tensor(sum(COURSE_LOSSES) / 3)), "one loss per point")
    both = torch.tensor([[-ce(c, 0), -ce(c, 1)] for c in COURSE_C])
    assert_rejected(check_430_losses(both), "one column per class")


def test_430_losses_rejects_a_list():
    assert_rejected(check_430_losses(COURSE_LOSSES), "not a torch.Tensor")


# --- 450 batch loss -------------------------------------------------------------

MIXED_LOSSES = [ce(c, y) for c, y in zip(MIXED_C, MIXED_Y)]
MIXED_MEAN = sum(MIXED_LOSSES) / len(MIXED_LOSSES)


def test_450_batch_loss_accepts_the_mean_in_any_scalar_shape():
    assert check_450_batch_loss(torch.tensor(MIXED_MEAN))
    assert check_450_batch_loss(torch.tensor([MIXED_MEAN]))


def test_450_batch_loss_names_the_mistakes():
    assert_rejected(check_450_batch_loss(torch.tensor(sum(MIXED_LOSSES))), "sum")
    all_zero = sum(ce(c, 0) for c in MIXED_C) / len(MIXED_C)
    assert_rejected(check_450_batch_loss(torch.tensor(all_zero)), "every label 0")
    nll_on_scores = -sum(c[y] for c, y in zip(MIXED_C, MIXED_Y)) / len(MIXED_C)
    assert_rejected(check_450_batch_loss(torch.tensor(nll_on_scores)), "nll_loss on raw scores")
    twice = []
    for c, y in zip(MIXED_C, MIXED_Y):
        total = sum(math.exp(v) for v in c)
        twice.append(ce([math.exp(v) / total for v in c], y))
    assert_rejected(check_450_batch_loss(torch.tensor(sum(twice) / len(twice))), "softmax applied twice")


def test_450_batch_loss_rejects_per_point_losses_and_floats():
    assert_rejected(check_450_batch_loss(torch.tensor(MIXED_LOSSES)), "one number")
    assert_rejected(check_450_batch_loss(MIXED_MEAN), "not a torch.Tensor", ".item()")
    assert_rejected(check_450_batch_loss(torch.tensor(MIXED_MEAN + 0.1)), "is not the batch's mean")


# --- 450 gradient ---------------------------------------------------------------

def mean_gradient():
    """d(mean loss)/dW[i, j] = mean over points of f_i (q_j - onehot_j), from the formula."""
    grad = [[0.0, 0.0] for _ in range(3)]
    for f, c in zip(COURSE_POINTS, COURSE_C):
        total = sum(math.exp(v) for v in c)
        q = [math.exp(v) / total for v in c]
        for i in range(3):
            for j in range(2):
                grad[i][j] += f[i] * (q[j] - (1.0 if j == 0 else 0.0)) / len(COURSE_POINTS)
    return torch.tensor(grad)


def test_450_gradient_accepts_the_gradient_of_the_mean():
    assert check_450_gradient(mean_gradient())


def test_450_gradient_names_the_mistakes():
    grad = mean_gradient()
    assert_rejected(check_450_gradient(3 * grad), "reduction='sum'")
    assert_rejected(check_450_gradient(-grad), "wrong sign")
    assert_rejected(check_450_gradient(grad.T), "transposed")


# --- 480 normalised sigmoid ---------------------------------------------------------

def normalised_sigmoid(c, label):
    return -math.log(sigmoid(c[label]) / sum(sigmoid(v) for v in c))


def test_480_normalised_sigmoid_accepts_the_course_loss():
    answer = [normalised_sigmoid(c, 0) for c in COURSE_C]
    assert check_480_normalised_sigmoid(torch.tensor(answer))


def test_480_normalised_sigmoid_names_the_mistakes():
    assert_rejected(check_480_normalised_sigmoid(torch.tensor(COURSE_LOSSES)), "softmax cross-entropy")
    unnormalised = torch.tensor([-math.log(sigmoid(c[0])) for c in COURSE_C])
    assert_rejected(check_480_normalised_sigmoid(unnormalised), "without the normalisation")
    other = torch.tensor([normalised_sigmoid(c, 1) for c in COURSE_C])
    assert_rejected(check_480_normalised_sigmoid(other), "class 1")
    mean = sum(normalised_sigmoid(c, 0) for c in COURSE_C) / 3
    assert_rejected(check_480_normalised_sigmoid(torch.tensor(mean)), "the mean")


# --- 480 binary cross-entropy ---------------------------------------------------------

def bce(z, y):
    p = sigmoid(z)
    return -(y * math.log(p) + (1 - y) * math.log(1 - p))


def test_480_bce_accepts_the_mean_and_it_equals_the_softmax_loss():
    zs = [c[1] - c[0] for c in MIXED_C]
    answer = sum(bce(z, y) for z, y in zip(zs, MIXED_Y)) / len(zs)
    assert math.isclose(answer, MIXED_MEAN, rel_tol=1e-9)
    assert check_480_bce(torch.tensor(answer))


def test_480_bce_names_the_mistakes():
    zs = [c[1] - c[0] for c in MIXED_C]
    n = len(zs)
    flipped = sum(bce(-z, y) for z, y in zip(zs, MIXED_Y)) / n
    assert_rejected(check_480_bce(torch.tensor(flipped)), "sign of z")
    only_c1 = sum(bce(c[1], y) for c, y in zip(MIXED_C, MIXED_Y)) / n
    assert_rejected(check_480_bce(torch.tensor(only_c1)), "c_1 alone")
    summed = sum(bce(z, y) for z, y in zip(zs, MIXED_Y))
    assert_rejected(check_480_bce(torch.tensor(summed)), "sum over the points")
    zeros = sum(bce(z, 0) for z in zs) / n
    assert_rejected(check_480_bce(torch.tensor(zeros)), "every label 0")
    assert_rejected(check_480_bce(torch.tensor([0.1, 0.2])), "one number")


# --- the package's normalised-sigmoid loss ------------------------------------------

def test_normalised_sigmoid_losses_matches_the_formula_and_stays_finite():
    from dlbasics.losses import normalised_sigmoid_losses

    scores = torch.tensor([[6.0, 3.9], [-1.0, 2.0], [-150.0, -100.0], [-200.0, -250.0]])
    labels = torch.tensor([0, 1, 0, 1])
    got = normalised_sigmoid_losses(scores, labels)
    for row, (c, label) in enumerate(zip(scores.tolist()[:2], labels.tolist()[:2])):
        assert math.isclose(got[row].item(), normalised_sigmoid(c, label), rel_tol=1e-5)
    assert torch.isfinite(got).all()
    # Far below zero sigmoid(x) ~ exp(x): the normalised sigmoid becomes softmax there.
    for row in (2, 3):
        assert math.isclose(got[row].item(), ce(scores[row].tolist(), labels[row].item()), rel_tol=1e-4)


def test_normalised_sigmoid_losses_explains_wrong_shapes():
    from dlbasics.losses import normalised_sigmoid_losses

    with pytest.raises(ValueError, match=r"got \(2,\) and \(1,\).*unsqueeze\(0\)"):
        normalised_sigmoid_losses(torch.tensor([6.0, 3.9]), torch.tensor([0]))
    with pytest.raises(ValueError, match=r"labels of shape \(N,\)"):
        normalised_sigmoid_losses(torch.zeros(3, 2), torch.zeros(2, dtype=torch.int64))
