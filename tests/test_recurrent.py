"""The hand RNN against nn.RNN, the recurrent classifiers, and the sequence-to-sequence model."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

from dlbasics import get_device, seed_everything
from dlbasics.recurrent import HandRNN, RecurrentClassifier, Seq2Seq, to_torch_rnn
from dlbasics.sequences import make_count_data
from dlbasics.training import IGNORE_INDEX, fit

DEVICE = get_device()
# On a GPU nn.RNN runs cuDNN, whose float32 states are farther from exact arithmetic than plain
# float32 matrix products (measured on an H200: 6e-6 after one step, against 3e-8 for the hand
# RNN; 1.7e-4 after 10 steps of these weights); in float64 both agree to 1e-16 there too.
FLOAT32_STATE_TOLERANCE = {"cpu": 1e-5, "cuda": 1e-3}
pytestmark = pytest.mark.usefixtures("one_thread")


def bits(n=30, length=20, seed=0):
    return make_count_data(n_train=n, n_test=1, seed=seed, length=length).train.features


def test_hand_rnn_follows_the_course_formula():
    seed_everything(0)
    hand = HandRNN()
    x = bits(5)
    state = torch.zeros(5, 4)
    for t in range(20):
        state = torch.tanh(torch.cat([state, x[:, t:t + 1]], dim=1) @ hand.W + hand.b)
    with torch.no_grad():
        assert torch.allclose(hand.states(x)[:, -1], state, atol=1e-6)
        assert torch.allclose(hand(x), hand.readout(state), atol=1e-6)


@pytest.mark.parametrize("length", [1, 20, 40])
def test_nn_rnn_with_copied_weights_computes_the_same_states(length):
    seed_everything(1)
    hand = HandRNN().to(DEVICE)
    with torch.no_grad():
        hand.W.mul_(3)   # weights far from the initial range: a wrong copy would show
    rnn = to_torch_rnn(hand)
    x = bits(40, length).to(DEVICE)
    with torch.no_grad():
        states, last = rnn(x.unsqueeze(-1))
        assert (states - hand.states(x)).abs().max() < FLOAT32_STATE_TOLERANCE[DEVICE.type]
        assert torch.allclose(last[0], states[:, -1], atol=1e-6)
        hand64 = copy.deepcopy(hand).double()
        exact = to_torch_rnn(hand64)(x.double().unsqueeze(-1))[0]
        assert (exact - hand64.states(x.double())).abs().max() < 1e-12, "the formula itself differs"
    assert rnn.weight_hh_l0.device == hand.W.device


def test_a_wrong_copy_differs():
    seed_everything(2)
    hand = HandRNN()
    rnn = to_torch_rnn(hand)
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(hand.W[:4])     # not transposed
        assert not torch.allclose(rnn(bits(10).unsqueeze(-1))[0], hand.states(bits(10)), atol=1e-3)


def test_shapes_are_checked():
    with pytest.raises(ValueError, match=r"\(N, T, 1\)"):
        HandRNN()(torch.zeros(2, 3, 4, 5))
    with pytest.raises(ValueError, match="kind"):
        RecurrentClassifier("transformer")


def test_states_can_start_from_a_given_state():
    """Running T steps equals running t steps, then the rest from the state reached."""
    seed_everything(3)
    x = bits(6)
    models = [HandRNN()] + [RecurrentClassifier(kind) for kind in ("rnn", "gru", "lstm")]
    with torch.no_grad():
        for model in models:
            whole = model.states(x)
            if isinstance(model, RecurrentClassifier) and model.kind == "lstm":
                continue   # an LSTM's cell state is not carried over by a hidden state alone
            rest = model.states(x[:, 8:], initial=whole[:, 7])
            assert torch.allclose(rest, whole[:, 8:], atol=1e-6)
            assert torch.allclose(model.states(x, initial=torch.zeros(6, 4)), whole, atol=1e-7)
            with pytest.raises(ValueError, match="initial state"):
                model.states(x, initial=torch.zeros(5, 4))
    lstm = models[-1]
    assert lstm.states(x, initial=torch.ones(6, 4)).shape == (6, 20, 4)


def test_the_gradient_through_time_is_the_product_of_the_step_jacobians():
    """d s_T / d s_t = J_T ... J_{t+1}, with J_k = diag(1 - s_k^2) W[:H]^T (rows: s_k, columns: s_{k-1})."""
    seed_everything(4)
    hand = HandRNN().double()
    x = bits(1).double()
    states = hand.states(x).detach()
    start = states[:, 4].clone().requires_grad_()
    final = hand.states(x[:, 5:], initial=start)[0, -1]
    autograd = torch.stack([torch.autograd.grad(final[i], start, retain_graph=True)[0][0] for i in range(4)])
    product = torch.eye(4, dtype=torch.float64)
    for k in range(5, 20):
        product = torch.diag(1 - states[0, k] ** 2) @ hand.W[:4].T.detach() @ product
    assert torch.allclose(autograd, product, atol=1e-12)


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
def test_recurrent_classifier_shapes(kind):
    model = RecurrentClassifier(kind)
    x = bits(7)
    assert model.states(x).shape == (7, 20, 4)
    assert model(x).shape == (7, 21)


def test_hand_rnn_learns_something_with_fit():
    data = make_count_data(n_train=600, n_test=300, seed=0)
    seed_everything(0)
    hand = HandRNN()
    history = fit(hand, tuple(data.train), torch.optim.Adam(hand.parameters(), lr=0.05), epochs=6,
                  batch_size=100, test_data=tuple(data.test), device=DEVICE)
    assert history.test_loss[-1] < history.test_loss[0] and history.test_accuracy[-1] > 3 / 21


# --- sequence to sequence -----------------------------------------------------------------------

def tiny_batch():
    source = torch.tensor([[3, 4, 5, 0, 0], [5, 3, 4, 6, 7]])          # the first padded
    decoder_inputs = torch.tensor([[1, 3, 4], [1, 5, 0]])
    labels = torch.tensor([[3, 4, 2], [5, 2, IGNORE_INDEX]])
    return source, decoder_inputs, labels


@pytest.mark.parametrize("attention", [True, False])
def test_seq2seq_shapes(attention):
    seed_everything(0)
    model = Seq2Seq(8, 6, hidden_size=16, embedding_size=8, attention=attention)
    source, decoder_inputs, labels = tiny_batch()
    assert model(source, decoder_inputs).shape == (2, 6, 3)
    ids, weights = model.greedy_decode(source, bos=1, eos=2, max_length=4)
    assert ids.shape[0] == 2 and ids.shape[1] <= 4
    if attention:
        assert weights.shape == (2, ids.shape[1], 5)
        assert torch.allclose(weights.sum(dim=-1), torch.ones(2, ids.shape[1]))
    else:
        assert weights is None


def test_padding_gets_no_attention_and_does_not_change_the_result():
    seed_everything(0)
    model = Seq2Seq(8, 6, hidden_size=16, embedding_size=8).eval()
    source, decoder_inputs, _ = tiny_batch()
    memory, state, mask = model.encode(source)
    _, _, weights = model.decode(decoder_inputs, state, memory, mask)
    assert (weights[0, :, 3:] == 0).all()
    # The same first input without padding gives the same scores.
    alone = model(source[:1, :3], decoder_inputs[:1])
    assert torch.allclose(alone, model(source, decoder_inputs)[:1], atol=1e-5)


def test_empty_source_is_refused():
    model = Seq2Seq(8, 6, hidden_size=4, embedding_size=4)
    with pytest.raises(ValueError, match="empty"):
        model.encode(torch.tensor([[0, 0], [3, 4]]))


def test_padding_is_masked_out_of_the_loss():
    seed_everything(0)
    model = Seq2Seq(8, 6, hidden_size=16, embedding_size=8)
    source, decoder_inputs, labels = tiny_batch()
    logits = model(source, decoder_inputs)
    loss = F.cross_entropy(logits, labels)
    manual = torch.stack([F.cross_entropy(logits[0].T, labels[0], reduction="sum"),
                          F.cross_entropy(logits[1, :, :2].T, labels[1, :2], reduction="sum")]).sum() / 5
    assert torch.allclose(loss, manual, atol=1e-6)


def test_seq2seq_learns_to_copy_a_tiny_case_and_decodes_it_greedily():
    seed_everything(0)
    source, decoder_inputs, labels = tiny_batch()
    model = Seq2Seq(8, 8, hidden_size=16, embedding_size=8)
    fit(model, ((source, decoder_inputs), labels), torch.optim.Adam(model.parameters(), lr=0.05), epochs=40,
        batch_size=2, device=DEVICE)
    ids, _ = model.greedy_decode(source.to(DEVICE), bos=1, eos=2, max_length=5)
    assert ids[0, :3].tolist() == [3, 4, 2] and ids[1, :2].tolist() == [5, 2]
    assert (ids[0, 3:] == 2).all() and (ids[1, 2:] == 2).all()     # finished sequences keep writing eos
