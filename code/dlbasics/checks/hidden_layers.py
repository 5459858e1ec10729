"""Checks for the exercises of chapters 670 to 695: two layers on toy problem 3.

Every expected answer is computed here from the exercise's own data (the toy
problem's rule, networks built from a fixed seed), never typed in. Where a
wrong answer has a typical cause, the message names it.
"""

from __future__ import annotations

import torch
from torch import nn

from dlbasics.checks.core import (CheckResult, as_number, call_reader_function, compare_tensors,
                                  describe_type, not_a_function)
from dlbasics.toydata import HIGH, LOW, draw_points, label_points


def _grid_3() -> tuple[torch.Tensor, torch.Tensor]:
    """Every point of toy problem 3: all whole-number pairs in [-100, 100] without a zero feature."""
    values = torch.cat([torch.arange(LOW, 0), torch.arange(1, HIGH + 1)]).float()
    f1, f2 = torch.meshgrid(values, values, indexing="ij")
    features = torch.stack([f1.reshape(-1), f2.reshape(-1)], dim=1)
    return features, label_points(3, features)


def _two_layer_shape(net, name: str = "net") -> CheckResult | None:
    """A failing result if ``net`` is not Sequential(Linear(2, h), activation, Linear(h, 2)), else None."""
    if not isinstance(net, nn.Sequential) or len(net) != 3:
        return CheckResult(False, f"{name} is a {describe_type(net)} of "
                                  f"{len(net) if isinstance(net, nn.Sequential) else 'no'} modules; build it as "
                                  "nn.Sequential(nn.Linear(2, 4, ...), activation, nn.Linear(4, 2, ...))")
    first, _, second = net
    if not (isinstance(first, nn.Linear) and isinstance(second, nn.Linear)):
        return CheckResult(False, f"the first and last modules of {name} must be nn.Linear layers, got "
                                  f"{describe_type(first)} and {describe_type(second)}")
    if first.in_features != 2 or second.out_features != 2 or first.out_features != second.in_features:
        return CheckResult(False, f"{name} maps {first.in_features} -> {first.out_features} -> "
                                  f"{second.in_features} -> {second.out_features}; toy problem 3 needs "
                                  "2 features in and 2 preferences out, with the hidden sizes matching")
    return None


@torch.no_grad()
def _predict(net: nn.Module, features: torch.Tensor) -> torch.Tensor:
    parameter = next(net.parameters())
    return net(features.to(device=parameter.device, dtype=parameter.dtype)).argmax(dim=1).cpu()


# --- Chapter 670: two layers with ReLU, no biases ---------------------------

def check_670_hand_weights(net) -> CheckResult:
    """Exercise 670.1: a hand-set ReLU network without biases, right on every point of toy problem 3."""
    failure = _two_layer_shape(net)
    if failure is not None:
        return failure
    if not isinstance(net[1], nn.ReLU):
        return CheckResult(False, f"the middle module is a {describe_type(net[1])}; the exercise's network "
                                  "has nn.ReLU() between its layers")
    if net[0].bias is not None or net[2].bias is not None:
        return CheckResult(False, "the exercise's network has no biases: build its layers with bias=False")
    features, labels = _grid_3()
    picked = _predict(net, features)
    wrong = picked != labels
    if not wrong.any():
        return CheckResult(True, f"net classifies all {len(labels)} points of toy problem 3 correctly")
    if wrong.all():
        return CheckResult(False, "net gets every point wrong: its two preferences are the wrong way round. "
                                  "Class 0 (row 0 of the last layer's weight) is where f1 * f2 > 0")
    example = features[wrong][0].tolist()
    share = wrong.double().mean().item()
    return CheckResult(False, f"net is wrong on {share:.1%} of the {len(labels)} points, for instance at "
                              f"f = [{example[0]:g}, {example[1]:g}], which is class "
                              f"{label_points(3, features[wrong][:1]).item()}")


def _networks_670() -> list[nn.Sequential]:
    """ReLU networks without biases on which a reader's ``unseen_mask`` is tried."""
    generator = torch.Generator().manual_seed(670)
    nets = []
    for hidden in (4, 4, 3, 6):
        net = nn.Sequential(nn.Linear(2, hidden, bias=False), nn.ReLU(), nn.Linear(hidden, 2, bias=False))
        with torch.no_grad():
            for layer in (net[0], net[2]):
                layer.weight.copy_(torch.randn(layer.weight.shape, generator=generator))
        nets.append(net)
    # The first with every unit facing roughly the same way, so that a whole wedge goes unseen
    # (it comes first because there the typical mistakes all give different answers).
    with torch.no_grad():
        nets[0][0].weight.copy_(torch.tensor([[1.0, 0.2], [1.0, -0.3], [0.8, 0.5], [1.0, 0.0]]))
    return nets


