"""Benchmark: the course's LeNet-5 pipeline and the book's, trained one after the other in one run.

    python tools/bench_mnist.py [--seeds 3]     (or: make bench-mnist)

The course reads MNIST image by image through a ``DataLoader`` with 8 worker
processes, turns every image into a PIL image, resizes it to 32x32 and
converts it back to a tensor, in every epoch (batch 256, Adam with learning
rate 2e-3, 4 epochs). The book loads the files once into one tensor padded
to 32x32 (:func:`dlbasics.mnist.load_mnist`) and trains with
``LENET5_RECIPE`` (:mod:`dlbasics.recipes`), as chapter 890 does. Both train
the same :class:`dlbasics.models.LeNet5` with the book's one training loop,
which also accepts a ``DataLoader``; each wall time starts before the data
is opened and ends after the test accuracy is measured.

The course's pipeline runs once (seed 0), the book's once per seed. Printed:
the CPU's model and vector extensions (they decide how fast the
convolutions run), every run's time and test accuracy, the book's mean and
spread over the seeds, and whether the book meets its two targets: a mean
test accuracy of at least 99.0%, and every seed in at most a fifth of the
course pipeline's time. Exits with 1 if a target is missed. Needs the MNIST
files (``DLB_DATA_DIR``).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
import warnings
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from dlbasics import data_dir, get_device, seed_everything
from dlbasics.mnist import ensure_mnist, load_mnist
from dlbasics.models import LeNet5
from dlbasics.recipes import LENET5_RECIPE, train_classifier
from dlbasics.training import evaluate, fit

COURSE = {"workers": 8, "batch_size": 256, "lr": 2e-3, "epochs": 4}
TARGET_ACCURACY = 0.99  # the book's mean test accuracy over the seeds
TARGET_RATIO = 1 / 5    # the book's time per seed against the course pipeline's
VECTOR_FLAGS = ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile")


def cpu_description() -> tuple[str, list[str]]:
    """The CPU's model name and which vector extensions of VECTOR_FLAGS it has (from /proc/cpuinfo)."""
    model, flags = "", set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and not model:
                model = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = set(value.split())
    except OSError:
        pass
    return model or platform.processor() or platform.machine(), [f for f in VECTOR_FLAGS if f in flags]


def course_pipeline(root, device) -> float:
    """The course's LeNet-5 run; returns its test accuracy."""
    from torchvision import datasets, transforms

    per_image = transforms.Compose([transforms.Resize(32), transforms.ToTensor()])

    def loader(train: bool) -> DataLoader:
        split = datasets.MNIST(str(root), train=train, download=False, transform=per_image)
        return DataLoader(split, batch_size=COURSE["batch_size"], shuffle=train,
                          num_workers=COURSE["workers"])

    model = LeNet5()
    optimizer = torch.optim.Adam(model.parameters(), lr=COURSE["lr"])
    fit(model, loader(True), optimizer, epochs=COURSE["epochs"], device=device, log_every=1,
        progress=False)
    return evaluate(model, loader(False))[1]


def book_pipeline(root, device) -> float:
    """The book's LeNet-5 run (chapter 890); returns its test accuracy."""
    data = load_mnist(root, size=32)
    model = LeNet5()
    train_classifier(model, data.train.to(device), LENET5_RECIPE, device=device, log_every=0,
                     progress=False)
    return evaluate(model, data.test.to(device))[1]


def timed(run, root, device, seed: int) -> tuple[float, float]:
    seed_everything(seed)
    start = time.perf_counter()
    accuracy = run(root, device)
    return time.perf_counter() - start, accuracy


def met(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds of the book's pipeline (at least 3)")
    args = parser.parse_args(argv)
    if args.seeds < 3:
        parser.error("the targets are means over 3 or more seeds")
    root = data_dir()
    ensure_mnist(root)  # fail now, with the loader's message, if the files are missing or damaged
    device = get_device()
    model, extensions = cpu_description()
    print(f"LeNet-5 on MNIST, {device}, {os.cpu_count()} CPU cores, {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}, Python {platform.python_version()}")
    print(f"CPU: {model}; vector extensions: {' '.join(extensions) or 'none of ' + ' '.join(VECTOR_FLAGS)}; "
          f"PyTorch's CPU code path: {torch.backends.cpu.get_cpu_capability()}")
    print(f"course: DataLoader with {COURSE['workers']} workers, Resize(32) + ToTensor per image, "
          f"batch {COURSE['batch_size']}, Adam {COURSE['lr']:g}, {COURSE['epochs']} epochs, seed 0")
    print(f"book:   tensors in memory, padded once to 32x32, {LENET5_RECIPE}, seeds 0 to {args.seeds - 1}")

    print("\nThe course's pipeline, seed 0", flush=True)
    with warnings.catch_warnings():  # PyTorch warns that 8 workers exceed this machine's cores
        warnings.filterwarnings("ignore", message=".*worker processes in total.*")
        course_seconds, course_accuracy = timed(course_pipeline, root, device, 0)
    print(f"  {course_seconds:.1f} s, test accuracy {course_accuracy:.2%}", flush=True)

    print("\nThe book's pipeline", flush=True)
    runs = []
    for seed in range(args.seeds):
        runs.append(timed(book_pipeline, root, device, seed))
        print(f"  seed {seed}: {runs[-1][0]:.1f} s, test accuracy {runs[-1][1]:.2%}", flush=True)
    seconds = [s for s, _ in runs]
    accuracies = [a for _, a in runs]
    mean_accuracy = statistics.mean(accuracies)
    budget = TARGET_RATIO * course_seconds

    print(f"\n{'':28s}{'wall time':>12s}{'test accuracy':>16s}")
    print(f"{'course pipeline, seed 0':28s}{course_seconds:11.1f}s{course_accuracy:16.2%}")
    for seed, (took, accuracy) in enumerate(runs):
        print(f"{f'book pipeline, seed {seed}':28s}{took:11.1f}s{accuracy:16.2%}")
    print(f"\nbook, {args.seeds} seeds: mean test accuracy {mean_accuracy:.2%} (standard deviation "
          f"{100 * statistics.stdev(accuracies):.2f} points, from {min(accuracies):.2%} to "
          f"{max(accuracies):.2%}); time per seed {statistics.mean(seconds):.1f} s on average, "
          f"{max(seconds):.1f} s at most")
    print(f"ratio: the book's slowest seed takes {max(seconds) / course_seconds:.2f} of the course's time "
          f"(the mean seed {statistics.mean(seconds) / course_seconds:.2f}, "
          f"{course_seconds / statistics.mean(seconds):.1f} times faster)")
    accuracy_ok = mean_accuracy >= TARGET_ACCURACY
    time_ok = max(seconds) <= budget
    print(f"target 1, mean test accuracy at least {TARGET_ACCURACY:.1%}: {met(accuracy_ok)}")
    print(f"target 2, every seed within 1/{1 / TARGET_RATIO:.0f} of the course's time "
          f"({budget:.1f} s): {met(time_ok)}")
    return 0 if accuracy_ok and time_ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
