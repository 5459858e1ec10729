"""Checks for the exercises of chapters 830 and 850: image classifiers with one and two layers.

Expected answers are computed here, never typed in: parameter counts by
building the models of :mod:`dlbasics.models` and counting, accuracies and
recalls from confusion matrices drawn from a seeded generator, a collapsed
network's outputs by running the network. A wrong answer that matches a
typical mistake (forgetting the biases, dividing by the wrong sums, a
transposed weight) gets a message naming it.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from dlbasics.checks.core import (CheckResult, as_number, call_reader_function, compare_tensors,
                                  describe_type, not_a_function)
from dlbasics.models import ImageMLP, count_parameters


def _confusion_matrices() -> list[torch.Tensor]:
    """Confusion matrices to try a reader's function on: 10 classes and 3, rows and columns unbalanced.

    Every row sum differs from its column sum, so recall and precision
    differ for every class, and no class is empty.
    """
    generator = torch.Generator().manual_seed(830)
    matrices = []
    for classes, examples in ((10, 2000), (3, 300), (10, 500)):
        labels = torch.randint(0, classes, (examples,), generator=generator)
        right = torch.rand(examples, generator=generator) < 0.8
        guesses = torch.randint(0, classes, (examples,), generator=generator)
        predicted = torch.where(right, labels, guesses)
        confusion = torch.bincount(labels * classes + predicted, minlength=classes * classes)
        confusion = confusion.reshape(classes, classes)
        confusion[0, 1] += 7                      # unbalance: more examples of class 0 taken for class 1
        matrices.append(confusion)
    return matrices



# --- Chapter 830: a single layer ----------------------------------------------

def check_830_accuracy(accuracy) -> CheckResult:
    """Exercise 830.1: ``accuracy(confusion)`` is the share of right answers, a number from 0 to 1."""
    failure = not_a_function(accuracy, "accuracy", "check_830_accuracy")
    if failure is not None:
        return failure
    for confusion in _confusion_matrices():
        answer, failure = call_reader_function(accuracy, "accuracy(confusion)", confusion.clone())
        if failure is not None:
            return failure
        if isinstance(answer, torch.Tensor) and answer.shape == (len(confusion),):
            return CheckResult(False, f"accuracy returned {len(confusion)} values, one per class; the accuracy "
                                      "is one number for all classes together")
        value, failure = as_number(answer, "accuracy(confusion)")
        if failure is not None:
            return failure
        total = confusion.sum().item()
        expected = confusion.trace().item() / total
        if math.isclose(value, expected, rel_tol=1e-6):
            continue
        if math.isclose(value, confusion.trace().item()):
            return CheckResult(False, f"accuracy returned {value:g}, the number of right answers; divide it "
                                      "by the number of all answers, confusion.sum()")
        if math.isclose(value, 100 * expected, rel_tol=1e-6):
            return CheckResult(False, f"accuracy returned {value:g}, a percentage; return the fraction, "
                                      f"{expected:.4f}")
        if math.isclose(value, 1 - expected, rel_tol=1e-6):
            return CheckResult(False, f"accuracy returned {value:g}, the share of mistakes; the right answers "
                                      "are on the diagonal")
        return CheckResult(False, f"accuracy returned {value:g} for a {len(confusion)}-class confusion matrix "
                                  f"whose accuracy is {expected:.4f}: the right answers are on the "
                                  "diagonal (confusion.trace())")
    return CheckResult(True, f"accuracy is right on {len(_confusion_matrices())} confusion matrices")


def check_830_recall(recall) -> CheckResult:
    """Exercise 830.2: ``recall(confusion)``, for each class the share of its examples classified right."""
    failure = not_a_function(recall, "recall", "check_830_recall")
    if failure is not None:
        return failure
    for confusion in _confusion_matrices():
        answer, failure = call_reader_function(recall, "recall(confusion)", confusion.clone())
        if failure is not None:
            return failure
        diagonal = confusion.diagonal().double()
        expected = diagonal / confusion.sum(dim=1)
        if isinstance(answer, torch.Tensor) and answer.shape == expected.shape:
            got = answer.detach().cpu().double()
            if torch.allclose(got, diagonal / confusion.sum(dim=0)):
                return CheckResult(False, "recall divided by the column sums, how often each class was "
                                          "*predicted*: that is precision. Recall divides by the row sums, "
                                          "how many examples each class *has*")
            if torch.allclose(got, 100 * expected):
                return CheckResult(False, "recall returned percentages; return fractions from 0 to 1")
        result = compare_tensors(answer, expected, name=f"recall on a {len(confusion)}-class confusion matrix",
                                 atol=1e-6)
        if not result:
            return result
    return CheckResult(True, f"recall is right, class by class, on {len(_confusion_matrices())} "
                             "confusion matrices")


def _as_count(value, name: str) -> tuple[int | None, CheckResult | None]:
    """``value`` as a Python int, or a failing result saying why it is not a whole number."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            return None, CheckResult(False, f"{name} is a tensor of shape {tuple(value.shape)}; a count is "
                                            "one whole number")
        if value.is_floating_point():
            return None, CheckResult(False, f"{name} is a float tensor; a count is a whole number, an int")
        value = int(value.item())
    if isinstance(value, float):
        return None, CheckResult(False, f"{name} is the float {value:g}; a count is a whole number, an int")
    if isinstance(value, bool) or not isinstance(value, int):
        return None, CheckResult(False, f"{name} is a {describe_type(value)}; a count is a whole number, an int")
    return value, None


