"""Checks for the exercises of part 7: gradients computed by hand.

Each check recomputes the exercise's gradients with autograd, from the
exercise's own data (the tables below, the numbers the chapters' exercise
statements give), and compares the reader's hand-computed tensors with them.
When an answer is wrong in one of the usual ways (a flipped sign, a
transposed matrix, a sum where the batch loss takes the mean, the second
layer's gradient taken from the pre-activation, a gradient let through a
blocked ReLU unit) the message says which.
"""

from __future__ import annotations

import torch
from torch.nn.functional import cross_entropy

from dlbasics.checks.core import CheckResult, compare_tensors, first_failure

# The course's networks (chapters 710 to 750).
COURSE_W = [[1.0, 2.0], [2.0, 1.0]]
COURSE_B = [0.0, 0.0]
COURSE_W1 = [[1.0, 1.0], [2.0, 2.0]]
COURSE_B1 = [-1.0, -1.0]
COURSE_W2 = [[2.0, 1.0], [2.0, 1.0]]
COURSE_B2 = [5.0, 5.0]

# The data of each exercise, as its statement in the chapter gives it.
EXERCISE_710 = {"f": [[2.0, 1.0]], "y": [0], "W": COURSE_W, "b": COURSE_B}
EXERCISE_720 = {  # one step on the first point, then the gradient of the second
    "first_f": [[-10.0, 20.0]], "first_y": [1], "lr": 0.01,
    "f": [[8.0, -2.0]], "y": [0], "W": COURSE_W, "b": COURSE_B,
}
EXERCISE_730 = {"f": [[-10.0, 20.0], [8.0, -2.0], [2.0, 1.0]], "y": [1, 0, 0],
                "W": COURSE_W, "b": COURSE_B}
EXERCISE_740 = {"f": [[1.0, 1.0]], "y": [1], "W1": [[1.0, -1.0], [2.0, 1.0]], "b1": COURSE_B1,
                "W2": COURSE_W2, "b2": COURSE_B2}
EXERCISE_750 = {"f": [[-10.0, 20.0], [8.0, -2.0], [1.0, -1.0]], "y": [1, 0, 0],
                "W1": COURSE_W1, "b1": COURSE_B1, "W2": COURSE_W2, "b2": COURSE_B2}


def _tensors(data: dict) -> dict:
    """The exercise's numbers as float64 tensors, labels as integer tensors."""
    return {key: torch.tensor(value, dtype=torch.long if key.endswith("y") else torch.float64)
            if isinstance(value, list) else value for key, value in data.items()}


def _linear_by_autograd(f, W, b, y) -> dict:
    """Autograd's gradients for ``c = f W + b`` and mean softmax cross-entropy."""
    W = W.clone().requires_grad_(True)
    b = b.clone().requires_grad_(True)
    c = f @ W + b
    c.retain_grad()
    cross_entropy(c, y).backward()
    return {"dL_dc": c.grad, "dL_dW": W.grad, "dL_db": b.grad}


def _two_layer_by_autograd(f, W1, b1, W2, b2, y) -> dict:
    """Autograd's gradients for the two-layer network, with the values some wrong answers use."""
    W1, b1, W2, b2 = (t.clone().requires_grad_(True) for t in (W1, b1, W2, b2))
    z = f @ W1 + b1
    h = torch.relu(z)
    c = h @ W2 + b2
    c.retain_grad()
    cross_entropy(c, y).backward()
    return {"dL_dW1": W1.grad, "dL_db1": b1.grad, "dL_dW2": W2.grad, "dL_db2": b2.grad,
            "z": z.detach(), "dL_dc": c.grad, "W2": W2.detach()}


def _judge(name: str, answer, expected: torch.Tensor, mistakes: list[tuple[torch.Tensor, str]]) -> CheckResult:
    """Compare one answer; when it is wrong, name the mistake it matches, if any."""
    result = compare_tensors(answer, expected, name=name)
    if result.ok or not isinstance(answer, torch.Tensor) or answer.shape != expected.shape:
        return result
    got = answer.detach().cpu().to(torch.float64)
    for wrong, message in mistakes:
        if wrong.shape == got.shape and torch.allclose(got, wrong, atol=1e-5, rtol=1e-4) \
                and not torch.allclose(wrong, expected, atol=1e-5, rtol=1e-4):
            return CheckResult(False, f"{name}: {message}")
    return result


def _common_mistakes(expected: torch.Tensor, n: int) -> list[tuple[torch.Tensor, str]]:
    mistakes = [(-expected, "the sign is flipped: dL/dc is q - onehot, probabilities minus target")]
    if n > 1:
        mistakes.append((n * expected, f"this is the sum over the batch; the loss is the mean of the "
                                       f"{n} points' losses, so divide by N = {n}"))
    if expected.dim() == 2 and expected.shape[0] == expected.shape[1]:
        mistakes.append((expected.T, "it is transposed: a weight's gradient has the weight's shape, "
                                     "(in_features, out_features), so compute f.T @ dL_dc"))
    return mistakes


