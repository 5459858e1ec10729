"""Checks for the exercises of part 5: gradient descent and single-layer networks.

As everywhere in :mod:`dlbasics.checks`, expected answers are computed from
the exercise's own data (the constants below, the seeded toy data sets), never
typed in, and a wrong answer that matches a typical mistake gets a hint
naming that mistake.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from dlbasics.checks.core import CheckResult, as_number, compare_tensors, describe_type, first_failure
from dlbasics.toydata import label_points, make_toy_data



def _float(t: torch.Tensor) -> torch.Tensor:
    """A detached float32 CPU copy, to compare a reader's tensor of any dtype and device."""
    return t.detach().cpu().to(torch.float32)


def _close(a: float, b: float, tol: float = 1e-4) -> bool:
    return abs(a - b) <= tol * max(1.0, abs(b))


def _y(x):
    """The function chapter 510 minimises."""
    return x**2 + 3


# --- Chapter 510: gradient descent on x^2 + 3 -------------------------------

EXERCISE_510_STEP = {"x0": 3.0, "lr": 0.1}
EXERCISE_510_NO_ZERO = {"x0": 2.0, "lr": 0.1, "steps": 3}
EXERCISE_510_DIVERGE_START = 2.0


def _slope(x0: float) -> float:
    """dy/dx of x^2 + 3 at ``x0``, by autograd (so the check does not rely on the reader's formula)."""
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    _y(x).backward()
    return x.grad.item()


def check_510_step(x_next) -> CheckResult:
    """Exercise 510.1: ``x`` after one step of gradient descent on ``x^2 + 3`` from 3 with learning rate 0.1."""
    number, failure = as_number(x_next, "x_next")
    if failure is not None:
        return failure
    x0, lr = EXERCISE_510_STEP["x0"], EXERCISE_510_STEP["lr"]
    slope = _slope(x0)
    expected = x0 - lr * slope
    if _close(number, expected):
        return CheckResult(True, f"from x = {x0:g} the slope is {slope:g}, so one step with learning rate "
                                 f"{lr:g} moves x to {expected:g}")
    hints = [
        (x0 + lr * slope, "you stepped uphill: gradient descent *subtracts* learning rate times slope"),
        (x0 - lr * _y(x0), "you used the value y(x) instead of its slope y'(x) = 2x"),
        (x0 - slope, "you forgot the learning rate: the step is learning rate times slope"),
        (x0 - lr * x0, "the slope of x^2 is 2x, not x"),
        (x0 - lr * x0**2, "the slope of x^2 is 2x, not x^2"),
        (_y(expected), "that is y at the new x; the exercise asks for the new x itself"),
    ]
    for wrong, hint in hints:
        if _close(number, wrong):
            return CheckResult(False, f"x_next is {number:g}: {hint}")
    return CheckResult(False, f"x_next is {number:g}, which is not x - lr * y'(x) for x = {x0:g} and "
                              f"lr = {lr:g}; compute the slope y'(x) = 2x at x = {x0:g} first")


def check_510_diverging_lr(lr) -> CheckResult:
    """Exercise 510.2: a learning rate for which gradient descent on ``x^2 + 3`` from 2 diverges."""
    number, failure = as_number(lr, "lr")
    if failure is not None:
        return failure
    factor = 1 - 2 * number
    x = EXERCISE_510_DIVERGE_START
    for _ in range(20):  # run it, to quote where it actually went
        x = x - number * _slope(x) if abs(x) < 1e100 else x
    where = f"after 20 steps x is {x:.4g}"
    if abs(factor) > 1:
        note = (" (a negative learning rate is gradient *ascent*: it climbs uphill on purpose)"
                if number < 0 else "")
        return CheckResult(True, f"each step multiplies x by 1 - 2 lr = {factor:g}, which is larger than 1 "
                                 f"in size: {where}, and it keeps growing{note}")
    if number == 0:
        return CheckResult(False, "with lr = 0 gradient descent never moves: x stays at 2; divergence needs "
                                  "|1 - 2 lr| > 1")
    if factor == 0:
        return CheckResult(False, "with lr = 0.5 the factor 1 - 2 lr is 0: x lands on the minimum in one step "
                                  "and converges at once; divergence needs |1 - 2 lr| > 1")
    if abs(factor) == 1:
        return CheckResult(False, f"with lr = {number:g} the factor 1 - 2 lr is exactly {factor:g}: x jumps "
                                  "between 2 and -2 forever, which neither converges nor diverges; go a little higher")
    if factor < 0:
        return CheckResult(False, f"with lr = {number:g} the factor 1 - 2 lr = {factor:g} lies between -1 and 0: "
                                  f"x oscillates around the minimum but closes in ({where}); go higher")
    return CheckResult(False, f"with lr = {number:g} the factor 1 - 2 lr = {factor:g} lies between 0 and 1: "
                              f"x converges ({where}); divergence needs |1 - 2 lr| > 1")


