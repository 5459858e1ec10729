"""Seed sweeps: one fresh model per seed, trained by fit, summarised correctly and reproducibly.

The sweeps run on tiny data (toy problem 3 scaled down, a few epochs), so the
whole file takes seconds. Statistics are checked against the standard
library's, not against numbers copied from a run.
"""

from __future__ import annotations

import math
import statistics

import matplotlib
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from dlbasics import seed_everything  # noqa: E402
from dlbasics.sweeps import (Summary, SweepResult, adam, draw_unit_lines,  # noqa: E402
                             plot_sweeps, sweep_seeds, train_once)
from dlbasics.toydata import make_toy_data  # noqa: E402
from dlbasics.training import evaluate  # noqa: E402


def toy3(n_train=200, n_test=200):
    data = make_toy_data(3, n_train=n_train, n_test=n_test, seed=0)
    return (data.train.features / 100, data.train.labels), (data.test.features / 100, data.test.labels)


def small_net():
    return nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2))


def sweep(seeds=(0, 1, 2), epochs=2, **kwargs):
    train, test = toy3()
    return sweep_seeds(small_net, train, test, seeds=seeds, epochs=epochs, batch_size=50,
                       make_optimizer=adam(0.05), device="cpu", **kwargs)


# --- reproducibility ----------------------------------------------------------

def test_the_same_seeds_give_the_same_accuracies():
    assert sweep().accuracies == sweep().accuracies


def test_a_run_depends_on_its_seed_alone_not_on_its_place_or_what_ran_before():
    forward = sweep(seeds=[0, 1, 2])
    torch.rand(1000)  # disturb the global generator between the sweeps
    backward = sweep(seeds=[2, 1, 0])
    assert forward.accuracies == backward.accuracies[::-1]


def test_keeping_histories_does_not_change_the_results():
    # Evaluating after every epoch must not draw from the generators that shuffle or initialise.
    assert sweep(keep_histories=True).accuracies == sweep().accuracies


def test_different_seeds_start_from_different_weights():
    result = sweep(seeds=[0, 1], keep_models=True)
    first, second = (m[0].weight for m in result.models)
    assert not torch.equal(first, second)


def test_a_sweep_run_equals_train_once_with_that_seed():
    train, test = toy3()
    result = sweep(seeds=[3], keep_models=True)
    run = train_once(small_net, train, test, seed=3, epochs=2, batch_size=50,
                     make_optimizer=adam(0.05), device="cpu")
    assert run.test_accuracy == result.accuracies[0]
    for a, b in zip(run.model.parameters(), result.models[0].parameters()):
        assert torch.equal(a, b)


# --- one result per seed, and what is kept --------------------------------------

def test_one_result_per_seed_in_order_and_the_accuracy_is_the_models_test_accuracy():
    train, test = toy3()
    result = sweep(seeds=[5, 3, 8], keep_models=True, keep_histories=True)
    assert result.seeds == [5, 3, 8]
    assert len(result.accuracies) == len(result.models) == len(result.histories) == 3
    for model, history, accuracy in zip(result.models, result.histories, result.accuracies):
        assert evaluate(model, test)[1] == pytest.approx(accuracy)
        assert history.epochs == 2 and history.test_accuracy[-1] == pytest.approx(accuracy)
        assert 0.0 <= accuracy <= 1.0


def test_models_and_histories_are_only_kept_when_asked():
    result = sweep()
    assert result.models == [] and result.histories == []
    assert isinstance(result, SweepResult) and len(result.accuracies) == 3


def test_the_factory_is_called_once_per_seed_right_after_seeding():
    calls = []

    def counting_factory():
        calls.append(torch.rand(1).item())  # what the global generator gives right after seeding
        return small_net()

    train, test = toy3()
    sweep_seeds(counting_factory, train, test, seeds=[4, 7, 9], epochs=1, device="cpu")
    expected = []
    for seed in (4, 7, 9):
        seed_everything(seed)
        expected.append(torch.rand(1).item())
    assert calls == expected


def test_the_optimiser_factory_gets_the_new_models_parameters():
    seen = []

    def make_optimizer(parameters):
        parameters = list(parameters)
        seen.append(parameters)
        return torch.optim.SGD(parameters, lr=0.1)

    train, test = toy3()
    result = sweep_seeds(small_net, train, test, seeds=[0, 1], epochs=1, make_optimizer=make_optimizer,
                         device="cpu", keep_models=True)
    assert len(seen) == 2
    for parameters, model in zip(seen, result.models):
        assert all(p is q for p, q in zip(parameters, model.parameters()))


def test_training_really_happens():
    train, test = toy3()
    untrained = []
    for seed in (0, 1, 2):
        seed_everything(seed)
        untrained.append(evaluate(small_net(), test)[1])
    trained = sweep(epochs=30).accuracies
    assert statistics.mean(trained) > statistics.mean(untrained) + 0.1


def test_dataloaders_are_accepted():
    train, test = toy3()
    loader = DataLoader(TensorDataset(*train), batch_size=50, shuffle=False)
    result = sweep_seeds(small_net, loader, DataLoader(TensorDataset(*test), batch_size=50), seeds=[0, 1],
                         epochs=1, device="cpu")
    assert len(result.accuracies) == 2


# --- the summary -------------------------------------------------------------------

def test_summary_statistics_match_the_standard_library():
    values = [0.5, 0.75, 0.8, 0.99, 0.61]
    summary = Summary.of(values)
    assert summary.mean == pytest.approx(statistics.mean(values))
    assert summary.std == pytest.approx(statistics.stdev(values))  # sample standard deviation
    assert (summary.min, summary.max, summary.n) == (0.5, 0.99, 5)


