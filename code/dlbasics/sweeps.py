"""Train the same network once per seed, and summarise how the runs differ.

A single training run reports one accuracy, and that number depends on the
seed: the random initial weights and the order of the mini-batches. Whether
one network is *better* than another is a question about many runs.

- :func:`train_once` trains one freshly built model for one seed with the
  book's one training loop (:func:`dlbasics.training.fit`);
- :func:`sweep_seeds` does that once per seed and returns every run's test
  accuracy with their :class:`Summary` (mean, spread, minimum, maximum);
- :meth:`SweepResult.rate` counts the runs that meet a condition (say, "stuck
  below 90%") and gives that share with its 95% interval (:class:`Rate`,
  :func:`wilson_interval`): a rate measured on 40 seeds is uncertain by
  ten percentage points or more, and the interval says by how much;
- :func:`compare` pairs two sweeps over the same seeds and gives the mean
  change of accuracy with its 95% interval, and for how many seeds it rose
  or fell (:class:`Comparison`);
- :func:`uniform_init` turns a model factory into one whose parameters start
  uniform in a range, such as the original course's ``torch.rand``, in [0, 1);
- :func:`plot_sweeps` draws sweeps side by side, one dot per run;
- :func:`draw_unit_lines` draws where each hidden unit of a first layer on
  two features switches, ``w1 f1 + w2 f2 + b = 0``, for part 6's pictures.

``replacement=True`` (in :func:`train_once` and :func:`sweep_seeds`) makes
each epoch draw its points with replacement, as the original course's data
reader did, instead of taking every point once in a shuffled order.

Every run starts from ``seed_everything(seed)``, and its mini-batches are
shuffled (or drawn) by a generator of its own seeded with the same seed, so a
run's result depends on its seed alone: the same seeds give the same numbers, in
any order and whatever else the program computed before (on the same kind
of device: a GPU draws other random numbers than a CPU).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

import matplotlib.pyplot as plt
import torch
from matplotlib.figure import Figure
from torch import nn
from torch.utils.data import DataLoader

from dlbasics.runtime import get_device, seed_everything
from dlbasics.training import History, as_loader, evaluate, fit


@dataclass(frozen=True)
class Summary:
    """Mean, standard deviation, minimum and maximum of some numbers.

    ``std`` is the *sample* standard deviation (dividing by ``n - 1``), the
    usual estimate of the spread from a handful of runs; it is 0 for one run.
    """

    mean: float
    std: float
    min: float
    max: float
    n: int

    @classmethod
    def of(cls, values: Sequence[float]) -> "Summary":
        values = [float(v) for v in values]
        if not values:
            raise ValueError("cannot summarise an empty list of values")
        if not all(math.isfinite(v) for v in values):
            raise ValueError(f"cannot summarise values that are not finite numbers: {values}")
        n = len(values)
        mean = math.fsum(values) / n
        std = math.sqrt(math.fsum((v - mean) ** 2 for v in values) / (n - 1)) if n > 1 else 0.0
        return cls(mean=mean, std=std, min=min(values), max=max(values), n=n)

    def __str__(self) -> str:
        return (f"mean {self.mean:.1%} ± {self.std:.1%} (min {self.min:.1%}, max {self.max:.1%}, "
                f"{self.n} runs)")


#: The two-sided 95% point of the standard normal distribution.
Z_95 = 1.959963984540054


def wilson_interval(count: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval for a proportion: ``count`` successes in ``n`` trials.

    With ``z = 1.96`` (the default) it is a 95% confidence interval for the
    true share. Unlike the textbook interval ``p ± z sqrt(p (1 - p) / n)``, it
    stays within [0, 1] and is not empty when ``count`` is 0 or ``n``: 0 of
    40 gives about 0% to 9%, not 0% to 0%.
    """
    for name, value in (("count", count), ("n", n)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be an int, got {value!r}")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if not 0 <= count <= n:
        raise ValueError(f"count must be between 0 and n = {n}, got {count}")
    if not (math.isfinite(z) and z > 0):
        raise ValueError(f"z must be a positive number, got {z!r}")
    p = count / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half_width = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    low = 0.0 if count == 0 else max(0.0, centre - half_width)
    high = 1.0 if count == n else min(1.0, centre + half_width)
    return low, high


@dataclass(frozen=True)
class Rate:
    """How many of ``n`` runs met a condition, as a share with its 95% Wilson interval.

    ``str(rate)`` reads "12 of 40 (30%; 95% interval 18% to 45%)".
    """

    count: int
    n: int
    low: float
    high: float

    @classmethod
    def of(cls, count: int, n: int) -> "Rate":
        low, high = wilson_interval(count, n)
        return cls(count=count, n=n, low=low, high=high)

    @property
    def share(self) -> float:
        return self.count / self.n

    def __str__(self) -> str:
        return (f"{self.count} of {self.n} ({self.share:.0%}; 95% interval {self.low:.0%} to "
                f"{self.high:.0%})")


def t_quantile(probability: float, df: int) -> float:
    """The ``probability`` quantile of Student's t distribution with ``df`` degrees of freedom.

    Computed from the normal quantile by the Cornish-Fisher expansion
    (Abramowitz and Stegun, 26.7.5), exact to about 1e-4 from ``df = 5`` on
    and closer for more; it serves 95% intervals of means over a few dozen
    seeds without needing SciPy.
    """
    if isinstance(df, bool) or not isinstance(df, int) or df < 1:
        raise ValueError(f"df must be a positive int, got {df!r}")
    if not 0 < probability < 1:
        raise ValueError(f"probability must be between 0 and 1, got {probability!r}")
    z = NormalDist().inv_cdf(probability)
    v = df
    return (z + (z**3 + z) / (4 * v) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * v**2)
            + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * v**3)
            + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * v**4))


