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
from dlbasics.sweeps import (Rate, Summary, SweepResult, adam, compare, draw_unit_lines,  # noqa: E402
                             plot_sweeps, sweep_seeds, t_quantile, train_once, uniform_init,
                             wilson_interval)
from dlbasics.sweeps import _DrawsWithReplacement  # noqa: E402
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


# --- rates and their intervals ---------------------------------------------------------

def test_z_is_the_normal_distributions_two_sided_95_percent_point():
    from dlbasics.sweeps import Z_95
    assert Z_95 == pytest.approx(statistics.NormalDist().inv_cdf(0.975), rel=1e-12)


@pytest.mark.parametrize("count, n", [(12, 40), (1, 40), (39, 40), (5, 8), (20, 20), (0, 40), (3, 1000)])
def test_the_wilson_interval_holds_the_shares_that_the_score_test_does_not_reject(count, n):
    # Wilson's interval is every share pi with |p - pi| <= z sqrt(pi (1 - pi) / n): its ends solve
    # (p - pi)^2 = z^2 pi (1 - pi) / n, unless they are 0 or 1.
    z = statistics.NormalDist().inv_cdf(0.975)
    p = count / n
    low, high = wilson_interval(count, n)
    assert 0.0 <= low <= p <= high <= 1.0 and low < high
    for end in (low, high):
        if 0.0 < end < 1.0:
            assert (p - end) ** 2 == pytest.approx(z * z * end * (1 - end) / n, rel=1e-9)
    # just inside the ends the test does not reject, just outside it does
    for inside in (low + 1e-6, high - 1e-6):
        assert abs(p - inside) <= z * math.sqrt(inside * (1 - inside) / n)
    for outside in (low - 1e-6, high + 1e-6):
        if 0.0 < outside < 1.0:
            assert abs(p - outside) > z * math.sqrt(outside * (1 - outside) / n)


def test_the_wilson_interval_at_the_edges_and_its_symmetry():
    low, high = wilson_interval(0, 40)
    assert low == 0.0 and 0.05 < high < 0.1  # 0 of 40 does not mean "never"
    assert wilson_interval(40, 40) == pytest.approx((1 - high, 1.0))
    a, b = wilson_interval(12, 40)
    c, d = wilson_interval(28, 40)
    assert (a, b) == pytest.approx((1 - d, 1 - c))
    assert wilson_interval(120, 400)[1] - wilson_interval(120, 400)[0] < b - a  # more runs, narrower


@pytest.mark.parametrize("count, n, error", [(5, 0, ValueError), (-1, 10, ValueError), (11, 10, ValueError),
                                             (1.0, 10, TypeError), (True, 10, TypeError)])
def test_bad_counts_raise_clearly(count, n, error):
    with pytest.raises(error):
        wilson_interval(count, n)


def test_a_rate_counts_the_runs_that_meet_a_condition_and_prints_its_interval():
    result = SweepResult(seeds=[0, 1, 2, 3, 4], accuracies=[0.74, 0.99, 0.75, 0.98, 0.99],
                         summary=Summary.of([0.5]))
    assert result.where(lambda a: a < 0.9) == [0, 2]
    rate = result.rate(lambda a: a < 0.9)
    assert (rate.count, rate.n, rate.share) == (2, 5, 0.4)
    assert (rate.low, rate.high) == wilson_interval(2, 5)
    assert str(Rate.of(12, 40)) == "12 of 40 (30%; 95% interval 18% to 45%)"
    with pytest.raises(TypeError, match="function"):
        result.rate(0.9)


def t_probability_within(t, df, steps=20000):
    """P(|T| <= t) for Student's t with df degrees of freedom, by Simpson's rule on its density."""
    c = math.gamma((df + 1) / 2) / (math.sqrt(df * math.pi) * math.gamma(df / 2))

    def density(x):
        return c * (1 + x * x / df) ** (-(df + 1) / 2)

    h = t / steps
    total = density(0) + density(t) + sum((4 if k % 2 else 2) * density(k * h) for k in range(1, steps))
    return 2 * total * h / 3


