"""The verdict on an answer, and the comparison every check builds on."""

from __future__ import annotations

from dataclasses import dataclass

import math

import torch


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one answer: ``ok`` and a message saying why."""

    ok: bool
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return ("Correct: " if self.ok else "Not yet: ") + self.message

    __repr__ = __str__


def describe_type(value) -> str:
    """The type of ``value`` in words, for messages."""
    return type(value).__name__ if value is not None else "None"


def compare_tensors(answer, expected: torch.Tensor, *, name: str = "your answer",
                    atol: float = 1e-5, rtol: float = 1e-5) -> CheckResult:
    """Compare ``answer`` with ``expected``: first its type, then its shape, then its values."""
    if not isinstance(answer, torch.Tensor):
        fix = " (wrap it: torch.tensor(...))" if isinstance(answer, (list, tuple, int, float)) else ""
        return CheckResult(False, f"{name} is a {describe_type(answer)}, not a torch.Tensor{fix}")
    got = answer.detach().cpu()
    want = expected.detach().cpu()
    if got.shape != want.shape:
        message = f"{name} has shape {tuple(got.shape)}, but should have shape {tuple(want.shape)}"
        if got.dim() == 2 and want.dim() == 2 and got.shape == want.T.shape:
            message += " (it looks transposed)"
        elif got.numel() == want.numel():
            message += " (same number of elements: reshape or squeeze it?)"
        return CheckResult(False, message)
    if got.is_complex() or got.dtype == torch.bool:
        return CheckResult(False, f"{name} has dtype {got.dtype}; a real-valued tensor is expected")
    got64, want64 = got.to(torch.float64), want.to(torch.float64)
    if torch.isnan(got64).any():
        return CheckResult(False, f"{name} contains NaN")
    if torch.allclose(got64, want64, atol=atol, rtol=rtol):
        return CheckResult(True, f"{name} has shape {tuple(got.shape)} and the expected values")
    if not got.is_floating_point() and not torch.equal(want64, want64.round()):
        return CheckResult(
            False,
            f"{name} holds integers ({got.dtype}) but the answer has fractions: "
            "build your tensors from floats, e.g. torch.tensor([1.0, 2.0])",
        )
    diff = (got64 - want64).abs()
    worst = tuple(int(i) for i in torch.unravel_index(diff.argmax(), diff.shape))
    return CheckResult(
        False,
        f"{name} has the right shape {tuple(got.shape)} but different values: at index "
        f"{worst} it holds {got64[worst].item():g} where {want64[worst].item():g} is expected",
    )


def not_a_function(value, name: str, check: str) -> CheckResult | None:
    """A failing result when an exercise wants a function and got something else, else None.

    The usual slip is passing ``f(x)``, the result, instead of ``f``.
    """
    if callable(value):
        return None
    return CheckResult(False, f"{name} is a {describe_type(value)}; pass the function itself "
                              f"({check}({name}), without calling it)")


def call_reader_function(function, call: str, *args):
    """``function(*args)`` and None, or None and a failing result naming the exception.

    A bug in a reader's function becomes a message that says what it raised,
    instead of a traceback out of the check.
    """
    try:
        return function(*args), None
    except Exception as err:
        return None, CheckResult(False, f"{call} raised {type(err).__name__}: {err}")


def first_failure(*results: CheckResult) -> CheckResult | None:
    """The first result that is not ok, or None when all are."""
    return next((r for r in results if not r.ok), None)


def as_number(value, name: str, hint: str = "") -> tuple[float | None, CheckResult | None]:
    """``value`` (a Python number or a one-element tensor) as a float, or a failing result saying why not.

    ``hint`` is added to the message for a tensor of several numbers, to say
    how the exercise turns it into one.
    """
    if isinstance(value, bool):
        return None, CheckResult(False, f"{name} is a bool; a number is expected")
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            return None, CheckResult(False, f"{name} is a tensor of shape {tuple(value.shape)}; "
                                            f"a single number is expected{hint}")
        number = value.detach().cpu().to(torch.float64).item()
    elif isinstance(value, (int, float)):
        number = float(value)
    else:
        return None, CheckResult(False, f"{name} is a {describe_type(value)}, not a number "
                                        "(nor a one-element tensor)")
    if not math.isfinite(number):
        return None, CheckResult(False, f"{name} is {number}, not a finite number")
    return number, None
