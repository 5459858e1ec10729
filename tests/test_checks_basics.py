"""The checks of chapters 110 and 210 accept right answers and explain wrong ones."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlbasics.checks import (CheckResult, call_reader_function, check_110_slice, check_110_sum, check_210_affine,
                             check_210_linear, compare_tensors, not_a_function)

W3 = torch.tensor([[3.0, 7.0], [4.0, 1.0], [1.0, 2.0]])
B3 = torch.tensor([0.5, 0.3])
F3 = torch.tensor([1.0, 2.0, 3.0])


def linear(weight, bias=B3, in_features=3, out_features=2):
    layer = nn.Linear(in_features, out_features)
    with torch.no_grad():
        layer.weight.copy_(weight)
        layer.bias.copy_(bias)
    return layer


def test_a_result_is_truthy_only_when_right_and_prints_its_verdict():
    right, wrong = CheckResult(True, "fine"), CheckResult(False, "off")
    assert right and not wrong
    assert str(right) == "Correct: fine" and repr(wrong) == "Not yet: off"


@pytest.mark.parametrize("answer, fragment", [
    ([1.0, 2.0], "is a list, not a torch.Tensor (wrap it"),
    (torch.zeros(3), "has shape (3,), but should have shape (2,)"),
    (torch.zeros(1, 2), "same number of elements: reshape or squeeze"),
    (torch.tensor([1.0, 9.0]), "at index (1,) it holds 9 where 2 is expected"),
    (torch.tensor([1.0, float("nan")]), "contains NaN"),
    (torch.tensor([True, False]), "dtype torch.bool"),
])
def test_compare_tensors_tells_type_shape_and_value_errors_apart(answer, fragment):
    result = compare_tensors(answer, torch.tensor([1.0, 2.0]), name="x")
    assert not result.ok
    assert fragment in result.message


def test_compare_tensors_spots_a_transposed_matrix_and_accepts_close_values():
    expected = torch.arange(6.0).reshape(2, 3)
    assert "looks transposed" in compare_tensors(expected.T, expected).message
    assert compare_tensors(expected + 1e-7, expected).ok
    assert compare_tensors(torch.arange(6).reshape(2, 3), expected).ok  # integers with equal values


def test_compare_tensors_explains_integer_answers_to_fractional_questions():
    result = compare_tensors(torch.tensor([14, 15]), torch.tensor([14.5, 15.3]))
    assert not result.ok and "holds integers" in result.message


def test_check_110_sum():
    a, b = torch.ones(2, 3), torch.arange(6.0).reshape(2, 3)
    assert check_110_sum(a, b, a + b).ok
    assert check_110_sum(a, torch.arange(6).reshape(2, 3), a + b).ok
    assert "element-wise product" in check_110_sum(a, b, a * b).message
    assert check_110_sum(torch.zeros(2, 3), b, b).message.startswith("a has the right shape")
    assert "b has shape (6,)" in check_110_sum(a, torch.arange(6.0), a + b).message
    assert "c is a list" in check_110_sum(a, b, (a + b).tolist()).message


def test_check_110_slice():
    images = torch.arange(24).reshape(2, 1, 3, 4)
    assert check_110_slice(images[1, 0, -1]).ok
    assert "index the channel too" in check_110_slice(images[1, :, -1]).message
    assert "first image" in check_110_slice(images[0, 0, -1]).message
    assert "different values" in check_110_slice(images[1, 0, 0]).message


def test_check_210_affine():
    assert check_210_affine(F3 @ W3 + B3).ok
    assert "bias b is missing" in check_210_affine(F3 @ W3).message
    assert "do not subtract" in check_210_affine(F3 @ W3 - B3).message
    assert "shape (1, 2)" in check_210_affine((F3 @ W3 + B3).unsqueeze(0)).message


def test_check_210_linear():
    assert check_210_linear(linear(W3.T)).ok
    assert "reshape keeps the order" in check_210_linear(linear(W3.reshape(2, 3))).message
    swapped = check_210_linear(nn.Linear(2, 3))
    assert "maps 2 inputs to 3 outputs" in swapped.message and "nn.Linear(3, 2)" in swapped.message
    assert "layer.bias" in check_210_linear(linear(W3.T, bias=torch.zeros(2))).message
    assert "no bias" in check_210_linear(nn.Linear(3, 2, bias=False)).message
    assert "not a torch.nn.Linear" in check_210_linear(W3).message


def test_a_check_that_wants_a_function_says_so_when_given_its_result():
    assert not_a_function(len, "rule", "check_410_rule") is None
    failure = not_a_function(torch.zeros(3), "rule", "check_410_rule")
    assert not failure.ok
    assert "rule is a Tensor; pass the function itself (check_410_rule(rule), without calling it)" in failure.message


def test_an_error_in_a_readers_function_becomes_a_message():
    assert call_reader_function(lambda x: x + 1, "f(x)", 1) == (2, None)
    value, failure = call_reader_function(lambda x: x[5], "f(x)", [1, 2])
    assert value is None and not failure.ok
    assert failure.message == "f(x) raised IndexError: list index out of range"
