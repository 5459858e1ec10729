"""Checks for the exercises of part 6, chapters 610 to 650: why one layer is not enough.

Every expected answer is computed here from the exercise's own data (the toy
problem's rule, the exercise's layers, PyTorch's own activation functions),
never typed in. Where a wrong answer has a typical cause, the message names it.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from dlbasics.checks.core import CheckResult, call_reader_function, compare_tensors, describe_type, not_a_function
from dlbasics.toydata import draw_points, label_points


# --- Chapter 610: toy problem 3 ---------------------------------------------

def _points_610() -> torch.Tensor:
    """Points to test a reader's rule on: random ones plus the extreme corners of each quadrant."""
    random_points = draw_points(3, 500, torch.Generator().manual_seed(610)).features
    corners = torch.tensor([[sx * v, sy * v] for v in (1.0, 100.0) for sx in (1, -1) for sy in (1, -1)])
    return torch.cat([corners, random_points])


def check_610_rule(rule) -> CheckResult:
    """Exercise 610.1: ``rule(features)`` labels points (N, 2) as toy problem 3 does, as int64."""
    failure = not_a_function(rule, "rule", "check_610_rule")
    if failure is not None:
        return failure
    points = _points_610()
    expected = label_points(3, points)
    labels, failure = call_reader_function(rule, "rule(features)", points.clone())
    if failure is not None:
        return failure
    if isinstance(labels, torch.Tensor) and labels.shape == expected.shape:
        got = labels.detach().cpu()
        if got.dtype == torch.bool:
            swapped = (" (and as it stands True marks same signs, which is class 0: the classes are "
                       "swapped)") if torch.equal(got, expected == 0) else ""
            return CheckResult(False, "rule returns True/False; labels must be class numbers of dtype "
                                      f"int64: convert with .long(){swapped}")
        as_long = got.round().long()
        if torch.equal(as_long, 1 - expected):
            return CheckResult(False, "every label is swapped: points whose features have the same sign "
                                      "(f1 * f2 > 0) are class 0, different signs class 1")
        if torch.equal(as_long, expected) and got.dtype != torch.int64:
            return CheckResult(False, f"the labels are right but have dtype {got.dtype}; class labels are "
                                      "int64 (cross_entropy needs them so): add .long()")
    result = compare_tensors(labels, expected, name="rule(features)")
    if not result:
        return result
    return CheckResult(True, f"rule labels all {len(points)} test points as toy problem 3 does")


# --- Chapter 630: one layer is not enough ------------------------------------

def exercise_630_layers() -> tuple[nn.Linear, nn.Linear]:
    """The two stacked layers of exercise 630.1: ``nn.Linear(2, 3)`` then ``nn.Linear(3, 2)``.

    Small whole numbers, drawn once from a fixed seed, so that the merged
    layer can also be computed on paper.
    """
    generator = torch.Generator().manual_seed(630)
    first, second = nn.Linear(2, 3), nn.Linear(3, 2)
    with torch.no_grad():
        for layer in (first, second):
            layer.weight.copy_(torch.randint(-3, 4, layer.weight.shape, generator=generator))
            layer.bias.copy_(torch.randint(-3, 4, layer.bias.shape, generator=generator))
    return first, second


