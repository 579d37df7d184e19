"""How an exercise is checked.

Every exercise in a notebook ends with a cell such as::

    all_pairs = checks.check_all_pairs(all_pairs)

A chapter's ``checks`` module makes each check with the :func:`exercise` decorator, from a
function that compares the learner's function with the reference::

    @exercise("1.1", reference.all_pairs)
    def check_all_pairs(fn):
        ...                      # raise ExerciseFailed("what is wrong") on a wrong answer
        return "p = 2, 3, 7, 113"  # what was checked, for the success message

The check runs the learner's function and the reference in ``solutions/`` on several inputs,
edge cases included, and then does one of three things:

* the learner's function agrees everywhere: it says so and hands back the learner's function;
* the learner's function is still the stub (it raises ``NotImplementedError``): it says so
  plainly and hands back the reference, so the rest of the notebook still runs: a learner,
  or a whole room, can skip an exercise;
* anything else: it raises :class:`ExerciseFailed` with a message that says what is wrong
  (wrong shape: expected vs got, wrong dtype, off by one position, ...). A wrong answer is
  never silently replaced.

Strict mode turns the fallback off, so a stub fails too: set the environment variable
``INTERP_COURSE_STRICT=1``, or pass ``strict=True`` to a check.
"""

from __future__ import annotations

import os
from typing import Any, Callable

import torch

from .validation import shape_text

STRICT_ENV_VAR = "INTERP_COURSE_STRICT"


class ExerciseFailed(AssertionError):
    """The learner's function gave a wrong answer; the message says what is wrong."""


class ExerciseNotAttempted(Exception):
    """Strict mode: the learner's function is still the stub."""


def strict_mode(strict: bool | None = None) -> bool:
    """``strict`` if given, else whether ``$INTERP_COURSE_STRICT`` is set to 1/true/yes."""
    if strict is not None:
        return bool(strict)
    return os.environ.get(STRICT_ENV_VAR, "").strip().lower() in {"1", "true", "yes"}


def run_check(
    exercise: str,
    learner_fn: Callable,
    reference_fn: Callable,
    compare: Callable[[Callable], str],
    strict: bool | None = None,
) -> Callable:
    """Check ``learner_fn`` and return the function the rest of the notebook should use.

    Args:
        exercise: e.g. ``"1.1 all_pairs"``; it starts every message.
        learner_fn: the learner's function.
        reference_fn: the reference from ``solutions/``.
        compare: runs ``learner_fn`` on the test inputs and raises :class:`ExerciseFailed`
            (or lets the learner's own exception through) if it is wrong; returns a short
            description of what was checked, for the success message.
        strict: see :func:`strict_mode`.
    """
    if not callable(learner_fn):
        raise TypeError(f"Exercise {exercise}: expected your function, got {type(learner_fn).__name__}")
    try:
        checked = compare(learner_fn)
    except NotImplementedError:
        if strict_mode(strict):
            raise ExerciseNotAttempted(
                f"Exercise {exercise}: not written yet (it raises NotImplementedError), "
                "and strict mode is on."
            ) from None
        module = reference_fn.__module__.replace(".", "/") + ".py"
        print(
            f"Exercise {exercise}: not written yet, so the rest of the notebook uses the "
            f"reference solution ({module}). Write it and run this cell again to check it."
        )
        return reference_fn
    except ExerciseFailed as failure:
        raise ExerciseFailed(f"Exercise {exercise}: {failure}") from None
    except Exception as error:
        raise ExerciseFailed(
            f"Exercise {exercise}: your function raised {type(error).__name__}: {error}"
        ) from error
    print(f"Exercise {exercise}: correct. Checked {checked}.")
    return learner_fn


def exercise(number: str, reference: Callable) -> Callable[[Callable], Callable]:
    """Make the check of exercise ``number`` (e.g. ``"1.1"``) from a comparison.

    The decorated function ``compare(fn) -> str`` runs ``fn`` on the test inputs and raises
    :class:`ExerciseFailed` with a precise message if it is wrong. The result is the check a
    notebook calls, ``check(learner_fn, strict=None) -> the function to go on with``
    (see :func:`run_check`); it carries ``.exercise`` (e.g. ``"1.1 all_pairs"``) and
    ``.reference``, so a test can find every check and pair it with its reference.
    """
    name = f"{number} {reference.__name__}"

    def decorate(compare: Callable[[Callable], str]) -> Callable:
        def check(learner_fn: Callable, strict: bool | None = None) -> Callable:
            return run_check(name, learner_fn, reference, compare, strict)

        check.__name__ = check.__qualname__ = compare.__name__
        check.__module__ = compare.__module__
        check.__doc__ = (
            f"Check exercise {name}: compare your function with the reference "
            f"({reference.__module__}.{reference.__name__}) and return the function to go on with."
        )
        check.exercise, check.reference, check.compare = name, reference, compare
        return check

    return decorate


def same_values(got: Any, expected: torch.Tensor, atol: float = 1e-7) -> bool:
    """Whether ``got`` is a tensor of ``expected``'s shape with the same values (to ``atol``):
    what a check uses to recognise a known wrong answer before naming it."""
    return (
        isinstance(got, torch.Tensor)
        and got.shape == expected.shape
        and torch.allclose(got.double(), expected.double(), atol=atol)
    )


def expect_tensor(got: Any, expected: torch.Tensor, what: str, *, atol: float = 0.0, rtol: float = 0.0) -> None:
    """Raise :class:`ExerciseFailed` unless ``got`` is a tensor like ``expected``: same shape,
    same kind of dtype (and exactly the same dtype for floats of different precision), values
    equal within ``atol + rtol * |expected|``."""
    if not isinstance(got, torch.Tensor):
        raise ExerciseFailed(f"{what} should be a torch.Tensor, got {type(got).__name__}")
    if got.shape != expected.shape:
        raise ExerciseFailed(
            f"{what} has the wrong shape: expected {shape_text(expected.shape)}, got {shape_text(got.shape)}"
        )
    if got.is_floating_point() != expected.is_floating_point() or got.dtype == torch.bool:
        raise ExerciseFailed(f"{what} has the wrong dtype: expected {expected.dtype}, got {got.dtype}")
    if expected.is_floating_point() and got.dtype != expected.dtype:
        raise ExerciseFailed(f"{what} has the wrong dtype: expected {expected.dtype}, got {got.dtype}")
    got_values = got.detach().to(expected.dtype)
    if expected.is_floating_point():
        wrong = ~torch.isclose(got_values, expected.detach(), atol=atol, rtol=rtol)
    else:
        wrong = got_values != expected
    if wrong.any():
        first = tuple(int(i) for i in wrong.nonzero()[0])
        index = first if len(first) != 1 else first[0]
        where = f" at index {index}" if expected.ndim else ""
        raise ExerciseFailed(
            f"{what} has wrong values{where}: expected {expected[first].item()!r}, got "
            f"{got_values[first].item()!r} ({int(wrong.sum())} of {wrong.numel()} entries differ)"
        )
