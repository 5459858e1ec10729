"""The toy data sets: rules, boundary exclusions, ranges, seeding, the text format and its errors.

Every rule is recomputed here from the problem's definition, point by point
in plain Python, never through the package's own rule functions.
"""

from __future__ import annotations

import re

import pytest
import torch

from dlbasics.toydata import (ToyFormatError, draw_points, get_problem, label_points, load_toy_data,
                              make_toy_data, save_toy_data)

N_FEATURES = {1: 2, 2: 3, 3: 2}
PROBLEMS = sorted(N_FEATURES)


def expected_label(problem: int, point: list[float]) -> int:
    """The class the course's definition gives to one point."""
    if problem == 1:
        f1, f2 = point
        return 1 if f1 < f2 else 0
    if problem == 2:
        f1, f2, f3 = point
        return 1 if f1 < f2 + f3 else 0
    f1, f2 = point
    return 0 if f1 * f2 > 0 else 1   # XOR-like: class 0 when the signs agree


def on_or_near_boundary(problem: int, point: list[float]) -> bool:
    if problem == 1:
        return point[0] == point[1]
    if problem == 2:
        gap = abs(point[0] - point[1] - point[2])
        return not 1 <= gap <= 100
    return 0 in point


@pytest.fixture(scope="module", params=PROBLEMS)
def problem_and_split(request):
    return request.param, make_toy_data(request.param, n_train=1000, n_test=500, seed=3)


# --- the generated points ----------------------------------------------------

def test_every_point_obeys_its_rule(problem_and_split):
    problem, split = problem_and_split
    for data in split:
        for point, label in zip(data.features.tolist(), data.labels.tolist()):
            assert label == expected_label(problem, point), (problem, point, label)


def test_no_point_on_or_near_the_boundary(problem_and_split):
    problem, split = problem_and_split
    for data in split:
        bad = [p for p in data.features.tolist() if on_or_near_boundary(problem, p)]
        assert not bad, f"problem {problem}: points on or near the boundary: {bad[:5]}"


def test_shapes_dtypes_and_ranges(problem_and_split):
    problem, split = problem_and_split
    d = N_FEATURES[problem]
    for data, n in ((split.train, 1000), (split.test, 500)):
        assert data.features.shape == (n, d)
        assert data.labels.shape == (n,)
        assert data.features.dtype == torch.float32
        assert data.labels.dtype == torch.int64
        assert data.features.min() >= -100 and data.features.max() <= 100
        assert torch.equal(data.features, data.features.round()), "features must be whole numbers"
        assert set(data.labels.unique().tolist()) == {0, 1}, "both classes must occur"


def test_features_cover_the_whole_range(problem_and_split):
    # Both ends are drawn: with 1500 points each end is missed with a chance of about e**-15.
    problem, split = problem_and_split
    features = torch.cat([split.train.features, split.test.features])
    assert features.min() == -100 and features.max() == 100


def test_classes_are_roughly_balanced(problem_and_split):
    problem, split = problem_and_split
    for data in split:
        share = data.labels.float().mean().item()
        assert 0.4 < share < 0.6, f"problem {problem}: {share:.1%} of the points are class 1"


def test_problem_2_fills_its_margin():
    # The margin is 1..100, and points occur near both of its ends.
    features = make_toy_data(2, n_train=2000, n_test=1, seed=0).train.features
    gap = (features[:, 0] - features[:, 1] - features[:, 2]).abs()
    assert gap.min() == 1 and gap.max() == 100


@pytest.mark.parametrize("problem", PROBLEMS)
def test_same_seed_reproduces(problem):
    first = make_toy_data(problem, n_train=200, n_test=100, seed=7)
    torch.manual_seed(12345)   # the global generator must not matter
    torch.rand(10)
    second = make_toy_data(problem, n_train=200, n_test=100, seed=7)
    for a, b in zip(first, second):
        assert torch.equal(a.features, b.features) and torch.equal(a.labels, b.labels)


@pytest.mark.parametrize("problem", PROBLEMS)
def test_different_seeds_differ(problem):
    a = make_toy_data(problem, n_train=200, n_test=100, seed=0)
    b = make_toy_data(problem, n_train=200, n_test=100, seed=1)
    assert not torch.equal(a.train.features, b.train.features)
    assert not torch.equal(a.test.features, b.test.features)


@pytest.mark.parametrize("problem", PROBLEMS)
def test_train_and_test_differ(problem):
    split = make_toy_data(problem, n_train=300, n_test=300, seed=0)
    assert not torch.equal(split.train.features, split.test.features)
    # independent draws: most test points are not training points
    seen = set(map(tuple, split.train.features.tolist()))
    repeated = sum(tuple(p) in seen for p in split.test.features.tolist())
    assert repeated < 30


@pytest.mark.parametrize("problem", PROBLEMS)
@pytest.mark.parametrize("n", [1, 2, 7, 1000])
def test_draw_points_gives_exactly_n(problem, n):
    data = draw_points(problem, n, torch.Generator().manual_seed(0))
    assert data.features.shape == (n, N_FEATURES[problem]) and data.labels.shape == (n,)


@pytest.mark.parametrize("problem", PROBLEMS)
def test_label_points_follows_the_definition(problem):
    # Small numbers, so that problems 1 and 2 get many points on their boundary, which the
    # generator never draws: the strict '<' puts them in class 0. Problem 3's definition
    # ("class 0 when f1 * f2 > 0") says nothing about a zero feature, so those are left out.
    generator = torch.Generator().manual_seed(5)
    points = torch.randint(-3, 4, (300, N_FEATURES[problem]), generator=generator).float()
    if problem == 3:
        points = points[(points != 0).all(dim=1)]
    else:
        assert any(on_or_near_boundary(problem, p) for p in points.tolist())
    labels = label_points(problem, points)
    assert labels.dtype == torch.int64
    assert labels.tolist() == [expected_label(problem, p) for p in points.tolist()]


