"""The exercise checks of chapters 830 and 850 accept right answers and explain each kind of wrong one."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from dlbasics.checks import (check_830_accuracy, check_830_parameters, check_830_recall, check_850_collapse,
                             check_850_parameters)
from dlbasics.models import ImageMLP, count_parameters


def fails_with(result, *words):
    assert not result, result.message
    assert str(result).startswith("Not yet")
    for word in words:
        assert word in result.message, result.message


# --- 830.1: accuracy from a confusion matrix ------------------------------------

@pytest.mark.parametrize("accuracy", [
    lambda c: c.trace() / c.sum(),                    # a one-element tensor
    lambda c: (c.trace() / c.sum()).item(),           # a float
    lambda c: c.diagonal().sum().item() / c.sum().item(),
])
def test_830_accuracy_accepts_right_answers(accuracy):
    result = check_830_accuracy(accuracy)
    assert result, result.message
    assert str(result).startswith("Correct")


@pytest.mark.parametrize("accuracy,words", [
    ("not a function", ("pass the function itself",)),
    (lambda c: 1 / 0, ("raised ZeroDivisionError",)),
    (lambda c: c.diagonal() / c.sum(dim=1), ("one per class",)),     # shape: per class
    (lambda c: [0.9], ("list", "not a number")),                     # type
    (lambda c: c.trace(), ("number of right answers",)),             # value: a count
    (lambda c: 100 * c.trace() / c.sum(), ("percentage",)),          # value: percent
    (lambda c: 1 - c.trace() / c.sum(), ("share of mistakes",)),     # value: error rate
    (lambda c: c[0, 0] / c[0].sum(), ("diagonal",)),                 # value: other
])
def test_830_accuracy_rejects_wrong_answers(accuracy, words):
    fails_with(check_830_accuracy(accuracy), *words)


# --- 830.2: recall per class ------------------------------------------------------

@pytest.mark.parametrize("recall", [
    lambda c: c.diagonal() / c.sum(dim=1),
    lambda c: torch.tensor([c[k, k].item() / c[k].sum().item() for k in range(len(c))]),
])
def test_830_recall_accepts_right_answers(recall):
    result = check_830_recall(recall)
    assert result, result.message


@pytest.mark.parametrize("recall,words", [
    (42, ("pass the function itself",)),
    (lambda c: c.missing, ("raised AttributeError",)),
    (lambda c: (c.diagonal() / c.sum(dim=1)).tolist(), ("list", "torch.Tensor")),          # type
    (lambda c: (c.diagonal() / c.sum(dim=1)).mean(), ("shape ()", "should have shape")),   # shape
    (lambda c: c / c.sum(dim=1, keepdim=True), ("shape (10, 10)",)),                       # shape
    (lambda c: c.diagonal() / c.sum(dim=0), ("precision", "row sums")),                    # value: precision
    (lambda c: 100 * c.diagonal() / c.sum(dim=1), ("percentages",)),                       # value: percent
    (lambda c: c.diagonal() // c.sum(dim=1), ("integers",)),                               # value: int division
    (lambda c: c.diagonal() / c.sum(), ("different values",)),                             # value: other
])
def test_830_recall_rejects_wrong_answers(recall, words):
    fails_with(check_830_recall(recall), *words)


def test_830_recall_checks_matrices_where_recall_and_precision_differ():
    from dlbasics.checks.images import _confusion_matrices

    for confusion in _confusion_matrices():
        assert (confusion.sum(dim=0) != confusion.sum(dim=1)).any()
        assert (confusion.sum(dim=1) > 0).all()


# --- 830.3: parameters of one layer on 32x32 digits ------------------------------

def test_830_parameters_accepts_the_count_of_the_model():
    expected = count_parameters(ImageMLP([32 * 32, 10], image_size=32))
    assert check_830_parameters(expected)
    assert check_830_parameters(torch.tensor(expected))


@pytest.mark.parametrize("answer,words", [
    (32 * 32 * 10 + 10.0, ("float", "int")),                       # type
    ("10250", ("str",)),                                             # type
    (torch.tensor([32 * 32 * 10 + 10]).repeat(2), ("shape (2,)",)),  # shape
    (32 * 32 * 10, ("weights only",)),                               # value: no biases
    (28 * 28 * 10 + 10, ("28x28",)),                                 # value: wrong image size
    (32 * 32 + 10, ("multiply",)),                                   # value: added
    (32 * 32 * 10 + 32 * 32, ("per *input*",)),                      # value: biases per input
    (12345, ("not the number",)),
])
def test_830_parameters_rejects_wrong_answers(answer, words):
    fails_with(check_830_parameters(answer), *words)


# --- 850.1: parameters of the hidden layer ----------------------------------------

def test_850_parameters_accepts_the_count_of_the_hidden_layer():
    hidden = ImageMLP([784, 256, 10]).linear_layers[0]
    assert check_850_parameters(count_parameters(hidden))
    assert check_850_parameters(torch.tensor(count_parameters(hidden)))


@pytest.mark.parametrize("answer,words", [
    (784 * 256 + 256.0, ("float", "int")),                            # type
    (None, ("is a None",)),                                           # type
    (torch.tensor([784 * 256 + 256, 1]), ("shape (2,)",)),            # shape
    (784 * 256, ("weights only",)),                                   # value: no biases
    (784 * 256 + 784, ("per *input*",)),                              # value: biases per input
    (784 * 256 + 256 + 256 * 10 + 10, ("whole network",)),            # value: everything
    (256 * 10 + 10, ("output layer",)),                               # value: the other layer
    (784 + 256, ("multiply",)),                                       # value: added
    (5, ("not the hidden layer's",)),
])
def test_850_parameters_rejects_wrong_answers(answer, words):
    fails_with(check_850_parameters(answer), *words)


# --- 850.2: two linear layers collapse into one ----------------------------------

def collapsed(net, weight=None, bias=None):
    first, second = net.linear_layers
    layer = nn.Linear(784, 10)
    with torch.no_grad():
        layer.weight.copy_(second.weight @ first.weight if weight is None else weight(first, second))
        layer.bias.copy_(second.weight @ first.bias + second.bias if bias is None else bias(first, second))
    return layer


def test_850_collapse_accepts_the_product_of_the_layers():
    result = check_850_collapse(collapsed)
    assert result, result.message


def test_850_collapse_leaves_the_readers_random_numbers_alone():
    layer = nn.Linear(784, 10)  # made before seeding: the function below draws no random numbers
    torch.manual_seed(3)
    expected = torch.rand(3)
    torch.manual_seed(3)
    check_850_collapse(lambda net: layer)
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("collapse,words", [
    (collapsed(ImageMLP([784, 4, 10], activation=nn.Identity)), ("pass the function itself",)),
    (lambda net: net, ("ImageMLP", "nn.Linear(784, 10)")),                                    # type
    (lambda net: nn.Linear(784, 10, bias=False), ("no bias",)),                               # type
    (lambda net: nn.Linear(10, 784), ("(outputs, inputs)", "transpose")),                    # shape
    (lambda net: collapsed(net, weight=lambda f, s: f.weight.T[:, :1].T.repeat(10, 1)),      # value
     ("the weight", "W2 (W1 x + b1) + b2")),
    (lambda net: collapsed(net, bias=lambda f, s: s.bias), ("misses W2 b1",)),                # value
    (lambda net: collapsed(net, bias=lambda f, s: s.bias + f.bias.sum()), ("the bias",)),     # value
])
def test_850_collapse_rejects_wrong_answers(collapse, words):
    fails_with(check_850_collapse(collapse), *words)