@dataclass(frozen=True)
class Comparison:
    """Two sweeps over the same seeds compared seed by seed: ``after`` minus ``before``.

    ``mean`` is the mean change of test accuracy over the seeds, ``low`` and
    ``high`` its 95% interval (Student's t on the paired differences),
    ``better`` and ``worse`` count the seeds whose accuracy rose or fell.
    Pairing by seed compares runs that start from the same initial weights
    (when the two networks have the same shapes) and see the same batches,
    so the interval is narrower than a comparison of the two means would be.
    """

    n: int
    mean: float
    low: float
    high: float
    better: int
    worse: int

    def __str__(self) -> str:
        return (f"mean change {100 * self.mean:+.1f} points (95% interval {100 * self.low:+.1f} to "
                f"{100 * self.high:+.1f})\nbetter for {self.better} of {self.n} seeds, worse for "
                f"{self.worse}")


def compare(before: "SweepResult", after: "SweepResult") -> Comparison:
    """Compare two sweeps seed by seed: the change of test accuracy from ``before`` to ``after``."""
    if not (isinstance(before, SweepResult) and isinstance(after, SweepResult)):
        raise TypeError("compare takes two SweepResults, as sweep_seeds returns them")
    if before.seeds != after.seeds:
        raise ValueError(f"the sweeps must have the same seeds in the same order to be paired, got "
                         f"{before.seeds} and {after.seeds}")
    if len(before.seeds) < 2:
        raise ValueError("a comparison needs at least two seeds")
    changes = [b - a for a, b in zip(before.accuracies, after.accuracies)]
    summary = Summary.of(changes)
    half_width = t_quantile(0.975, summary.n - 1) * summary.std / math.sqrt(summary.n)
    return Comparison(n=summary.n, mean=summary.mean, low=summary.mean - half_width,
                      high=summary.mean + half_width, better=sum(c > 0 for c in changes),
                      worse=sum(c < 0 for c in changes))


@dataclass
class Run:
    """One training run of :func:`train_once`: the trained model, its history and its test result."""

    seed: int
    model: nn.Module
    history: History
    test_loss: float
    test_accuracy: float


