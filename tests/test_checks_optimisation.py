"""The checks of chapters 510, 530 and 550 accept right answers and name the typical mistakes."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from torch import nn

from dlbasics import seed_everything
from dlbasics.checks import (check_510_diverging_lr, check_510_no_zero_grad, check_510_step,
                             check_530_restored, check_530_standardise, check_550_cosine,
                             check_550_same_decisions)
from dlbasics.checks.optimisation import (EXERCISE_510_NO_ZERO, EXERCISE_510_STEP, EXERCISE_530_DATA,
                                          EXERCISE_550_DIRECTION, EXERCISE_550_HAND_W,
                                          EXERCISE_550_LEARNED)
from dlbasics.toydata import make_toy_data
from dlbasics.training import fit


def assert_fails_with(result, fragment):
    assert not result, str(result)
    assert fragment in result.message, result.message


# --- 510: one step -------------------------------------------------------------

def one_step_by_autograd():
    """The right answer, computed independently of the check: one autograd step."""
    x = torch.tensor(EXERCISE_510_STEP["x0"], requires_grad=True)
    (x**2 + 3).backward()
    with torch.no_grad():
        x -= EXERCISE_510_STEP["lr"] * x.grad
    return x


@pytest.mark.parametrize("answer", [
    lambda: one_step_by_autograd(),                      # a tensor that requires grad
    lambda: one_step_by_autograd().item(),               # a float
    lambda: one_step_by_autograd().detach().reshape(1),  # a one-element tensor
    lambda: one_step_by_autograd().double(),
])
def test_510_step_accepts_the_right_answer_in_any_form(answer):
    result = check_510_step(answer())
    assert result and "2.4" in result.message


def test_510_step_is_right_for_the_exercise_numbers():
    x0, lr = EXERCISE_510_STEP["x0"], EXERCISE_510_STEP["lr"]
    assert check_510_step(x0 - lr * 2 * x0)
    assert not check_510_step(x0 - lr * 2 * x0 + 0.01)


@pytest.mark.parametrize("answer, fragment", [
    (3.6, "stepped uphill"),          # x + lr * 2x
    (1.8, "instead of its slope"),    # x - lr * y(x)
    (-3.0, "forgot the learning rate"),
    (2.7, "2x, not x"),
    (2.1, "2x, not x^2"),
    (2.4**2 + 3, "y at the new x"),
    (0.0, "compute the slope"),
])
def test_510_step_names_the_typical_mistakes(answer, fragment):
    assert_fails_with(check_510_step(answer), fragment)


@pytest.mark.parametrize("answer, fragment", [
    ("2.4", "is a str"),
    (None, "is a None"),
    (True, "is a bool"),
    (torch.tensor([2.4, 2.4]), "shape (2,)"),
    (float("nan"), "not a finite number"),
    ([2.4], "is a list"),
])
def test_510_step_refuses_what_is_not_one_number(answer, fragment):
    assert_fails_with(check_510_step(answer), fragment)


# --- 510: diverging learning rate ------------------------------------------------

@pytest.mark.parametrize("lr", [1.01, 1.1, 1.5, 3, torch.tensor(2.0)])
def test_510_diverging_lr_accepts_rates_above_one(lr):
    result = check_510_diverging_lr(lr)
    assert result and "keeps growing" in result.message


def test_510_diverging_lr_accepts_a_negative_rate_but_says_it_climbs():
    result = check_510_diverging_lr(-0.5)
    assert result and "ascent" in result.message


@pytest.mark.parametrize("lr, fragment", [
    (1.0, "exactly -1"),
    (0.9, "oscillates"),
    (0.75, "oscillates"),
    (0.5, "in one step"),
    (0.1, "converges"),
    (0.01, "converges"),
    (0.0, "never moves"),
])
def test_510_diverging_lr_explains_why_a_rate_does_not_diverge(lr, fragment):
    assert_fails_with(check_510_diverging_lr(lr), fragment)


def test_510_diverging_lr_agrees_with_running_gradient_descent():
    for lr in (0.3, 0.6, 0.99, 1.0, 1.02, 1.3):
        x = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
        for _ in range(400):
            x.grad = None
            (x**2 + 3).backward()
            with torch.no_grad():
                x -= lr * x.grad
        diverged = abs(x.item()) > 100
        assert bool(check_510_diverging_lr(lr)) == diverged, lr


def test_510_diverging_lr_refuses_non_numbers():
    assert_fails_with(check_510_diverging_lr("big"), "is a str")
    assert_fails_with(check_510_diverging_lr(float("inf")), "not a finite number")


# --- 510: forgetting to zero the gradient -----------------------------------------

def steps_without_zeroing(steps):
    x = torch.tensor(EXERCISE_510_NO_ZERO["x0"], requires_grad=True)
    for _ in range(steps):
        (x**2 + 3).backward()
        with torch.no_grad():
            x -= EXERCISE_510_NO_ZERO["lr"] * x.grad
    return x


def test_510_no_zero_grad_accepts_the_accumulated_result():
    x = steps_without_zeroing(EXERCISE_510_NO_ZERO["steps"])
    assert x.item() < 0   # the stale gradients overshoot the minimum
    assert check_510_no_zero_grad(x)
    assert check_510_no_zero_grad(x.item())


def test_510_no_zero_grad_recognises_a_correct_loop():
    x0, lr, steps = EXERCISE_510_NO_ZERO["x0"], EXERCISE_510_NO_ZERO["lr"], EXERCISE_510_NO_ZERO["steps"]
    assert_fails_with(check_510_no_zero_grad(x0 * (1 - 2 * lr) ** steps), "zeroes the gradient")


@pytest.mark.parametrize("steps", [1, 2, 4])
def test_510_no_zero_grad_recognises_a_wrong_number_of_steps(steps):
    assert_fails_with(check_510_no_zero_grad(steps_without_zeroing(steps)), f"after {steps} step")


def test_510_no_zero_grad_refuses_other_numbers():
    assert_fails_with(check_510_no_zero_grad(5.0), "without zeroing x.grad")


# --- 530: standardising -----------------------------------------------------------

@pytest.fixture(scope="module")
def toy1():
    return make_toy_data(**EXERCISE_530_DATA)


def test_530_standardise_accepts_training_statistics(toy1):
    mean, std = toy1.train.features.mean(dim=0), toy1.train.features.std(dim=0)
    result = check_530_standardise(mean, std, (toy1.test.features - mean) / std)
    assert result and "N - 1" not in result.message


def test_530_standardise_accepts_the_population_std_with_a_note(toy1):
    mean = toy1.train.features.mean(dim=0)
    std = toy1.train.features.std(dim=0, correction=0)
    result = check_530_standardise(mean, std, (toy1.test.features - mean) / std)
    assert result and "N - 1" in result.message


def test_530_standardise_accepts_float64_and_numpy_computed_answers(toy1):
    train = toy1.train.features.double()
    mean, std = train.mean(dim=0), train.std(dim=0)
    assert check_530_standardise(mean, std, (toy1.test.features.double() - mean) / std)
    mean = torch.from_numpy(toy1.train.features.numpy().mean(axis=0))
    std = torch.from_numpy(toy1.train.features.numpy().std(axis=0, ddof=1))
    assert check_530_standardise(mean, std, (toy1.test.features - mean) / std)


def test_530_standardise_catches_test_set_statistics(toy1):
    mean, std = toy1.test.features.mean(dim=0), toy1.test.features.std(dim=0)
    assert_fails_with(check_530_standardise(mean, std, (toy1.test.features - mean) / std), "*test* set")
    train_mean, train_std = toy1.train.features.mean(dim=0), toy1.train.features.std(dim=0)
    assert_fails_with(check_530_standardise(train_mean, std, (toy1.test.features - train_mean) / std),
                      "*test* set's standard deviation")
    assert_fails_with(check_530_standardise(train_mean, train_std, (toy1.test.features - mean) / std),
                      "test set's own statistics")


@pytest.mark.parametrize("reduce, fragment", [
    (lambda f, name: getattr(f, name)(), "single number"),
    (lambda f, name: getattr(f, name)(dim=1), "one value per point"),
])
def test_530_standardise_catches_the_wrong_dimension(toy1, reduce, fragment):
    features = toy1.train.features
    mean, std = features.mean(dim=0), features.std(dim=0)
    scaled = (toy1.test.features - mean) / std
    assert_fails_with(check_530_standardise(reduce(features, "mean"), std, scaled), fragment)
    assert_fails_with(check_530_standardise(mean, reduce(features, "std"), scaled), fragment)


def test_530_standardise_catches_half_done_scaling(toy1):
    mean, std = toy1.train.features.mean(dim=0), toy1.train.features.std(dim=0)
    assert_fails_with(check_530_standardise(mean, std, toy1.test.features / std), "mean was not subtracted")
    assert_fails_with(check_530_standardise(mean, std, toy1.test.features - mean), "not divided by std")
    assert_fails_with(check_530_standardise(mean, std, (toy1.train.features - mean) / std), "different values")
    assert_fails_with(check_530_standardise(mean.tolist(), std, toy1.test.features), "not a torch.Tensor")


# --- 530: restoring a checkpoint --------------------------------------------------

@pytest.fixture
def trained():
    seed_everything(0)
    features, labels = torch.randn(40, 2), torch.randint(0, 2, (40,))
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    fit(model, (features, labels), optimizer, epochs=2, batch_size=8, device="cpu")
    return model, optimizer


def restore(model, optimizer, *, with_optimizer_state=True):
    checkpoint = copy.deepcopy({"model": model.state_dict(), "optimizer": optimizer.state_dict()})
    restored = nn.Linear(2, 2)
    restored.load_state_dict(checkpoint["model"])
    restored_optimizer = torch.optim.SGD(restored.parameters(), lr=0.1, momentum=0.9)
    if with_optimizer_state:
        restored_optimizer.load_state_dict(checkpoint["optimizer"])
    return restored, restored_optimizer


def test_530_restored_accepts_a_real_round_trip_through_a_file(trained, tmp_path):
    model, optimizer = trained
    path = tmp_path / "checkpoint.pt"
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, path)
    checkpoint = torch.load(path)
    restored = nn.Linear(2, 2)
    restored.load_state_dict(checkpoint["model"])
    restored_optimizer = torch.optim.SGD(restored.parameters(), lr=0.5)
    restored_optimizer.load_state_dict(checkpoint["optimizer"])
    assert check_530_restored(model, restored, optimizer, restored_optimizer)


def test_530_restored_catches_the_same_objects(trained):
    model, optimizer = trained
    restored, restored_optimizer = restore(model, optimizer)
    assert_fails_with(check_530_restored(model, model, optimizer, restored_optimizer), "very same object as model")
    assert_fails_with(check_530_restored(model, restored, optimizer, optimizer), "very same object as optimizer")


def test_530_restored_catches_a_missing_optimiser_state(trained):
    model, optimizer = trained
    restored, restored_optimizer = restore(model, optimizer, with_optimizer_state=False)
    assert_fails_with(check_530_restored(model, restored, optimizer, restored_optimizer), "has no state")


def test_530_restored_catches_an_optimiser_of_the_wrong_model(trained):
    model, optimizer = trained
    restored, _ = restore(model, optimizer)
    wrong = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    wrong.load_state_dict(optimizer.state_dict())
    assert_fails_with(check_530_restored(model, restored, optimizer, wrong), "does not optimise restored")


def test_530_restored_catches_different_weights_and_settings(trained):
    model, optimizer = trained
    restored, restored_optimizer = restore(model, optimizer)
    with torch.no_grad():
        restored.bias.add_(1.0)
    assert_fails_with(check_530_restored(model, restored, optimizer, restored_optimizer), "restored's bias")
    restored, restored_optimizer = restore(model, optimizer)
    restored_optimizer.param_groups[0]["lr"] = 0.5
    assert_fails_with(check_530_restored(model, restored, optimizer, restored_optimizer), "settings")


def test_530_restored_catches_another_architecture_and_wrong_types(trained):
    model, optimizer = trained
    other = nn.Sequential(nn.Linear(2, 2))
    other[0].load_state_dict(model.state_dict())
    other_optimizer = torch.optim.SGD(other.parameters(), lr=0.1)
    assert_fails_with(check_530_restored(model, other, optimizer, other_optimizer), "same architecture")
    assert_fails_with(check_530_restored(model.state_dict(), model, optimizer, optimizer), "not a torch.nn.Module")
    assert_fails_with(check_530_restored(model, copy.deepcopy(model), optimizer, {}), "not a torch.optim")


# --- 550: cosine similarity -------------------------------------------------------

def exercise_cosine():
    u, v = torch.tensor(EXERCISE_550_DIRECTION), torch.tensor(EXERCISE_550_LEARNED)
    return torch.nn.functional.cosine_similarity(u, v, dim=0)


def test_550_cosine_accepts_the_right_value():
    assert check_550_cosine(exercise_cosine())
    assert check_550_cosine(exercise_cosine().item())
    assert not check_550_cosine(exercise_cosine().item() - 0.01)


def test_550_cosine_names_the_typical_mistakes():
    u, v = torch.tensor(EXERCISE_550_DIRECTION), torch.tensor(EXERCISE_550_LEARNED)
    dot = (u @ v).item()
    assert_fails_with(check_550_cosine(dot), "dot product")
    assert_fails_with(check_550_cosine(dot / v.norm().item()), "one length only")
    assert_fails_with(check_550_cosine(dot / ((u @ u) * (v @ v)).item()), "squared lengths")
    angle = math.acos(exercise_cosine().item())
    assert_fails_with(check_550_cosine(angle), "the angle")
    assert_fails_with(check_550_cosine(math.degrees(angle)), "the angle")
    assert_fails_with(check_550_cosine(-5.0), "between -1 and 1")
    assert_fails_with(check_550_cosine(0.3), "is not u·v")
    assert_fails_with(check_550_cosine("0.98"), "is a str")


# --- 550: weights that decide like the rule ---------------------------------------

HAND_W = torch.tensor(EXERCISE_550_HAND_W)


@pytest.mark.parametrize("W, b", [
    (3 * HAND_W + torch.tensor([[2.0], [-1.0], [5.0]]), torch.tensor([7.0, 7.0])),
    (torch.tensor([[0.5, -0.5], [-0.5, 0.5], [-0.5, 0.5]]), torch.tensor([0.1, 0.0])),
    (HAND_W.double() + 1, torch.zeros(2, dtype=torch.float64)),
])
def test_550_same_decisions_accepts_other_weights_for_the_same_rule(W, b):
    result = check_550_same_decisions(W, b)
    assert result and "4000 points" in result.message


def test_550_same_decisions_wants_a_new_answer_without_zeros():
    assert_fails_with(check_550_same_decisions(HAND_W, torch.zeros(2)), "course's W itself")
    assert_fails_with(check_550_same_decisions(2 * HAND_W, torch.zeros(2)), "has a zero")


def test_550_same_decisions_catches_swapped_classes_and_transposes():
    assert_fails_with(check_550_same_decisions(HAND_W.flip(1) + 1, torch.zeros(2)), "swapped")
    assert_fails_with(check_550_same_decisions((HAND_W + 1).T, torch.zeros(2)), "nn.Linear")


def test_550_same_decisions_shows_a_point_it_gets_wrong():
    W = torch.tensor([[1.0, 2.0], [2.0, 1.0], [1.0, 3.0]])   # d = (1, -1, 2): a different rule
    result = check_550_same_decisions(W, torch.zeros(2))
    assert_fails_with(result, "agrees with the rule on")
    assert "for example f = [" in result.message


def test_550_same_decisions_is_strict_near_the_boundary():
    """A bias difference as large as the smallest gap flips points on the edge of the gap."""
    W = HAND_W + 1
    assert check_550_same_decisions(W, torch.tensor([0.0, 0.9]))
    assert_fails_with(check_550_same_decisions(W, torch.tensor([0.0, 1.5])), "agrees with the rule on")


@pytest.mark.parametrize("W, b, fragment", [
    (HAND_W.tolist(), torch.zeros(2), "W is a list"),
    (HAND_W + 1, [0.0, 0.0], "b is a list"),
    (torch.ones(3, 3), torch.zeros(2), "W has shape (3, 3)"),
    (HAND_W + 1, torch.zeros(3), "b has shape (3,)"),
    (torch.full((3, 2), float("nan")), torch.zeros(2), "finite real numbers"),
])
def test_550_same_decisions_refuses_malformed_answers(W, b, fragment):
    assert_fails_with(check_550_same_decisions(W, b), fragment)