def check_670_unseen(unseen_mask) -> CheckResult:
    """Exercise 670.3: ``unseen_mask(net, features)`` marks the points every hidden ReLU unit outputs 0 for."""
    failure = not_a_function(unseen_mask, "unseen_mask", "check_670_unseen")
    if failure is not None:
        return failure
    features = draw_points(3, 500, torch.Generator().manual_seed(671)).features
    for number, net in enumerate(_networks_670(), start=1):
        with torch.no_grad():
            pre = net[0](features)
        expected = (pre <= 0).all(dim=1)
        answer, failure = call_reader_function(unseen_mask, "unseen_mask(net, features)", net, features.clone())
        if failure is not None:
            return failure
        if not isinstance(answer, torch.Tensor):
            return CheckResult(False, f"unseen_mask returned a {describe_type(answer)}; return a boolean "
                                      "tensor with one entry per point")
        got = answer.detach().cpu()
        if got.shape == () or got.numel() == 1:
            return CheckResult(False, "unseen_mask returned a single number; return one True/False per "
                                      f"point, shape ({len(features)},), e.g. with .all(dim=1)")
        if got.shape == pre.shape:
            return CheckResult(False, f"unseen_mask returned shape {tuple(got.shape)}, one entry per point and "
                                      "unit; combine the units with .all(dim=1)")
        if got.dtype != torch.bool:
            return CheckResult(False, f"unseen_mask returned dtype {got.dtype}; return booleans "
                                      "(a comparison such as pre <= 0 gives them)")
        if torch.equal(got, (pre <= 0).any(dim=1)) and not torch.equal(got, expected):
            return CheckResult(False, "unseen_mask marks points that *some* unit outputs 0 for (.any); a point "
                                      "is unseen only when *every* unit does (.all)")
        if torch.equal(got, ~expected):
            return CheckResult(False, "unseen_mask marks exactly the points that some unit sees: the "
                                      "comparison is the wrong way round")
        result = compare_tensors(got.long(), expected.long(), name=f"unseen_mask on test network {number}")
        if not result:
            return result
    return CheckResult(True, f"unseen_mask is right on {len(_networks_670())} test networks, including one "
                             "that leaves a whole wedge unseen")


# --- Chapter 680: two layers with sigmoid, no biases --------------------------


def check_680_symmetry(S, net) -> CheckResult:
    """Exercise 680.1: ``S = d(f) + d(-f)`` for a sigmoid network without biases, from its weights."""
    failure = _two_layer_shape(net)
    if failure is not None:
        return failure
    if not isinstance(net[1], nn.Sigmoid):
        return CheckResult(False, f"the middle module is a {describe_type(net[1])}; the exercise's network "
                                  "has nn.Sigmoid() between its layers")
    if net[0].bias is not None:
        return CheckResult(False, "net's first layer has a bias: then d(f) + d(-f) is not the same for "
                                  "every f. Build the first layer with bias=False")
    value, failure = as_number(S, "S", " (sum over the hidden units, then take .item())")
    if failure is not None:
        return failure
    W2 = net[2].weight.detach().cpu().double()
    expected = (W2[1] - W2[0]).sum().item()
    if net[2].bias is not None:
        b2 = net[2].bias.detach().cpu().double()
        expected += 2 * (b2[1] - b2[0]).item()
    tolerance = 1e-4 * max(1.0, abs(expected))
    if abs(value - expected) <= tolerance:
        return CheckResult(True, f"S = {expected:.6g}: the sum of the class-1 row of the last weight minus "
                                 "the sum of its class-0 row")
    if abs(value + expected) <= tolerance:
        return CheckResult(False, "S has the wrong sign: d(f) = c1(f) - c0(f), so subtract the class-0 "
                                  "row (net[2].weight[0]) from the class-1 row (net[2].weight[1])")
    if abs(value - W2[1].sum().item()) <= tolerance or abs(value - W2[0].sum().item()) <= tolerance:
        return CheckResult(False, "S is the sum of one row only, c_k(f) + c_k(-f) for one class; S is the "
                                  "difference of the two classes' sums")
    if abs(value - (W2[1] - W2[0]).abs().sum().item()) <= tolerance:
        return CheckResult(False, "S sums absolute values; keep the signs of the weights")
    return CheckResult(False, f"S = {value:.6g} is not d(f) + d(-f) for this network: use h(-f) = 1 - h(f), "
                              "so c(-f) is the sum of each output's weights minus c(f)")


# --- Chapter 690: sigmoid with bias -------------------------------------------

