"""The exercise checks of part 9 accept right answers and explain wrong ones."""

from __future__ import annotations

import torch
from torch import nn

from dlbasics import seed_everything
from dlbasics.checks import (check_910_first_place, check_910_linear_counter, check_920_copied, check_920_step,
                             check_980_teacher_forcing)
from dlbasics.recurrent import HandRNN, to_torch_rnn
from dlbasics.training import IGNORE_INDEX


def counting_layer(bias_scale=1.0):
    layer = nn.Linear(20, 21)
    k = torch.arange(21.0)
    with torch.no_grad():
        layer.weight.copy_(k.unsqueeze(1).expand(21, 20))
        layer.bias.copy_(-bias_scale * k**2 / 2)
    return layer


def test_910_linear_counter():
    assert check_910_linear_counter(counting_layer())
    wrong = check_910_linear_counter(counting_layer(bias_scale=0.0))   # no bias: always 20 (or 0)
    assert not wrong and "wrong on" in wrong.message
    assert "20 inputs" in check_910_linear_counter(nn.Linear(10, 21)).message
    assert "nn.Linear" in check_910_linear_counter("layer").message


def test_910_first_place():
    p = 1 - (19 / 20) ** torch.arange(21.0)
    assert check_910_first_place(p)
    assert "stays empty" in check_910_first_place(1 - p).message
    assert "independently" in check_910_first_place(torch.arange(21.0).clamp(max=20) / 20).message
    assert not check_910_first_place(p[:20])
    assert not check_910_first_place(p.tolist())


def test_920_step():
    assert check_920_step(lambda s, x, W, b: torch.tanh(torch.cat([s, x], dim=1) @ W + b))
    assert "without the tanh" in check_920_step(lambda s, x, W, b: torch.cat([s, x], dim=1) @ W + b).message
    assert "[state, x]" in check_920_step(lambda s, x, W, b: torch.tanh(torch.cat([x, s], dim=1) @ W + b)).message
    assert "raised" in check_920_step(lambda s, x, W, b: s @ W).message
    assert "without calling it" in check_920_step(3).message


def test_920_copied():
    seed_everything(0)
    hand = HandRNN()
    rnn = to_torch_rnn(hand)
    assert check_920_copied(rnn, hand)
    with torch.no_grad():
        rnn.bias_hh_l0.copy_(hand.b)        # bias counted twice
    assert not check_920_copied(rnn, hand)
    assert "batch_first" in check_920_copied(nn.RNN(1, 4), hand).message
    assert "hidden size" in check_920_copied(nn.RNN(1, 5, batch_first=True), hand).message
    assert "HandRNN" in check_920_copied(rnn, "hand").message


def test_920_copied_compares_the_formula_and_leaves_the_readers_network_alone():
    """In float64 copies: a device's float32 rounding cannot fail a right answer, and the reader's
    network keeps its dtype and device."""
    seed_everything(0)
    hand = HandRNN()
    rnn = to_torch_rnn(hand)
    with torch.no_grad():
        rnn.weight_hh_l0.add_(1e-4)        # small, but no rounding: a wrong copy
    assert not check_920_copied(rnn, hand)
    assert rnn.weight_hh_l0.dtype == torch.float32 and rnn.weight_hh_l0.device.type == "cpu"


def test_980_teacher_forcing():
    def right(targets, vocab):
        return vocab.encode(targets, start=True), vocab.encode(targets, end=True, pad_id=IGNORE_INDEX)

    assert check_980_teacher_forcing(right)
    padded_with_zero = check_980_teacher_forcing(lambda t, v: (v.encode(t, start=True), v.encode(t, end=True)))
    assert not padded_with_zero and "IGNORE_INDEX" in padded_with_zero.message
    swapped = check_980_teacher_forcing(lambda t, v: right(t, v)[::-1])
    assert not swapped
    assert "pair" in check_980_teacher_forcing(lambda t, v: right(t, v)[0]).message
