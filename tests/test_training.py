"""The book's one training loop: fit, evaluate, predict and the loader behind them.

Every chapter that trains relies on these, so they are tested on models whose
outputs the test controls (the loss and accuracy are then known exactly) and
on a small toy problem that a single layer must learn.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from dlbasics import seed_everything
from dlbasics.toydata import make_toy_data
from dlbasics.training import History, as_loader, evaluate, fit, model_device, predict


class Passthrough(nn.Module):
    """A 'model' whose outputs are its inputs: the test writes the logits itself.

    It has one unused parameter, so that it has a device and an optimiser has
    something to hold.
    """

    def __init__(self):
        super().__init__()
        self.unused = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return x + 0 * self.unused


def toy1(n_train=400, n_test=400, seed=0):
    """Toy problem 1, features divided by 100 (a separable problem for one layer)."""
    data = make_toy_data(1, n_train=n_train, n_test=n_test, seed=seed)
    return (data.train.features / 100, data.train.labels), (data.test.features / 100, data.test.labels)


def train_layer(epochs=3, seed=0, **kwargs):
    train, test = toy1()
    seed_everything(seed)
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    history = fit(model, train, optimizer, epochs=epochs, device="cpu", **kwargs)
    return model, history, test


# --- fit learns --------------------------------------------------------------

def test_fit_learns_a_separable_toy_problem():
    model, history, test = train_layer(epochs=8, test_data=toy1()[1])
    loss, accuracy = evaluate(model, test)
    assert accuracy >= 0.95, accuracy
    assert history.test_accuracy[-1] == accuracy and history.test_loss[-1] == pytest.approx(loss)
    assert history.train_loss[-1] < history.train_loss[0]   # the loss went down
    assert history.train_accuracy[-1] >= 0.95


def test_fit_changes_the_parameters_and_returns_a_history():
    train, _ = toy1()
    seed_everything(0)
    model = nn.Linear(2, 2)
    before = [p.detach().clone() for p in model.parameters()]
    history = fit(model, train, torch.optim.SGD(model.parameters(), lr=0.1), epochs=1, device="cpu")
    assert isinstance(history, History)
    assert any(not torch.equal(b, p) for b, p in zip(before, model.parameters()))


# --- History -----------------------------------------------------------------

@pytest.mark.parametrize("epochs", [1, 4])
def test_history_has_one_entry_per_epoch_in_every_list(epochs):
    _, history, _ = train_layer(epochs=epochs, test_data=toy1()[1])
    assert history.epochs == epochs
    for values in (history.train_loss, history.train_accuracy, history.test_loss, history.test_accuracy):
        assert len(values) == epochs
        assert all(isinstance(v, float) and math.isfinite(v) for v in values)
    assert all(0 <= a <= 1 for a in history.train_accuracy + history.test_accuracy)


def test_history_has_no_test_figures_without_test_data():
    _, history, _ = train_layer(epochs=3)
    assert len(history.train_loss) == len(history.train_accuracy) == 3
    assert history.test_loss == [] and history.test_accuracy == []


def test_a_fresh_history_is_empty():
    assert History().epochs == 0 and History().train_loss == []


def test_with_a_zero_learning_rate_the_training_figures_equal_evaluate():
    """Nothing changes within an epoch, so the on-the-fly means must equal a separate evaluation.

    Ten points in batches of four leave a last batch of two: the mean must be
    weighted by batch size for the figures to agree.
    """
    seed_everything(0)
    features = torch.randn(10, 2)
    labels = torch.tensor([0, 1, 1, 0, 1, 0, 0, 1, 1, 1])
    model = nn.Linear(2, 2)
    history = fit(model, (features, labels), torch.optim.SGD(model.parameters(), lr=0.0), epochs=2,
                  batch_size=4, device="cpu")
    loss, accuracy = evaluate(model, (features, labels))
    assert history.train_loss == pytest.approx([loss, loss], rel=1e-6)
    assert history.train_accuracy == pytest.approx([accuracy, accuracy])


# --- evaluate and predict on outputs the test controls -----------------------

LOGITS = torch.tensor([[2.0, 0.0], [0.0, 3.0], [1.0, -1.0], [0.5, 0.4], [-2.0, 2.0]])
LABELS = torch.tensor([0, 1, 1, 1, 0])   # argmax is [0, 1, 0, 0, 1]: 2 of 5 right


def test_evaluate_gives_the_exact_mean_loss_and_accuracy():
    loss, accuracy = evaluate(Passthrough(), (LOGITS, LABELS))
    assert loss == pytest.approx(F.cross_entropy(LOGITS, LABELS).item(), rel=1e-6)
    assert accuracy == pytest.approx(2 / 5)


@pytest.mark.parametrize("batch_size", [1, 2, 3, 5, 100])
def test_evaluate_does_not_depend_on_the_batch_size(batch_size):
    loss, accuracy = evaluate(Passthrough(), (LOGITS, LABELS), batch_size=batch_size)
    assert loss == pytest.approx(F.cross_entropy(LOGITS, LABELS).item(), rel=1e-6)
    assert accuracy == pytest.approx(2 / 5)


def test_evaluate_uses_the_given_loss_function():
    def mse_on_one_hot(outputs, labels):
        return F.mse_loss(outputs, F.one_hot(labels, 2).float())

    loss, _ = evaluate(Passthrough(), (LOGITS, LABELS), loss_fn=mse_on_one_hot)
    assert loss == pytest.approx(mse_on_one_hot(LOGITS, LABELS).item(), rel=1e-6)


def test_evaluate_and_predict_run_in_eval_mode_and_restore_the_mode():
    seen = []

    class Spy(Passthrough):
        def forward(self, x):
            seen.append(self.training)
            return super().forward(x)

    model = Spy()
    model.train()
    evaluate(model, (LOGITS, LABELS))
    predict(model, LOGITS)
    assert seen == [False, False] and model.training
    model.eval()
    evaluate(model, (LOGITS, LABELS))
    predict(model, LOGITS)
    assert not model.training


def test_evaluate_does_not_record_gradients():
    model = nn.Linear(2, 2)
    evaluate(model, (LOGITS, LABELS))
    assert all(p.grad is None for p in model.parameters())


def test_predict_gives_the_argmax_on_the_cpu():
    classes = predict(Passthrough(), LOGITS)
    assert torch.equal(classes, torch.tensor([0, 1, 0, 0, 1]))
    assert classes.device.type == "cpu" and classes.dtype == torch.int64


def test_predict_agrees_with_evaluate_accuracy():
    model, _, test = train_layer(epochs=2)
    features, labels = test
    assert (predict(model, features) == labels).float().mean().item() == pytest.approx(evaluate(model, test)[1])


# --- the loader and its errors -----------------------------------------------

def test_as_loader_returns_a_dataloader_unchanged():
    loader = DataLoader(TensorDataset(LOGITS, LABELS), batch_size=2)
    assert as_loader(loader, batch_size=99, shuffle=True) is loader


def test_as_loader_accepts_a_pair_as_tuple_list_or_toydata():
    data = make_toy_data(1, n_train=10, n_test=1)
    for pair in ((data.train.features, data.train.labels), [data.train.features, data.train.labels], data.train):
        batches = list(as_loader(pair, batch_size=4, shuffle=False))
        assert [len(labels) for _, labels in batches] == [4, 4, 2]
        assert torch.equal(torch.cat([f for f, _ in batches]), data.train.features)


@pytest.mark.parametrize("data", [
    LOGITS,                                   # features without labels
    (LOGITS,),                                # a 1-tuple
    (LOGITS, LABELS, LABELS),                 # three tensors
    (LOGITS.numpy(), LABELS.numpy()),         # NumPy arrays, not tensors
    (LOGITS.tolist(), LABELS.tolist()),       # lists
    {"features": LOGITS, "labels": LABELS},   # a dict
    None,
])
def test_as_loader_rejects_data_of_the_wrong_type(data):
    with pytest.raises(TypeError, match="DataLoader or a \\(features, labels\\) pair"):
        as_loader(data, batch_size=2, shuffle=False)


def test_as_loader_names_the_lengths_when_they_differ():
    with pytest.raises(ValueError, match="differ in length: 5 and 4"):
        as_loader((LOGITS, LABELS[:4]), batch_size=2, shuffle=False)


def test_fit_and_evaluate_report_bad_data():
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="differ in length"):
        fit(model, (LOGITS, LABELS[:3]), optimizer, epochs=1, device="cpu")
    with pytest.raises(TypeError):
        evaluate(model, LOGITS)
    with pytest.raises(ValueError, match="differ in length"):
        fit(model, (LOGITS, LABELS), optimizer, epochs=1, device="cpu", test_data=(LOGITS, LABELS[:2]))


@pytest.mark.parametrize("epochs", [0, -1])
def test_fit_refuses_fewer_than_one_epoch(epochs):
    model = nn.Linear(2, 2)
    with pytest.raises(ValueError, match=f"epochs must be at least 1, got {epochs}"):
        fit(model, (LOGITS, LABELS), torch.optim.SGD(model.parameters(), lr=0.1), epochs=epochs)


EMPTY = (torch.zeros(0, 2), torch.zeros(0, dtype=torch.int64))


@pytest.mark.parametrize("call", ["fit", "evaluate"])
def test_empty_data_is_refused_with_a_clear_message(call):
    """Empty data is a ValueError that says so, not a ZeroDivisionError or a
    complaint from PyTorch's sampler that names neither the data nor the fix."""
    model = nn.Linear(2, 2)
    with pytest.raises(ValueError, match="empty"):
        if call == "fit":
            fit(model, EMPTY, torch.optim.SGD(model.parameters(), lr=0.1), epochs=1, device="cpu")
        else:
            evaluate(model, EMPTY)