def _weights_only(sizes: list[int]) -> int:
    return sum(n_in * n_out for n_in, n_out in zip(sizes, sizes[1:]))


def _layer_count_hint(value: int, sizes: list[int]) -> str | None:
    """What a typical wrong count of an ImageMLP's parameters forgot, or None."""
    if value == _weights_only(sizes):
        return "that counts the weights only: each layer also has one bias per output"
    if value == _weights_only(sizes) + sum(sizes[:-1]):
        return "that gives each layer one bias per *input*; a layer has one bias per *output*"
    if value == sum(sizes[:-1]) + sum(sizes[1:]):
        return "that adds the sizes; a layer has one weight for every (input, output) pair: multiply"
    return None


EXERCISE_830_IMAGE_SIZE = 32  # the padded digits of chapter 890


def check_830_parameters(n_parameters) -> CheckResult:
    """Exercise 830.3: the parameters of one linear layer from padded 32x32 digits to 10 classes."""
    size = EXERCISE_830_IMAGE_SIZE
    value, failure = _as_count(n_parameters, "n_parameters")
    if failure is not None:
        return failure
    sizes = [size * size, 10]
    expected = count_parameters(ImageMLP(sizes, image_size=size))
    if value == expected:
        return CheckResult(True, f"{expected} parameters: {size}*{size} = {size * size} weights for each of "
                                 "the 10 classes, plus 10 biases")
    if value == count_parameters(ImageMLP([28 * 28, 10])):
        return CheckResult(False, f"{value} is the count for the 28x28 digits; the padded ones are "
                                  f"{size}x{size}")
    hint = _layer_count_hint(value, sizes)
    return CheckResult(False, f"{value} is not the number of parameters" + (f": {hint}" if hint else
                              "; count one weight per pixel and class, and one bias per class"))


# --- Chapter 850: one hidden layer --------------------------------------------

EXERCISE_850_SIZES = [784, 256, 10]  # chapter 850's network


