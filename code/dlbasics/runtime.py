"""Reproducibility and hardware: what every chapter sets up in its first cell."""

from __future__ import annotations

import os
import random

import numpy as np
import torch

DEVICE_ENV_VAR = "DLB_DEVICE"


def seed_everything(seed: int = 0) -> None:
    """Seed every random number generator a chapter may touch.

    Python's :mod:`random`, NumPy's global generator and PyTorch's (on the
    CPU and on every GPU) all start from ``seed``, and cuDNN is told to pick
    deterministic algorithms, so two runs of a chapter print the same numbers.
    A GPU and a CPU still draw different streams: numbers printed in the book
    come from the CPU. Returns nothing, so a cell that ends with it prints
    nothing.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA device
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


def get_device(name: str | None = None) -> torch.device:
    """The device to compute on: CUDA when there is a GPU, else the CPU.

    ``name`` (or the environment variable ``DLB_DEVICE``) forces a choice,
    for example ``"cpu"`` to reproduce the book's printed numbers on a
    machine that has a GPU. Asking for CUDA where there is none is an error
    rather than a silent fall-back, so a reader knows what actually ran.
    """
    requested = name if name is not None else os.environ.get(DEVICE_ENV_VAR, "")
    if not requested:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(requested)
    except RuntimeError as err:
        raise ValueError(
            f"{requested!r} is not a device name: use 'cpu', 'cuda' or 'cuda:N'"
            + (f" (check {DEVICE_ENV_VAR})" if name is None else "")
        ) from err
    if device.type == "cuda" and not torch.cuda.is_available():
        raise RuntimeError(
            f"device {requested!r} was asked for, but PyTorch sees no CUDA GPU here; "
            f"use 'cpu'" + (f" or unset {DEVICE_ENV_VAR}" if name is None else "")
        )
    return device
