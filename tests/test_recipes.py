"""Part 8's recipes: what a Recipe accepts, and what train_classifier does with each schedule."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from dlbasics import seed_everything
from dlbasics.recipes import (LENET5_RECIPE, ONE_HIDDEN_LAYER_RECIPE, SOFTMAX_REGRESSION_RECIPE, Recipe,
                              train_classifier)


def blobs(n=300, seed=0):
    """Two classes of points around (1, 1) and (-1, -1): learnable in a few steps."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % 2
    features = (2 * labels[:, None] - 1).float() + 0.5 * torch.randn(n, 2, generator=generator)
    return features, labels


def rates_seen(recipe, n=300):
    """The learning rate in force at every optimiser step of a run with ``recipe``."""
    model = nn.Linear(2, 2)
    seen = []
    original = torch.optim.Adam.step

    def recording_step(self, *args, **kwargs):
        seen.append(self.param_groups[0]["lr"])
        return original(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(torch.optim.Adam, "step", recording_step)
        train_classifier(model, blobs(n), recipe, log_every=0, device="cpu", progress=False)
    return seen


def test_the_decay_schedule_keeps_the_rate_for_an_epoch_then_multiplies_it():
    recipe = Recipe(epochs=3, batch_size=100, lr=0.1, decay=0.5)
    assert rates_seen(recipe) == pytest.approx([0.1] * 3 + [0.05] * 3 + [0.025] * 3)


def test_the_one_cycle_schedule_climbs_to_lr_then_falls_to_almost_nothing():
    recipe = Recipe(epochs=4, batch_size=30, lr=0.1, schedule="one-cycle")
    rates = rates_seen(recipe)
    assert len(rates) == 4 * 10  # one rate per step, and OneCycleLR was stepped exactly once per step
    peak = rates.index(max(rates))
    assert rates[0] == pytest.approx(0.1 / 25)
    assert max(rates) == pytest.approx(0.1, rel=0.01) and 0.2 < peak / len(rates) < 0.4
    assert all(a <= b for a, b in zip(rates[:peak], rates[1:peak + 1]))
    assert all(a >= b for a, b in zip(rates[peak:], rates[peak + 1:]))
    assert rates[-1] < 1e-3 * 0.1


def test_one_cycle_counts_the_batches_of_a_dataloader_too():
    features, labels = blobs(90)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(features, labels), batch_size=20)
    model = nn.Linear(2, 2)
    recipe = Recipe(epochs=2, batch_size=999, lr=0.05, schedule="one-cycle")
    history = train_classifier(model, loader, recipe, log_every=0, device="cpu", progress=False)
    assert history.epochs == 2  # 5 batches per epoch, not ceil(90 / 999): OneCycleLR did not run out


def test_train_classifier_passes_the_readers_hooks_on_beside_its_own():
    epochs, steps = [], []
    recipe = Recipe(epochs=2, batch_size=100, lr=0.05, schedule="one-cycle")
    train_classifier(nn.Linear(2, 2), blobs(), recipe, log_every=0, device="cpu", progress=False,
                     on_epoch_end=lambda epoch, model, history: epochs.append(epoch),
                     on_step_end=lambda: steps.append(1))
    assert epochs == [1, 2] and len(steps) == 6


def test_both_schedules_learn_and_are_reproducible():
    for recipe in (Recipe(epochs=4, batch_size=50, lr=0.2, decay=0.5),
                   Recipe(epochs=4, batch_size=50, lr=0.2, schedule="one-cycle")):
        runs = []
        for _ in range(2):
            seed_everything(0)
            model = nn.Linear(2, 2)
            runs.append(train_classifier(model, blobs(), recipe, test_data=blobs(seed=1), log_every=0,
                                         device="cpu", progress=False))
        assert runs[0].test_accuracy == runs[1].test_accuracy and runs[0].test_accuracy[-1] > 0.95


@pytest.mark.parametrize("fields, message", [
    ({"epochs": 0}, "epochs"), ({"epochs": 2.0}, "epochs"), ({"epochs": True}, "epochs"),
    ({"epochs": 1, "lr": 0}, "lr > 0"), ({"epochs": 1, "decay": 1.5}, "decay"),
    ({"epochs": 1, "schedule": "cosine"}, "one of"),
    ({"epochs": 1, "decay": 0.5, "schedule": "one-cycle"}, "has none"),
])
def test_a_recipe_refuses_what_it_cannot_do(fields, message):
    with pytest.raises(ValueError, match=message):
        Recipe(**fields)


def test_a_recipe_prints_only_the_fields_its_schedule_uses():
    assert repr(Recipe(epochs=5, batch_size=256, lr=0.01, decay=0.5)) == \
        "Recipe(epochs=5, batch_size=256, lr=0.01, decay=0.5)"
    assert repr(Recipe(epochs=3, batch_size=256, lr=0.01, schedule="one-cycle")) == \
        "Recipe(epochs=3, batch_size=256, lr=0.01, schedule='one-cycle')"


def test_the_books_recipes_are_valid_and_lenet5_fits_the_benchmark_budget():
    for recipe in (SOFTMAX_REGRESSION_RECIPE, ONE_HIDDEN_LAYER_RECIPE, LENET5_RECIPE):
        assert eval(repr(recipe), {"Recipe": Recipe}) == recipe  # the printed recipe is the recipe
    assert LENET5_RECIPE.epochs * math.ceil(60_000 / LENET5_RECIPE.batch_size) < 1_000  # steps