def _descend_without_zeroing(x0: float, lr: float, steps: int) -> tuple[float, float]:
    """Gradient descent that never zeroes ``x.grad``, and the same with zeroing, by autograd."""
    x = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    for _ in range(steps):
        _y(x).backward()  # accumulates
        with torch.no_grad():
            x -= lr * x.grad
    correct = x0
    for _ in range(steps):
        correct = correct - lr * _slope(correct)
    return x.item(), correct


def check_510_no_zero_grad(x) -> CheckResult:
    """Exercise 510.3: ``x`` after three steps from 2 with learning rate 0.1, never zeroing the gradient."""
    number, failure = as_number(x, "x")
    if failure is not None:
        return failure
    spec = EXERCISE_510_NO_ZERO
    expected, zeroed = _descend_without_zeroing(spec["x0"], spec["lr"], spec["steps"])
    if _close(number, expected):
        return CheckResult(True, f"x is {expected:.4f}: each step used the sum of all the slopes so far, "
                                 "and the stale ones pushed x past the minimum at 0")
    if _close(number, zeroed):
        return CheckResult(False, f"x is {number:.4f}, the result of a correct loop that zeroes the gradient; "
                                  "the exercise asks what happens when x.grad is *not* zeroed between steps")
    for steps in range(1, 6):
        if steps != spec["steps"] and _close(number, _descend_without_zeroing(spec["x0"], spec["lr"], steps)[0]):
            return CheckResult(False, f"x is {number:.4f}, the value after {steps} step(s) instead of "
                                      f"{spec['steps']}")
    return CheckResult(False, f"x is {number:.4f}; start from x = {spec['x0']:g}, learning rate {spec['lr']:g}, "
                              f"and take {spec['steps']} steps, calling backward() each time without zeroing x.grad")


# --- Chapter 530: training on toy problem 1 ---------------------------------

EXERCISE_530_DATA = {"problem": 1, "n_train": 1000, "n_test": 1000, "seed": 0}


def check_530_standardise(mean, std, test_scaled) -> CheckResult:
    """Exercise 530.1: per-feature mean and std of the *training* set, and the test set standardised with them."""
    data = make_toy_data(**EXERCISE_530_DATA)
    train, test = data.train.features, data.test.features
    want_mean, want_std = train.mean(dim=0), train.std(dim=0)
    for value, name in ((mean, "mean"), (std, "std")):
        if isinstance(value, torch.Tensor) and value.dim() == 0:
            return CheckResult(False, f"{name} is a single number: that is over all features together. "
                                      f"Take it per feature, over the points: .{name}(dim=0)")
        if isinstance(value, torch.Tensor) and value.shape == (len(train),):
            return CheckResult(False, f"{name} has one value per point: dim=1 goes across the features of "
                                      f"each point. Use dim=0, across the points, one value per feature")
    if isinstance(mean, torch.Tensor) and mean.shape == want_mean.shape and \
            torch.allclose(_float(mean), test.mean(dim=0), atol=1e-4):
        return CheckResult(False, "mean is the *test* set's mean: the statistics must come from the training "
                                  "set, and the test set is then scaled with them")
    if isinstance(std, torch.Tensor) and std.shape == want_std.shape and \
            torch.allclose(_float(std), test.std(dim=0), atol=1e-4):
        return CheckResult(False, "std is the *test* set's standard deviation: the statistics must come "
                                  "from the training set")
    population = isinstance(std, torch.Tensor) and std.shape == want_std.shape and \
        torch.allclose(_float(std), train.std(dim=0, correction=0), rtol=1e-5)
    failure = first_failure(
        compare_tensors(mean, want_mean, name="mean", atol=1e-4),
        CheckResult(True, "") if population else compare_tensors(std, want_std, name="std", atol=1e-4),
    )
    if failure is not None:
        return failure
    used_std = _float(std)
    expected = (test - want_mean) / used_std
    result = compare_tensors(test_scaled, expected, name="test_scaled", atol=1e-4)
    if not result.ok and isinstance(test_scaled, torch.Tensor) and test_scaled.shape == expected.shape:
        got = _float(test_scaled)
        if torch.allclose(got, (test - test.mean(dim=0)) / test.std(dim=0), atol=1e-4):
            return CheckResult(False, "test_scaled was standardised with the test set's own statistics; "
                                      "use the training set's mean and std")
        if torch.allclose(got, test / used_std, atol=1e-4):
            return CheckResult(False, "test_scaled is divided by std, but the mean was not subtracted first")
        if torch.allclose(got, test - want_mean, atol=1e-4):
            return CheckResult(False, "test_scaled has the mean subtracted but is not divided by std")
    if not result.ok:
        return result
    note = (" (your std divides by N rather than N - 1, as torch.std(correction=0) does; "
            "with 1000 points the difference is negligible)" if population else "")
    return CheckResult(True, "training-set statistics, one per feature, applied to the test set" + note)


