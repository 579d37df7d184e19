"""Naming a learner's mistake: a check that already knows an answer is wrong compares it with
the results of the mistakes learners make (computed from the reference on changed inputs, or
by a copy of the reference with the mistake in it) and, when one matches, says which.

Two rules keep a named mistake honest: a mistake is named only when the learner's result is
that mistake's and the right result is not (so a right answer is never diagnosed, and a
mistake these inputs cannot show is never blamed), and, where several mistakes give the same
numbers, a check can ask for the one mistake that matches alone (``only_one=True``) rather
than guess.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import torch

from .exercise_failures import ExerciseFailed
from .learner_call import LearnerRaised
from .tensor_comparison import same_values

Mistake = tuple[Any, str]
"""(that mistake's result, a tensor or a float, or a function of no arguments that computes it,
or None where these inputs cannot show it; the message that names it)"""


def agrees(got: Any, want: torch.Tensor, atol: float, rtol: float = 0.0) -> bool:
    """Whether ``got`` has ``want``'s shape and values to ``atol + rtol * |want|`` (the dtype
    aside): the gate before naming a mistake, stricter than :func:`same_values`, whose tolerance
    would let a near miss through without a name."""
    return (isinstance(got, torch.Tensor) and got.shape == want.shape and not got.is_complex()
            and bool(torch.isclose(got.detach().to(want.dtype), want, atol=atol, rtol=rtol).all()))


def matches(got: Any, value: Any, atol: float = 1e-5) -> bool:
    """Whether ``got`` is ``value`` (a tensor, to ``atol``; a float, to ``atol``)."""
    if isinstance(value, torch.Tensor):
        return same_values(got, value, atol=atol)
    return isinstance(got, (int, float)) and not isinstance(got, bool) and abs(got - value) <= atol


def which_mistake(got: Any, want: Any, mistakes: Sequence[Mistake], *, atol: float = 1e-5,
                  only_one: bool = False) -> str | None:
    """The message of the first mistake whose result ``got`` is and ``want`` (the right result)
    is not; with ``only_one``, the message only if exactly one mistake matches (two mistakes that
    give the same numbers here are not told apart). None if ``got`` is right to ``atol`` or no
    mistake fits."""
    if matches(got, want, atol):
        return None
    named = []
    for value, message in mistakes:
        value = value() if callable(value) else value
        if value is not None and matches(got, value, atol) and not matches(want, value, atol):
            if not only_one:
                return message
            if message not in named:
                named.append(message)
    return named[0] if len(named) == 1 else None


def name_the_mistake(got: Any, want: Any, mistakes: Sequence[Mistake], *, atol: float = 1e-5,
                     only_one: bool = False, where: str = "") -> None:
    """Raise :class:`ExerciseFailed` with ``where`` and the message of :func:`which_mistake`, if
    it finds one; return otherwise (the caller goes on to its generic message)."""
    message = which_mistake(got, want, mistakes, atol=atol, only_one=only_one)
    if message is not None:
        raise ExerciseFailed(f"{where}{message}")


def name_the_raise(fn: Callable, args: tuple, *, mistakes: Callable[[], Sequence[Mistake]], want: Any,
                   atol: float = 1e-5) -> None:
    """``fn`` (the learner's function, called through the check) raised on the check's inputs:
    run it on ``args``, inputs where a known mistake runs (e.g. d_head = d_model, where a
    forgotten W_O does), and name that mistake if its result there is the mistake's and not the
    right one (``want``, or a function of no arguments that computes it). If it raises there
    too, or gives anything else, return: the caller reports the original error."""
    try:
        got = fn(*args)
    except LearnerRaised:
        return
    name_the_mistake(got, want() if callable(want) else want, mistakes(), atol=atol)