# --- reproducibility ---------------------------------------------------------

def test_two_seeded_runs_give_identical_histories_and_weights():
    first_model, first, _ = train_layer(epochs=3, seed=5, test_data=toy1()[1])
    second_model, second, _ = train_layer(epochs=3, seed=5, test_data=toy1()[1])
    assert first == second
    assert all(torch.equal(a, b) for a, b in zip(first_model.state_dict().values(),
                                                  second_model.state_dict().values()))


def test_different_seeds_shuffle_differently():
    _, first, _ = train_layer(epochs=2, seed=1)
    _, second, _ = train_layer(epochs=2, seed=2)
    assert first.train_loss != second.train_loss


# --- other data sources, logging, callbacks, loss functions, devices ---------

def test_fit_accepts_a_dataloader():
    train, test = toy1()
    seed_everything(0)
    loader = DataLoader(TensorDataset(*train), batch_size=20, shuffle=True)
    test_loader = DataLoader(TensorDataset(*test), batch_size=50)
    model = nn.Linear(2, 2)
    history = fit(model, loader, torch.optim.SGD(model.parameters(), lr=0.5), epochs=6, device="cpu",
                  test_data=test_loader)
    assert history.epochs == 6 and history.test_accuracy[-1] >= 0.95
    assert evaluate(model, test_loader) == pytest.approx(evaluate(model, test))


