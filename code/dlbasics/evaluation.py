"""What a trained classifier answers, beyond one accuracy.

:func:`dlbasics.training.evaluate` gives a model's mean loss and accuracy;
the functions here look closer: the probability a model gives each class,
the confusion matrix (which classes it takes for which), its most
confident mistakes, and how two models compare on the very same examples.
"""

from __future__ import annotations

import torch
from torch import nn

from dlbasics.training import model_device


@torch.no_grad()
def predict_probabilities(model: nn.Module, features: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """The softmax of ``model``'s outputs for each example, shape ``(N, classes)``, on the CPU.

    The model runs in eval mode on its own device, ``batch_size`` examples
    at a time, so a whole test set fits in memory on any machine.
    """
    if not isinstance(features, torch.Tensor):
        raise TypeError(f"features must be a tensor, got {type(features).__name__}")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    was_training = model.training
    model.eval()
    device = model_device(model)
    try:
        chunks = [torch.softmax(model(batch.to(device)), dim=1).cpu() for batch in features.split(batch_size)]
    finally:
        model.train(was_training)
    return torch.cat(chunks)


def _as_classes(values, name: str) -> torch.Tensor:
    """``values`` as a 1-D int64 CPU tensor of class numbers, or a clear error."""
    if not isinstance(values, torch.Tensor):
        raise TypeError(f"{name} must be a tensor of class numbers, got {type(values).__name__}")
    if values.dim() != 1:
        hint = (" (class probabilities or logits? take .argmax(dim=1) first)" if values.dim() == 2 else "")
        raise ValueError(f"{name} must be 1-D, one class per example, got shape {tuple(values.shape)}{hint}")
    if values.is_floating_point() or values.is_complex() or values.dtype == torch.bool:
        raise TypeError(f"{name} must hold integer class numbers, got dtype {values.dtype}")
    return values.detach().cpu().long()


def confusion_matrix(labels: torch.Tensor, predicted: torch.Tensor,
                     n_classes: int | None = None) -> torch.Tensor:
    """Int64 ``(K, K)`` counts: each true class (row) predicted as each class (column).

    The diagonal counts the right answers, so ``confusion.trace()`` divided by
    ``confusion.sum()`` is the accuracy. ``K`` is ``n_classes``, or one more
    than the largest class number seen.
    """
    labels, predicted = (_as_classes(labels, "labels"),
                         _as_classes(predicted, "predicted"))
    if len(labels) != len(predicted):
        raise ValueError(f"labels and predicted differ in length: {len(labels)} "
                         f"and {len(predicted)}")
    if len(labels) == 0:
        raise ValueError("labels and predicted are empty: there is nothing to count")
    smallest = int(torch.minimum(labels.min(), predicted.min()))
    largest = int(torch.maximum(labels.max(), predicted.max()))
    if n_classes is None:
        n_classes = largest + 1
    if smallest < 0 or largest >= n_classes:
        raise ValueError(f"class numbers must lie in 0 to {n_classes - 1} "
                         f"(n_classes={n_classes}), "
                         f"got values from {smallest} to {largest}")
    pairs = labels * n_classes + predicted
    return (torch.bincount(pairs, minlength=n_classes * n_classes)
            .reshape(n_classes, n_classes))


def confident_mistakes(probabilities: torch.Tensor, labels: torch.Tensor, count: int) -> torch.Tensor:
    """Indices of (at most) ``count`` wrongly classified examples, the most confident first.

    An example is wrong when the class with the highest probability is not
    its label; its confidence is that highest probability.
    """
    labels = _as_classes(labels, "labels")
    if not isinstance(probabilities, torch.Tensor) or probabilities.dim() != 2:
        raise ValueError("probabilities must be a 2-D tensor (examples, classes), such as "
                         "predict_probabilities(model, images) returns")
    if len(probabilities) != len(labels):
        raise ValueError(f"probabilities and labels differ in length: {len(probabilities)} and {len(labels)}")
    confidence, predicted = probabilities.detach().cpu().max(dim=1)
    wrong = (predicted != labels).nonzero().flatten()
    order = confidence[wrong].argsort(descending=True, stable=True)
    return wrong[order[:count]]


def compare_predictions(labels: torch.Tensor, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
    """Two models' answers on the same examples, paired: a 2x2 int64 table of counts.

    Row 0: examples the first model gets right, row 1: those it gets wrong;
    columns likewise for the second model. The off-diagonal cells are what
    tells the models apart: ``table[1, 0]`` examples only the second gets
    right, ``table[0, 1]`` only the first.
    """
    labels = _as_classes(labels, "labels")
    first, second = _as_classes(first, "first"), _as_classes(second, "second")
    if not len(labels) == len(first) == len(second):
        raise ValueError(f"labels, first and second must have one entry per example, got lengths "
                         f"{len(labels)}, {len(first)} and {len(second)}")
    first_wrong, second_wrong = (first != labels).long(), (second != labels).long()
    return torch.bincount(first_wrong * 2 + second_wrong, minlength=4).reshape(2, 2)


def same_class_blends(images: torch.Tensor, labels: torch.Tensor, correct: torch.Tensor,
                      pairs_per_class: int = 100,
                      weights=(0.25, 0.5, 0.75)) -> tuple[torch.Tensor, torch.Tensor]:
    """Blends ``(1 - t) * x1 + t * x2`` of ``correct`` same-class pairs, and the class.

    For each class, the first ``2 * pairs_per_class`` examples that are of
    that class and marked ``correct`` are paired up, and each pair is blended
    at every ``t`` in ``weights``. A classifier whose regions are convex
    (one linear layer) gives every blend its pair's class.
    """
    labels, correct = _as_classes(labels, "labels"), correct.detach().cpu()
    if correct.dtype != torch.bool or correct.shape != labels.shape:
        raise ValueError(f"correct must be a boolean tensor with one entry per "
                         f"example, shape {tuple(labels.shape)}, such as "
                         f"predicted == labels; got {correct.dtype} "
                         f"{tuple(correct.shape)}")
    images = images.detach().cpu()
    blends, classes = [], []
    for k in labels.unique().tolist():
        chosen = ((labels == k) & correct).nonzero().flatten()[: 2 * pairs_per_class]
        first, second = images[chosen[0::2]], images[chosen[1::2]]
        first = first[: len(second)]
        for t in weights:
            blends.append((1 - t) * first + t * second)
            classes.append(torch.full((len(second),), k))
    return torch.cat(blends), torch.cat(classes)
