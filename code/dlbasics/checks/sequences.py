"""Checks for the exercises of part 9: sequences, recurrent networks, sequence to sequence.

Expected answers are computed from the exercise's own data (seeded toy
sequences, the package's reference models), never typed in.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from dlbasics.checks.core import CheckResult, call_reader_function, compare_tensors, describe_type, not_a_function
from dlbasics.recurrent import HandRNN
from dlbasics.sequences import CharVocab, make_count_data
from dlbasics.training import IGNORE_INDEX


def _count_sequences(length: int = 20) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded test set of toy problem 5 (every count represented)."""
    data = make_count_data(n_train=1, n_test=2000, seed=910, length=length)
    return data.test.features, data.test.labels


# --- Chapter 910 ------------------------------------------------------------------------------

def check_910_linear_counter(layer) -> CheckResult:
    """Exercise 910.1: an ``nn.Linear(20, 21)`` whose argmax is the number of ones of every sequence."""
    if not isinstance(layer, nn.Linear):
        return CheckResult(False, f"layer is a {describe_type(layer)}; an nn.Linear(20, 21) is expected")
    if (layer.in_features, layer.out_features) != (20, 21):
        return CheckResult(False, f"layer maps {layer.in_features} inputs to {layer.out_features} outputs; "
                                  "it needs 20 inputs (the bits) and 21 outputs (the counts 0 to 20)")
    bits, labels = _count_sequences()
    # Every count once more, including the lone all-zeros and all-ones sequences.
    bits = torch.cat([bits, (torch.arange(20).unsqueeze(0) < torch.arange(21).unsqueeze(1)).float()])
    labels = torch.cat([labels, torch.arange(21)])
    with torch.no_grad():
        guesses = layer(bits.to(layer.weight.device)).argmax(dim=1).cpu()
    wrong = (guesses != labels).nonzero().flatten()
    if len(wrong) == 0:
        return CheckResult(True, f"the layer counts the ones of all {len(labels)} test sequences "
                                 f"({len(labels) - 21} random ones, and one built for each count 0 to 20)")
    first = wrong[0].item()
    return CheckResult(False, f"the layer is wrong on {len(wrong)} of {len(labels)} sequences; e.g. a sequence "
                              f"with {labels[first].item()} ones gets class {guesses[first].item()}")


def check_910_first_place(p_first) -> CheckResult:
    """Exercise 910.2: for k = 0..20 ones drawn by the course's generator, the chance that place 0 holds one.

    A one lands on place 0 only if it draws place 0 (ones that find their
    place taken move right, never left), so the chance is ``1 - (19/20)**k``.
    """
    k = torch.arange(21, dtype=torch.float64)
    expected = 1 - (19 / 20) ** k
    if isinstance(p_first, torch.Tensor) and p_first.shape == (21,):
        got = p_first.detach().cpu().double()
        if torch.allclose(got, 1 - expected, atol=1e-6):
            return CheckResult(False, "these are the chances that place 0 stays empty; the exercise asks "
                                      "for the chance that it holds a one (1 minus yours)")
        if torch.allclose(got, (k / 20).clamp(max=1), atol=1e-6):
            return CheckResult(False, "k/20 would be right if the k ones drew distinct places; they draw "
                                      "independently, and place 0 is filled if at least one draws it")
    return compare_tensors(p_first, expected, name="p_first", atol=1e-6)


# --- Chapter 920 ------------------------------------------------------------------------------

