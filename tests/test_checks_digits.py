"""The checks of chapter 810 accept the right answers and name each typical mistake."""

from __future__ import annotations

import pytest
import torch

from dlbasics.checks import check_810_counts, check_810_mean_seven, check_810_steps
from test_mnist import needs_real_data, real_data_dir


@pytest.fixture(autouse=True)
def real_mnist(monkeypatch):
    if real_data_dir() is not None:
        monkeypatch.setenv("DLB_DATA_DIR", str(real_data_dir()))


def test_steps_right_and_the_usual_mistakes():
    assert check_810_steps(469)
    assert check_810_steps(torch.tensor(469))
    assert check_810_steps(235, batch_size=256)
    assert "only the full batches" in str(check_810_steps(468))
    assert "not a whole number" in str(check_810_steps(468.75))
    assert "whole number is expected" in str(check_810_steps("469"))
    assert not check_810_steps(470)
    assert not check_810_steps(True)


@needs_real_data
def test_counts_right_and_the_usual_mistakes():
    from dlbasics.mnist import load_mnist
    data = load_mnist(real_data_dir(), allow_download=False)
    right = data.test.labels.bincount(minlength=10)
    assert check_810_counts(right)
    assert "training set" in str(check_810_counts(data.train.labels.bincount(minlength=10)))
    assert "single number" in str(check_810_counts(right.sum()))
    assert not check_810_counts(right.tolist())
    wrong = right.clone()
    wrong[3] += 1
    assert "different values" in str(check_810_counts(wrong))


@needs_real_data
def test_mean_seven_right_and_the_usual_mistakes():
    from dlbasics.mnist import load_mnist
    data = load_mnist(real_data_dir(), allow_download=False)
    images, labels = data.test
    assert check_810_mean_seven(images[labels == 7].mean(dim=0))
    assert "training sevens" in str(check_810_mean_seven(
        data.train.images[data.train.labels == 7].mean(dim=0)))
    assert "all test images" in str(check_810_mean_seven(images.mean(dim=0)))
    assert "shape" in str(check_810_mean_seven(images[labels == 7].mean(dim=0)[0]))