def test_fit_uses_the_loaders_batches_not_batch_size():
    sizes = []

    def counting_loss(outputs, labels):
        sizes.append(len(labels))
        return F.cross_entropy(outputs, labels)

    loader = DataLoader(TensorDataset(LOGITS, LABELS), batch_size=2)
    model = nn.Linear(2, 2)
    fit(model, loader, torch.optim.SGD(model.parameters(), lr=0.1), epochs=1, batch_size=32,
        loss_fn=counting_loss, device="cpu")
    assert sizes == [2, 2, 1]


def test_fit_makes_one_step_per_batch_with_the_given_loss():
    calls = []

    def counting_loss(outputs, labels):
        calls.append(torch.is_grad_enabled())
        return F.cross_entropy(outputs, labels)

    train, test = toy1(n_train=100, n_test=30)
    model = nn.Linear(2, 2)
    fit(model, train, torch.optim.SGD(model.parameters(), lr=0.1), epochs=2, batch_size=32,
        loss_fn=counting_loss, test_data=test, device="cpu")
    # 4 training batches per epoch (32, 32, 32, 4) with gradients, 1 test batch without.
    assert calls == ([True] * 4 + [False]) * 2


def test_log_every_prints_the_chosen_epochs_and_the_last(capsys):
    train_layer(epochs=5, log_every=2, test_data=toy1()[1])
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(":")[0] for line in lines] == ["epoch   2", "epoch   4", "epoch   5"]
    assert all("train loss" in line and "test loss" in line and "%" in line for line in lines)


def test_log_lines_leave_out_test_figures_without_test_data(capsys):
    train_layer(epochs=2, log_every=1)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and not any("test" in line for line in lines)


def test_fit_is_silent_by_default(capsys):
    train_layer(epochs=2, test_data=toy1()[1])
    assert capsys.readouterr().out == ""


def test_on_epoch_end_is_called_after_each_epoch_with_the_history_so_far():
    calls = []

    def callback(epoch, model, history):
        calls.append((epoch, model, history.epochs, len(history.test_accuracy)))

    model, history, _ = train_layer(epochs=4, on_epoch_end=callback, test_data=toy1()[1])
    assert [c[0] for c in calls] == [1, 2, 3, 4]
    assert all(c[1] is model for c in calls)
    assert [c[2] for c in calls] == [1, 2, 3, 4] and [c[3] for c in calls] == [1, 2, 3, 4]


def test_on_step_end_is_called_after_every_optimiser_step():
    steps, seen = [], []
    train, test = toy1(n_train=100, n_test=30)
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)

    def after_step():
        steps.append(1)
        seen.append(model.weight.detach().clone())  # the weights as the step left them

    fit(model, train, optimizer, epochs=2, batch_size=32, test_data=test, device="cpu",
        on_step_end=after_step)
    assert len(steps) == 2 * 4  # 4 batches per epoch (32, 32, 32, 4)
    assert all(not torch.equal(a, b) for a, b in zip(seen, seen[1:]))
    assert torch.equal(seen[-1], model.weight.detach())