def check_630_merge(W, b) -> CheckResult:
    """Exercise 630.1: the one layer ``f W + b`` that equals the two stacked layers, in the book's layout."""
    first, second = exercise_630_layers()
    with torch.no_grad():
        W1, b1 = first.weight.T, first.bias      # the book's layout: (in, out)
        W2, b2 = second.weight.T, second.bias
        W_expected, b_expected = W1 @ W2, b1 @ W2 + b2
    if isinstance(W, torch.Tensor):
        got = W.detach().cpu().to(torch.float32)
        if got.shape == (3, 3):
            return CheckResult(False, "W has shape (3, 3): that is W2 W1. The input meets the first layer "
                                      "first, f W1 W2, so W = W1 @ W2, of shape (2, 2)")
        if got.shape == (2, 2) and torch.allclose(got, W_expected.T) and not torch.allclose(got, W_expected):
            return CheckResult(False, "W is transposed: it is in nn.Linear's layout (out, in), "
                                      "second.weight @ first.weight. The book's W, shape (in, out), is "
                                      "first.weight.T @ second.weight.T")
    result = compare_tensors(W, W_expected, name="W")
    if not result:
        return result
    if isinstance(b, torch.Tensor):
        got = b.detach().cpu().to(torch.float32)
        if got.shape == (3,):
            return CheckResult(False, "b has 3 values, one per hidden unit: the first layer's bias also "
                                      "passes through the second layer, b = b1 W2 + b2")
        if got.shape == (2,) and torch.allclose(got, b2):
            return CheckResult(False, "b equals b2 alone: the first layer's bias b1 is multiplied by W2 "
                                      "on its way through, so b = b1 W2 + b2")
        if got.shape == (2,) and torch.allclose(got, b1 @ W2):
            return CheckResult(False, "b equals b1 W2: the second layer's own bias b2 is missing")
    result = compare_tensors(b, b_expected, name="b")
    if not result:
        return result
    f = torch.randn(100, 2, generator=torch.Generator().manual_seed(631))
    with torch.no_grad():
        same = torch.allclose(f @ W.detach().cpu().float() + b.detach().cpu().float(), second(first(f)),
                              atol=1e-4)
    if not same:  # cannot happen when W and b match, but the claim below is measured, not assumed
        return CheckResult(False, "W and b match, yet f W + b differs from the two layers")
    return CheckResult(True, "W = W1 W2 and b = b1 W2 + b2: on 100 random inputs f W + b equals "
                             "the two stacked layers")


def _points_630() -> tuple[torch.Tensor, torch.Tensor]:
    return tuple(draw_points(3, 4000, torch.Generator().manual_seed(630)))


def check_630_line(layer) -> CheckResult:
    """Exercise 630.2: a hand-set ``nn.Linear(2, 2)`` right on at least 60% of toy problem 3."""
    if not isinstance(layer, nn.Linear):
        return CheckResult(False, f"layer is a {describe_type(layer)}; the exercise is about one straight "
                                  "line, so use one torch.nn.Linear(2, 2)")
    if (layer.in_features, layer.out_features) != (2, 2):
        return CheckResult(False, f"layer maps {layer.in_features} inputs to {layer.out_features} outputs; "
                                  "toy problem 3 needs nn.Linear(2, 2)")
    features, labels = _points_630()
    with torch.no_grad():
        device = layer.weight.device
        picked = layer(features.to(device=device, dtype=layer.weight.dtype)).argmax(dim=1).cpu()
    accuracy = (picked == labels).double().mean().item()
    where = f"your line is right on {accuracy:.1%} of {len(labels)} fresh points of toy problem 3"
    if accuracy >= 0.6:
        return CheckResult(True, f"{where}: clearly better than guessing, and still far from 100%, "
                                 "as no straight line can be")
    if accuracy <= 0.4:
        return CheckResult(False, f"{where}: worse than guessing. Swap the two outputs (the classes) and it "
                                  f"would be right on {1 - accuracy:.1%}")
    return CheckResult(False, f"{where}, no better than guessing. Aim for at least 60%: give one class "
                                 "a single corner of the square")


# --- Chapter 650: activation functions ---------------------------------------

