"""How part 8 trains its image classifiers: Adam, a learning rate that decays each epoch.

A :class:`Recipe` names the few choices that differ between the models of
part 8; :func:`train_classifier` applies one through the book's one training
loop, :func:`dlbasics.training.fit`. The chapters show these sources, and the
benchmark ``tools/bench_mnist.py`` trains LeNet-5 with the very same recipe,
so what the book claims about speed is what its chapters run.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from dlbasics.runtime import get_device
from dlbasics.training import History, fit


@dataclass(frozen=True)
class Recipe:
    """Adam with learning rate ``lr``, multiplied by ``decay`` after every epoch."""

    epochs: int
    batch_size: int = 128
    lr: float = 1e-3
    decay: float = 1.0

    def __post_init__(self):
        if isinstance(self.epochs, bool) or not isinstance(self.epochs, int) or self.epochs < 1:
            raise ValueError(f"epochs must be a positive int, got {self.epochs!r}")
        if not (self.lr > 0 and 0 < self.decay <= 1):
            raise ValueError(f"need lr > 0 and 0 < decay <= 1, got lr={self.lr!r}, decay={self.decay!r}")


LENET5_RECIPE = Recipe(epochs=4, batch_size=128, lr=3e-3, decay=0.6)
# Chapter 830's single layer and chapter 850's network with one hidden layer.
SOFTMAX_REGRESSION_RECIPE = Recipe(epochs=5, batch_size=256, lr=1e-2, decay=0.5)
ONE_HIDDEN_LAYER_RECIPE = Recipe(epochs=5, batch_size=256, lr=5e-3, decay=0.6)


def train_classifier(model: nn.Module, train_data, recipe: Recipe, *, test_data=None,
                     log_every: int = 1, device=None, **fit_options) -> History:
    """Train ``model`` on ``(images, labels)`` with ``recipe``; the history of :func:`fit`.

    Convolutional models are stored channels-last, the layout the CPU's
    convolution routines are fastest with; the numbers they compute are the
    same. Extra keyword arguments go to :func:`fit` (``on_epoch_end``, ...).
    """
    device = torch.device(device) if device is not None else get_device()
    if any(isinstance(m, nn.Conv2d) for m in model.modules()):
        model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    schedule = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=recipe.decay)
    user_hook = fit_options.pop("on_epoch_end", None)

    def end_of_epoch(epoch, model, history):
        schedule.step()
        if user_hook is not None:
            user_hook(epoch, model, history)

    return fit(model, train_data, optimizer, epochs=recipe.epochs, batch_size=recipe.batch_size,
               test_data=test_data, device=device, log_every=log_every, on_epoch_end=end_of_epoch,
               **fit_options)
