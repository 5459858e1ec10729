"""The checks of chapters 670 to 695 accept right answers and explain the typical wrong ones."""

from __future__ import annotations

import torch
from torch import nn

from dlbasics import seed_everything
from dlbasics.checks import (check_670_hand_weights, check_670_unseen, check_680_symmetry, check_690_distances,
                             check_695_bending)


def relu_net(bias=False, hidden=4):
    return nn.Sequential(nn.Linear(2, hidden, bias=bias), nn.ReLU(), nn.Linear(hidden, 2, bias=bias))


def hand_net(first, second):
    net = relu_net()
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor(first))
        net[2].weight.copy_(torch.tensor(second))
    return net


DIAGONALS = [[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]]
READOUT = [[1.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]]


# --- 670: weights by hand -----------------------------------------------------------

def test_670_accepts_the_diagonal_solution_and_its_multiples():
    assert check_670_hand_weights(hand_net(DIAGONALS, READOUT))
    assert check_670_hand_weights(hand_net([[3 * v for v in row] for row in DIAGONALS], READOUT))


def test_670_names_swapped_classes():
    result = check_670_hand_weights(hand_net(DIAGONALS, READOUT[::-1]))
    assert not result and "wrong way round" in result.message


def test_670_rejects_axis_units_and_shows_a_wrong_point():
    axes = [[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]]
    result = check_670_hand_weights(hand_net(axes, [[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]]))
    assert not result and "wrong on" in result.message and "f = [" in result.message


def test_670_rejects_the_wrong_architecture():
    with_bias = relu_net(bias=True)
    assert "no biases" in check_670_hand_weights(with_bias).message
    sigmoid = nn.Sequential(nn.Linear(2, 4, bias=False), nn.Sigmoid(), nn.Linear(4, 2, bias=False))
    assert "nn.ReLU" in check_670_hand_weights(sigmoid).message
    assert not check_670_hand_weights(nn.Linear(2, 2))
    assert "hidden sizes" in check_670_hand_weights(
        nn.Sequential(nn.Linear(2, 4, bias=False), nn.ReLU(), nn.Linear(3, 2, bias=False))).message


def correct_unseen(net, features):
    with torch.no_grad():
        return (net[0](features) <= 0).all(dim=1)


def test_670_unseen_accepts_the_right_mask():
    assert check_670_unseen(correct_unseen)


def test_670_unseen_explains_typical_mistakes():
    def with_any(net, features):
        with torch.no_grad():
            return (net[0](features) <= 0).any(dim=1)

    def inverted(net, features):
        return ~correct_unseen(net, features)

    def per_unit(net, features):
        with torch.no_grad():
            return net[0](features) <= 0

    def count(net, features):
        return correct_unseen(net, features).sum()

    def as_float(net, features):
        return correct_unseen(net, features).float()

    assert "(.all)" in check_670_unseen(with_any).message
    assert "wrong way round" in check_670_unseen(inverted).message
    assert "all(dim=1)" in check_670_unseen(per_unit).message
    assert "single number" in check_670_unseen(count).message
    assert "booleans" in check_670_unseen(as_float).message
    assert "function itself" in check_670_unseen(correct_unseen(relu_net(), torch.ones(3, 2))).message
    raising = check_670_unseen(lambda net, features: features[:, 5])
    assert not raising and "IndexError" in raising.message


def test_670_unseen_test_networks_really_have_unseen_points():
    # Otherwise an answer of "all False" could pass.
    assert not check_670_unseen(lambda net, features: torch.zeros(len(features), dtype=torch.bool))


# --- 680: the symmetry of a sigmoid network without biases ---------------------------------

def sigmoid_net(seed=680, output_bias=False):
    seed_everything(seed)
    return nn.Sequential(nn.Linear(2, 4, bias=False), nn.Sigmoid(), nn.Linear(4, 2, bias=output_bias))


def measured_S(net):
    f = torch.tensor([[30.0, -7.0], [-2.0, 90.0], [0.5, 0.25]])
    with torch.no_grad():
        plus, minus = net(f), net(-f)
    sums = (plus[:, 1] - plus[:, 0]) + (minus[:, 1] - minus[:, 0])
    assert torch.allclose(sums, sums[0].expand(3), atol=1e-5)  # the claim the check relies on
    return sums[0].item()