def check_650_sigmoid(sigmoid) -> CheckResult:
    """Exercise 650.1: a hand-built sigmoid, right from a = -100 to 100 (no overflow)."""
    failure = not_a_function(sigmoid, "sigmoid", "check_650_sigmoid")
    if failure is not None:
        return failure
    a = torch.linspace(-100, 100, 401)
    values, failure = call_reader_function(sigmoid, "sigmoid(a)", a.clone())
    if failure is not None:
        return failure
    if isinstance(values, torch.Tensor) and values.shape == a.shape:
        got = values.detach().cpu().to(torch.float64)
        nan = torch.isnan(got)
        if nan.any():
            first = a[nan.nonzero()[0, 0]].item()
            return CheckResult(False, f"sigmoid(a) is nan from a = {first:g} on: e^a overflows float32 "
                                      "(to inf) above about 88, and inf / inf is nan. Divide top and bottom "
                                      "by e^a: 1 / (1 + e^-a)")
        if torch.allclose(got, torch.sigmoid(-a).double(), atol=1e-6) and not torch.allclose(
                got, torch.sigmoid(a).double(), atol=1e-6):
            return CheckResult(False, "that is 1 / (1 + e^a) = sigmoid(-a), a mirror image falling where "
                                      "the sigmoid rises (the original course's slip): the exponent "
                                      "must be -a")
    result = compare_tensors(values, torch.sigmoid(a), name="sigmoid(a)", atol=1e-6)
    if not result:
        return result
    return CheckResult(True, "your sigmoid equals torch.sigmoid on 401 inputs from -100 to 100")


EXERCISE_650_POINTS = (-4.0, -3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0, 4.0)


def check_650_silu_derivative(slopes) -> CheckResult:
    """Exercise 650.2: the derivative of SiLU, ``a * sigmoid(a)``, at ``EXERCISE_650_POINTS``."""
    a = torch.tensor(EXERCISE_650_POINTS, requires_grad=True)
    (expected,) = torch.autograd.grad(F.silu(a).sum(), a)
    a = a.detach()
    if isinstance(slopes, torch.Tensor) and slopes.shape == a.shape:
        got = slopes.detach().cpu().to(torch.float32)
        if torch.allclose(got, F.silu(a), atol=1e-5):
            return CheckResult(False, "those are SiLU's values a * sigmoid(a), not its slopes: "
                                      "differentiate (autograd, or the product rule)")
        if torch.allclose(got, torch.sigmoid(a), atol=1e-5):
            return CheckResult(False, "sigmoid(a) is only half of the product rule: the derivative of "
                                      "a * s(a) is s(a) + a * s'(a), with s'(a) = s(a) (1 - s(a))")
    result = compare_tensors(slopes, expected, name="slopes")
    if not result:
        return result
    return CheckResult(True, "the slopes of SiLU are right at all nine points")


def saturation_point_650(fraction: float = 0.01) -> float:
    """The a > 0 where the sigmoid's slope has fallen to ``fraction`` of its peak, 1/4 at a = 0."""
    # s (1 - s) = fraction / 4 is a quadratic in s = sigmoid(a); take the root above 1/2.
    s = (1 + math.sqrt(1 - fraction)) / 2
    return math.log(s / (1 - s))


def check_650_saturation(a) -> CheckResult:
    """Exercise 650.3: where the sigmoid's derivative has fallen to 1% of its value at 0."""
    if isinstance(a, torch.Tensor):
        if a.numel() != 1:
            return CheckResult(False, f"a has {a.numel()} values; give one number (a float)")
        a = a.item()
    if isinstance(a, bool) or not isinstance(a, (int, float)):
        return CheckResult(False, f"a is a {describe_type(a)}; give one number (a float)")
    expected = saturation_point_650()
    if math.isclose(a, expected, abs_tol=0.01):
        return CheckResult(True, f"at a = {a:.3f} the slope is 1% of its peak: beyond about "
                                 f"{expected:.0f} the sigmoid hardly moves")
    if math.isclose(-a, expected, abs_tol=0.01):
        return CheckResult(False, "the slope is symmetric, s'(-a) = s'(a); the exercise asks for the "
                                  "positive a")
    if math.isclose(a, math.log(99), abs_tol=0.01):
        return CheckResult(False, "there the sigmoid itself reaches 0.99; the exercise asks where its "
                                  "slope s(1 - s) falls to 1% of the slope at 0")
    s = torch.sigmoid(torch.tensor(a, dtype=torch.float64)).item()
    share = s * (1 - s) / 0.25
    direction = "further out (larger a)" if share > 0.01 else "closer to 0"
    return CheckResult(False, f"at a = {a:g} the slope is {share:.2%} of its peak, not 1%: look {direction}")
