"""Sequence data for part 9: toy problem 5, a date-translation task, and chat lines.

**Toy problem 5.** A sequence of 20 bits (zeros and ones); its label is how
many ones it holds, one of 21 classes (0 to 20). :func:`make_count_data`
first draws the label uniformly from 0 to 20, then places exactly that many
ones at distinct random positions, so every class is equally common and
every label is right. :func:`course_style_counts` is the course's generator
for comparison (a count is drawn, then that many ones placed one by one, a
one whose place is taken moving right to the next free place, and lost when
there is none). :func:`save_count_data` and :func:`load_count_data` use the
course's text format, one sequence per line: ``count<TAB>b1 b2 ... b20``.

**Dates.** :func:`make_dates_data` writes dates the ways people write them
("3rd of march 2021", "Mar 3, 2021", "03/03/21", ...) next to their ISO form
("2021-03-03"); training and test sets hold different *dates*, so no test
input, in any of its spellings, was seen in training.

**Characters.** :class:`CharVocab` turns strings into padded tensors of
character ids and back.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import NamedTuple

import torch

from dlbasics.toydata import ToyData, ToyFormatError, ToySplit, load_toy_data, save_toy_data

SEQUENCE_LENGTH = 20


# --- Toy problem 5: count the ones ----------------------------------------------------------

def _check_positive(value, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")


def draw_count_sequences(n: int, generator: torch.Generator,
                         length: int = SEQUENCE_LENGTH,
                         max_ones: int | None = None) -> ToyData:
    """``n`` bit sequences of ``length`` with counts of ones uniform on 0..``max_ones``.

    ``max_ones`` defaults to ``length``. Each sequence draws its count first,
    then puts that many ones at distinct positions (a random permutation's
    first ``count`` places), so the label is exactly the number of ones.
    Features are float32 ``(n, length)``, labels int64 ``(n,)``.
    """
    _check_positive(n, "n")
    _check_positive(length, "length")
    max_ones = length if max_ones is None else max_ones
    if (isinstance(max_ones, bool) or not isinstance(max_ones, int)
            or not 0 <= max_ones <= length):
        raise ValueError(f"max_ones must be an int from 0 to length={length}, "
                         f"got {max_ones!r}")
    counts = torch.randint(0, max_ones + 1, (n,), generator=generator)
    # A position is a one when its rank in a random order is below the count:
    # distinct places.
    ranks = torch.rand(n, length, generator=generator).argsort(dim=1).argsort(dim=1)
    bits = (ranks < counts.unsqueeze(1)).float()
    return ToyData(bits, counts)


def make_count_data(n_train: int = 2000, n_test: int = 1000, seed: int = 0,
                    length: int = SEQUENCE_LENGTH) -> ToySplit:
    """Training and test sets of toy problem 5, reproducible from ``seed`` (training set drawn first)."""
    generator = torch.Generator().manual_seed(seed)
    return ToySplit(draw_count_sequences(n_train, generator, length),
                    draw_count_sequences(n_test, generator, length))


def course_style_counts(n: int, generator: torch.Generator,
                        length: int = SEQUENCE_LENGTH, return_drawn: bool = False):
    """The course's toy problem 5 generator (``exercise_910.ipynb``), vectorised.

    Each sequence draws a count uniformly from 0 to ``length``, then places
    that many ones, one after another: a one draws a position uniformly;
    if that place already holds a one, it moves right to the first free
    place; if there is none before the end, it is lost. (This is the parking
    problem: a car takes the first free place at or after the one it
    wanted, or leaves.) The labels are the real numbers of ones, as in the
    course, so they are right, but lower than the count drawn whenever a one
    was lost. With ``return_drawn=True`` the result is ``(data, drawn)``,
    ``drawn`` holding the counts drawn (int64 ``(n,)``).
    """
    _check_positive(n, "n")
    _check_positive(length, "length")
    drawn = torch.randint(0, length + 1, (n,), generator=generator)
    bits = torch.zeros(n, length)
    places = torch.arange(length)
    # the one-th one of every sequence that drew more than `one`
    for one in range(length):
        wanted = torch.randint(0, length, (n,), generator=generator)
        # free places at or after the wanted one
        free = (bits == 0) & (places >= wanted.unsqueeze(1))
        placed = (one < drawn) & free.any(dim=1)  # no free place: the one is lost
        first_free = free.float().argmax(dim=1)   # argmax gives the first of the 1s
        rows = placed.nonzero().flatten()
        bits[rows, first_free[rows]] = 1.0
    data = ToyData(bits, bits.sum(dim=1).long())
    return (data, drawn) if return_drawn else data


def save_count_data(path, bits, labels) -> Path:
    """Write sequences in the course's format, ``count<TAB>b1 b2 ...`` per line."""
    bits = torch.as_tensor(bits)
    if bits.dim() == 2 and not ((bits == 0) | (bits == 1)).all():
        raise ValueError("the sequences must hold only zeros and ones")
    return save_toy_data(path, bits, labels)


