"""MNIST: checked on disk, then held in memory as one tensor per split.

The four original files live in the data folder (:func:`dlbasics.data_dir`)
in torchvision's layout, ``MNIST/raw/<name>``. Before anything reads them,
each is checked against its published MD5 sum, so a truncated download or a
damaged copy is named and never trained on. Files that are missing are
downloaded through ``torchvision.datasets.MNIST`` into a staging folder, and
moved into place only after their checksums match: an interrupted download
leaves nothing behind that a later run could take for good data. Nothing a
reader put into the folder is ever deleted or overwritten.

Once checked, a split is read through ``torchvision.datasets.MNIST`` and
kept as one float tensor ``(N, 1, H, W)`` with pixel values in [0, 1] and
one label tensor ``(N,)``: a training epoch then slices batches out of a
shuffled index (:func:`dlbasics.training.as_loader`) with no per-image work.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path
from typing import NamedTuple

import torch
import torch.nn.functional as F

from dlbasics.paths import data_dir

# The uncompressed originals: name -> (MD5, size in bytes).
RAW_FILES = {
    "train-images-idx3-ubyte": ("6bbc9ace898e44ae57da46a324031adb", 47_040_016),
    "train-labels-idx1-ubyte": ("a25bea736e30d166cdddb491f175f624", 60_008),
    "t10k-images-idx3-ubyte": ("2646ac647ad5339dbf082846283269ea", 7_840_016),
    "t10k-labels-idx1-ubyte": ("27ae3e4e09519cfbb04c329615203637", 10_008),
}
MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"  # torchvision's copy, each file gzipped
CLASSES = tuple(range(10))


class MNISTError(RuntimeError):
    """MNIST cannot be used: files missing and not downloadable, or a file damaged."""


class MNISTData(NamedTuple):
    """One split: ``images`` (N, 1, H, W) float32 in [0, 1] and ``labels`` (N,) int64."""

    images: torch.Tensor
    labels: torch.Tensor

    def to(self, device) -> "MNISTData":
        """The same split on ``device`` (a GPU keeps the whole of MNIST in its memory)."""
        return MNISTData(self.images.to(device), self.labels.to(device))


class MNISTSplits(NamedTuple):
    """The 60,000 training and the 10,000 test digits."""

    train: MNISTData
    test: MNISTData


def raw_folder(root: Path | None = None) -> Path:
    """Where the four files live: ``<data folder>/MNIST/raw``."""
    return Path(root if root is not None else data_dir()) / "MNIST" / "raw"


def md5sum(path: Path) -> str:
    digest = hashlib.md5()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_file(path: Path) -> None:
    """Raise :class:`MNISTError` unless ``path`` is the original file of that name."""
    expected_md5, expected_size = RAW_FILES[path.name]
    size = path.stat().st_size
    actual = md5sum(path)
    if actual == expected_md5:
        return
    what = ("truncated" if size < expected_size else "damaged") + f" ({size:,} bytes; the original has {expected_size:,})"
    raise MNISTError(
        f"{path} is {what}: its MD5 is {actual}, the original's is {expected_md5}.\n"
        f"Nothing was changed. Move or delete that file and run again to download it, "
        f"or replace it with a good copy: {MIRROR}{path.name}.gz, unpacked with gunzip."
    )


def _missing_message(folder: Path, missing: list[str], reason: BaseException) -> str:
    names = "\n".join(f"  {name}" for name in missing)
    cause = (str(reason).strip().splitlines() or [""])[0]  # torchvision lists every mirror it tried
    return (
        f"MNIST is not in {folder} and could not be downloaded "
        f"({type(reason).__name__}: {cause}).\n"
        f"Missing files:\n{names}\n"
        f"On a machine without internet, copy the four files into that folder, or set DLB_DATA_DIR "
        f"to the absolute path of a folder that holds MNIST/raw/ with them. They are at {MIRROR} "
        f"(torchvision's mirror), gzipped: unpack each with gunzip."
    )


def download(root: Path, missing: list[str]) -> None:
    """Fetch the missing files through torchvision into a staging folder, check them, move them in.

    The staging folder is a fresh temporary folder next to ``MNIST/raw`` and
    is always removed afterwards; only files that passed their checksum are
    moved into ``raw``, and only under names that are not there yet.
    """
    from torchvision.datasets import MNIST

    folder = raw_folder(root)
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".download-", dir=folder.parent))
    try:
        try:
            MNIST(root=str(staging), train=True, download=True)  # fetches all four files
        except Exception as err:  # offline, a proxy, a mirror down: all the same to a reader
            raise MNISTError(_missing_message(folder, missing, err)) from err
        for name in missing:
            fetched = staging / "MNIST" / "raw" / name
            check_file(fetched)
            target = folder / name
            if not target.exists():  # never replace what a reader put there meanwhile
                fetched.replace(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def ensure_mnist(root: Path | None = None, *, allow_download: bool = True) -> Path:
    """The folder holding the four checked MNIST files, downloading those that are missing.

    ``root`` is the data folder (default :func:`dlbasics.data_dir`). A file
    that is present but does not match its checksum is an error, never
    replaced; files that are missing are downloaded unless
    ``allow_download`` is False. Returns ``<root>/MNIST/raw``.
    """
    root = Path(root) if root is not None else data_dir()
    folder = raw_folder(root)
    present = [name for name in RAW_FILES if (folder / name).is_file()]
    for name in present:
        check_file(folder / name)
    missing = [name for name in RAW_FILES if name not in present]
    if missing:
        if not allow_download:
            raise MNISTError(_missing_message(folder, missing, FileNotFoundError("downloads are off")))
        download(root, missing)
    return folder


VALIDATION_SIZE = 10_000


def validation_split(train: MNISTData, size: int = VALIDATION_SIZE) -> tuple[MNISTData, MNISTData]:
    """The training split cut in two: the digits to train on, and the last ``size`` to validate on.

    A model's settings (learning rate, epochs, size) are chosen by how well
    it does on the validation digits, which it never trains on, so that the
    test set is looked at only once, at the end. The cut is fixed (the last
    ``size`` digits, as in the classic 50,000 / 10,000 split), so every
    chapter and script holds out the same digits.
    """
    if isinstance(size, bool) or not isinstance(size, int) or not 0 < size < len(train.labels):
        raise ValueError(f"size must be an int between 1 and {len(train.labels) - 1} (the digits to "
                         f"hold out of {len(train.labels)}), got {size!r}")
    keep = len(train.labels) - size
    return (MNISTData(train.images[:keep], train.labels[:keep]),
            MNISTData(train.images[keep:], train.labels[keep:]))


def _read_split(root: Path, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    from torchvision.datasets import MNIST

    dataset = MNIST(root=str(root), train=train, download=False)
    return dataset.data, dataset.targets


def load_mnist(root: Path | None = None, *, size: int = 28, allow_download: bool = True) -> MNISTSplits:
    """The MNIST training and test sets as tensors, checked against their MD5 sums first.

    Images come as float32 ``(N, 1, size, size)`` with pixel values in [0, 1];
    labels as int64 ``(N,)``. ``size=32`` pads every 28x28 digit with a
    2-pixel black border, the 32x32 input of LeNet-5, without resampling it.
    """
    if size not in (28, 32):
        raise ValueError(f"size must be 28 (the original digits) or 32 (padded for LeNet-5), got {size!r}")
    root = Path(root) if root is not None else data_dir()
    ensure_mnist(root, allow_download=allow_download)
    splits = []
    for train in (True, False):
        pixels, labels = _read_split(root, train)
        if size == 32:  # pad the bytes, a quarter of the floats' memory, then convert once
            pixels = F.pad(pixels, (2, 2, 2, 2))
        images = pixels.unsqueeze(1).float().div_(255)
        splits.append(MNISTData(images, labels.long()))
    return MNISTSplits(*splits)
