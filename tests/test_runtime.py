"""Seeding and the device choice."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from dlbasics import get_device, seed_everything


def _draws():
    return random.random(), float(np.random.rand()), torch.rand(3), torch.randn(2, 2)


def test_the_same_seed_gives_the_same_numbers_everywhere():
    seed_everything(123)
    first = _draws()
    seed_everything(123)
    second = _draws()
    assert first[0] == second[0] and first[1] == second[1]
    assert torch.equal(first[2], second[2]) and torch.equal(first[3], second[3])


def test_different_seeds_give_different_numbers():
    seed_everything(1)
    one = torch.rand(5)
    seed_everything(2)
    assert not torch.equal(one, torch.rand(5))


def test_seeding_returns_nothing_so_a_cell_ending_with_it_prints_nothing():
    assert seed_everything(7) is None


@pytest.mark.parametrize("bad", [1.5, "0", None, True])
def test_a_seed_must_be_an_int(bad):
    with pytest.raises(TypeError, match="seed must be an int"):
        seed_everything(bad)


@pytest.mark.parametrize("bad", [-1, 2**32])
def test_a_seed_must_be_in_range(bad):
    with pytest.raises(ValueError, match=r"\[0, 2\*\*32\)"):
        seed_everything(bad)


def test_the_default_device_is_cuda_exactly_when_a_gpu_is_there(monkeypatch):
    monkeypatch.delenv("DLB_DEVICE", raising=False)
    assert get_device().type == ("cuda" if torch.cuda.is_available() else "cpu")


def test_the_cpu_can_always_be_forced(monkeypatch):
    monkeypatch.setenv("DLB_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")
    monkeypatch.delenv("DLB_DEVICE")
    assert get_device("cpu") == torch.device("cpu")


def test_a_bad_device_name_says_what_to_use(monkeypatch):
    monkeypatch.setenv("DLB_DEVICE", "gpu please")
    with pytest.raises(ValueError, match="use 'cpu', 'cuda'.*DLB_DEVICE"):
        get_device()


@pytest.mark.skipif(torch.cuda.is_available(), reason="tests the message on machines without a GPU")
def test_asking_for_cuda_without_a_gpu_is_an_error_not_a_silent_fallback(monkeypatch):
    monkeypatch.setenv("DLB_DEVICE", "cuda")
    with pytest.raises(RuntimeError, match="no CUDA GPU.*unset DLB_DEVICE"):
        get_device()
