"""MNIST on disk: checksums, clear errors, downloads that never leave half a file, and the tensors.

Most tests make their own small files and stand in for the published
checksums with those of the files they made, so they need neither the real
data nor a network. The tests at the end read the real files in
../shared/data (or DLB_DATA_DIR) where they are present.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
from pathlib import Path

import pytest
import torch

from dlbasics import DataDirError, mnist
from dlbasics.mnist import MNISTData, MNISTError, ensure_mnist, load_mnist, validation_split

ROOT = Path(__file__).resolve().parent.parent


def fake_contents(name: str) -> bytes:
    return f"stand-in for {name}\n".encode() * 10


@pytest.fixture
def fake_checksums(monkeypatch):
    """RAW_FILES describing small stand-in files, so tests can make 'good' files themselves."""
    table = {name: (hashlib.md5(fake_contents(name)).hexdigest(), len(fake_contents(name)))
             for name in mnist.RAW_FILES}
    monkeypatch.setattr(mnist, "RAW_FILES", table)
    return table


def write_good_files(root: Path, names=None) -> Path:
    folder = root / "MNIST" / "raw"
    folder.mkdir(parents=True, exist_ok=True)
    for name in names if names is not None else mnist.RAW_FILES:
        (folder / name).write_bytes(fake_contents(name))
    return folder


def offline(*args, **kwargs):
    raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")


@pytest.fixture
def fake_mirror(monkeypatch):
    """Stand in for torchvision's downloader: ``fake_mirror(write)`` calls ``write(raw_folder)``."""
    monkeypatch.setattr("torchvision.datasets.MNIST._load_data", lambda self: (None, None))

    def install(write):
        def download(self):
            raw = Path(self.raw_folder)
            raw.mkdir(parents=True, exist_ok=True)
            write(raw)
        monkeypatch.setattr("torchvision.datasets.MNIST.download", download)
    return install


def test_complete_good_files_are_accepted_without_download(tmp_path, fake_checksums, monkeypatch):
    folder = write_good_files(tmp_path)
    monkeypatch.setattr(mnist, "download", lambda *a: pytest.fail("nothing is missing: no download"))
    assert ensure_mnist(tmp_path) == folder


def test_missing_files_offline_name_the_folder_the_files_and_where_to_get_them(tmp_path, fake_checksums,
                                                                               monkeypatch):
    write_good_files(tmp_path, ["train-images-idx3-ubyte"])
    monkeypatch.setattr("urllib.request.urlopen", offline)  # torchvision tries each of its mirrors
    with pytest.raises(MNISTError) as err:
        ensure_mnist(tmp_path)
    message = str(err.value)
    folder = tmp_path / "MNIST" / "raw"
    assert f"MNIST is not in {folder}" in message and "could not be downloaded" in message
    for name in ["train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"]:
        assert name in message
    assert "  train-images-idx3-ubyte" not in message  # present files are not called missing
    assert "Error downloading" in message and "without internet" in message and "https://" in message
    assert len(message.splitlines()) < 12
    assert "DLB_DATA_DIR" in message


def test_a_failed_download_leaves_nothing_behind_and_keeps_the_readers_files(tmp_path, fake_checksums,
                                                                             fake_mirror):
    folder = write_good_files(tmp_path, ["train-images-idx3-ubyte"])
    (folder / "notes.txt").write_text("mine")

    def interrupted(raw):  # half of one file written, then the connection drops
        (raw / "train-labels-idx1-ubyte").write_bytes(b"half")
        raise ConnectionResetError("connection reset by peer")

    fake_mirror(interrupted)
    with pytest.raises(MNISTError, match="ConnectionResetError"):
        ensure_mnist(tmp_path)
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt", "train-images-idx3-ubyte"]
    assert sorted(p.name for p in folder.parent.iterdir()) == ["raw"]  # the staging folder is gone
    assert (folder / "notes.txt").read_text() == "mine"


def test_a_download_is_checked_before_it_is_moved_into_place(tmp_path, fake_checksums, fake_mirror):
    folder = write_good_files(tmp_path, ["train-images-idx3-ubyte"])

    def corrupt_mirror(raw):
        for name in mnist.RAW_FILES:
            (raw / name).write_bytes(b"garbage from a broken mirror")

    fake_mirror(corrupt_mirror)
    with pytest.raises(MNISTError, match="its MD5 is"):
        ensure_mnist(tmp_path)
    assert [p.name for p in folder.iterdir()] == ["train-images-idx3-ubyte"]
    assert sorted(p.name for p in folder.parent.iterdir()) == ["raw"]


def test_a_good_download_fills_in_only_the_missing_files(tmp_path, fake_checksums, fake_mirror):
    folder = write_good_files(tmp_path, ["t10k-labels-idx1-ubyte"])
    before = (folder / "t10k-labels-idx1-ubyte").stat().st_mtime_ns
    fake_mirror(lambda raw: write_good_files(raw.parent.parent))
    assert ensure_mnist(tmp_path) == folder
    assert sorted(p.name for p in folder.iterdir()) == sorted(mnist.RAW_FILES)
    assert (folder / "t10k-labels-idx1-ubyte").stat().st_mtime_ns == before
    assert sorted(p.name for p in folder.parent.iterdir()) == ["raw"]