def _state_equal(a, b) -> bool:
    """Two optimiser-state values (tensors, numbers, nested lists and dicts) hold the same numbers."""
    if isinstance(a, torch.Tensor) or isinstance(b, torch.Tensor):
        return isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor) and a.shape == b.shape and \
            torch.equal(a.detach().cpu(), b.detach().cpu())
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_state_equal(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_state_equal(x, y) for x, y in zip(a, b))
    return a == b


def check_530_restored(model, restored, optimizer, restored_optimizer) -> CheckResult:
    """Exercise 530.2: ``restored`` and ``restored_optimizer`` were loaded from a checkpoint of ``model`` and ``optimizer``."""
    for value, name in ((model, "model"), (restored, "restored")):
        if not isinstance(value, nn.Module):
            return CheckResult(False, f"{name} is a {describe_type(value)}, not a torch.nn.Module")
    for value, name in ((optimizer, "optimizer"), (restored_optimizer, "restored_optimizer")):
        if not isinstance(value, torch.optim.Optimizer):
            return CheckResult(False, f"{name} is a {describe_type(value)}, not a torch.optim optimiser")
    if restored is model:
        return CheckResult(False, "restored is the very same object as model: build a fresh model and load "
                                  "the saved state_dict into it")
    if restored_optimizer is optimizer:
        return CheckResult(False, "restored_optimizer is the very same object as optimizer: build a fresh "
                                  "one for the restored model and load the saved state into it")
    own, loaded = model.state_dict(), restored.state_dict()
    if own.keys() != loaded.keys():
        return CheckResult(False, f"restored has the parameters {sorted(loaded)}, model has {sorted(own)}: "
                                  "build the restored model with the same architecture")
    for key in own:
        if own[key].data_ptr() == loaded[key].data_ptr() and own[key].device == loaded[key].device:
            return CheckResult(False, f"restored's {key} shares memory with model's: it was copied by "
                                      "reference, not loaded from the file")
        result = compare_tensors(loaded[key], own[key], name=f"restored's {key}", atol=0, rtol=0)
        if not result.ok:
            return result
    restored_params = {id(p) for p in restored.parameters()}
    optimised = [p for group in restored_optimizer.param_groups for p in group["params"]]
    if not optimised or any(id(p) not in restored_params for p in optimised):
        return CheckResult(False, "restored_optimizer does not optimise restored's parameters: create it "
                                  "with restored.parameters(), then load the saved optimiser state")
    saved, got = optimizer.state_dict(), restored_optimizer.state_dict()
    if saved["state"] and not got["state"]:
        return CheckResult(False, "restored_optimizer has no state (its momentum buffers are empty): save "
                                  "optimizer.state_dict() in the checkpoint too and load it")
    strip = [{k: v for k, v in g.items() if k != "params"} for g in saved["param_groups"]]
    got_strip = [{k: v for k, v in g.items() if k != "params"} for g in got["param_groups"]]
    if not _state_equal(strip, got_strip):
        return CheckResult(False, "restored_optimizer's settings (learning rate, momentum, ...) differ from "
                                  "optimizer's: load the saved optimiser state_dict")
    if not _state_equal(saved["state"], got["state"]):
        return CheckResult(False, "restored_optimizer's state (its momentum buffers) differs from optimizer's")
    return CheckResult(True, "a separate model and optimiser holding exactly the saved weights, "
                             "settings and momentum: training can continue where it stopped")


# --- Chapter 550: training on toy problem 2 ---------------------------------

