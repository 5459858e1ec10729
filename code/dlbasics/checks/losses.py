"""Checks for the exercises of part 4: softmax, cross-entropy and the sigmoid alternative.

Every expected answer is computed here from the exercise's data with
PyTorch's own functions (``F.softmax``, ``F.cross_entropy``, autograd); the
hints recognise the typical mistakes by recomputing them too.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from dlbasics.checks.core import CheckResult, call_reader_function, compare_tensors, describe_type, not_a_function
from dlbasics.losses import normalised_sigmoid_losses
from dlbasics.toydata import label_points

# The course's worked example: three points of toy problem 2 (class 1 when
# f1 < f2 + f3), all of class 0, and weights that make c = [f1, f2 + f3].
COURSE_POINTS = [[6.0, 2.0, 1.9], [5.0, 2.0, 1.9], [4.0, 2.0, 1.9]]
COURSE_W = [[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]]

# The exercises' own batch, with points on both sides of the boundary.
# Its labels are not stored: they come from the rule of toy problem 2.
MIXED_POINTS = [[6.0, 2.0, 1.9], [3.0, 2.0, 1.9], [5.0, 1.0, 1.0], [2.0, 3.0, 3.0]]


def course_batch() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The course's batch: features (3, 3), weights W (3, 2) and labels (3,), all class 0."""
    features = torch.tensor(COURSE_POINTS)
    return features, torch.tensor(COURSE_W), label_points(2, features)


def mixed_batch() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The exercises' batch of four points: features (4, 3), the course's W, labels by the rule."""
    features = torch.tensor(MIXED_POINTS)
    return features, torch.tensor(COURSE_W), label_points(2, features)


def _scores(features: torch.Tensor, W: torch.Tensor) -> torch.Tensor:
    return features @ W


def _close(answer, value: torch.Tensor) -> bool:
    """True when ``answer`` is a tensor of ``value``'s shape holding the same numbers."""
    if not isinstance(answer, torch.Tensor) or answer.shape != value.shape:
        return False
    got = answer.detach().cpu().to(torch.float64)
    return bool(torch.allclose(got, value.to(torch.float64), atol=1e-4, rtol=1e-4))


def _same_number(answer, value: torch.Tensor) -> bool:
    """Like :func:`_close`, but a scalar may come as shape () or (1,)."""
    if isinstance(answer, torch.Tensor) and answer.numel() == 1 and value.numel() == 1:
        return _close(answer.reshape(()), value.reshape(()))
    return _close(answer, value)


def _scalar_result(loss, expected: torch.Tensor, name: str) -> CheckResult | None:
    """Reject what is not a one-number tensor; None when ``loss`` is one."""
    if not isinstance(loss, torch.Tensor):
        fix = " (keep the tensor: do not call .item() or float())" if isinstance(loss, (int, float)) else ""
        return CheckResult(False, f"{name} is a {describe_type(loss)}, not a torch.Tensor{fix}")
    if loss.numel() != 1:
        return CheckResult(False, f"{name} has shape {tuple(loss.shape)}: the loss of a batch is one number. "
                                  "Average the per-point losses (the default reduction='mean')")
    if _same_number(loss, expected):
        return CheckResult(True, f"{name} = {loss.item():.4f}, as expected")
    return None


# --- Chapter 430: softmax and cross-entropy for one point -----------------

