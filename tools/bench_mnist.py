"""Benchmark: the course's LeNet-5 pipeline and the book's, trained one after the other in one run.

    python tools/bench_mnist.py          (or: make bench-mnist)

The course reads MNIST image by image through a ``DataLoader`` with 8 worker
processes, turns every image into a PIL image, resizes it to 32x32 and
converts it back to a tensor, in every epoch (batch 256, Adam with learning
rate 2e-3, 4 epochs). The book loads the files once into one tensor padded
to 32x32 (:func:`dlbasics.mnist.load_mnist`) and trains with
``LENET5_RECIPE`` (:mod:`dlbasics.recipes`), as chapter 890 does. Both train
the same :class:`dlbasics.models.LeNet5` with the book's one training loop,
which also accepts a ``DataLoader``; each wall time starts before the data
is opened and ends after the test accuracy is measured. Prints both, and the
ratio of the two times. Needs the MNIST files (``DLB_DATA_DIR``).
"""

from __future__ import annotations

import os
import platform
import time
import warnings

import torch
from torch.utils.data import DataLoader

from dlbasics import data_dir, get_device, seed_everything
from dlbasics.mnist import ensure_mnist, load_mnist
from dlbasics.models import LeNet5
from dlbasics.recipes import LENET5_RECIPE, train_classifier
from dlbasics.training import evaluate, fit

COURSE = {"workers": 8, "batch_size": 256, "lr": 2e-3, "epochs": 4}


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
    train_classifier(model, data.train.to(device), LENET5_RECIPE, device=device, progress=False)
    return evaluate(model, data.test.to(device))[1]


def timed(name: str, run, root, device) -> tuple[float, float]:
    print(f"\n{name}", flush=True)
    seed_everything(0)
    start = time.perf_counter()
    accuracy = run(root, device)
    seconds = time.perf_counter() - start
    print(f"  {seconds:.1f} s, test accuracy {accuracy:.2%}", flush=True)
    return seconds, accuracy


def main() -> int:
    root = data_dir()
    ensure_mnist(root)  # fail now, with the loader's message, if the files are missing or damaged
    device = get_device()
    print(f"LeNet-5 on MNIST, {device}, {os.cpu_count()} CPU cores, torch {torch.__version__}, "
          f"Python {platform.python_version()}")
    print(f"course: DataLoader with {COURSE['workers']} workers, Resize(32) + ToTensor per image, "
          f"batch {COURSE['batch_size']}, Adam {COURSE['lr']:g}, {COURSE['epochs']} epochs")
    print(f"book:   tensors in memory, padded once to 32x32, {LENET5_RECIPE}")
    with warnings.catch_warnings():  # PyTorch warns that 8 workers exceed this machine's cores
        warnings.filterwarnings("ignore", message=".*worker processes in total.*")
        course_seconds, course_accuracy = timed("The course's pipeline", course_pipeline, root, device)
    book_seconds, book_accuracy = timed("The book's pipeline", book_pipeline, root, device)
    print(f"\n{'':24s}{'wall time':>12s}{'test accuracy':>16s}")
    print(f"{'course pipeline':24s}{course_seconds:11.1f}s{course_accuracy:16.2%}")
    print(f"{'book pipeline':24s}{book_seconds:11.1f}s{book_accuracy:16.2%}")
    print(f"ratio: the book takes {book_seconds / course_seconds:.2f} of the course's time "
          f"({course_seconds / book_seconds:.1f} times faster)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