def test_a_per_step_schedule_in_on_step_end_changes_the_rate_every_batch():
    train, _ = toy1(n_train=100, n_test=30)
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 0.5 ** step)
    rates = []
    fit(model, train, optimizer, epochs=2, batch_size=50, device="cpu",
        on_step_end=lambda: (schedule.step(), rates.append(optimizer.param_groups[0]["lr"])))
    assert rates == [0.5, 0.25, 0.125, 0.0625]


def test_fit_puts_the_model_on_the_requested_device():
    model, _, _ = train_layer(epochs=1)
    assert model_device(model).type == "cpu"


def test_model_device_of_a_model_without_parameters_is_the_cpu():
    assert model_device(nn.ReLU()).type == "cpu"


def test_fit_uses_get_device_when_no_device_is_given():
    """On a machine with a GPU the model ends up there, elsewhere on the CPU; predictions come back to the CPU."""
    from dlbasics import get_device

    train, test = toy1()
    seed_everything(0)
    model = nn.Linear(2, 2)
    history = fit(model, train, torch.optim.SGD(model.parameters(), lr=0.5), epochs=8, test_data=test)
    assert model_device(model).type == get_device().type
    assert history.test_accuracy[-1] >= 0.95
    assert predict(model, test[0]).device.type == "cpu"


def test_bad_test_data_is_refused_before_any_training():
    model = nn.Linear(2, 2)
    before = model.weight.detach().clone()
    with pytest.raises(ValueError, match="empty"):
        fit(model, (LOGITS, LABELS), torch.optim.SGD(model.parameters(), lr=0.1), epochs=1,
            test_data=EMPTY, device="cpu")
    assert torch.equal(model.weight.detach(), before)


def test_as_loader_yields_every_point_once_per_epoch_in_batches():
    features = torch.arange(10.0).reshape(10, 1)
    labels = torch.arange(10)
    loader = as_loader((features, labels), 4, shuffle=True, generator=torch.Generator().manual_seed(0))
    batches = list(loader)
    assert [len(b[1]) for b in batches] == [4, 4, 2]
    seen = torch.cat([b[1] for b in batches])
    assert sorted(seen.tolist()) == list(range(10)) and seen.tolist() != list(range(10))
    for x, y in batches:
        assert torch.equal(x[:, 0].long(), y)  # features and labels stay paired
    in_order = torch.cat([b[1] for b in as_loader((features, labels), 3, shuffle=False)])
    assert in_order.tolist() == list(range(10))



def test_as_loader_shuffles_as_a_plain_dataloader_and_evaluation_leaves_the_global_generator_alone():
    features, labels = torch.randn(70, 3), torch.randint(0, 2, (70,))
    torch.manual_seed(5)
    plain = list(DataLoader(TensorDataset(features, labels), batch_size=32, shuffle=True))
    torch.manual_seed(5)
    fast = list(as_loader((features, labels), 32, shuffle=True))
    assert all(torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) for a, b in zip(plain, fast))
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    list(as_loader((features, labels), 32, shuffle=False))
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("batch_size", [0, -1, 2.5, True])
def test_as_loader_refuses_a_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match="batch_size must be a positive int"):
        as_loader((torch.zeros(4, 2), torch.zeros(4, dtype=torch.int64)), batch_size, shuffle=False)


def _train_toy(progress: bool) -> tuple[torch.Tensor, torch.Tensor]:
    seed_everything(0)
    features = torch.randn(256, 2)
    labels = (features[:, 0] > features[:, 1]).long()
    model = nn.Linear(2, 2)
    fit(model, (features, labels), torch.optim.SGD(model.parameters(), lr=0.1), epochs=3,
        batch_size=32, progress=progress)
    return model.weight.detach().clone(), torch.rand(3)  # the weights, and the generator after


def test_a_progress_bar_does_not_change_what_training_computes(capsys):
    # A reader in Jupyter sees bars, the built book does not: both must train on the same
    # batches, so both must draw the same random numbers.
    without_bar = _train_toy(progress=False)
    with_bar = _train_toy(progress=True)
    assert torch.equal(without_bar[0], with_bar[0])
    assert torch.equal(without_bar[1], with_bar[1])
    assert "epoch 3/3" in capsys.readouterr().err  # the bar was drawn


def test_progress_bars_only_in_a_kernel_and_never_when_switched_off(monkeypatch):
    import sys

    from dlbasics.training import PROGRESS_ENV_VAR, show_progress

    monkeypatch.delenv(PROGRESS_ENV_VAR, raising=False)
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    assert not show_progress()
    monkeypatch.setitem(sys.modules, "ipykernel", sys)  # as in Jupyter or Colab
    assert show_progress()
    monkeypatch.setenv(PROGRESS_ENV_VAR, "0")  # as in the book's build
    assert not show_progress()
