"""Recurrent networks of part 9: the course's RNN by hand, PyTorch's recurrent layers, and a
sequence-to-sequence model with attention.

- :class:`HandRNN` is the course's network, ``s_t = tanh([s_{t-1}, x_t] W + b)``,
  with the class read from the last state by a linear layer;
  :func:`to_torch_rnn` copies its weights into an ``nn.RNN`` that computes the
  same states.
- :class:`RecurrentClassifier` is the same classifier around ``nn.RNN``,
  ``nn.GRU`` or ``nn.LSTM``.
- :class:`Seq2Seq` is an encoder-decoder over characters, with or without
  dot-product attention, trained with teacher forcing and decoded greedily.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence


def _as_steps(x: torch.Tensor, input_size: int) -> torch.Tensor:
    """Sequences as ``(N, T, input_size)``: a ``(N, T)`` tensor of scalars gains a last axis of 1."""
    if x.dim() == 2 and input_size == 1:
        x = x.unsqueeze(-1)
    if x.dim() != 3 or x.shape[-1] != input_size:
        raise ValueError(f"expected sequences of shape (N, T, {input_size})"
                         + (" or (N, T)" if input_size == 1 else "") + f", got {tuple(x.shape)}")
    return x


def _as_initial(initial: torch.Tensor, n: int, hidden_size: int) -> torch.Tensor:
    """An initial state for ``n`` sequences, checked to be (n, hidden_size)."""
    if initial.shape != (n, hidden_size):
        raise ValueError(f"the initial state must have shape ({n}, {hidden_size}), got {tuple(initial.shape)}")
    return initial


class HandRNN(nn.Module):
    """The course's RNN: ``s_t = tanh([s_{t-1}, x_t] W + b)``, then a linear read-out.

    ``W`` has shape ``(hidden_size + input_size, hidden_size)``: its first
    ``hidden_size`` rows weigh the previous state, the others the input. The
    state starts at zero; the class scores are ``readout(s_T)``.
    """

    def __init__(self, input_size: int = 1, hidden_size: int = 4, n_classes: int = 21):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size
        bound = 1 / math.sqrt(hidden_size)  # the same initial range as nn.RNN
        self.W = nn.Parameter(torch.empty(hidden_size + input_size, hidden_size)
                              .uniform_(-bound, bound))
        self.b = nn.Parameter(torch.empty(hidden_size).uniform_(-bound, bound))
        self.readout = nn.Linear(hidden_size, n_classes)

    def states(self, x: torch.Tensor,
               initial: torch.Tensor | None = None) -> torch.Tensor:
        """Every state ``s_1 .. s_T`` (N, T, H) for ``x`` (N, T) or (N, T, input_size).

        The state before the first step is ``initial`` (N, H), zero by default.
        """
        x = _as_steps(x, self.input_size)
        H = self.hidden_size
        # [s, x] W = s W[:H] + x W[H:]: the input's part of every step at once,
        # before the loop.
        from_inputs = x @ self.W[H:] + self.b
        state = (x.new_zeros(len(x), H) if initial is None
                 else _as_initial(initial, len(x), H))
        states = []
        for t in range(x.shape[1]):
            state = torch.tanh(state @ self.W[:H] + from_inputs[:, t])
            states.append(state)
        return torch.stack(states, dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.readout(self.states(x)[:, -1])


def to_torch_rnn(hand: HandRNN) -> nn.RNN:
    """An ``nn.RNN`` (batch first, tanh) that computes the same states as ``hand``.

    ``nn.RNN`` computes ``tanh(x_t W_ih^T + b_ih + s_{t-1} W_hh^T + b_hh)``:
    ``W`` is split into its state rows and input rows, each transposed, and
    ``b`` goes into ``b_ih`` with ``b_hh`` zero (only their sum matters).
    """
    rnn = nn.RNN(hand.input_size, hand.hidden_size, batch_first=True)
    # a float64 hand network gives a float64 copy
    rnn.to(device=hand.W.device, dtype=hand.W.dtype)
    H = hand.hidden_size
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(hand.W[:H].T)
        rnn.weight_ih_l0.copy_(hand.W[H:].T)
        rnn.bias_ih_l0.copy_(hand.b)
        rnn.bias_hh_l0.zero_()
    return rnn


RECURRENT_LAYERS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class RecurrentClassifier(nn.Module):
    """A sequence classifier: a PyTorch recurrent layer, and a linear read-out of its last state."""

    def __init__(self, kind: str = "rnn", input_size: int = 1, hidden_size: int = 4, n_classes: int = 21):
        super().__init__()
        if kind not in RECURRENT_LAYERS:
            raise ValueError(f"kind must be one of {sorted(RECURRENT_LAYERS)}, got {kind!r}")
        self.kind, self.input_size = kind, input_size
        self.recurrent = RECURRENT_LAYERS[kind](input_size, hidden_size, batch_first=True)
        self.readout = nn.Linear(hidden_size, n_classes)

    def states(self, x: torch.Tensor, initial: torch.Tensor | None = None) -> torch.Tensor:
        """The recurrent layer's output at every step, (N, T, H) (for an LSTM, its hidden state h_t).

        The hidden state before the first step is ``initial`` (N, H), zero by
        default (for an LSTM, the cell state starts at zero either way).
        """
        x = _as_steps(x, self.input_size)
        if initial is None:
            return self.recurrent(x)[0]
        h0 = _as_initial(initial, len(x), self.recurrent.hidden_size).unsqueeze(0)
        if self.kind == "lstm":
            return self.recurrent(x, (h0, torch.zeros_like(h0)))[0]
        return self.recurrent(x, h0)[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.readout(self.states(x)[:, -1])


class Seq2Seq(nn.Module):
    """An encoder-decoder over character ids, with dot-product attention or without.

    Encoder: embeddings of the source characters, then a GRU; padding (id
    ``pad``) is skipped by packing, so the final state is that of the last
    real character. Decoder: a GRU that starts from the encoder's final state
    and reads the previous output character. With attention, each decoder
    state scores every encoder state (a scaled dot product; padding gets a
    score of minus infinity), the softmax of the scores weighs the encoder
    states into a *context*, and the next character is predicted from the
    decoder state and the context together; without attention, from the
    decoder state alone.
    """

    def __init__(self, source_vocab: int, target_vocab: int, hidden_size: int = 64,
                 embedding_size: int = 32, attention: bool = True, pad: int = 0):
        super().__init__()
        self.attention, self.pad = attention, pad
        self.source_embedding = nn.Embedding(source_vocab, embedding_size,
                                             padding_idx=pad)
        self.encoder = nn.GRU(embedding_size, hidden_size, batch_first=True)
        self.target_embedding = nn.Embedding(target_vocab, embedding_size,
                                             padding_idx=pad)
        self.decoder = nn.GRU(embedding_size, hidden_size, batch_first=True)
        self.output = nn.Linear(2 * hidden_size if attention else hidden_size,
                                target_vocab)

    def encode(self, source: torch.Tensor):
        """Encoder states (N, S, H), final state (1, N, H), non-padding mask (N, S)."""
        mask = source != self.pad
        lengths = mask.sum(dim=1)
        if (lengths == 0).any():
            raise ValueError("a source sequence is empty (only padding); "
                             "every input needs a character")
        packed = pack_padded_sequence(self.source_embedding(source), lengths.cpu(),
                                      batch_first=True, enforce_sorted=False)
        states, final = self.encoder(packed)
        states, _ = pad_packed_sequence(states, batch_first=True,
                                        total_length=source.shape[1])
        return states, final, mask

    def decode(self, previous: torch.Tensor, state: torch.Tensor, memory: torch.Tensor,
               mask: torch.Tensor):
        """Scores for the next characters, given the ``previous`` ones (N, T).

        Returns logits (N, T, V), the decoder's last state, and the attention
        weights (N, T, S) (None without attention).
        """
        outputs, state = self.decoder(self.target_embedding(previous), state)
        if not self.attention:
            return self.output(outputs), state, None
        # (N, T, S)
        scores = outputs @ memory.transpose(1, 2) / math.sqrt(memory.shape[-1])
        # padding: weight 0
        scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
        weights = scores.softmax(dim=-1)
        context = weights @ memory  # (N, T, H)
        return self.output(torch.cat([outputs, context], dim=-1)), state, weights

    def forward(self, source: torch.Tensor, target_in: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: the decoder reads the true prefix ``target_in`` (N, T).

        Returns logits of shape (N, V, T), the layout ``cross_entropy`` wants
        against labels of shape (N, T).
        """
        memory, state, mask = self.encode(source)
        logits, _, _ = self.decode(target_in, state, memory, mask)
        return logits.transpose(1, 2)

    @torch.no_grad()
    def greedy_decode(self, source: torch.Tensor, bos: int, eos: int, max_length: int):
        """Generate outputs one character at a time, feeding back the most likely one.

        Returns the ids (N, L) without the start mark, and the attention
        weights (N, L, S) (None without attention). A sequence that has
        produced ``eos`` keeps producing it.
        """
        was_training = self.training
        self.eval()
        memory, state, mask = self.encode(source)
        previous = torch.full((len(source), 1), bos, dtype=torch.long,
                              device=source.device)
        done = torch.zeros(len(source), dtype=torch.bool, device=source.device)
        tokens, attention = [], []
        for _ in range(max_length):
            logits, state, weights = self.decode(previous, state, memory, mask)
            previous = logits[:, -1].argmax(dim=-1, keepdim=True)
            previous = previous.masked_fill(done.unsqueeze(1), eos)
            done |= previous.squeeze(1) == eos
            tokens.append(previous)
            if weights is not None:
                attention.append(weights)
            if done.all():
                break
        self.train(was_training)
        return (torch.cat(tokens, dim=1),
                (torch.cat(attention, dim=1) if attention else None))