def test_get_problem_describes_each_problem():
    for problem, d in N_FEATURES.items():
        spec = get_problem(problem)
        assert spec.number == problem and spec.n_features == d and spec.description


# --- bad arguments -------------------------------------------------------------

@pytest.mark.parametrize("problem", [0, 4, -1, "1", None])
def test_unknown_problem_is_refused(problem):
    for call in (lambda: make_toy_data(problem), lambda: get_problem(problem),
                 lambda: label_points(problem, torch.zeros(3, 2))):
        with pytest.raises(ValueError, match=r"no toy problem .*\[1, 2, 3\]"):
            call()


@pytest.mark.parametrize("n", [0, -5, 2.5, True, "10", None])
def test_bad_sizes_are_refused(n):
    with pytest.raises(ValueError, match="n must be a positive int"):
        make_toy_data(1, n_train=n, n_test=10)
    with pytest.raises(ValueError, match="n must be a positive int"):
        make_toy_data(1, n_train=10, n_test=n)
    with pytest.raises(ValueError, match="n must be a positive int"):
        draw_points(2, n, torch.Generator())


@pytest.mark.parametrize("problem,shape", [(1, (5, 3)), (2, (5, 2)), (3, (2,)), (1, (2, 2, 2))])
def test_wrong_feature_shape_is_refused(problem, shape):
    d = N_FEATURES[problem]
    with pytest.raises(ValueError, match=rf"shape \(N, {d}\); got {re.escape(str(shape))}"):
        label_points(problem, torch.zeros(shape))


@pytest.mark.parametrize("features,labels", [
    (torch.zeros(4, 2), torch.zeros(3, dtype=torch.int64)),   # lengths differ
    (torch.zeros(4), torch.zeros(4, dtype=torch.int64)),      # features not 2-D
    (torch.zeros(4, 2), torch.zeros(4, 1, dtype=torch.int64)),  # labels not 1-D
])
def test_save_refuses_mismatched_shapes(tmp_path, features, labels):
    with pytest.raises(ValueError, match=r"need features \(N, d\) and labels \(N,\)"):
        save_toy_data(tmp_path / "bad.txt", features, labels)
    assert not (tmp_path / "bad.txt").exists()


# --- the text format -------------------------------------------------------------

@pytest.mark.parametrize("problem", PROBLEMS)
def test_save_load_round_trip(tmp_path, problem):
    data = make_toy_data(problem, n_train=300, n_test=1, seed=11).train
    path = save_toy_data(tmp_path / f"toy{problem}.txt", data.features, data.labels)
    loaded = load_toy_data(path)
    assert loaded.features.dtype == torch.float32 and loaded.labels.dtype == torch.int64
    assert torch.equal(loaded.features, data.features)
    assert torch.equal(loaded.labels, data.labels)


def test_file_format_is_the_courses(tmp_path):
    features = torch.tensor([[3.0, -7.0], [100.0, 0.0]])
    labels = torch.tensor([0, 1])
    path = save_toy_data(tmp_path / "toy.txt", features, labels)
    assert path.read_text() == "0\t3 -7\n1\t100 0\n"


def test_load_reads_a_handwritten_file_with_blank_lines(tmp_path):
    path = tmp_path / "hand.txt"
    path.write_text("1\t5 9\n\n0\t9 5\n   \n1\t-3 0\n")
    data = load_toy_data(path)
    assert data.features.tolist() == [[5.0, 9.0], [9.0, 5.0], [-3.0, 0.0]]
    assert data.labels.tolist() == [1, 0, 1]


MALFORMED = {
    "no tab": ("1\t3 5\n0 7 2\n", 2, "no tab"),
    "non-integer label": ("1\t3 5\nx\t7 2\n", 2, "label 'x' is not an integer"),
    "fractional label": ("1.5\t3 5\n", 1, "label '1.5' is not an integer"),
    "non-numeric feature": ("1\t3 5\n0\t7 2\n1\t4 five\n", 3, "not all numbers"),
    "inconsistent features": ("1\t3 5\n0\t7 2 9\n", 2, "3 features, but the lines before have 2"),
    "label without features": ("1\t3 5\n0\t\n", 2, "no features"),
    "error after a blank line": ("1\t3 5\n\n\n0\t7\n", 4, "1 feature, but the lines before have 2"),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_line_names_file_and_line(tmp_path, kind):
    text, line, words = MALFORMED[kind]
    path = tmp_path / "broken.txt"
    path.write_text(text)
    with pytest.raises(ToyFormatError) as info:
        load_toy_data(path)
    message = str(info.value)
    assert str(path) in message, message
    assert f"line {line}:" in message, message
    assert words in message, message
    assert isinstance(info.value, ValueError)   # callers may catch ValueError


@pytest.mark.parametrize("text", ["", "\n\n  \n"])
def test_empty_file_names_the_file(tmp_path, text):
    # An empty file has no line to blame: the message names the file and says it is empty.
    path = tmp_path / "empty.txt"
    path.write_text(text)
    with pytest.raises(ToyFormatError, match="holds no data") as info:
        load_toy_data(path)
    assert str(path) in str(info.value)


def test_missing_file_names_the_file(tmp_path):
    path = tmp_path / "nowhere" / "toy.txt"
    with pytest.raises(FileNotFoundError) as info:
        load_toy_data(path)
    assert str(path) in str(info.value)


def test_a_folder_is_not_a_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path))):
        load_toy_data(tmp_path)
