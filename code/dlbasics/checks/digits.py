"""Checks for the exercises of chapter 810: looking at MNIST.

Expected answers are computed from the data set itself (loaded once and kept
for the checks that follow), never typed in.
"""

from __future__ import annotations

import functools
import math

import torch

from dlbasics.checks.core import CheckResult, compare_tensors, describe_type
from dlbasics.mnist import MNISTSplits, load_mnist

TRAINING_IMAGES = 60_000


@functools.lru_cache(maxsize=1)
def _mnist() -> MNISTSplits:
    return load_mnist()


def check_810_counts(test_counts) -> CheckResult:
    """``test_counts``: how many test images show each digit 0 to 9, a tensor of 10 numbers."""
    labels = _mnist().test.labels
    expected = labels.bincount(minlength=10)
    if isinstance(test_counts, torch.Tensor) and test_counts.numel() == 1:
        return CheckResult(False, "test_counts is a single number; count every digit: "
                                  "labels.bincount(minlength=10) gives all ten counts at once")
    result = compare_tensors(test_counts, expected, name="test_counts", atol=0, rtol=0)
    if (not result.ok and isinstance(test_counts, torch.Tensor) and test_counts.shape == expected.shape
            and torch.equal(test_counts.cpu().long(), _mnist().train.labels.bincount(minlength=10))):
        return CheckResult(False, "test_counts holds the counts of the training set; count the test labels")
    return result


def check_810_mean_seven(mean_seven) -> CheckResult:
    """``mean_seven``: the pixel-wise mean of all test images of the digit 7, shape (1, 28, 28)."""
    images, labels = _mnist().test
    expected = images[labels == 7].mean(dim=0)
    if isinstance(mean_seven, torch.Tensor) and mean_seven.shape == expected.shape:
        if torch.allclose(mean_seven.detach().cpu().float(), _mnist().train.images[
                _mnist().train.labels == 7].mean(dim=0), atol=1e-5):
            return CheckResult(False, "mean_seven is the mean of the training sevens; use the test set")
        if torch.allclose(mean_seven.detach().cpu().float(), images.mean(dim=0), atol=1e-5):
            return CheckResult(False, "mean_seven is the mean of all test images; keep only those whose "
                                      "label is 7: images[labels == 7]")
    return compare_tensors(mean_seven, expected, name="mean_seven", atol=1e-5)


def check_810_steps(steps, batch_size: int = 128) -> CheckResult:
    """``steps``: how many mini-batches of ``batch_size`` one epoch over the training set takes."""
    expected = math.ceil(TRAINING_IMAGES / batch_size)
    if isinstance(steps, torch.Tensor) and steps.numel() == 1:
        steps = steps.item()
    if isinstance(steps, bool) or not isinstance(steps, (int, float)):
        return CheckResult(False, f"steps is a {describe_type(steps)}; a whole number is expected")
    if steps != int(steps):
        return CheckResult(False, f"steps is {steps}, not a whole number: a step is one whole mini-batch "
                                  "(round up: math.ceil)")
    steps = int(steps)
    if steps == expected:
        return CheckResult(True, f"{steps} steps: {expected - 1} full batches and one of "
                                 f"{TRAINING_IMAGES - (expected - 1) * batch_size} images")
    if steps == TRAINING_IMAGES // batch_size:
        return CheckResult(False, f"{steps} counts only the full batches; the images left over make one "
                                  "more, smaller batch")
    return CheckResult(False, f"{steps} steps of {batch_size} images do not cover the {TRAINING_IMAGES:,} "
                              "training images exactly once")