def check_850_parameters(n_hidden) -> CheckResult:
    """Exercise 850.1: the parameters of the hidden layer (784 -> 256) of chapter 850's network."""
    value, failure = _as_count(n_hidden, "n_hidden")
    if failure is not None:
        return failure
    model = ImageMLP(EXERCISE_850_SIZES)
    hidden, output = model.linear_layers
    expected = count_parameters(hidden)
    if value == expected:
        return CheckResult(True, f"{expected} parameters: {hidden.in_features} x {hidden.out_features} weights "
                                 f"and {hidden.out_features} biases, {expected / count_parameters(model):.1%} "
                                 "of the network")
    if value == count_parameters(model):
        return CheckResult(False, f"{value} counts the whole network; the hidden layer is only the first "
                                  "nn.Linear, from the pixels to the hidden units")
    if value == count_parameters(output):
        return CheckResult(False, f"{value} counts the output layer (hidden units -> classes); the hidden "
                                  "layer is the one from the pixels to the hidden units")
    hint = _layer_count_hint(value, EXERCISE_850_SIZES[:2])
    return CheckResult(False, f"{value} is not the hidden layer's number of parameters"
                              + (f": {hint}" if hint else "; count one weight per (pixel, hidden unit) pair "
                                                          "and one bias per hidden unit"))


def _linear_networks() -> list[ImageMLP]:
    """Networks of two linear layers with nothing between them, with random nonzero biases."""
    generator = torch.Generator().manual_seed(850)
    nets = []
    for hidden in (32, 7):
        net = ImageMLP([784, hidden, 10], activation=nn.Identity)
        with torch.no_grad():
            for layer in net.linear_layers:
                layer.weight.copy_(torch.randn(layer.weight.shape, generator=generator) * 0.1)
                layer.bias.copy_(torch.randn(layer.bias.shape, generator=generator))
        nets.append(net)
    return nets


def check_850_collapse(collapse) -> CheckResult:
    """Exercise 850.2: ``collapse(net)`` is one ``nn.Linear(784, 10)`` computing what the linear ``net`` does."""
    if isinstance(collapse, nn.Module):
        return CheckResult(False, f"collapse is a {describe_type(collapse)}, a result; pass the function "
                                  "itself (check_850_collapse(collapse), without calling it)")
    failure = not_a_function(collapse, "collapse", "check_850_collapse")
    if failure is not None:
        return failure
    state = torch.random.get_rng_state()
    try:
        nets = _linear_networks()  # building modules draws random numbers; their values are set after
    finally:
        torch.random.set_rng_state(state)  # so the reader's random numbers stay as they were
    for net in nets:
        first, second = net.linear_layers
        layer, failure = call_reader_function(collapse, "collapse(net)", net)
        if failure is not None:
            return failure
        if not isinstance(layer, nn.Linear):
            return CheckResult(False, f"collapse returned a {describe_type(layer)}; return one nn.Linear(784, 10) "
                                      "whose weight and bias you set")
        if layer.bias is None:
            return CheckResult(False, "the returned layer has no bias, but the network's biases pass through "
                                      "both layers: create it with nn.Linear(784, 10)")
        with torch.no_grad():
            expected_weight = second.weight @ first.weight
            expected_bias = second.weight @ first.bias + second.bias
            if layer.weight.shape == expected_weight.T.shape != expected_weight.shape:
                return CheckResult(False, f"the weight has shape {tuple(layer.weight.shape)}; nn.Linear keeps its "
                                          "weight as (outputs, inputs), here (10, 784): transpose it")
            weight = compare_tensors(layer.weight, expected_weight, name="the weight", atol=1e-4, rtol=1e-4)
            if not weight:
                return CheckResult(False, weight.message + ". The network computes W2 (W1 x + b1) + b2")
            if torch.allclose(layer.bias.detach().cpu(), second.bias, atol=1e-4):
                return CheckResult(False, "the weight is right, but the bias misses W2 b1: the first layer's "
                                          "bias goes through the second layer's weight too")
            bias = compare_tensors(layer.bias, expected_bias, name="the bias", atol=1e-4, rtol=1e-4)
            if not bias:
                return bias
    return CheckResult(True, f"on {len(nets)} test networks the layer's weight is W2 W1 and its bias "
                             "W2 b1 + b2: it computes what the network computes")