EXERCISE_550_DIRECTION = [-1.0, 1.0, 1.0]   # the hand-found W[:, 1] - W[:, 0]
EXERCISE_550_LEARNED = [-2.0, 2.5, 1.5]     # the exercise's "learned" difference of columns
EXERCISE_550_HAND_W = [[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]
EXERCISE_550_DATA = {"problem": 2, "n_train": 2000, "n_test": 2000, "seed": 550}


def check_550_cosine(value) -> CheckResult:
    """Exercise 550.1: the cosine similarity of (-1, 1, 1) and (-2, 2.5, 1.5)."""
    number, failure = as_number(value, "value")
    if failure is not None:
        return failure
    u = torch.tensor(EXERCISE_550_DIRECTION, dtype=torch.float64)
    v = torch.tensor(EXERCISE_550_LEARNED, dtype=torch.float64)
    dot = (u @ v).item()
    expected = dot / (u.norm() * v.norm()).item()
    if _close(number, expected):
        return CheckResult(True, f"cos = u·v / (|u| |v|) = {expected:.4f}: the two directions are "
                                 f"{math.degrees(math.acos(expected)):.1f} degrees apart")
    if abs(number) > 1 + 1e-6 and _close(number, dot):
        return CheckResult(False, f"{number:g} is the dot product u·v; divide it by both lengths |u| and |v|")
    if _close(number, dot / u.norm().item()) or _close(number, dot / v.norm().item()):
        return CheckResult(False, "you divided by one length only; divide u·v by |u| times |v|")
    if _close(number, dot / (u @ u).item()) or _close(number, dot / (v @ v).item()) or \
            _close(number, dot / ((u @ u) * (v @ v)).item()):
        return CheckResult(False, "you divided by squared lengths; |u| is the square root of u·u")
    if _close(number, math.acos(expected)) or _close(number, math.degrees(math.acos(expected))):
        return CheckResult(False, "that is the angle between the vectors; the exercise asks for its cosine")
    if abs(number) > 1:
        return CheckResult(False, f"{number:g} cannot be a cosine: a cosine similarity lies between -1 and 1")
    return CheckResult(False, f"{number:g} is not u·v / (|u| |v|) for u = {EXERCISE_550_DIRECTION} and "
                              f"v = {EXERCISE_550_LEARNED}")


def check_550_same_decisions(W, b) -> CheckResult:
    """Exercise 550.2: weights ``W`` (3, 2) and biases ``b`` (2,), no zero in ``W``, deciding toy problem 2 exactly."""
    if isinstance(W, torch.Tensor) and W.shape == (2, 3):
        return CheckResult(False, "W has shape (2, 3), the layout of nn.Linear's weight; here W is used as "
                                  "f @ W, so it has shape (3, 2): one row per feature, one column per class")
    for value, name, shape in ((W, "W", (3, 2)), (b, "b", (2,))):
        if not isinstance(value, torch.Tensor):
            return CheckResult(False, f"{name} is a {describe_type(value)}, not a torch.Tensor")
        if tuple(value.shape) != shape:
            return CheckResult(False, f"{name} has shape {tuple(value.shape)}, but should have shape {shape}")
        if value.is_complex() or value.dtype == torch.bool or not torch.isfinite(value.double()).all():
            return CheckResult(False, f"{name} must hold finite real numbers")
    weights = W.detach().cpu().to(torch.float64)
    bias = b.detach().cpu().to(torch.float64)
    if torch.equal(weights, torch.tensor(EXERCISE_550_HAND_W, dtype=torch.float64)):
        return CheckResult(False, "that is the course's W itself; the exercise asks for a different one, "
                                  "with no zero in it")
    if (weights == 0).any():
        return CheckResult(False, "W has a zero in it; the exercise asks for a W without zeros (hint: adding "
                                  "the same number to both entries of a row changes no decision)")
    data = make_toy_data(**EXERCISE_550_DATA)
    features = torch.cat([data.train.features, data.test.features]).to(torch.float64)
    labels = label_points(2, features)
    decided = (features @ weights + bias).argmax(dim=1)
    agree = (decided == labels).double().mean().item()
    if agree == 1.0:
        return CheckResult(True, f"your layer decides all {len(labels)} points exactly as the rule "
                                 "f1 < f2 + f3 does")
    if agree == 0.0:
        return CheckResult(False, "your layer picks the wrong class for every point: the classes are "
                                  "swapped. W[:, 1] - W[:, 0] must point along (-1, 1, 1), not (1, -1, -1)")
    wrong = (decided != labels).nonzero()[0, 0].item()
    point = [round(v) for v in features[wrong].tolist()]
    return CheckResult(False, f"your layer agrees with the rule on {agree:.1%} of the points; for example "
                              f"f = {point} is class {labels[wrong].item()} but your layer picks class "
                              f"{decided[wrong].item()}. Only W[:, 1] - W[:, 0] (and b[1] - b[0]) matters")