@dataclass
class SweepResult:
    """What :func:`sweep_seeds` found: one test accuracy per seed, and their summary.

    ``models`` and ``histories`` hold the trained models and their
    :class:`~dlbasics.training.History` (one per seed, in the order of
    ``seeds``) when the sweep was asked to keep them, and are empty otherwise.
    """

    seeds: list[int]
    accuracies: list[float]
    summary: Summary
    models: list[nn.Module] = field(default_factory=list)
    histories: list[History] = field(default_factory=list)

    def typical(self) -> int:
        """The position (in ``seeds``) of a typical run: the one whose accuracy is the median.

        With an even number of runs, the lower of the two middle ones.
        """
        order = sorted(range(len(self.accuracies)), key=self.accuracies.__getitem__)
        return order[(len(order) - 1) // 2]

    def where(self, condition: Callable[[float], bool]) -> list[int]:
        """The positions (in ``seeds``) of the runs whose test accuracy meets ``condition``."""
        if not callable(condition):
            raise TypeError(f"condition must be a function of an accuracy, such as "
                            f"lambda a: a < 0.9, got {condition!r}")
        return [i for i, accuracy in enumerate(self.accuracies) if condition(accuracy)]

    def rate(self, condition: Callable[[float], bool]) -> Rate:
        """How many runs meet ``condition``, with a 95% interval: ``sweep.rate(lambda a: a < 0.9)``."""
        return Rate.of(len(self.where(condition)), len(self.accuracies))

    def __str__(self) -> str:
        return f"test accuracy {self.summary}"


# A function that builds an optimiser for the given parameters (``adam(0.01)`` makes one).
MakeOptimizer = Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer]


def adam(lr: float = 0.01) -> MakeOptimizer:
    """An optimiser factory for :func:`train_once` and :func:`sweep_seeds`: Adam with learning rate ``lr``.

    On a CPU or a CUDA GPU it uses PyTorch's *fused* implementation: the same
    algorithm in one kernel per step, which for part 6's tiny networks makes
    a step about a third faster than the default.
    """
    def make(parameters):
        parameters = list(parameters)
        fused = bool(parameters) and all(p.device.type in ("cpu", "cuda") and p.is_floating_point()
                                         for p in parameters)
        return torch.optim.Adam(parameters, lr=lr, fused=fused or None)
    return make


def uniform_init(make_model: Callable[[], nn.Module], low: float = 0.0,
                 high: float = 1.0) -> Callable[[], nn.Module]:
    """A model factory like ``make_model`` whose models start with every parameter uniform in [low, high).

    The default range, [0, 1), is what ``torch.rand`` draws: the original
    course's initial weights and biases. (PyTorch's own ``nn.Linear`` draws
    from ±1/sqrt(fan_in), of both signs.) The new values are drawn right after
    ``make_model()`` builds the model, so in a sweep they depend on the seed.
    """
    if isinstance(make_model, nn.Module) or not callable(make_model):
        raise TypeError(f"make_model must be a function that builds a new model, got "
                        f"{type(make_model).__name__}")
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"need finite low < high, got low={low!r}, high={high!r}")

    def make() -> nn.Module:
        model = make_model()
        with torch.no_grad():
            for parameter in model.parameters():
                parameter.uniform_(low, high)
        return model
    return make


def _check_seed(seed) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"a seed must be an int, got {seed!r}")
    return seed


