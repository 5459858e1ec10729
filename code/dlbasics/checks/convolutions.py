"""Checks for the exercises of chapter 890: convolutions, pooling and LeNet-5.

Every expected answer is computed here, never typed in: output sizes by
running ``F.conv2d`` and ``F.max_pool2d`` on a blank image, parameter counts
from the layers of :class:`dlbasics.models.LeNet5`, the receptive field from
their kernel sizes and strides. Where a wrong answer has a typical cause,
the message names it.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from dlbasics.checks.core import CheckResult, call_reader_function, describe_type, not_a_function
from dlbasics.checks.deep_networks import as_count
from dlbasics.models import LeNet5, count_parameters

# (input size, kernel, stride, padding): LeNet-5's own layers first, then cases where
# padding, a stride above 1 and a size that the stride does not divide matter.
EXERCISE_890_SIZE_CASES = ((32, 5, 1, 0), (28, 2, 2, 0), (14, 5, 1, 0), (10, 2, 2, 0),
                           (28, 5, 1, 2), (28, 3, 2, 1), (11, 3, 3, 0), (7, 7, 1, 0))

LENET5_LAYERS = ("c1", "c3", "c5", "f6", "output")


def measured_output_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    """The width of the map ``F.conv2d`` returns for a ``size`` x ``size`` image: measured, not computed."""
    image = torch.zeros(1, 1, size, size)
    weight = torch.zeros(1, 1, kernel, kernel)
    return F.conv2d(image, weight, stride=stride, padding=padding).shape[-1]


def check_890_output_size(output_size) -> CheckResult:
    """Exercise 890.1: ``output_size(size, kernel, stride, padding)`` is the width of a convolution's output."""
    failure = not_a_function(output_size, "output_size", "check_890_output_size")
    if failure is not None:
        return failure
    for size, kernel, stride, padding in EXERCISE_890_SIZE_CASES:
        call = f"output_size({size}, {kernel}, {stride}, {padding})"
        answer, failure = call_reader_function(output_size, call, size, kernel, stride, padding)
        if failure is not None:
            return failure
        expected = measured_output_size(size, kernel, stride, padding)
        if isinstance(answer, torch.Tensor) and answer.numel() == 1:
            answer = answer.item()
        if isinstance(answer, bool) or not isinstance(answer, (int, float)):
            return CheckResult(False, f"{call} returned a {describe_type(answer)}; return a whole "
                                      "number (an int)")
        if isinstance(answer, float):
            if answer == expected:
                return CheckResult(False, f"{call} returned {answer!r}, a float: a map has a whole number "
                                          "of positions, so return an int (use // instead of /)")
            if math.floor(answer) == expected:
                return CheckResult(False, f"{call} returned {answer!r}, where PyTorch gives {expected}: "
                                          "a window that would stick out past the border is not used, so "
                                          "round down, with // instead of /")
        if answer == expected:
            continue
        hint = ""
        if answer == expected - 1:
            hint = " (one short: count the first window position too, the + 1)"
        elif answer == size - kernel + 1 and (stride, padding) != (1, 0):
            hint = " (that ignores the stride and the padding)"
        elif answer == (size - kernel) // stride + 1 and padding:
            hint = f" (the padding adds {padding} pixels on each side, 2 * padding in all)"
        elif answer == (size + padding - kernel) // stride + 1 and padding:
            hint = " (the padding counts twice: once on each side)"
        return CheckResult(False, f"{call} returned {answer}, but a {kernel}x{kernel} kernel with "
                                  f"stride {stride} and padding {padding} on a {size}x{size} image "
                                  f"gives {expected}x{expected} in PyTorch{hint}")
    return CheckResult(True, f"output_size agrees with PyTorch on all {len(EXERCISE_890_SIZE_CASES)} "
                             "cases, pooling windows included")


def lenet5_layer_parameters() -> dict[str, int]:
    """The number of trained parameters of each of LeNet-5's layers, counted from the model."""
    model = LeNet5()
    return {name: count_parameters(getattr(model, name)) for name in LENET5_LAYERS}


