"""How part 8 trains its image classifiers: Adam, mini-batches and a learning-rate schedule.

A :class:`Recipe` names the few choices that differ between the models of
part 8; :func:`train_classifier` applies one through the book's one training
loop, :func:`dlbasics.training.fit`. The chapters show these sources, and the
benchmark ``tools/bench_mnist.py`` trains LeNet-5 with the very same recipe,
so what the book claims about speed is what its chapters run.

The numbers in the recipes were chosen on a validation set (the last 10,000
training digits, :func:`dlbasics.mnist.validation_split`), never on the test
set: ``tools/sweep_mnist.py`` tries a few settings for each model and
records what it measured in ``tools/mnist_sweep.json``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from dlbasics.runtime import get_device
from dlbasics.training import History, as_loader, fit

SCHEDULES = ("decay", "one-cycle")


@dataclass(frozen=True, repr=False)
class Recipe:
    """Adam on mini-batches for ``epochs`` passes, with a learning-rate schedule.

    ``schedule="decay"``: the rate starts at ``lr`` and is multiplied by
    ``decay`` after every epoch. ``schedule="one-cycle"``: after every batch,
    the rate climbs from ``lr / 25`` to ``lr`` over the first 30% of the
    steps, then falls to almost zero by the last step (PyTorch's
    ``OneCycleLR`` with its defaults, which also lowers Adam's momentum
    while the rate is high).
    """

    epochs: int
    batch_size: int = 128
    lr: float = 1e-3
    decay: float = 1.0
    schedule: str = "decay"

    def __post_init__(self):
        if (isinstance(self.epochs, bool) or not isinstance(self.epochs, int)
                or self.epochs < 1):
            raise ValueError(f"epochs must be a positive int, got {self.epochs!r}")
        if not (self.lr > 0 and 0 < self.decay <= 1):
            raise ValueError(f"need lr > 0 and 0 < decay <= 1, got lr={self.lr!r}, "
                             f"decay={self.decay!r}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"schedule must be one of {SCHEDULES}, "
                             f"got {self.schedule!r}")
        if self.schedule == "one-cycle" and self.decay != 1.0:
            raise ValueError("decay belongs to the 'decay' schedule; "
                             "a one-cycle recipe has none")

    def __repr__(self) -> str:
        fields = f"epochs={self.epochs}, batch_size={self.batch_size}, lr={self.lr!r}"
        if self.schedule == "decay":
            return f"Recipe({fields}, decay={self.decay!r})"
        return f"Recipe({fields}, schedule={self.schedule!r})"


# Chapter 830's single layer, chapter 850's network with one hidden layer, chapter 870's
# with six, and chapter 890's LeNet-5.
SOFTMAX_REGRESSION_RECIPE = Recipe(epochs=5, batch_size=256, lr=3e-2, decay=0.5)
ONE_HIDDEN_LAYER_RECIPE = Recipe(epochs=5, batch_size=256, lr=1e-2, decay=0.6)
SEVEN_LAYERS_RECIPE = Recipe(epochs=5, batch_size=256, lr=5e-3, decay=0.6)
LENET5_RECIPE = Recipe(epochs=3, batch_size=256, lr=2e-2, schedule="one-cycle")


def _then(first: Callable | None, second: Callable | None) -> Callable | None:
    """A function that calls ``first`` and then ``second`` (either may be None) with its arguments."""
    if first is None or second is None:
        return first or second

    def both(*args):
        first(*args)
        second(*args)

    return both


def train_classifier(model: nn.Module, train_data, recipe: Recipe, *, test_data=None,
                     log_every: int = 1, device=None, **fit_options) -> History:
    """Train ``model`` on ``(images, labels)`` with ``recipe``; :func:`fit`'s history.

    Convolutional models are stored channels-last, the layout the CPU's
    convolution routines are fastest with; the numbers they compute are the
    same. Extra keyword arguments go to :func:`fit` (``on_epoch_end``, ...).
    """
    device = torch.device(device) if device is not None else get_device()
    if any(isinstance(m, nn.Conv2d) for m in model.modules()):
        model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    after_epoch = after_step = None
    if recipe.schedule == "decay":  # the rate changes after every epoch
        schedule = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=recipe.decay)

        def after_epoch(epoch, model, history):
            schedule.step()
    else:  # "one-cycle": the rate changes after every batch
        steps = len(as_loader(train_data, recipe.batch_size, shuffle=False))
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=recipe.lr, epochs=recipe.epochs, steps_per_epoch=steps)
        after_step = schedule.step
    on_epoch_end = _then(after_epoch, fit_options.pop("on_epoch_end", None))
    on_step_end = _then(after_step, fit_options.pop("on_step_end", None))
    return fit(model, train_data, optimizer, epochs=recipe.epochs,
               batch_size=recipe.batch_size, test_data=test_data, device=device,
               log_every=log_every, on_epoch_end=on_epoch_end,
               on_step_end=on_step_end, **fit_options)