def _check_positive(name: str, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def _check_functions(make_model, make_optimizer) -> None:
    if isinstance(make_model, nn.Module) or not callable(make_model):
        raise TypeError(f"make_model must be a function that builds a new model, got "
                        f"{type(make_model).__name__}: pass e.g. lambda: nn.Sequential(...), not a model")
    if not callable(make_optimizer):
        raise TypeError(f"make_optimizer must be a function of the parameters, such as adam(0.01), "
                        f"got {type(make_optimizer).__name__}")


class _DrawsWithReplacement:
    """An epoch of ``n`` indices drawn uniformly from ``range(n)`` with replacement, ``batch_size`` at a time.

    Each batch is one tensor of indices (one ``randint`` call), which the
    book's batched data sets take whole: drawing index by index, as
    ``RandomSampler(replacement=True)`` does, costs more than a tiny
    network's training step.
    """

    def __init__(self, n: int, batch_size: int, generator: torch.Generator):
        self.n, self.batch_size, self.generator = n, batch_size, generator

    def __len__(self) -> int:
        return math.ceil(self.n / self.batch_size)

    def __iter__(self):
        for start in range(0, self.n, self.batch_size):
            size = min(self.batch_size, self.n - start)
            yield torch.randint(self.n, (size,), generator=self.generator)


def train_once(make_model: Callable[[], nn.Module], train_data, test_data, *,
               seed: int, epochs: int,
               make_optimizer: MakeOptimizer = adam(),
               batch_size: int = 32, loss_fn: Callable = nn.functional.cross_entropy,
               device: torch.device | str | None = None, record_test: bool = False,
               replacement: bool = False) -> Run:
    """Seed, build a fresh model with ``make_model()``, train it with ``fit``, test it.

    ``train_data`` and ``test_data`` are ``(features, labels)`` pairs of
    tensors or DataLoaders. ``record_test`` also measures the test loss and
    accuracy after every epoch, into the history. ``replacement=True``
    changes what an epoch is: instead of every training point once, in a
    shuffled order, it draws as many points as there are *with replacement*
    (some twice, some not at all), as the original course's ``get_sample``
    did; it needs ``train_data`` as a pair of tensors.
    """
    _check_functions(make_model, make_optimizer)
    _check_seed(seed)
    _check_positive("epochs", epochs)
    _check_positive("batch_size", batch_size)
    if test_data is None:
        raise ValueError("test_data is required: a run is judged on its test accuracy")
    device = torch.device(device) if device is not None else get_device()
    test_batches = as_loader(test_data, 1000, shuffle=False, name="test_data")
    generator = torch.Generator().manual_seed(seed)
    if replacement and isinstance(train_data, DataLoader):
        raise ValueError("replacement=True needs train_data as a (features, labels) "
                         "pair of tensors, not a DataLoader (it has its own sampler)")
    train_batches = as_loader(train_data, batch_size, shuffle=True, name="train_data",
                              generator=generator)
    if replacement:
        dataset = train_batches.dataset  # indexed a whole batch at a time
        draws = _DrawsWithReplacement(len(dataset), batch_size, generator)
        train_batches = DataLoader(dataset, sampler=draws, batch_size=None,
                                   generator=generator)

    seed_everything(seed)  # the initial weights depend on the seed alone
    model = make_model()
    if not isinstance(model, nn.Module):
        raise TypeError("make_model() must return an nn.Module, "
                        f"got {type(model).__name__}")
    optimizer = make_optimizer(model.parameters())
    history = fit(model, train_batches, optimizer, epochs=epochs, loss_fn=loss_fn,
                  test_data=test_batches if record_test else None, device=device)
    test_loss, test_accuracy = evaluate(model, test_batches, loss_fn)
    return Run(seed, model, history, test_loss, test_accuracy)


def sweep_seeds(make_model: Callable[[], nn.Module], train_data, test_data, *,
                seeds: Sequence[int], epochs: int,
                make_optimizer: MakeOptimizer = adam(),
                batch_size: int = 32, loss_fn: Callable = nn.functional.cross_entropy,
                device: torch.device | str | None = None, replacement: bool = False,
                keep_models: bool = False, keep_histories: bool = False) -> SweepResult:
    """Train a fresh ``make_model()`` once per seed (:func:`train_once`) and summarise the test accuracies.

    ``make_model`` is called once per seed, right after the seed is set, and
    must build a new model each time; ``make_optimizer(model.parameters())``
    builds its optimiser (Adam with learning rate 0.01 by default). Each
    model is trained for ``epochs`` epochs on ``train_data`` and judged by
    its accuracy on ``test_data`` after the last one. ``keep_models`` keeps
    the trained models in the result; ``keep_histories`` keeps each run's
    :class:`~dlbasics.training.History`, with the test loss and accuracy
    measured after every epoch. ``replacement=True`` draws each epoch's
    points with replacement (see :func:`train_once`).
    """
    _check_functions(make_model, make_optimizer)
    if isinstance(seeds, (int, str)) or not isinstance(seeds, Iterable):
        raise TypeError(f"seeds must be a list of ints such as range(8), got {seeds!r}")
    seeds = [_check_seed(seed) for seed in seeds]
    if not seeds:
        raise ValueError("seeds is empty: give at least one seed")
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds repeat ({seeds}): a repeated seed repeats a run exactly and "
                         "makes the spread look smaller than it is")
    _check_positive("epochs", epochs)

    accuracies, models, histories = [], [], []
    previous = None
    for seed in seeds:
        run = train_once(make_model, train_data, test_data, seed=seed, epochs=epochs,
                         make_optimizer=make_optimizer, batch_size=batch_size, loss_fn=loss_fn,
                         device=device, record_test=keep_histories, replacement=replacement)
        if run.model is previous:
            raise ValueError("make_model() returned the same model twice: it must build a new one "
                             "on each call, e.g. lambda: nn.Sequential(...)")
        previous = run.model
        accuracies.append(run.test_accuracy)
        if keep_models:
            models.append(run.model)
        if keep_histories:
            histories.append(run.history)
    return SweepResult(seeds=seeds, accuracies=accuracies, summary=Summary.of(accuracies),
                       models=models, histories=histories)


