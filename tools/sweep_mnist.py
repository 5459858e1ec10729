"""The seeds and settings behind part 8's recipes and claims, measured on the CPU.

    python tools/sweep_mnist.py choose   # pick each recipe on the validation digits
    python tools/sweep_mnist.py lenet5   # LENET5_RECIPE over ten seeds, on the test set
    python tools/sweep_mnist.py depth    # chapter 870's two and seven layers, ten paired seeds

Each part adds its results to ``tools/mnist_sweep.json`` (the other parts'
stay), with where and how it ran: CPU model, vector extensions, PyTorch
version, one thread, the date. A chapter build cannot afford these runs
(each chapter has about a minute); the chapters read the file and quote it,
and ``tests/test_mnist_sweep.py`` re-runs a sample to check it.

``choose`` holds out the last 10,000 training digits
(:func:`dlbasics.mnist.validation_split`), trains every candidate recipe on
the other 50,000 with seeds 0, 1 and 2, and keeps, for each model, the
candidate with the highest mean validation accuracy; means within TIE (0.05
percentage points) of the best count as a tie, which goes to the smallest
learning rate (candidates already in the file, on the same platform, are
not trained again). The seven-layer network of chapter 870 gets its own
rate this way too. The test set is not
read. ``lenet5`` and ``depth`` then train on all 60,000 training digits, as
the chapters do, exactly as chapters 890 and 870 train seed 0, and measure
the test set once per run.

Every run computes on one thread, as a chapter's kernel does in the book's
build, so seed 0 of this file is the chapter's own run.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import sys
import time
from pathlib import Path

import torch

from bench_mnist import cpu_description  # tools/, next to this script
from dlbasics import seed_everything
from dlbasics.mnist import load_mnist, validation_split
from dlbasics.models import ImageMLP, LeNet5
from dlbasics.recipes import (LENET5_RECIPE, ONE_HIDDEN_LAYER_RECIPE, SEVEN_LAYERS_RECIPE, Recipe,
                              train_classifier)
from dlbasics.training import evaluate

RESULTS = Path(__file__).resolve().parent / "mnist_sweep.json"
CHOICE_SEEDS = (0, 1, 2)
TEST_SEEDS = tuple(range(10))
TWO_LAYERS = [784, 256, 10]  # chapter 870's two networks
SEVEN_LAYERS = [784, 256, 256, 128, 128, 64, 64, 10]

# What `choose` tries: a handful of settings per model, around the book's first guesses.
# A rate that wins at the end of its range gets a neighbour beyond it: the grids below
# began as three rates each, and grew where the best one lay at an end.
CANDIDATES = {
    "softmax_regression": [Recipe(epochs=5, batch_size=256, lr=lr, decay=0.5)
                           for lr in (3e-3, 1e-2, 3e-2, 1e-1)],
    "one_hidden_layer": [Recipe(epochs=5, batch_size=256, lr=lr, decay=0.6)
                         for lr in (2e-3, 5e-3, 1e-2, 2e-2)],
    "seven_layers": [Recipe(epochs=5, batch_size=256, lr=lr, decay=0.6)
                     for lr in (1e-3, 2e-3, 5e-3, 1e-2)],
    "lenet5": [Recipe(epochs=4, batch_size=128, lr=3e-3, decay=0.6)]
    + [Recipe(epochs=3, batch_size=256, lr=lr, schedule="one-cycle")
       for lr in (5e-3, 1e-2, 2e-2, 4e-2, 8e-2)],
}
# Means within this much of the best count as a tie, and the tie goes to the smallest rate:
# seeds move a mean by about that much, and a smaller rate is further from the rates at
# which training breaks down (LeNet-5 at 0.08).
TIE = 0.0005


def platform_record() -> dict:
    model, extensions = cpu_description()
    return {"cpu": {"model": model, "vector_extensions": extensions}, "torch": torch.__version__,
            "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(), "threads": 1,
            "python": platform.python_version(), "date": datetime.date.today().isoformat()}


def make_model(name: str) -> torch.nn.Module:
    return {"softmax_regression": lambda: ImageMLP([784, 10]),
            "one_hidden_layer": lambda: ImageMLP(TWO_LAYERS),
            "seven_layers": lambda: ImageMLP(SEVEN_LAYERS),
            "lenet5": LeNet5}[name]()


def trained(name: str, recipe: Recipe, train, seed: int) -> tuple[torch.nn.Module, object, float]:
    """A fresh model trained as the chapters train it: seed, build, train_classifier; and its seconds."""
    seed_everything(seed)
    model = make_model(name)
    start = time.perf_counter()
    history = train_classifier(model, train, recipe, log_every=0, device="cpu", progress=False)
    return model, history, time.perf_counter() - start


def lenet5_run(seed: int, data=None) -> tuple[float, float]:
    """Test accuracy and training seconds of LENET5_RECIPE with ``seed``, as chapter 890 trains it."""
    data = data if data is not None else load_mnist(size=32)
    model, _, seconds = trained("lenet5", LENET5_RECIPE, data.train, seed)
    return evaluate(model, data.test)[1], seconds


def chosen_row(candidates: list[Recipe], rows: list[dict]) -> dict:
    """The row with the best mean validation accuracy; of those within TIE of it, the smallest rate's."""
    best = max(row["mean"] for row in rows)
    tied = [(recipe.lr, i) for i, (recipe, row) in enumerate(zip(candidates, rows)) if row["mean"] >= best - TIE]
    return rows[min(tied)[1]]