def check_430_softmax(softmax) -> CheckResult:
    """Exercise 430.1: ``softmax`` is the reader's function: scores (..., K) -> probabilities (..., K).

    It is tried on the course's point, on the course's batch (one row per
    point) and on large scores, where ``exp`` overflows unless the maximum is
    subtracted first. Each answer is compared with ``F.softmax(x, dim=-1)``.
    """
    failure = not_a_function(softmax, "softmax", "check_430_softmax")
    if failure is not None:
        return failure
    features, W, _ = course_batch()
    scores = _scores(features, W)
    trials = [
        ("the point's scores c = [6, 3.9]", scores[0]),
        ("the batch's scores (3 points, one per row)", scores),
        ("large scores [[0, 200], [1000, 1000], [-1000, 0]]",
         torch.tensor([[0.0, 200.0], [1000.0, 1000.0], [-1000.0, 0.0]])),
    ]
    for what, x in trials:
        expected = F.softmax(x, dim=-1)
        got, failure = call_reader_function(softmax, f"on {what} your softmax", x.clone())
        if failure is not None:
            if x.dim() == 2 and "size of tensor" in failure.message:
                return CheckResult(False, failure.message + ": to divide each row by its own sum, keep the "
                                          "summed dimension (x.exp().sum(dim=-1, keepdim=True))")
            return failure
        result = compare_tensors(got, expected, name=f"softmax of {what}")
        if result.ok:
            continue
        if isinstance(got, torch.Tensor) and got.shape == expected.shape:
            values = got.detach().cpu().to(torch.float64)
            if not torch.isfinite(values).all():
                return CheckResult(
                    False,
                    f"on {what} your softmax gives nan or inf: exp overflows for large scores. "
                    "Subtract each row's maximum before exp (the log-sum-exp trick): it changes "
                    "nothing mathematically and keeps exp <= 1")
            if x.dim() == 2 and torch.allclose(values.sum(), torch.tensor(1.0, dtype=torch.float64)):
                return CheckResult(
                    False,
                    f"on {what} your probabilities add up to 1 over the whole batch; each row (each "
                    "point) needs its own distribution: sum over dim=-1 with keepdim=True")
            if x.dim() == 2 and torch.allclose(values.sum(dim=0), torch.ones(values.shape[1], dtype=torch.float64)):
                return CheckResult(False, f"on {what} your probabilities add up to 1 down each column; "
                                          "normalise along the last dimension (dim=-1), one row per point")
        return result
    return CheckResult(True, "your softmax agrees with F.softmax on one point, on a batch and on large scores")


def check_430_losses(losses) -> CheckResult:
    """Exercise 430.2: the cross-entropy loss of each of the course's three points, shape (3,)."""
    features, W, labels = course_batch()
    scores = _scores(features, W)
    log_q = F.log_softmax(scores, dim=1)
    expected = F.cross_entropy(scores, labels, reduction="none")
    result = compare_tensors(losses, expected, name="losses")
    if result.ok:
        return CheckResult(True, "losses = " + ", ".join(f"{v:.4f}" for v in expected.tolist())
                           + ": the loss grows as the points near the boundary")
    if _same_number(losses, expected.mean()):
        return CheckResult(False, "that is the mean of the three losses; the exercise asks for one loss per "
                                  "point, a tensor of shape (3,) (reduction='none')")
    if _close(losses, log_q):
        return CheckResult(False, "losses has one column per class: keep only the correct class's -log q "
                                  "(class 0 for all three points)")
    hints = [
        (log_q[:, 0], "losses are log q, which is negative: the loss is -log q(correct class)"),
        (log_q.exp()[:, 0], "those are the probabilities q of the correct class; the loss is -log q"),
        (-log_q[:, 1], "that is -log q of class 1; the three points are class 0 (f1 > f2 + f3)"),
        (-torch.log10(log_q.exp()[:, 0]), "that uses log10; cross-entropy uses the natural log, torch.log"),
    ]
    for value, message in hints:
        if _close(losses, value):
            return CheckResult(False, message)
    return result


# --- Chapter 450: the loss of a batch --------------------------------------

def check_450_batch_loss(loss) -> CheckResult:
    """Exercise 450.1: the mean cross-entropy of the mixed batch, labelled by toy problem 2's rule."""
    features, W, labels = mixed_batch()
    scores = _scores(features, W)
    expected = F.cross_entropy(scores, labels)
    verdict = _scalar_result(loss, expected, "loss")
    if verdict is not None:
        return verdict
    per_point = F.cross_entropy(scores, labels, reduction="none")
    hints = [
        (per_point.sum(), "that is the sum of the per-point losses; the usual loss is their mean "
                          "(reduction='mean', the default)"),
        (F.cross_entropy(scores, torch.zeros_like(labels)),
         "that is the loss with every label 0; label the points by the rule: class 1 when f1 < f2 + f3 "
         "(label_points(2, features))"),
        (F.cross_entropy(scores, 1 - labels), "the labels are swapped: class 1 is f1 < f2 + f3"),
        (F.nll_loss(scores, labels), "that is F.nll_loss on raw scores; nll_loss expects log-probabilities. "
                                     "Use F.cross_entropy on the scores"),
        (F.cross_entropy(F.softmax(scores, dim=1), labels),
         "that is F.cross_entropy on probabilities, a softmax applied twice; pass the raw scores"),
    ]
    for value, message in hints:
        if _same_number(loss, value):
            return CheckResult(False, message)
    return CheckResult(False, f"loss = {loss.item():.4f} is not the batch's mean cross-entropy")