@pytest.mark.parametrize("damage, word", [(lambda b: b[: len(b) // 2], "truncated"),
                                          (lambda b: b[:-1] + b"X", "damaged")])
def test_a_corrupt_file_is_named_with_both_checksums_and_left_alone(tmp_path, fake_checksums, damage, word):
    folder = write_good_files(tmp_path)
    bad = folder / "t10k-images-idx3-ubyte"
    bad.write_bytes(damage(bad.read_bytes()))
    content = bad.read_bytes()
    with pytest.raises(MNISTError) as err:
        ensure_mnist(tmp_path)
    message = str(err.value)
    expected_md5, expected_size = fake_checksums[bad.name]
    assert str(bad) in message and word in message
    assert expected_md5 in message and hashlib.md5(content).hexdigest() in message
    assert f"{expected_size:,}" in message and "delete" in message.lower()
    assert bad.read_bytes() == content  # not deleted, not replaced


def test_downloads_can_be_refused(tmp_path, fake_checksums, monkeypatch):
    monkeypatch.setattr(mnist, "download", lambda *a: pytest.fail("downloads are off"))
    with pytest.raises(MNISTError, match="downloads are off"):
        ensure_mnist(tmp_path, allow_download=False)
    assert not (tmp_path / "MNIST" / "raw").exists() or not any((tmp_path / "MNIST" / "raw").iterdir())


def test_a_relative_or_missing_data_dir_is_refused_before_anything_is_written(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DLB_DATA_DIR", "data")
    with pytest.raises(DataDirError, match="absolute path"):
        load_mnist()
    monkeypatch.setenv("DLB_DATA_DIR", str(tmp_path / "missing"))
    with pytest.raises(DataDirError, match="does not exist"):
        load_mnist()
    assert list(tmp_path.iterdir()) == []


def test_only_the_two_sizes_are_offered(tmp_path):
    with pytest.raises(ValueError, match="size must be 28"):
        load_mnist(tmp_path, size=30)


# --- the real files -------------------------------------------------------------

def real_data_dir() -> Path | None:
    for candidate in [os.environ.get("DLB_DATA_DIR", ""), str(ROOT.parent / "shared" / "data")]:
        if candidate and (Path(candidate) / "MNIST" / "raw" / "train-images-idx3-ubyte").is_file():
            return Path(candidate)
    return None


needs_real_data = pytest.mark.skipif(real_data_dir() is None,
                                     reason="the real MNIST files are not on this machine")


@needs_real_data
def test_the_real_files_pass_their_published_checksums():
    assert ensure_mnist(real_data_dir(), allow_download=False).is_dir()


@needs_real_data
def test_the_real_data_as_tensors():
    data = load_mnist(real_data_dir(), allow_download=False)
    assert data.train.images.shape == (60_000, 1, 28, 28) and data.test.images.shape == (10_000, 1, 28, 28)
    assert data.train.images.dtype == torch.float32 and data.train.labels.dtype == torch.int64
    assert data.train.images.min() == 0 and data.train.images.max() == 1
    assert sorted(data.test.labels.unique().tolist()) == list(range(10))
    counts = data.train.labels.bincount()
    assert counts.min() > 5000 and counts.sum() == 60_000


@needs_real_data
def test_size_32_pads_with_black_and_keeps_every_pixel():
    small = load_mnist(real_data_dir(), allow_download=False)
    large = load_mnist(real_data_dir(), size=32, allow_download=False)
    assert large.test.images.shape == (10_000, 1, 32, 32)
    assert torch.equal(large.test.images[:, :, 2:30, 2:30], small.test.images)
    border = large.test.images.clone()
    border[:, :, 2:30, 2:30] = 0
    assert border.abs().sum() == 0
    assert torch.equal(large.test.labels, small.test.labels)


def small_split(n=12):
    images = torch.arange(n, dtype=torch.float32).reshape(n, 1, 1, 1).expand(n, 1, 2, 2).clone()
    return MNISTData(images, torch.arange(n) % 10)


def test_validation_split_holds_out_the_last_digits_and_keeps_every_one():
    train, validation = validation_split(small_split(12), size=4)
    assert train.labels.tolist() == list(range(8)) and validation.labels.tolist() == [8, 9, 0, 1]
    assert train.images.shape == (8, 1, 2, 2) and validation.images.shape == (4, 1, 2, 2)
    assert torch.equal(torch.cat([train.images, validation.images]), small_split(12).images)


@pytest.mark.parametrize("size", [0, 12, 13, -1, 2.5, True])
def test_validation_split_refuses_sizes_that_leave_nothing_on_one_side(size):
    with pytest.raises(ValueError, match="between 1 and 11"):
        validation_split(small_split(12), size=size)


@needs_real_data
def test_the_real_validation_split_is_the_classic_50000_and_10000():
    data = load_mnist(real_data_dir(), allow_download=False)
    train, validation = validation_split(data.train)
    assert len(train.labels) == 50_000 and len(validation.labels) == 10_000
    assert torch.equal(validation.images, data.train.images[50_000:])
    assert validation.labels.bincount(minlength=10).min() > 800  # every digit is there