def choose(previous: dict | None = None) -> dict:
    """Every candidate's validation accuracies; candidates measured before (same seeds) are kept."""
    known, here = {}, platform_record()
    if (previous and previous.get("seeds") == list(CHOICE_SEEDS)
            and all(previous["platform"][key] == here[key] for key in ("cpu", "torch", "threads"))):
        known = {(name, row["recipe"]): row for name, model in previous["models"].items()
                 for row in model["candidates"]}
    result = {}
    for name, candidates in CANDIDATES.items():
        data = load_mnist(size=32 if name == "lenet5" else 28)
        train, validation = validation_split(data.train)
        rows = []
        for recipe in candidates:
            if (name, repr(recipe)) in known:
                rows.append(known[name, repr(recipe)])
                print(f"{name:19s} {recipe!r:70s} measured before: {rows[-1]['mean']:.2%}")
                continue
            accuracies = []
            for seed in CHOICE_SEEDS:
                model, _, seconds = trained(name, recipe, train, seed)
                accuracies.append(evaluate(model, validation)[1])
                print(f"{name:19s} {recipe!r:70s} seed {seed}: validation {accuracies[-1]:.2%} "
                      f"({seconds:.0f} s)", flush=True)
            rows.append({"recipe": repr(recipe), "validation_accuracy": accuracies,
                         "mean": sum(accuracies) / len(accuracies)})
        best = chosen_row(candidates, rows)
        print(f"{name}: chosen {best['recipe']}, mean validation accuracy {best['mean']:.2%}\n", flush=True)
        result[name] = {"candidates": rows, "chosen": best["recipe"]}
    return {"seeds": list(CHOICE_SEEDS), "train_digits": 50_000, "validation_digits": 10_000,
            "tie": TIE, "models": result}


def lenet5() -> dict:
    data = load_mnist(size=32)
    accuracies, seconds = [], []
    for seed in TEST_SEEDS:
        accuracy, took = lenet5_run(seed, data)
        accuracies.append(accuracy)
        seconds.append(took)
        print(f"LeNet-5 seed {seed}: test accuracy {accuracy:.2%} ({took:.1f} s)", flush=True)
    return {"recipe": repr(LENET5_RECIPE), "seeds": list(TEST_SEEDS), "test_accuracy": accuracies,
            "seconds": seconds}


def depth_run(sizes, seed: int, data, recipe: Recipe) -> dict:
    """Chapter 870's train_and_time: seed, ImageMLP(sizes), the recipe, the full training set."""
    seed_everything(seed)
    model = ImageMLP(sizes)
    history = train_classifier(model, data.train, recipe, test_data=data.test,
                               log_every=0, device="cpu", progress=False)
    return {"train_loss": history.train_loss, "train_accuracy": history.train_accuracy,
            "test_loss": history.test_loss, "test_accuracy": history.test_accuracy}


def depth() -> dict:
    data = load_mnist()
    networks = {"two_layers": (TWO_LAYERS, ONE_HIDDEN_LAYER_RECIPE),
                "seven_layers": (SEVEN_LAYERS, ONE_HIDDEN_LAYER_RECIPE),
                "seven_layers_own_recipe": (SEVEN_LAYERS, SEVEN_LAYERS_RECIPE)}
    runs = {name: [] for name in networks}
    for seed in TEST_SEEDS:
        for name, (sizes, recipe) in networks.items():
            runs[name].append(depth_run(sizes, seed, data, recipe))
        print(f"seed {seed}: " + "; ".join(
            f"{name} test accuracy {run[-1]['test_accuracy'][-1]:.2%}, train loss "
            f"{run[-1]['train_loss'][-1]:.4f}, test loss {run[-1]['test_loss'][-1]:.4f}"
            for name, run in runs.items()), flush=True)
    return {"recipe": repr(ONE_HIDDEN_LAYER_RECIPE), "seven_layers_recipe": repr(SEVEN_LAYERS_RECIPE),
            "two_layers_sizes": TWO_LAYERS, "seven_layers_sizes": SEVEN_LAYERS,
            "seeds": list(TEST_SEEDS), **runs}


PARTS = {"choose": choose, "lenet5": lenet5, "depth": depth}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("parts", nargs="+", choices=sorted(PARTS))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for part in args.parts:
        start = time.perf_counter()
        record = PARTS[part](results.get(part)) if part == "choose" else PARTS[part]()
        record["platform"] = platform_record()
        record["command"] = f"python tools/sweep_mnist.py {part}"
        record["minutes"] = round((time.perf_counter() - start) / 60, 1)
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}  # others' parts, as now
        results[part] = record
        RESULTS.write_text(json.dumps(results, indent=1) + "\n")
        print(f"{part}: written to {RESULTS}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