@pytest.mark.parametrize("df", [5, 7, 19, 39, 200])
def test_t_quantile_leaves_the_right_probability_under_students_density(df):
    t = t_quantile(0.975, df)
    assert t_probability_within(t, df) == pytest.approx(0.95, abs=2e-4)
    assert t > statistics.NormalDist().inv_cdf(0.975)  # wider than the normal's, for few runs
    assert t_quantile(0.025, df) == pytest.approx(-t)


def sweep_result(seeds, accuracies):
    return SweepResult(seeds=list(seeds), accuracies=list(accuracies), summary=Summary.of(accuracies))


def test_compare_pairs_runs_by_seed_and_gives_the_t_interval_of_the_mean_change():
    before = sweep_result(range(5), [0.70, 0.80, 0.90, 0.75, 0.85])
    after = sweep_result(range(5), [0.75, 0.80, 0.95, 0.70, 0.95])
    result = compare(before, after)
    changes = [0.05, 0.0, 0.05, -0.05, 0.10]
    assert result.n == 5 and (result.better, result.worse) == (3, 1)
    assert result.mean == pytest.approx(statistics.mean(changes))
    half = t_quantile(0.975, 4) * statistics.stdev(changes) / math.sqrt(5)
    assert (result.low, result.high) == pytest.approx((result.mean - half, result.mean + half))
    assert "better for 3 of 5 seeds, worse for 1" in str(result)
    with pytest.raises(ValueError, match="same seeds"):
        compare(before, sweep_result([0, 1, 2, 3, 5], after.accuracies))
    with pytest.raises(TypeError):
        compare(before, after.accuracies)


# --- the course's initial weights, and draws with replacement --------------------------------

def test_uniform_init_redraws_every_parameter_in_its_range_and_follows_the_seed():
    make = uniform_init(lambda: nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2)))
    seed_everything(0)
    first = make()
    for parameter in first.parameters():
        assert (parameter >= 0).all() and (parameter < 1).all()
    seed_everything(0)
    again = make()
    seed_everything(1)
    other = make()
    assert all(torch.equal(a, b) for a, b in zip(first.parameters(), again.parameters()))
    assert not torch.equal(first[0].weight, other[0].weight)
    wide = uniform_init(lambda: nn.Linear(100, 100), low=-3.0, high=-2.0)()
    assert wide.weight.min() >= -3.0 and wide.weight.max() < -2.0 and wide.weight.std() > 0.2


def test_uniform_init_rejects_a_model_and_an_empty_range():
    with pytest.raises(TypeError, match="function"):
        uniform_init(small_net())
    with pytest.raises(ValueError, match="low < high"):
        uniform_init(small_net, low=1.0, high=1.0)


def test_draws_with_replacement_cover_an_epoch_in_batches_and_repeat_points():
    generator = torch.Generator().manual_seed(5)
    draws = _DrawsWithReplacement(250, 100, generator)
    batches = list(draws)
    assert len(draws) == len(batches) == 3 and [len(b) for b in batches] == [100, 100, 50]
    everything = torch.cat(batches)
    assert everything.min() >= 0 and everything.max() < 250
    assert len(everything.unique()) < 250  # some points twice, some not at all
    expected = torch.randint(250, (250,), generator=torch.Generator().manual_seed(5))
    assert torch.equal(everything, expected)  # uniform draws from the seeded generator


def test_training_with_replacement_is_reproducible_and_differs_from_a_shuffle():
    first = sweep(seeds=[0, 1], replacement=True)
    assert first.accuracies == sweep(seeds=[0, 1], replacement=True).accuracies
    runs = [train_once(small_net, *toy3(), seed=0, epochs=2, batch_size=50, make_optimizer=adam(0.05),
                       device="cpu", replacement=flag, record_test=True) for flag in (False, True)]
    assert runs[0].history.train_loss != runs[1].history.train_loss


def test_replacement_needs_tensors():
    train, test = toy3()
    loader = DataLoader(TensorDataset(*train), batch_size=50)
    with pytest.raises(ValueError, match="replacement"):
        train_once(small_net, loader, test, seed=0, epochs=1, device="cpu", replacement=True)


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
