"""fit and evaluate with several feature tensors and with one label per position (part 9)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from dlbasics import seed_everything
from dlbasics.training import IGNORE_INDEX, as_loader, evaluate, fit

pytestmark = pytest.mark.usefixtures("one_thread")


class PerPosition(nn.Module):
    """Returns the logits it is given, (N, C, T); the second input is added to check it arrives."""

    def __init__(self):
        super().__init__()
        self.unused = nn.Parameter(torch.zeros(1))

    def forward(self, logits, offset):
        return logits + offset.view(-1, 1, 1) + 0 * self.unused


def test_evaluate_counts_positions_and_skips_ignored_labels():
    # Two sequences of three positions, 2 classes; predictions: class 1 everywhere.
    logits = torch.tensor([[0.0, 1.0]]).T.expand(2, 2, 3).clone()
    labels = torch.tensor([[1, 0, IGNORE_INDEX], [1, 1, IGNORE_INDEX]])
    loss, accuracy = evaluate(PerPosition(), ((logits, torch.zeros(2)), labels))
    assert accuracy == pytest.approx(3 / 4)      # 3 right out of 4 counted positions
    assert loss == pytest.approx(F.cross_entropy(logits, labels).item())


def test_the_second_feature_reaches_the_model():
    logits = torch.zeros(2, 2, 1)
    labels = torch.tensor([[0], [1]])
    no_offset = evaluate(PerPosition(), ((logits, torch.zeros(2)), labels))[0]
    offset = evaluate(PerPosition(), ((logits, torch.ones(2)), labels))[0]
    assert offset == pytest.approx(no_offset)     # adding to every class changes nothing...
    shifted = logits.clone()
    shifted[:, 1] += 5
    assert evaluate(PerPosition(), ((shifted, torch.zeros(2)), labels))[1] == 0.5   # ...but a class shift does


def test_loader_yields_the_feature_tuple_and_labels():
    a, b, y = torch.arange(10.0), torch.arange(10.0) * 2, torch.arange(10)
    batches = list(as_loader(((a, b), y), batch_size=4, shuffle=False))
    (first_a, first_b), first_y = batches[0]
    assert first_a.tolist() == [0, 1, 2, 3] and first_b.tolist() == [0, 2, 4, 6] and first_y.tolist() == [0, 1, 2, 3]
    assert len(batches) == 3


def test_loader_refuses_features_of_different_lengths():
    with pytest.raises(ValueError, match="differ in length"):
        as_loader(((torch.zeros(3), torch.zeros(4)), torch.zeros(3)), batch_size=2, shuffle=False)
    with pytest.raises(TypeError, match="tuple of tensors"):
        as_loader(((torch.zeros(3), [1, 2, 3]), torch.zeros(3)), batch_size=2, shuffle=False)


class Tagger(nn.Module):
    """Predicts a class at each position from that position's input id and a per-sequence flag."""

    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(4, 8)
        self.flag = nn.Linear(1, 8)
        self.out = nn.Linear(8, 3)

    def forward(self, ids, flag):
        h = torch.tanh(self.embed(ids) + self.flag(flag.view(-1, 1, 1).float()))
        return self.out(h).transpose(1, 2)


def test_fit_trains_a_per_position_model_and_ignores_padding():
    seed_everything(0)
    ids = torch.randint(0, 4, (200, 5))
    flag = torch.randint(0, 2, (200,))
    labels = (ids + flag.unsqueeze(1)) % 3
    labels[:, 3:] = IGNORE_INDEX          # padding: any prediction there is fine
    model = Tagger()
    history = fit(model, ((ids, flag), labels), torch.optim.Adam(model.parameters(), lr=0.1), epochs=15,
                  batch_size=100, device="cpu", test_data=((ids, flag), labels))
    assert history.test_accuracy[-1] == 1.0
    assert history.train_loss[-1] < history.train_loss[0]
