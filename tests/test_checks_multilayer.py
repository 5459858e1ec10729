"""The checks of chapters 610, 630 and 650 accept right answers and explain the typical wrong ones."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from dlbasics.checks import (check_610_rule, check_630_line, check_630_merge, check_650_saturation,
                             check_650_sigmoid, check_650_silu_derivative)
from dlbasics.checks.multilayer import EXERCISE_650_POINTS, exercise_630_layers, saturation_point_650
from dlbasics.toydata import draw_points


# --- 610: the rule of toy problem 3 -------------------------------------------

def xor_of_signs(f):
    return ((f[:, 0] < 0) ^ (f[:, 1] < 0)).long()


def test_610_accepts_the_rule_written_as_a_product_or_as_xor_of_sign_bits():
    assert check_610_rule(lambda f: (f[:, 0] * f[:, 1] < 0).long())
    assert check_610_rule(xor_of_signs)


def test_610_names_swapped_classes():
    result = check_610_rule(lambda f: (f[:, 0] * f[:, 1] > 0).long())
    assert not result and "swapped" in result.message


def test_610_asks_for_int64_labels_rather_than_booleans_or_floats():
    boolean = check_610_rule(lambda f: f[:, 0] * f[:, 1] < 0)
    assert not boolean and ".long()" in boolean.message and "swapped" not in boolean.message
    swapped_boolean = check_610_rule(lambda f: f[:, 0] * f[:, 1] > 0)
    assert not swapped_boolean and "swapped" in swapped_boolean.message
    floats = check_610_rule(lambda f: (f[:, 0] * f[:, 1] < 0).float())
    assert not floats and "int64" in floats.message


def test_610_rejects_a_rule_that_is_only_partly_right():
    # right in three quadrants, wrong where both features are negative
    result = check_610_rule(lambda f: ((f[:, 0] > 0) != (f[:, 1] > 0)).long() | (f < 0).all(dim=1).long())
    assert not result and "different values" in result.message


def test_610_reports_a_rule_that_raises_or_is_not_a_function():
    raising = check_610_rule(lambda f: f[:, 2])
    assert not raising and "IndexError" in raising.message
    not_callable = check_610_rule(xor_of_signs(torch.ones(3, 2)))
    assert not not_callable and "function itself" in not_callable.message


# --- 630: merging two stacked layers ------------------------------------------

def merged_630():
    first, second = exercise_630_layers()
    with torch.no_grad():
        W = first.weight.T @ second.weight.T
        b = first.bias @ second.weight.T + second.bias
    return first, second, W, b


def test_630_exercise_layers_are_fixed_small_whole_numbers():
    first, second = exercise_630_layers()
    again = exercise_630_layers()
    for a, b in zip((first, second), again):
        assert torch.equal(a.weight, b.weight) and torch.equal(a.bias, b.bias)
    for tensor in (first.weight, first.bias, second.weight, second.bias):
        assert torch.equal(tensor, tensor.round()) and tensor.abs().max() <= 3


def test_630_merge_accepts_the_merged_layer_and_it_equals_the_stack():
    first, second, W, b = merged_630()
    f = torch.randn(7, 2)
    with torch.no_grad():
        assert torch.allclose(f @ W + b, second(first(f)), atol=1e-4)
    assert check_630_merge(W, b)
    assert check_630_merge(W.double(), b.double())


def test_630_merge_names_the_nn_linear_layout_and_the_wrong_order():
    first, second, W, b = merged_630()
    transposed = check_630_merge(W.T, b)
    assert not transposed and "transposed" in transposed.message
    with torch.no_grad():
        wrong_order = check_630_merge(second.weight.T @ first.weight.T, b)  # (3, 2) @ (2, 3): W2 W1
    assert not wrong_order and "W2 W1" in wrong_order.message


def test_630_merge_names_each_typical_bias_mistake():
    first, second, W, b = merged_630()
    with torch.no_grad():
        cases = {
            "one per hidden unit": first.bias + 0,           # b1 alone, 3 values
            "b2 alone": second.bias + 0,
            "b2 is missing": first.bias @ second.weight.T,
        }
    for phrase, wrong_b in cases.items():
        result = check_630_merge(W, wrong_b)
        assert not result and phrase in result.message, result.message
    values = check_630_merge(W, b + 1)
    assert not values and "different values" in values.message


def test_630_merge_rejects_lists():
    _, _, W, b = merged_630()
    result = check_630_merge(W.tolist(), b)
    assert not result and "not a torch.Tensor" in result.message


# --- 630: the best a straight line can do -------------------------------------

def hand_layer(weight, bias):
    layer = nn.Linear(2, 2)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(weight))
        layer.bias.copy_(torch.tensor(bias))
    return layer


def test_630_line_accepts_a_corner_cut_and_reports_its_accuracy():
    corner = hand_layer([[1.0, 1.0], [0.0, 0.0]], [-200 / 3, 0.0])  # class 0 only in the top corner
    result = check_630_line(corner)
    assert result and "%" in result.message


def test_630_line_rejects_a_coin_toss_and_suggests_swapping_a_bad_line():
    through_origin = hand_layer([[1.0, 0.0], [0.0, 0.0]], [0.0, 0.0])  # f1 > 0 -> class 0: half right
    result = check_630_line(through_origin)
    assert not result and "guessing" in result.message
    swapped = hand_layer([[0.0, 0.0], [1.0, 1.0]], [0.0, -200 / 3])
    result = check_630_line(swapped)
    assert not result and "Swap" in result.message


def test_630_line_measures_accuracy_on_its_own_data_and_needs_one_linear_layer():
    features, labels = draw_points(3, 4000, torch.Generator().manual_seed(630))
    assert len(labels) == 4000
    deep = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 2))
    result = check_630_line(deep)
    assert not result and "one torch.nn.Linear" in result.message
    result = check_630_line(nn.Linear(3, 2))
    assert not result and "nn.Linear(2, 2)" in result.message


# --- 650: the sigmoid by hand, SiLU's slope, saturation ------------------------

def test_650_sigmoid_accepts_the_stable_form_and_torch_sigmoid():
    assert check_650_sigmoid(lambda a: 1 / (1 + torch.exp(-a)))
    assert check_650_sigmoid(torch.sigmoid)


def test_650_sigmoid_names_the_course_slip_and_the_overflow():
    slip = check_650_sigmoid(lambda a: 1 / (1 + torch.exp(a)))
    assert not slip and "sigmoid(-a)" in slip.message
    overflow = check_650_sigmoid(lambda a: torch.exp(a) / (1 + torch.exp(a)))
    assert not overflow and "nan" in overflow.message and "overflow" in overflow.message


def test_650_sigmoid_rejects_other_functions_and_errors():
    tanh = check_650_sigmoid(torch.tanh)
    assert not tanh and "different values" in tanh.message
    numpy_like = check_650_sigmoid(lambda a: [1.0] * len(a))
    assert not numpy_like and "not a torch.Tensor" in numpy_like.message
    raising = check_650_sigmoid(lambda a: a.no_such_method())
    assert not raising and "AttributeError" in raising.message


def silu_slopes_by_formula():
    a = torch.tensor(EXERCISE_650_POINTS)
    s = torch.sigmoid(a)
    return a, s * (1 + a * (1 - s))


def test_650_silu_derivative_accepts_the_closed_form():
    _, slopes = silu_slopes_by_formula()
    assert check_650_silu_derivative(slopes)


def test_650_silu_derivative_names_values_and_the_half_product_rule():
    a, slopes = silu_slopes_by_formula()
    values = check_650_silu_derivative(F.silu(a))
    assert not values and "values" in values.message
    half = check_650_silu_derivative(torch.sigmoid(a))
    assert not half and "product rule" in half.message
    off = check_650_silu_derivative(slopes + 0.1)
    assert not off and "different values" in off.message
    shape = check_650_silu_derivative(slopes[:5])
    assert not shape and "shape" in shape.message


def test_650_saturation_point_is_where_the_slope_is_one_percent_of_its_peak():
    a = torch.tensor(saturation_point_650(), dtype=torch.float64, requires_grad=True)
    torch.sigmoid(a).backward()
    assert math.isclose(a.grad.item(), 0.25 * 0.01, rel_tol=1e-9)
    assert check_650_saturation(saturation_point_650())
    assert check_650_saturation(torch.tensor(saturation_point_650()))


def test_650_saturation_explains_the_typical_wrong_answers():
    right = saturation_point_650()
    negative = check_650_saturation(-right)
    assert not negative and "positive" in negative.message
    sigmoid_099 = check_650_saturation(math.log(99))
    assert not sigmoid_099 and "0.99" in sigmoid_099.message
    too_small = check_650_saturation(2.0)
    assert not too_small and "larger a" in too_small.message
    too_large = check_650_saturation(10.0)
    assert not too_large and "closer to 0" in too_large.message
    assert not check_650_saturation("6")
    assert not check_650_saturation(torch.tensor([6.0, 6.0]))