def check_690_distances(distances, layer) -> CheckResult:
    """Exercise 690.1: the distance |b| / ||w|| of each unit's line of ``layer`` from the origin."""
    if not isinstance(layer, nn.Linear) or layer.in_features != 2:
        return CheckResult(False, f"layer is a {describe_type(layer)}; the exercise's layer is nn.Linear(2, 4)")
    if layer.bias is None:
        return CheckResult(False, "layer has no bias, so every line passes through the origin: "
                                  "create it with nn.Linear(2, 4)")
    with torch.no_grad():
        w = layer.weight.detach().cpu().double()
        b = layer.bias.detach().cpu().double()
    expected = b.abs() / w.norm(dim=1)
    if isinstance(distances, torch.Tensor) and distances.shape == expected.shape:
        got = distances.detach().cpu().double()
        if torch.allclose(got, b / w.norm(dim=1), rtol=1e-4) and (b < 0).any():
            return CheckResult(False, "some distances are negative: a distance is |b| / ||w||, use b.abs()")
        if torch.allclose(got, b.abs() / (w**2).sum(dim=1), rtol=1e-4):
            return CheckResult(False, "you divided by ||w||², the squared length; divide by ||w|| "
                                      "(.norm(dim=1)), the square root of the sum of squares")
        if torch.allclose(got, b.abs() / w.abs().sum(dim=1), rtol=1e-4):
            return CheckResult(False, "you divided by |w1| + |w2|; the distance needs the Euclidean length "
                                      "||w|| = sqrt(w1² + w2²)")
        if torch.allclose(got, b.abs() / w.norm(dim=0).repeat(2)[: len(b)], rtol=1e-4) \
                and not torch.allclose(got, expected, rtol=1e-4):
            return CheckResult(False, "you took the norm of the columns (dim=0); each unit's w is a row "
                                      "of layer.weight: .norm(dim=1)")
    result = compare_tensors(distances, expected, name="distances", atol=1e-5, rtol=1e-4)
    if not result:
        return result
    return CheckResult(True, "each unit's line lies |b| / ||w|| from the origin: "
                             + ", ".join(f"{v:.3g}" for v in expected.tolist()))


# --- Chapter 695: ReLU with bias ----------------------------------------------

def _networks_695() -> tuple[list[nn.Sequential], torch.Tensor]:
    """ReLU networks with biases, some of whose units miss the data, and the data to try them on."""
    features = draw_points(3, 400, torch.Generator().manual_seed(695)).features / 100
    generator = torch.Generator().manual_seed(696)
    nets = []
    for hidden in (4, 5, 3):
        net = nn.Sequential(nn.Linear(2, hidden), nn.ReLU(), nn.Linear(hidden, 2))
        with torch.no_grad():
            for layer in (net[0], net[2]):
                layer.weight.copy_(torch.randn(layer.weight.shape, generator=generator))
                layer.bias.copy_(0.3 * torch.randn(layer.bias.shape, generator=generator))
        nets.append(net)
    with torch.no_grad():  # lines outside the square of the data: one unit always off, one always on
        nets[0][0].bias[1] = -5.0
        nets[0][0].bias[2] = 5.0
        nets[1][0].bias[0] = -5.0
    return nets, features


def check_695_bending(bending_units) -> CheckResult:
    """Exercise 695.1: ``bending_units(net, features)`` marks the hidden units that are on for some points only."""
    failure = not_a_function(bending_units, "bending_units", "check_695_bending")
    if failure is not None:
        return failure
    nets, features = _networks_695()
    for number, net in enumerate(nets, start=1):
        with torch.no_grad():
            on = net[0](features) > 0
        expected = on.any(dim=0) & ~on.all(dim=0)
        answer, failure = call_reader_function(bending_units, "bending_units(net, features)", net,
                                               features.clone())
        if failure is not None:
            return failure
        if not isinstance(answer, torch.Tensor):
            return CheckResult(False, f"bending_units returned a {describe_type(answer)}; return a boolean "
                                      "tensor with one entry per hidden unit")
        got = answer.detach().cpu()
        if got.shape == (len(features),):
            return CheckResult(False, f"bending_units returned one entry per point, shape {tuple(got.shape)}; "
                                      "reduce over the points (dim=0) to get one entry per unit")
        if got.shape == on.shape:
            return CheckResult(False, f"bending_units returned shape {tuple(got.shape)}, one entry per point "
                                      "and unit; reduce over the points with .any(dim=0) and .all(dim=0)")
        if got.dtype != torch.bool:
            return CheckResult(False, f"bending_units returned dtype {got.dtype}; return booleans")
        if got.shape == expected.shape:
            if torch.equal(got, on.any(dim=0)) and not torch.equal(got, expected):
                return CheckResult(False, "bending_units also marks units that are on for *every* point; such "
                                          "a unit is linear on the data and bends nothing. Require it to be "
                                          "off somewhere too")
            if torch.equal(got, ~on.all(dim=0)) and not torch.equal(got, expected):
                return CheckResult(False, "bending_units also marks dead units, off for every point; require "
                                          "the unit to be on somewhere too")
            if torch.equal(got, ~expected):
                return CheckResult(False, "bending_units marks exactly the units that do *not* bend: the "
                                          "result is inverted")
        result = compare_tensors(got.long(), expected.long(), name=f"bending_units on test network {number}")
        if not result:
            return result
    return CheckResult(True, f"bending_units is right on {len(nets)} test networks, with units that are "
                             "dead, always on, and bending")