def load_count_data(path) -> ToyData:
    """Read a file of toy problem 5 (written by :func:`save_count_data` or by the course).

    On top of the format checks of :func:`dlbasics.toydata.load_toy_data`
    (a tab, an integer label, numbers, the same length on every line), each
    value must be 0 or 1 and each label must equal the number of ones in its
    line; anything else raises :class:`~dlbasics.toydata.ToyFormatError`
    naming the file and the line.
    """
    data = load_toy_data(path)
    path = Path(path)
    line_numbers = [i for i, line in enumerate(path.read_text().splitlines(), start=1) if line.strip()]
    not_bits = ~((data.features == 0) | (data.features == 1)).all(dim=1)
    wrong_count = data.features.sum(dim=1).long() != data.labels
    for row in (not_bits | wrong_count).nonzero().flatten().tolist():
        where = f"{path}, line {line_numbers[row]}"
        if not_bits[row]:
            raise ToyFormatError(f"{where}: a sequence holds only 0 and 1, found "
                                 f"{sorted(set(data.features[row].tolist()) - {0.0, 1.0})}")
        raise ToyFormatError(f"{where}: the label says {data.labels[row].item()} ones but the sequence "
                             f"holds {int(data.features[row].sum().item())}")
    return ToyData(data.features, data.labels)


def running_counts(bits: torch.Tensor) -> torch.Tensor:
    """The number of ones seen so far at each position of each sequence, ``(N, T)``."""
    return bits.cumsum(dim=1)


# --- Characters to ids and back --------------------------------------------------------------

PAD, BOS, EOS = "<pad>", "<s>", "</s>"


class CharVocab:
    """Characters numbered for a network: id 0 is padding, then start and end marks, then ``chars``.

    ``encode`` turns strings into a padded ``(N, L)`` int64 tensor; ``decode``
    turns ids back into strings, stopping at the end mark.
    """

    def __init__(self, chars: str):
        chars = "".join(sorted(set(chars)))
        self.tokens = [PAD, BOS, EOS, *chars]
        self.index = {token: i for i, token in enumerate(self.tokens)}
        self.pad, self.bos, self.eos = 0, 1, 2

    def __len__(self) -> int:
        return len(self.tokens)

    def ids(self, text: str) -> list[int]:
        unknown = sorted({c for c in text if c not in self.index})
        if unknown:
            raise ValueError(f"{text!r} holds characters this vocabulary does not know: {unknown}; "
                             "build the vocabulary from all the texts it must encode")
        return [self.index[c] for c in text]

    def encode(self, texts: list[str], start: bool = False, end: bool = False,
               pad_id: int | None = None) -> torch.Tensor:
        """Strings as a ``(N, L)`` tensor of ids, optionally wrapped in start/end marks, padded at the end.

        ``pad_id`` is the id written into padding (default: the pad id 0;
        :data:`dlbasics.training.IGNORE_INDEX` for labels).
        """
        if isinstance(texts, str):
            raise TypeError("encode takes a list of strings; wrap a single string: [text]")
        rows = [[self.bos] * start + self.ids(text) + [self.eos] * end for text in texts]
        width = max((len(row) for row in rows), default=0)
        fill = self.pad if pad_id is None else pad_id
        return torch.tensor([row + [fill] * (width - len(row)) for row in rows], dtype=torch.int64)

    def decode(self, ids) -> list[str]:
        """Each row of ids as a string: marks and padding dropped, cut at the first end mark."""
        texts = []
        for row in torch.as_tensor(ids).tolist():
            chars = []
            for i in row:
                if i == self.eos:
                    break
                if i >= 3:
                    chars.append(self.tokens[i])
            texts.append("".join(chars))
        return texts