def _check_linear(data: dict, answers: dict, extra: dict | None = None) -> CheckResult:
    t = _tensors(data)
    expected = _linear_by_autograd(t["f"], t["W"], t["b"], t["y"])
    n = len(t["y"])
    results = []
    for name, answer in answers.items():
        mistakes = _common_mistakes(expected[name], n) + (extra or {}).get(name, [])
        if name == "dL_dc":
            q = torch.softmax(t["f"] @ t["W"] + t["b"], dim=1)
            mistakes.append((q / n, "this is q itself: subtract the one-hot target, dL/dc = q - onehot"))
        results.append(_judge(name, answer, expected[name], mistakes))
    failure = first_failure(*results)
    if failure is not None:
        return failure
    return CheckResult(True, f"{', '.join(answers)} agree with autograd")


def check_710_gradients(dL_dc, dL_dW, dL_db) -> CheckResult:
    """Exercise 710.1: the gradients for the point ``[2, 1]`` of class 0, with the course's ``W`` and ``b``."""
    return _check_linear(EXERCISE_710, {"dL_dc": dL_dc, "dL_dW": dL_dW, "dL_db": dL_db})


def check_720_gradients(dL_dW, dL_db) -> CheckResult:
    """Exercise 720.1: one SGD step on ``[-10, 20]`` (class 1), then the gradients for ``[8, -2]`` (class 0)."""
    t = _tensors(EXERCISE_720)
    first = _linear_by_autograd(t["first_f"], t["W"], t["b"], t["first_y"])
    stepped = dict(EXERCISE_720, W=t["W"] - t["lr"] * first["dL_dW"], b=t["b"] - t["lr"] * first["dL_db"])
    at_start = _linear_by_autograd(t["f"], t["W"], t["b"], t["y"])
    note = ("these are the gradients at the starting weights; first take the step of chapter 710 "
            "(W - 0.01 * dL/dW and b - 0.01 * dL/db for the point [-10, 20]), then compute them there")
    extra = {name: [(at_start[name], note)] for name in ("dL_dW", "dL_db")}
    return _check_linear(stepped, {"dL_dW": dL_dW, "dL_db": dL_db}, extra)


def check_730_gradients(dL_dW, dL_db) -> CheckResult:
    """Exercise 730.1: the gradients of the mean loss over the three points of the exercise."""
    return _check_linear(EXERCISE_730, {"dL_dW": dL_dW, "dL_db": dL_db})


def _check_two_layer(data: dict, answers: dict) -> CheckResult:
    t = _tensors(data)
    expected = _two_layer_by_autograd(t["f"], t["W1"], t["b1"], t["W2"], t["b2"], t["y"])
    n = len(t["y"])
    # The usual slips, computed from the same numbers.
    from_preactivation = expected["z"].T @ expected["dL_dc"]
    unblocked_dz = expected["dL_dc"] @ expected["W2"].T  # dL/dh, passed on as if every unit were open
    through_blocked = ("the gradient went through a blocked ReLU unit: multiply dL/dh by (z > 0), "
                       "the ReLU's slope, before going into the first layer")
    extra = {
        "dL_dW2": [(from_preactivation,
                    "it was computed from the pre-activation z = f W1 + b1, as the original course "
                    "did; the second layer reads the activation h = relu(z): use h.T @ dL_dc")],
        "dL_dW1": [(t["f"].T @ unblocked_dz, through_blocked)],
        "dL_db1": [(unblocked_dz.sum(dim=0), through_blocked)],
    }
    results = [_judge(name, answer, expected[name], _common_mistakes(expected[name], n) + extra.get(name, []))
               for name, answer in answers.items()]
    failure = first_failure(*results)
    if failure is not None:
        return failure
    return CheckResult(True, f"{', '.join(answers)} agree with autograd")


def check_740_gradients(dL_dW1, dL_db1, dL_dW2, dL_db2) -> CheckResult:
    """Exercise 740.1: the two-layer network whose second hidden unit is blocked, point ``[1, 1]`` of class 1."""
    return _check_two_layer(EXERCISE_740, {"dL_dW1": dL_dW1, "dL_db1": dL_db1,
                                           "dL_dW2": dL_dW2, "dL_db2": dL_db2})


def check_750_gradients(dL_dW1, dL_db1, dL_dW2, dL_db2) -> CheckResult:
    """Exercise 750.1: the course's two-layer network on the batch of three points of the exercise."""
    return _check_two_layer(EXERCISE_750, {"dL_dW1": dL_dW1, "dL_db1": dL_db1,
                                           "dL_dW2": dL_dW2, "dL_db2": dL_db2})

