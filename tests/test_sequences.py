"""Toy problem 5, the course-style generator, the sequence file format, characters and dates."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import torch

from dlbasics.sequences import (CHAT_LINES, DATE_FORMATS, CharVocab, course_style_counts, draw_count_sequences,
                                load_count_data, make_count_data, make_dates_data, running_counts,
                                save_count_data, write_date)
from dlbasics.toydata import ToyFormatError

# --- toy problem 5 ------------------------------------------------------------------------------


def test_labels_are_the_number_of_ones_and_bits_are_binary():
    data = make_count_data(n_train=500, n_test=300, seed=3)
    for bits, labels in data:
        assert bits.dtype == torch.float32 and labels.dtype == torch.int64
        assert bits.shape[1] == 20
        assert set(bits.unique().tolist()) <= {0.0, 1.0}
        assert torch.equal(bits.sum(dim=1).long(), labels)


def test_every_count_is_about_equally_common():
    labels = draw_count_sequences(21_000, torch.Generator().manual_seed(0)).labels
    share = labels.bincount(minlength=21).float() / len(labels)
    assert (share - 1 / 21).abs().max() < 0.01


def test_same_seed_same_data_and_sets_differ():
    a, b, c = make_count_data(seed=1), make_count_data(seed=1), make_count_data(seed=2)
    assert torch.equal(a.train.features, b.train.features) and torch.equal(a.test.labels, b.test.labels)
    assert not torch.equal(a.train.features, c.train.features)
    assert not torch.equal(a.train.features[:100], a.test.features[:100])


def test_longer_sequences_respect_max_ones():
    data = draw_count_sequences(2000, torch.Generator().manual_seed(0), length=40, max_ones=20)
    assert data.features.shape == (2000, 40)
    assert data.labels.max() == 20 and data.labels.min() == 0
    assert torch.equal(data.features.sum(dim=1).long(), data.labels)


@pytest.mark.parametrize("kwargs", [dict(n=0), dict(n=5, length=0), dict(n=5, max_ones=21), dict(n=5, max_ones=-1),
                                    dict(n=True)])
def test_bad_arguments_are_refused(kwargs):
    n = kwargs.pop("n")
    with pytest.raises(ValueError):
        draw_count_sequences(n, torch.Generator().manual_seed(0), **kwargs)


def _course_loop(n, rng, length=20):
    """The course's loop of exercise_910.ipynb, transcribed in plain Python, one sequence at a time."""
    rows = []
    for _ in range(n):
        x = [0] * length
        for _ in range(rng.randint(0, length)):
            position = rng.randint(0, length - 1)
            while position < length - 1 and x[position] == 1:
                position += 1
            x[position] = 1
        rows.append(x)
    return torch.tensor(rows, dtype=torch.float32)


def test_course_style_counts_follows_the_course_loop():
    ours = course_style_counts(20_000, torch.Generator().manual_seed(0))
    course = _course_loop(20_000, random.Random(0))
    assert torch.equal(ours.features.sum(dim=1).long(), ours.labels)
    for bits in (ours.features, course):
        assert bits.shape == (20_000, 20)
    share = ours.labels.bincount(minlength=21) / 20_000
    course_share = course.sum(dim=1).long().bincount(minlength=21) / 20_000
    assert (share - course_share).abs().max() < 0.01               # the same label distribution
    assert (ours.features.mean(0) - course.mean(0)).abs().max() < 0.02   # and the same places


def test_course_style_counts_loses_ones_only_off_the_end():
    data, drawn = course_style_counts(20_000, torch.Generator().manual_seed(1), return_drawn=True)
    same = course_style_counts(20_000, torch.Generator().manual_seed(1))
    assert torch.equal(data.labels, same.labels) and drawn.shape == (20_000,)
    assert (data.labels <= drawn).all() and torch.equal(data.labels[drawn <= 1], drawn[drawn <= 1])
    lost = data.labels < drawn
    assert lost.any() and (data.features[lost, -1] == 1).all()    # a one is lost at a full end only


def test_course_style_counts_rare_high_counts_and_an_empty_first_place():
    data, drawn = course_style_counts(200_000, torch.Generator().manual_seed(2), return_drawn=True)
    for k in (5, 10, 19, 20):
        # All k ones stay with the parking-function probability (21 - k) 21^(k-1) / 20^k.
        kept = (data.labels[drawn == k] == k).float().mean().item()
        assert abs(kept - (21 - k) * 21 ** (k - 1) / 20 ** k) < 0.015
        # The first place holds a one only if a one drew it: 1 - (19/20)^k.
        first = data.features[drawn == k, 0].mean().item()
        assert abs(first - (1 - (19 / 20) ** k)) < 0.015
    share = data.labels.bincount(minlength=21) / len(data.labels)
    assert share[20] < 0.01 and share[19] < 0.03 and (share[:19] > 0.035).all()
    assert data.features[:, 0].mean() < data.features[:, 1:].mean(dim=0).min() - 0.04


