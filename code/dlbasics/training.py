"""The book's one training loop, and the evaluation that goes with it.

Every chapter that trains a model calls :func:`fit`; none writes its own loop.
Data is either a pair of tensors ``(features, labels)`` or a
``torch.utils.data.DataLoader`` (MNIST). The model, the optimiser and the
loss are the caller's: the loop only runs them, so a chapter shows exactly
the choices that matter to its lesson.

Two additions serve models that read or write sequences (part 9):
``features`` may be a tuple of tensors, passed to the model as
``model(*features)`` (a sequence-to-sequence model reads the source and the
target's prefix); and labels may have more than one dimension (one class per
position, outputs of shape ``(N, C, T)`` against labels ``(N, T)``), where
accuracy is counted per position. A label equal to :data:`IGNORE_INDEX`
(-100, the value ``cross_entropy`` ignores by default) marks padding: it
counts neither in the loss nor in the accuracy.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler, TensorDataset

from dlbasics.runtime import get_device

IGNORE_INDEX = -100  # a label that marks padding: cross_entropy's default ignore_index


class _Batches(TensorDataset):
    """Tensors indexed together a whole mini-batch at a time: ``dataset[list_of_indices]``.

    One ``index_select`` per tensor fetches a batch; indexing with the Python
    list itself takes several times longer, which on MNIST is a good part of
    an epoch. With ``several_features`` a batch is
    ``((feature tensors...), labels)``, else ``(features, labels)``.
    """

    def __init__(self, *tensors: torch.Tensor, several_features: bool = False):
        super().__init__(*tensors)
        self.several_features = several_features

    def __getitem__(self, indices):
        index = torch.as_tensor(indices, dtype=torch.long)
        *features, labels = (tensor.index_select(0, index.to(tensor.device)) for tensor in self.tensors)
        return (tuple(features) if self.several_features else features[0]), labels


def _to_device(features, device):
    """``features`` (a tensor or a tuple of tensors) moved to ``device``."""
    if isinstance(features, (tuple, list)):
        return tuple(f.to(device) for f in features)
    return features.to(device)


def _forward(model: nn.Module, features):
    """``model(features)``, or ``model(*features)`` when the features are a tuple of tensors."""
    return model(*features) if isinstance(features, (tuple, list)) else model(features)


def _scored(outputs: torch.Tensor, labels: torch.Tensor) -> tuple[int, int]:
    """How many labels count (all but :data:`IGNORE_INDEX`), and how many of them the argmax gets right."""
    counted = labels != IGNORE_INDEX
    correct = (outputs.argmax(dim=1) == labels) & counted
    return int(counted.sum().item()), int(correct.sum().item())


@dataclass
class History:
    """What :func:`fit` measured, one entry per epoch.

    The training figures are counted on the fly, while the weights still
    change within the epoch; the test figures are measured after it.
    """

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return len(self.train_loss)


def as_loader(data, batch_size: int, shuffle: bool, generator: torch.Generator | None = None,
              name: str = "data") -> DataLoader:
    """A DataLoader over ``data``: a DataLoader (returned as it is) or a ``(features, labels)`` pair.

    A pair of tensors is cut into mini-batches by indexing a whole batch at
    once (a plain DataLoader fetches and stacks one example at a time, which
    for the book's small networks costs more than the training step). The
    shuffled order is the one ``DataLoader(..., shuffle=True)`` would give.
    It comes from ``generator`` if one is given, else from PyTorch's global
    generator; an unshuffled loader draws nothing from the global generator,
    so evaluating a model does not change how later epochs are shuffled.
    ``name`` is what error messages call the data.
    """
    if isinstance(data, DataLoader):
        if len(data.dataset) == 0:
            raise ValueError(f"{name} is a DataLoader over an empty data set: there is nothing to train "
                             "or evaluate on")
        return data
    several = (isinstance(data, (tuple, list)) and len(data) == 2 and isinstance(data[0], (tuple, list))
               and len(data[0]) > 0 and all(isinstance(t, torch.Tensor) for t in data[0]))
    if not (isinstance(data, (tuple, list)) and len(data) == 2 and isinstance(data[1], torch.Tensor)
            and (several or isinstance(data[0], torch.Tensor))):
        raise TypeError(f"{name} must be a DataLoader or a (features, labels) pair of tensors "
                        f"(features may be a tuple of tensors), got {type(data).__name__}")
    features, labels = data
    for feature in (features if several else [features]):
        if len(feature) != len(labels):
            raise ValueError(f"{name}: features and labels differ in length: {len(feature)} and {len(labels)}")
    if len(features) == 0:
        raise ValueError(f"{name} is empty (0 points): there is nothing to train or evaluate on")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    dataset = _Batches(*features, labels, several_features=True) if several else _Batches(features, labels)
    if not shuffle and generator is None:
        generator = torch.Generator()  # every DataLoader draws a seed when iterated: not from the global one
    order = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
    # batch_size=None: the sampler yields lists of indices, and dataset[indices] is the whole batch.
    return DataLoader(dataset, sampler=BatchSampler(order, batch_size, drop_last=False), batch_size=None,
                      generator=generator)


def model_device(model: nn.Module) -> torch.device:
    """The device of the model's first parameter (the CPU for a model without any)."""
    return next(model.parameters(), torch.empty(0)).device


@torch.no_grad()
def evaluate(model: nn.Module, data, loss_fn: Callable = nn.functional.cross_entropy,
             batch_size: int = 1000) -> tuple[float, float]:
    """Mean loss and accuracy (argmax of the outputs against the labels) of ``model`` on ``data``.

    Both are means over the labels that count: every label, except those
    equal to :data:`IGNORE_INDEX` (padding).
    """
    was_training = model.training
    model.eval()
    device = model_device(model)
    total_loss, correct, count = 0.0, 0, 0
    for features, labels in as_loader(data, batch_size, shuffle=False):
        features, labels = _to_device(features, device), labels.to(device)
        outputs = _forward(model, features)
        counted, right = _scored(outputs, labels)
        total_loss += loss_fn(outputs, labels).item() * counted
        correct += right
        count += counted
    model.train(was_training)
    return total_loss / count, correct / count


@torch.no_grad()
def predict(model: nn.Module, features: torch.Tensor) -> torch.Tensor:
    """The class ``model`` picks for each row of ``features`` (the argmax of its outputs), on the CPU."""
    was_training = model.training
    model.eval()
    classes = model(features.to(model_device(model))).argmax(dim=1).cpu()
    model.train(was_training)
    return classes


PROGRESS_ENV_VAR = "DLB_PROGRESS"


def show_progress() -> bool:
    """Whether :func:`fit` draws a progress bar by default.

    Yes in a Jupyter or Colab kernel, where a reader waits for an epoch to
    end; no in scripts and tests, and no when ``DLB_PROGRESS=0``, which the
    book's build sets so that the built pages show the per-epoch log only.
    """
    return os.environ.get(PROGRESS_ENV_VAR, "") != "0" and "ipykernel" in sys.modules


def progress_bar(iterable, total: int, description: str):
    """``iterable`` wrapped in a tqdm progress bar (a widget where ipywidgets is installed).

    The bar is handed an iterator, started once here: tqdm.auto's bar calls
    ``iter()`` on what it wraps when it is created, and a second pass over a
    shuffling loader would draw from PyTorch's generator, so that training with
    a bar would see other batches than training without one.
    """
    try:
        import ipywidgets  # noqa: F401  (tqdm.auto warns on stderr without it)
        from tqdm.auto import tqdm
    except ImportError:
        from tqdm import tqdm
    return tqdm(iter(iterable), total=total, desc=description, leave=False, unit="batch")


def fit(model: nn.Module, train_data, optimizer: torch.optim.Optimizer, *, epochs: int,
        batch_size: int = 32, loss_fn: Callable = nn.functional.cross_entropy,
        test_data=None, device: torch.device | str | None = None, log_every: int = 0,
        on_epoch_end: Callable[[int, nn.Module, History], None] | None = None,
        on_step_end: Callable[[], None] | None = None,
        progress: bool | None = None) -> History:
    """Train ``model`` on ``train_data`` for ``epochs`` passes with mini-batches.

    Each step: forward pass, ``loss_fn(outputs, labels)`` (by default
    cross-entropy on the raw outputs, the logits), ``backward``, optimiser
    step. Features that are a tuple of tensors go in as ``model(*features)``;
    labels equal to :data:`IGNORE_INDEX` count in neither loss nor accuracy.
    Batches are shuffled from PyTorch's global generator, so a chapter
    that called :func:`dlbasics.seed_everything` trains the same way each run.
    After each epoch the training and (if given) test loss and accuracy are
    recorded; ``log_every=k`` prints them every k epochs, and
    ``on_epoch_end(epoch, model, history)`` lets a chapter take snapshots;
    ``on_step_end()`` is called after every optimiser step (a learning-rate
    schedule that changes with every batch steps there).
    ``progress`` draws a bar that fills while an epoch runs; by default
    (None) only in Jupyter or Colab (see :func:`show_progress`).
    """
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    device = torch.device(device) if device is not None else get_device()
    model.to(device)
    loader = as_loader(train_data, batch_size, shuffle=True, name="train_data")
    if test_data is not None:
        # fail now, not after an epoch
        as_loader(test_data, batch_size, shuffle=False, name="test_data")
    if progress is None:
        progress = show_progress()
    history = History()
    for epoch in range(1, epochs + 1):
        model.train()
        total_loss, correct, count = 0.0, 0, 0
        batches = (progress_bar(loader, len(loader), f"epoch {epoch}/{epochs}")
                   if progress else loader)
        for features, labels in batches:
            features, labels = _to_device(features, device), labels.to(device)
            outputs = _forward(model, features)
            loss = loss_fn(outputs, labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if on_step_end is not None:
                on_step_end()
            counted, right = _scored(outputs.detach(), labels)
            total_loss += loss.item() * counted
            correct += right
            count += counted
        history.train_loss.append(total_loss / count)
        history.train_accuracy.append(correct / count)
        if test_data is not None:
            test_loss, test_accuracy = evaluate(model, test_data, loss_fn)
            history.test_loss.append(test_loss)
            history.test_accuracy.append(test_accuracy)
        if log_every and (epoch % log_every == 0 or epoch == epochs):
            line = (f"epoch {epoch:3d}: train loss {history.train_loss[-1]:.4f}, "
                    f"accuracy {history.train_accuracy[-1]:.2%}")
            if test_data is not None:
                line += (f" | test loss {history.test_loss[-1]:.4f}, "
                         f"accuracy {history.test_accuracy[-1]:.2%}")
            print(line)
        if on_epoch_end is not None:
            on_epoch_end(epoch, model, history)
    return history