# --- Dates: many spellings, one ISO form ------------------------------------------------------

MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"]
FIRST_DATE, LAST_DATE = dt.date(1950, 1, 1), dt.date(2049, 12, 31)  # 100 years: "yy" is unambiguous


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


DATE_FORMATS = {
    "ordinal of month": lambda d: f"{_ordinal(d.day)} of {MONTHS[d.month - 1]} {d.year}",
    "Mon d, yyyy": lambda d: f"{MONTHS[d.month - 1][:3].title()} {d.day}, {d.year}",
    "dd/mm/yy": lambda d: f"{d.day:02d}/{d.month:02d}/{d.year % 100:02d}",
    "d Month yyyy": lambda d: f"{d.day} {MONTHS[d.month - 1].title()} {d.year}",
    "d.m.yyyy": lambda d: f"{d.day}.{d.month}.{d.year}",
}


def write_date(date: dt.date, style: str) -> str:
    """``date`` written in one of :data:`DATE_FORMATS` (``"dd/mm/yy"`` is day first, years 1950-2049)."""
    if style not in DATE_FORMATS:
        raise ValueError(f"unknown date style {style!r}; the styles are {list(DATE_FORMATS)}")
    return DATE_FORMATS[style](date)


class DatePairs(NamedTuple):
    """Dates as people write them (``inputs``) and in ISO form (``targets``)."""

    inputs: list[str]
    targets: list[str]


class DateSplit(NamedTuple):
    train: DatePairs
    test: DatePairs


def make_dates_data(n_train: int = 6000, n_test: int = 1000, seed: int = 0) -> DateSplit:
    """Training and test pairs for date translation, reproducible from ``seed``.

    Dates are drawn without repetition from 1950-2049; the first ``n_train``
    go to training, the next ``n_test`` to the test set, so the two sets
    share no date (and therefore no input string). Each date is written in
    one style drawn uniformly from :data:`DATE_FORMATS`.
    """
    _check_positive(n_train, "n_train")
    _check_positive(n_test, "n_test")
    days = (LAST_DATE - FIRST_DATE).days + 1
    if n_train + n_test > days:
        raise ValueError(f"there are only {days} dates from {FIRST_DATE} to {LAST_DATE}; "
                         f"n_train + n_test = {n_train + n_test} is more")
    generator = torch.Generator().manual_seed(seed)
    offsets = torch.randperm(days, generator=generator)[:n_train + n_test].tolist()
    styles = torch.randint(0, len(DATE_FORMATS), (n_train + n_test,), generator=generator).tolist()
    names = list(DATE_FORMATS)
    inputs, targets = [], []
    for offset, style in zip(offsets, styles):
        date = FIRST_DATE + dt.timedelta(days=offset)
        inputs.append(write_date(date, names[style]))
        targets.append(date.isoformat())
    return DateSplit(DatePairs(inputs[:n_train], targets[:n_train]),
                     DatePairs(inputs[n_train:], targets[n_train:]))


# --- A small chat corpus ----------------------------------------------------------------------

CHAT_LINES = [
    ("hello", "hello, how are you?"),
    ("hi", "hi there!"),
    ("hey", "hey! what's up?"),
    ("good morning", "good morning to you too."),
    ("good evening", "good evening. how was your day?"),
    ("good night", "sleep well!"),
    ("how are you?", "i am fine, thank you."),
    ("how is it going?", "it is going well."),
    ("what's up?", "not much. and you?"),
    ("nice to meet you", "nice to meet you too."),
    ("thank you", "you are welcome."),
    ("thanks a lot", "no problem at all."),
    ("see you later", "see you soon!"),
    ("goodbye", "bye, take care."),
    ("bye", "bye bye!"),
    ("who are you?", "i am a small network."),
    ("what is your name?", "i have no name."),
    ("are you a robot?", "i am a program."),
    ("have a nice day", "you too!"),
]
"""Greetings and their answers, written for the book: few enough that a network can only memorise them."""