def _weights_only(layer: nn.Module) -> int:
    return layer.weight.numel()


def check_890_parameters(counts) -> CheckResult:
    """Exercise 890.2: a dict with the number of parameters of LeNet-5's layers c1, c3, c5, f6, output."""
    if not isinstance(counts, dict):
        return CheckResult(False, f"counts is a {describe_type(counts)}; give a dict with one number per "
                                  f"layer, keys {', '.join(repr(n) for n in LENET5_LAYERS)}")
    missing = [name for name in LENET5_LAYERS if name not in counts]
    if missing:
        return CheckResult(False, f"counts has no entry for {', '.join(repr(n) for n in missing)}; "
                                  f"the keys are {', '.join(repr(n) for n in LENET5_LAYERS)}")
    model = LeNet5()
    expected = lenet5_layer_parameters()
    for name in LENET5_LAYERS:
        value, failure = as_count(counts[name], f"counts[{name!r}]")
        if failure is not None:
            return failure
        if value == expected[name]:
            continue
        layer = getattr(model, name)
        hint = ""
        if value == _weights_only(layer):
            hint = (f": that counts the weights only; each of the {layer.weight.shape[0]} outputs also "
                    "has a bias")
        elif isinstance(layer, nn.Conv2d) and layer.in_channels > 1 and value in (
                layer.out_channels * (layer.weight[0, 0].numel() + 1),
                layer.out_channels * layer.weight[0, 0].numel()):
            hint = (f": each of the {layer.out_channels} filters looks at all {layer.in_channels} input "
                    f"maps, so it has {layer.in_channels} x {layer.weight[0, 0].numel()} weights")
        return CheckResult(False, f"counts[{name!r}] is {value:,}, but the layer has {expected[name]:,} "
                                  f"parameters{hint}")
    total = sum(expected.values())
    return CheckResult(True, f"all five layers are right: {total:,} parameters in all, the "
                             f"{count_parameters(model):,} that count_parameters(LeNet5()) reports")


def receptive_fields() -> dict[str, int]:
    """How many input pixels wide the patch is that one value of each stage of LeNet-5 depends on.

    Computed from the layers' kernel sizes and strides: going back from one
    value, a layer with kernel k and stride s turns a patch of r positions
    into one of (r - 1) * s + k positions of its input.
    """
    model = LeNet5()

    def size(module):
        value = module.kernel_size
        return value[0] if isinstance(value, tuple) else value

    def step(module):
        value = module.stride
        return value[0] if isinstance(value, tuple) else value

    stages = (("c1", model.c1), ("s2", model.pool), ("c3", model.c3), ("s4", model.pool))
    fields = {}
    for end in range(1, len(stages) + 1):
        width = 1
        for _, module in reversed(stages[:end]):
            width = (width - 1) * step(module) + size(module)
        fields[stages[end - 1][0]] = width
    return fields


def check_890_receptive_field(width) -> CheckResult:
    """Exercise 890.3: the width, in input pixels, of the patch that one value of S4 depends on."""
    if isinstance(width, torch.Tensor) and width.numel() == 1:
        width = width.item()
    if isinstance(width, bool) or not isinstance(width, (int, float)):
        return CheckResult(False, f"width is a {describe_type(width)}; give one number, the side of the "
                                  "square patch in pixels")
    fields = receptive_fields()
    expected = fields["s4"]
    if width == expected:
        return CheckResult(True, f"one value of S4 depends on a {expected}x{expected} patch of the "
                                 f"32x32 input (one of C1 on {fields['c1']}x{fields['c1']}, of S2 on "
                                 f"{fields['s2']}x{fields['s2']}, of C3 on {fields['c3']}x{fields['c3']})")
    named = {value: name.upper() for name, value in fields.items() if name != "s4"}
    if width in named:
        return CheckResult(False, f"{width:g} pixels is what one value of {named[width]} sees; S4 comes "
                                  "later and sees more")
    return CheckResult(False, f"{width:g} is not it: go back from one S4 value layer by layer; a layer "
                              "with kernel k and stride s turns r positions of its output into "
                              "(r - 1) * s + k of its input")