def test_running_counts():
    bits = torch.tensor([[1.0, 0.0, 1.0, 1.0]])
    assert running_counts(bits).tolist() == [[1.0, 1.0, 2.0, 3.0]]


# --- the file format ----------------------------------------------------------------------------

def test_round_trip(tmp_path):
    data = make_count_data(n_train=50, n_test=1, seed=0).train
    path = save_count_data(tmp_path / "t.txt", data.features, data.labels)
    first = path.read_text().splitlines()[0]
    assert first.split("\t")[0] == str(data.labels[0].item()) and len(first.split("\t")[1].split()) == 20
    loaded = load_count_data(path)
    assert torch.equal(loaded.features, data.features) and torch.equal(loaded.labels, data.labels)


@pytest.mark.parametrize("text, words", [
    ("1\t1 0\n1\t0 3\n", "only 0 and 1"),
    ("1\t1 0\n2\t0 1\n", "says 2 ones"),
    ("1\t1 0\n1 0 1\n", "no tab"),
    ("1\t1 0\n1\t1\n", "lines before have 2"),
    ("1\t1 0\nx\t1 0\n", "not an integer"),
])
def test_bad_files_name_file_and_line(tmp_path, text, words):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(ToyFormatError) as err:
        load_count_data(path)
    assert str(path) in str(err.value) and "line 2" in str(err.value) and words in str(err.value)


def test_line_numbers_count_blank_lines(tmp_path):
    path = tmp_path / "blank.txt"
    path.write_text("1\t1 0\n\n\n1\t0 0\n")
    with pytest.raises(ToyFormatError, match="line 4"):
        load_count_data(path)


def test_save_refuses_non_bits(tmp_path):
    with pytest.raises(ValueError, match="zeros and ones"):
        save_count_data(tmp_path / "x.txt", torch.tensor([[0.0, 2.0]]), torch.tensor([2]))


def test_missing_file():
    with pytest.raises(FileNotFoundError):
        load_count_data("/nonexistent/toy5.txt")


# --- characters ---------------------------------------------------------------------------------

def test_vocab_encodes_pads_and_decodes():
    vocab = CharVocab("abc")
    ids = vocab.encode(["ab", "c"], start=True, end=True)
    assert ids.tolist() == [[1, 3, 4, 2], [1, 5, 2, 0]]
    assert vocab.decode(ids) == ["ab", "c"]
    labels = vocab.encode(["ab", "c"], end=True, pad_id=-100)
    assert labels.tolist() == [[3, 4, 2], [5, 2, -100]]


def test_vocab_refuses_unknown_characters_and_a_bare_string():
    vocab = CharVocab("abc")
    with pytest.raises(ValueError, match=r"\['z'\]"):
        vocab.encode(["az"])
    with pytest.raises(TypeError, match="list of strings"):
        vocab.encode("abc")


# --- dates --------------------------------------------------------------------------------------

def test_write_date_styles():
    date = dt.date(2021, 3, 3)
    assert write_date(date, "ordinal of month") == "3rd of march 2021"
    assert write_date(date, "Mon d, yyyy") == "Mar 3, 2021"
    assert write_date(date, "dd/mm/yy") == "03/03/21"
    assert write_date(dt.date(1999, 12, 11), "ordinal of month") == "11th of december 1999"
    assert write_date(dt.date(1999, 12, 22), "ordinal of month").startswith("22nd")
    with pytest.raises(ValueError, match="styles"):
        write_date(date, "yyyy")


def test_dates_targets_are_iso_and_sets_share_no_date():
    split = make_dates_data(n_train=3000, n_test=500, seed=4)
    assert not set(split.train.targets) & set(split.test.targets)
    assert not set(split.train.inputs) & set(split.test.inputs)
    for text, iso in zip(*split.train):
        date = dt.date.fromisoformat(iso)
        assert dt.date(1950, 1, 1) <= date <= dt.date(2049, 12, 31)
        assert text in {write_date(date, style) for style in DATE_FORMATS}
    assert make_dates_data(100, 10, seed=4) == make_dates_data(100, 10, seed=4)
    assert make_dates_data(100, 10, seed=4) != make_dates_data(100, 10, seed=5)


def test_dates_refuse_too_many():
    with pytest.raises(ValueError, match="only"):
        make_dates_data(n_train=40_000, n_test=1000)


def test_chat_lines_are_pairs_of_strings():
    assert len(CHAT_LINES) == 19 and all(isinstance(q, str) and isinstance(a, str) for q, a in CHAT_LINES)