def check_920_step(step) -> CheckResult:
    """Exercise 920.1: ``step(state, x, W, b)`` computes ``tanh([state, x] W + b)`` for a batch."""
    failure = not_a_function(step, "step", "check_920_step")
    if failure is not None:
        return failure
    generator = torch.Generator().manual_seed(920)
    state = torch.rand(5, 4, generator=generator) * 2 - 1
    x = torch.randint(0, 2, (5, 1), generator=generator).float()
    W = torch.randn(5, 4, generator=generator)
    b = torch.randn(4, generator=generator)
    got, failure = call_reader_function(step, "step(state, x, W, b)", state, x, W, b)
    if failure is not None:
        return failure
    expected = torch.tanh(torch.cat([state, x], dim=1) @ W + b)
    if isinstance(got, torch.Tensor) and got.shape == expected.shape:
        if torch.allclose(got.detach().float(), torch.cat([state, x], dim=1) @ W + b, atol=1e-5):
            return CheckResult(False, "step returns the affine part without the tanh")
        if torch.allclose(got.detach().float(), torch.tanh(torch.cat([x, state], dim=1) @ W + b), atol=1e-5):
            return CheckResult(False, "step puts x before the state; the course's order is [state, x]")
    return compare_tensors(got, expected, name=f"step(state, x, W, b) for N={len(state)} states", atol=1e-5)


def check_920_copied(rnn, hand) -> CheckResult:
    """Exercise 920.2: ``rnn`` (an ``nn.RNN``) computes the same states as the ``HandRNN`` ``hand``."""
    if not isinstance(hand, HandRNN):
        return CheckResult(False, f"hand is a {describe_type(hand)}; pass the HandRNN you copied from")
    if not isinstance(rnn, nn.RNN):
        return CheckResult(False, f"rnn is a {describe_type(rnn)}; an nn.RNN is expected")
    if not rnn.batch_first:
        return CheckResult(False, "create the nn.RNN with batch_first=True, so that it reads (N, T, 1)")
    if (rnn.input_size, rnn.hidden_size) != (hand.input_size, hand.hidden_size):
        return CheckResult(False, f"rnn has input size {rnn.input_size} and hidden size {rnn.hidden_size}; "
                                  f"the hand network has {hand.input_size} and {hand.hidden_size}")
    bits = _count_sequences()[0][:50].double()
    # Copies in float64: the comparison is of the formula, not of the rounding, which differs
    # between devices (cuDNN's float32 RNN on a GPU is about 1e-4 away from the hand RNN's states).
    hand64, rnn64 = copy.deepcopy(hand).double().cpu(), copy.deepcopy(rnn).double().cpu()
    with torch.no_grad():
        expected = hand64.states(bits)
        got = rnn64(bits.unsqueeze(-1))[0]
    return compare_tensors(got, expected, name="the states of rnn", atol=1e-9)


# --- Chapter 980 ------------------------------------------------------------------------------

def check_980_teacher_forcing(make_pairs) -> CheckResult:
    """Exercise 980.1: ``make_pairs(targets, vocab)`` returns the decoder's inputs and its labels.

    The inputs are the start mark followed by each target (padded with the
    pad id); the labels are each target followed by the end mark (padded
    with ``IGNORE_INDEX``).
    """
    failure = not_a_function(make_pairs, "make_pairs", "check_980_teacher_forcing")
    if failure is not None:
        return failure
    targets = ["hi!", "bye bye", "ok"]
    vocab = CharVocab("".join(targets))
    got, failure = call_reader_function(make_pairs, "make_pairs(targets, vocab)", targets, vocab)
    if failure is not None:
        return failure
    if not (isinstance(got, tuple) and len(got) == 2):
        return CheckResult(False, f"make_pairs returned a {describe_type(got)}; return a pair "
                                  "(decoder_inputs, labels)")
    decoder_inputs, labels = got
    want_inputs = vocab.encode(targets, start=True)
    want_labels = vocab.encode(targets, end=True, pad_id=IGNORE_INDEX)
    if isinstance(labels, torch.Tensor) and labels.shape == want_labels.shape and \
            torch.equal(labels.cpu(), vocab.encode(targets, end=True)):
        return CheckResult(False, "the labels are padded with the pad id 0, which is a class the loss would "
                                  "score; pad the labels with IGNORE_INDEX (-100)")
    for answer, expected, name in ((decoder_inputs, want_inputs, "decoder_inputs"), (labels, want_labels, "labels")):
        result = compare_tensors(answer, expected, name=name, atol=0)
        if not result:
            return result
    return CheckResult(True, "the decoder reads the start mark and the target; it must predict the target "
                             "and the end mark, one position ahead")
