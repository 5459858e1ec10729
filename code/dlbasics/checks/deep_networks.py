"""Checks for the exercises of chapter 870: deep fully connected networks on images.

Every expected answer is computed here, never typed in: parameter counts by
building the network with :class:`dlbasics.models.ImageMLP`, the count of
dead units on a network and images drawn from a fixed seed. Where a wrong
answer has a typical cause, the message names it.
"""

from __future__ import annotations

import torch

from dlbasics.checks.core import CheckResult, call_reader_function, describe_type, not_a_function
from dlbasics.models import ImageMLP, count_parameters

EXERCISE_870_SIZES = ([784, 10], [784, 256, 10], [784, 256, 256, 128, 128, 64, 64, 10],
                      [784, 30, 20, 10])


def as_count(value, name: str) -> tuple[int | None, CheckResult | None]:
    """``value`` (an int or a one-element tensor) as an int, or a failing result saying why not."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, int):
        whole = isinstance(value, float) and value.is_integer()
        return None, CheckResult(False, f"{name} is a {describe_type(value)}; a count is an int"
                                        + (" (convert with int(...))" if whole else ""))
    return value, None


def check_870_parameter_count(mlp_parameters) -> CheckResult:
    """Exercise 870.1: ``mlp_parameters(sizes)`` counts the parameters of ``ImageMLP(sizes)``."""
    failure = not_a_function(mlp_parameters, "mlp_parameters", "check_870_parameter_count")
    if failure is not None:
        return failure
    for sizes in EXERCISE_870_SIZES:
        call = f"mlp_parameters({sizes})"
        answer, failure = call_reader_function(mlp_parameters, call, list(sizes))
        if failure is not None:
            return failure
        answer, failure = as_count(answer, f"the result of {call}")
        if failure is not None:
            return failure
        expected = count_parameters(ImageMLP(sizes))
        if answer == expected:
            continue
        pairs = list(zip(sizes, sizes[1:]))
        weights = sum(n_in * n_out for n_in, n_out in pairs)
        hint = ""
        if answer == weights:
            hint = " (that counts the weights only: every layer also has one bias per output)"
        elif answer == weights + sum(sizes):
            hint = " (that gives the input pixels biases too: only the layers' outputs have them)"
        elif answer == weights + sum(n_in for n_in, _ in pairs):
            hint = " (one bias per *output* of each layer, not per input)"
        return CheckResult(False, f"{call} returned {answer:,}, but that network has {expected:,} "
                                  f"parameters{hint}")
    return CheckResult(True, f"mlp_parameters agrees with count_parameters on all {len(EXERCISE_870_SIZES)} "
                             "networks")


def _as_float_tensor(values) -> torch.Tensor | None:
    """A reader's list or tensor of numbers as a 1-D float64 tensor, or None when it is neither."""
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().to(torch.float64).reshape(-1)
    if isinstance(values, (list, tuple)) and all(
            isinstance(v, (int, float, torch.Tensor)) and not isinstance(v, bool) for v in values):
        try:
            return torch.tensor([float(v) for v in values], dtype=torch.float64)
        except (TypeError, ValueError, RuntimeError):
            return None
    return None


def exercise_870_network() -> tuple[ImageMLP, torch.Tensor]:
    """A ReLU network with some hidden units dead on purpose, and the images the exercise uses."""
    generator = torch.Generator().manual_seed(870)
    images = torch.rand(200, 1, 28, 28, generator=generator)
    with torch.random.fork_rng():
        torch.manual_seed(870)
        model = ImageMLP([784, 64, 32, 32, 16, 10])
    with torch.no_grad():
        for number, layer in enumerate(model.linear_layers[:-1], start=1):
            layer.bias[: 2 * number] = -1e3  # negative for every image: these units never fire
    return model, images


@torch.no_grad()
def _dead_per_layer(model: ImageMLP, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per hidden layer: units that output 0 for every image, and units that output 0 for some image."""
    dead, ever_off = [], []
    values = images
    for module in model:
        values = module(values)
        if isinstance(module, torch.nn.ReLU):
            off = values <= 0
            dead.append(int(off.all(dim=0).sum()))
            ever_off.append(int(off.any(dim=0).sum()))
    return torch.tensor(dead), torch.tensor(ever_off)


def check_870_dead_units(dead_units) -> CheckResult:
    """Exercise 870.2: ``dead_units(model, images)``, per hidden layer the units that are 0 for every image."""
    failure = not_a_function(dead_units, "dead_units", "check_870_dead_units")
    if failure is not None:
        return failure
    model, images = exercise_870_network()
    expected, ever_off = _dead_per_layer(model, images)
    call = "dead_units(model, images)"
    answer, failure = call_reader_function(dead_units, call, model, images.clone())
    if failure is not None:
        return failure
    got = _as_float_tensor(answer)
    if got is None:
        return CheckResult(False, f"{call} returned a {describe_type(answer)}; return a list or a 1-D tensor "
                                  "with one count per hidden layer")
    hidden = len(expected)
    if got.numel() == hidden + 1:
        return CheckResult(False, f"{call} returned {got.numel()} counts; the network has {hidden} hidden "
                                  "layers (a ReLU after each); the output layer has no ReLU and no dead units")
    if got.numel() != hidden:
        return CheckResult(False, f"{call} returned {got.numel()} counts; give one per hidden layer, "
                                  f"{hidden} here")
    if torch.equal(got, ever_off.double()) and not torch.equal(got, expected.double()):
        return CheckResult(False, "those are the units that are 0 for *some* image; a dead unit is 0 for "
                                  "*every* image: .all(dim=0), not .any(dim=0)")
    if bool((got > 0).all()) and bool((got < 1).all()):
        return CheckResult(False, "those look like fractions; count the units (an int per layer)")
    if not torch.equal(got, expected.double()):
        layer = int((got - expected.double()).abs().argmax())
        return CheckResult(False, f"hidden layer {layer + 1} has {int(expected[layer])} dead units, your "
                                  f"function says {got[layer].item():g}")
    return CheckResult(True, f"the dead units of all {hidden} hidden layers are counted right")
