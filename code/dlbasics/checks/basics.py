"""Checks for the exercises of parts 1 and 2: tensors and the affine layer."""

from __future__ import annotations

import torch
from torch import nn

from dlbasics.checks.core import CheckResult, compare_tensors, describe_type, first_failure


# --- Chapter 110: tensors -------------------------------------------------

def check_110_sum(a, b, c) -> CheckResult:
    """Exercise 110.1: ``a`` is a 2x3 tensor of ones, ``b`` holds 0..5 row by row, ``c = a + b``."""
    failure = first_failure(
        compare_tensors(a, torch.ones(2, 3), name="a"),
        compare_tensors(b, torch.arange(6.0).reshape(2, 3), name="b"),
    )
    if failure is not None:
        return failure
    result = compare_tensors(c, a + b, name="c")
    if not result.ok and isinstance(c, torch.Tensor) and c.shape == a.shape and torch.equal(c, a * b):
        return CheckResult(False, "c is a * b, the element-wise product; the exercise asks for the sum a + b")
    return CheckResult(True, "a, b and c = a + b are all right") if result.ok else result


def check_110_slice(row) -> CheckResult:
    """Exercise 110.2: the bottom row of the second image of ``torch.arange(24).reshape(2, 1, 3, 4)``."""
    batch = torch.arange(24).reshape(2, 1, 3, 4)
    result = compare_tensors(row, batch[1, 0, -1], name="row")
    if not result.ok and isinstance(row, torch.Tensor):
        if row.shape == (1, 4) or row.shape == (1, 1, 4):
            return CheckResult(False, f"row has shape {tuple(row.shape)}: index the channel too "
                                      "(an integer index drops a dimension, a slice keeps it)")
        if row.shape == (4,) and torch.equal(row.cpu(), batch[0, 0, -1]):
            return CheckResult(False, "that is the bottom row of the first image: indices start at 0")
    return result


# --- Chapter 210: a layer is an affine map ---------------------------------

EXERCISE_210 = {
    "f": [1.0, 2.0, 3.0],
    "W": [[3.0, 7.0], [4.0, 1.0], [1.0, 2.0]],
    "b": [0.5, 0.3],
}


def _exercise_210_tensors() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    return tuple(torch.tensor(EXERCISE_210[key]) for key in ("f", "W", "b"))


def check_210_affine(c) -> CheckResult:
    """Exercise 210.1: ``c = f W + b`` for the exercise's ``f``, ``W`` and ``b``."""
    f, W, b = _exercise_210_tensors()
    result = compare_tensors(c, f @ W + b, name="c")
    if not result.ok and isinstance(c, torch.Tensor) and c.shape == b.shape:
        got = c.detach().cpu().to(torch.float32)
        if torch.allclose(got, f @ W):
            return CheckResult(False, "c equals f @ W: the bias b is missing")
        if torch.allclose(got, f @ W - b):
            return CheckResult(False, "c equals f @ W - b: add the bias, do not subtract it")
    return result


def check_210_linear(layer) -> CheckResult:
    """Exercise 210.2: an ``nn.Linear`` holding the exercise's ``W`` and ``b``."""
    f, W, b = _exercise_210_tensors()
    if not isinstance(layer, nn.Linear):
        return CheckResult(False, f"layer is a {describe_type(layer)}, not a torch.nn.Linear")
    if (layer.in_features, layer.out_features) != (3, 2):
        return CheckResult(
            False,
            f"layer maps {layer.in_features} inputs to {layer.out_features} outputs; the exercise "
            "has 3 inputs and 2 outputs: nn.Linear(3, 2)",
        )
    if layer.bias is None:
        return CheckResult(False, "layer has no bias: create it with bias=True (the default)")
    weight = layer.weight.detach().cpu()
    if not torch.allclose(weight, W.T) and torch.allclose(weight.reshape(3, 2), W):
        return CheckResult(
            False,
            "layer.weight holds W reshaped to (2, 3), not transposed: reshape keeps the order of "
            "the numbers, a transpose swaps rows and columns. Copy W.T into the weight",
        )
    failure = first_failure(
        compare_tensors(weight, W.T, name="layer.weight"),
        compare_tensors(layer.bias, b, name="layer.bias"),
    )
    if failure is not None:
        return failure
    with torch.no_grad():
        outputs = layer(f.to(weight.dtype).to(layer.weight.device)).cpu().tolist()
    return CheckResult(True, f"layer(f) gives {[round(v, 4) for v in outputs]}, as f W + b does")