def test_a_sweeps_summary_is_the_summary_of_its_accuracies():
    result = sweep(seeds=[0, 1, 2, 3])
    assert result.summary == Summary.of(result.accuracies)
    assert result.summary.std == pytest.approx(statistics.stdev(result.accuracies))


def test_summary_of_one_value_has_no_spread_and_of_none_raises():
    assert Summary.of([0.9]).std == 0.0
    with pytest.raises(ValueError, match="empty"):
        Summary.of([])
    with pytest.raises(ValueError, match="finite"):
        Summary.of([0.5, math.nan])


def test_summary_prints_mean_spread_and_range():
    text = str(Summary.of([0.5, 1.0]))
    assert "75.0%" in text and "min 50.0%" in text and "max 100.0%" in text and "2 runs" in text


def test_typical_is_the_run_with_the_lower_median():
    result = SweepResult(seeds=[0, 1, 2, 3], accuracies=[0.9, 0.5, 0.7, 0.99], summary=Summary.of([0.5]))
    assert result.typical() == 2  # sorted: 0.5, 0.7, 0.9, 0.99; the lower middle is 0.7
    odd = SweepResult(seeds=[0, 1, 2], accuracies=[0.9, 0.5, 0.7], summary=Summary.of([0.5]))
    assert odd.typical() == 2


# --- bad arguments -----------------------------------------------------------------

@pytest.mark.parametrize("seeds, error, words", [
    ([], ValueError, "empty"),
    ([1, 2, 1], ValueError, "repeat"),
    (5, TypeError, "list of ints"),
    ([0, 1.5], TypeError, "int"),
    ([True], TypeError, "int"),
])
def test_bad_seeds_raise_clearly(seeds, error, words):
    train, test = toy3()
    with pytest.raises(error, match=words):
        sweep_seeds(small_net, train, test, seeds=seeds, epochs=1, device="cpu")


def test_a_model_instead_of_a_factory_raises_clearly():
    train, test = toy3()
    with pytest.raises(TypeError, match="not a model"):
        sweep_seeds(small_net(), train, test, seeds=[0], epochs=1, device="cpu")


def test_a_factory_returning_the_same_model_twice_raises_clearly():
    train, test = toy3()
    shared = small_net()
    with pytest.raises(ValueError, match="same model twice"):
        sweep_seeds(lambda: shared, train, test, seeds=[0, 1], epochs=1, device="cpu")


def test_a_factory_returning_something_else_raises_clearly():
    train, test = toy3()
    with pytest.raises(TypeError, match="nn.Module"):
        sweep_seeds(lambda: "a model", train, test, seeds=[0], epochs=1, device="cpu")


@pytest.mark.parametrize("kwargs, error, words", [
    ({"epochs": 0}, ValueError, "epochs"),
    ({"epochs": 1, "batch_size": 0}, ValueError, "batch_size"),
    ({"epochs": 1, "make_optimizer": "adam"}, TypeError, "make_optimizer"),
])
def test_bad_training_arguments_raise_clearly(kwargs, error, words):
    train, test = toy3()
    with pytest.raises(error, match=words):
        sweep_seeds(small_net, train, test, seeds=[0], device="cpu", **kwargs)


def test_missing_or_malformed_data_raise_clearly():
    train, test = toy3()
    with pytest.raises(ValueError, match="test_data is required"):
        sweep_seeds(small_net, train, None, seeds=[0], epochs=1, device="cpu")
    with pytest.raises(TypeError, match="train_data"):
        sweep_seeds(small_net, train[0], test, seeds=[0], epochs=1, device="cpu")
    with pytest.raises(ValueError, match="differ in length"):
        sweep_seeds(small_net, (train[0], train[1][:-1]), test, seeds=[0], epochs=1, device="cpu")


# --- the loader and the pictures -----------------------------------------------------

def test_draw_unit_lines_draws_each_units_line_where_it_switches():
    layer = nn.Linear(2, 3)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]]))
        layer.bias.copy_(torch.tensor([-10.0, 4.0, 0.0]))
    fig, ax = plt.subplots()
    lines = draw_unit_lines(ax, layer, scale=2.0)
    assert len(lines) == 3
    # Unit 0 switches at f1 = 10 in network units, 20 in plotted units; unit 1 at f2 = -2 -> -4.
    (x0, y0), (x1, y1) = lines[0]._xy1, lines[0]._xy2
    assert x0 == pytest.approx(20.0) and x1 == pytest.approx(20.0)
    (_, y0), (_, y1) = lines[1]._xy1, lines[1]._xy2
    assert y0 == pytest.approx(-4.0) and y1 == pytest.approx(-4.0)
    plt.close(fig)
    with pytest.raises(ValueError, match="two features"):
        draw_unit_lines(ax, nn.Linear(3, 2))


def test_plot_sweeps_draws_one_dot_per_run_and_checks_pairing():
    a = SweepResult(seeds=[0, 1, 2], accuracies=[0.5, 0.7, 0.9], summary=Summary.of([0.5, 0.7, 0.9]))
    fig = plot_sweeps({"a": a, "b": [0.6, 0.8, 1.0]}, paired=True, reference={"claim": 0.99})
    ax = fig.axes[0]
    assert sum(len(c.get_offsets()) for c in ax.collections if hasattr(c, "get_offsets")
               and len(c.get_offsets()) == 3) == 6
    plt.close(fig)
    with pytest.raises(ValueError, match="same number of runs"):
        plot_sweeps({"a": [0.5], "b": [0.6, 0.7]}, paired=True)
    with pytest.raises(ValueError, match="empty"):
        plot_sweeps({})