def check_450_gradient(grad) -> CheckResult:
    """Exercise 450.2: the gradient of the course batch's mean loss with respect to W, shape (3, 2)."""
    features, W, labels = course_batch()

    def gradient(reduction: str) -> torch.Tensor:
        weights = W.clone().requires_grad_(True)
        F.cross_entropy(features @ weights, labels, reduction=reduction).backward()
        return weights.grad

    expected = gradient("mean")
    result = compare_tensors(grad, expected, name="grad")
    if result.ok:
        return CheckResult(True, "grad is the gradient of the mean loss: the same size whatever the batch size")
    if _close(grad, gradient("sum")):
        return CheckResult(False, "that is the gradient of the summed loss (reduction='sum'), three times "
                                  "the gradient of the mean")
    if _close(grad, -expected):
        return CheckResult(False, "grad has the wrong sign: differentiate the loss -log q, not log q")
    return result


# --- Chapter 480: the sigmoid alternative ----------------------------------

def check_480_normalised_sigmoid(losses) -> CheckResult:
    """Exercise 480.1: the normalised-sigmoid loss of each of the course's three points, shape (3,)."""
    features, W, labels = course_batch()
    scores = _scores(features, W)
    expected = normalised_sigmoid_losses(scores, labels)
    result = compare_tensors(losses, expected, name="losses", atol=1e-4, rtol=1e-4)
    if result.ok:
        return CheckResult(True, "losses = " + ", ".join(f"{v:.4f}" for v in expected.tolist())
                           + ": nearly equal, whatever the point")
    s = torch.sigmoid(scores)
    hints = [
        (F.cross_entropy(scores, labels, reduction="none"),
         "those are the softmax cross-entropy losses; the course's alternative divides sigmoid(c_j) by "
         "the sum of the sigmoids, not exp(c_j) by the sum of the exps"),
        (-torch.log(s[:, 0]), "that is -log sigmoid(c_0) without the normalisation: divide by "
                              "sigmoid(c_0) + sigmoid(c_1) first"),
        (-torch.log(s[:, 1] / s.sum(dim=1)), "that is the loss of class 1; the points are class 0"),
    ]
    for value, message in hints:
        if _close(losses, value):
            return CheckResult(False, message)
    if _same_number(losses, expected.mean()):
        return CheckResult(False, "that is the mean; the exercise asks for one loss per point, shape (3,)")
    return result


def check_480_bce(loss) -> CheckResult:
    """Exercise 480.2: the mixed batch's mean binary cross-entropy with one logit z = c_1 - c_0 per point."""
    features, W, labels = mixed_batch()
    scores = _scores(features, W)
    z = scores[:, 1] - scores[:, 0]
    expected = F.binary_cross_entropy_with_logits(z, labels.float())
    verdict = _scalar_result(loss, expected, "loss")
    if verdict is not None:
        return verdict
    hints = [
        (F.binary_cross_entropy_with_logits(-z, labels.float()),
         "the sign of z is flipped: the one output is the evidence for class 1, z = c_1 - c_0"),
        (F.binary_cross_entropy_with_logits(z, torch.zeros_like(z)),
         "that is the loss with every label 0; label the points by the rule: class 1 when f1 < f2 + f3"),
        (F.binary_cross_entropy_with_logits(scores[:, 1], labels.float()),
         "that uses c_1 alone as the logit; a two-class softmax depends only on the difference "
         "z = c_1 - c_0"),
        (F.binary_cross_entropy_with_logits(z, labels.float(), reduction="sum"),
         "that is the sum over the points; take the mean (the default reduction)"),
    ]
    for value, message in hints:
        if _same_number(loss, value):
            return CheckResult(False, message)
    return CheckResult(False, f"loss = {loss.item():.4f} is not the batch's mean binary cross-entropy")