def test_680_accepts_S_from_the_weights_and_as_measured():
    net = sigmoid_net()
    W2 = net[2].weight.detach()
    assert check_680_symmetry((W2[1] - W2[0]).sum().item(), net)
    assert check_680_symmetry((W2[1] - W2[0]).sum(), net)           # a 0-d tensor is fine too
    assert check_680_symmetry(measured_S(net), net)


def test_680_includes_an_output_bias_when_there_is_one():
    net = sigmoid_net(output_bias=True)
    assert check_680_symmetry(measured_S(net), net)
    W2 = net[2].weight.detach()
    assert not check_680_symmetry((W2[1] - W2[0]).sum().item(), net)


def test_680_explains_typical_mistakes():
    net = sigmoid_net()
    W2 = net[2].weight.detach()
    assert "wrong sign" in check_680_symmetry((W2[0] - W2[1]).sum().item(), net).message
    assert "one row only" in check_680_symmetry(W2[1].sum().item(), net).message
    assert "shape" in check_680_symmetry(W2[1] - W2[0], net).message
    assert "not a number" in check_680_symmetry("S", net).message
    biased = nn.Sequential(nn.Linear(2, 4), nn.Sigmoid(), nn.Linear(4, 2, bias=False))
    assert "bias" in check_680_symmetry(0.0, biased).message


# --- 690: distances of the lines from the origin ---------------------------------------------

def exercise_layer():
    seed_everything(690)
    return nn.Linear(2, 4)


def test_690_accepts_the_distances():
    layer = exercise_layer()
    w, b = layer.weight.detach(), layer.bias.detach()
    distances = b.abs() / w.norm(dim=1)
    assert check_690_distances(distances, layer)
    # Each distance is that of the line's nearest point -b w / |w|^2, which lies on the line.
    nearest = -b[:, None] * w / (w**2).sum(dim=1, keepdim=True)
    assert torch.allclose((nearest * w).sum(dim=1) + b, torch.zeros(4), atol=1e-6)
    assert torch.allclose(nearest.norm(dim=1), distances)


def test_690_explains_typical_mistakes():
    layer = exercise_layer()
    w, b = layer.weight.detach(), layer.bias.detach()
    assert (b < 0).any()  # the exercise's layer has negative biases, so a missing abs shows
    assert "negative" in check_690_distances(b / w.norm(dim=1), layer).message
    assert "squared" in check_690_distances(b.abs() / (w**2).sum(dim=1), layer).message
    assert "|w1| + |w2|" in check_690_distances(b.abs() / w.abs().sum(dim=1), layer).message
    assert "shape" in check_690_distances((b.abs() / w.norm(dim=1))[:3], layer).message
    assert not check_690_distances([0.1, 0.2, 0.3, 0.4], layer)
    assert "no bias" in check_690_distances(torch.zeros(4), nn.Linear(2, 4, bias=False)).message


# --- 695: units that bend the boundary ----------------------------------------------------------

def correct_bending(net, features):
    with torch.no_grad():
        on = net[0](features) > 0
    return on.any(dim=0) & ~on.all(dim=0)


def test_695_accepts_the_right_answer():
    assert check_695_bending(correct_bending)


def test_695_explains_typical_mistakes():
    def any_on(net, features):
        with torch.no_grad():
            return (net[0](features) > 0).any(dim=0)

    def not_dead(net, features):
        with torch.no_grad():
            return ~(net[0](features) > 0).logical_not().all(dim=0)

    def not_all_on(net, features):
        with torch.no_grad():
            return ~(net[0](features) > 0).all(dim=0)

    def per_point(net, features):
        with torch.no_grad():
            on = net[0](features) > 0
        return on.any(dim=1)

    assert "on for *every* point" in check_695_bending(any_on).message
    assert "on for *every* point" in check_695_bending(not_dead).message
    assert "dead units" in check_695_bending(not_all_on).message
    assert "one entry per point" in check_695_bending(per_point).message
    assert "inverted" in check_695_bending(lambda n, f: ~correct_bending(n, f)).message
    assert not check_695_bending(lambda n, f: torch.ones(n[0].out_features, dtype=torch.bool))