def draw_unit_lines(ax, layer: nn.Linear, *, scale: float = 1.0, colors: Sequence[str] | None = None,
                    **style) -> list:
    """Draw, on ``ax``, the line where each unit of ``layer`` switches: ``w1 f1 + w2 f2 + b = 0``.

    ``layer`` is a network's first ``nn.Linear`` on two features, one unit
    (row of ``layer.weight``) per line. ``scale`` is the factor the features
    were divided by before entering the network, so that the lines are drawn
    in the units of the plot. A unit whose weights are all zero has no line
    and is skipped. Returns the drawn lines.
    """
    if not isinstance(layer, nn.Linear) or layer.in_features != 2:
        raise ValueError(f"layer must be an nn.Linear on two features, got {layer!r}")
    weight = layer.weight.detach().cpu().double()
    bias = layer.bias.detach().cpu().double() if layer.bias is not None else torch.zeros(len(weight))
    colors = list(colors) if colors is not None else ["black"] * len(weight)
    style = {"lw": 1.0, "ls": "--", **style}
    lines = []
    for i, (w, b) in enumerate(zip(weight, bias)):
        norm2 = float(w @ w)
        if norm2 == 0:
            continue
        # The point of the line nearest the origin, and the line's direction (w turned by 90 degrees).
        point = (-b * w / norm2 * scale).tolist()
        direction = [-float(w[1]), float(w[0])]
        lines.append(ax.axline(point, (point[0] + direction[0], point[1] + direction[1]),
                               color=colors[i % len(colors)], **style))
    return lines


def plot_sweeps(columns: dict, *, ax=None, title: str | None = None, paired: bool = False,
                reference: dict[str, float] | None = None,
                ylim: tuple[float, float] = (0.3, 1.02)) -> Figure:
    """Draw sweeps side by side: one column per name, one dot per seed, a bar at the mean.

    ``columns`` maps a name to a :class:`SweepResult` or a list of
    accuracies. Within a column the dots are spread out in seed order so that
    equal accuracies stay visible. ``paired=True`` joins the runs of the same
    seed in neighbouring columns with grey lines (the columns must then have
    the same number of runs). ``reference`` draws dotted horizontal lines,
    labelled with their names (for instance the accuracy a single run
    reported). Returns the Figure.
    """
    if not columns:
        raise ValueError("columns is empty: pass {name: sweep_result}")
    values = {name: list(c.accuracies if isinstance(c, SweepResult) else c) for name, c in columns.items()}
    if paired and len({len(v) for v in values.values()}) != 1:
        raise ValueError("paired=True needs the same number of runs in every column")
    if ax is None:
        fig, ax = plt.subplots(figsize=(1.6 * len(values) + 2.2, 3.6))
    else:
        fig = ax.figure
    positions = []
    for x, (name, accuracies) in enumerate(values.items()):
        n = len(accuracies)
        xs = [x + (i - (n - 1) / 2) * (0.4 / max(n - 1, 1)) for i in range(n)]
        positions.append(xs)
        ax.scatter(xs, accuracies, s=28, alpha=0.8, zorder=3)
        mean = sum(accuracies) / n
        ax.hlines(mean, x - 0.3, x + 0.3, color="black", lw=1.5, zorder=4)
    if paired:
        for left in range(len(values) - 1):
            names = list(values)
            for xa, xb, ya, yb in zip(positions[left], positions[left + 1], values[names[left]],
                                      values[names[left + 1]]):
                ax.plot([xa, xb], [ya, yb], color="gray", lw=0.6, zorder=1)
    for label, level in (reference or {}).items():
        ax.axhline(level, color="tab:red", ls=":", lw=1)
        ax.text(-0.55, level - 0.01, label, color="tab:red", fontsize=8, va="top")
    ax.set_xticks(range(len(values)), list(values))
    ax.set_xlim(-0.6, len(values) - 0.4)
    ax.set_ylim(*ylim)
    ax.set_ylabel("test accuracy")
    ax.grid(axis="y", alpha=0.3)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig
