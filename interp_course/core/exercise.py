"""How an exercise is checked.

Every exercise in a notebook ends with a cell such as::

    all_pairs = checks.check_all_pairs(all_pairs)

A chapter's ``checks`` module makes each check with the :func:`exercise` decorator, from a
function that compares the learner's function with the reference::

    @exercise("1.1", reference.all_pairs)
    def check_all_pairs(fn, reference_fn):
        ...                      # got = fn(p); want = reference_fn(p); raise ExerciseFailed("what is wrong")
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

The parts, each in its own module: what a failed check raises and how Jupyter shows it
(:mod:`.exercise_failures`); calling the learner's function (:mod:`.learner_call`), under a
time limit (:mod:`.time_limit`), with the reference run once per case on its own copy of the
inputs (:mod:`.reference_results`) and each result looked at for NaN, inf and a wrong type
(:mod:`.result_diagnosis`); what a comparison compares with (:mod:`.tensor_comparison`), and
how it names the mistake behind a wrong value (:mod:`.mistakes`). This module puts them
together and words every message.
"""

from __future__ import annotations

import inspect
import os
from typing import Callable

from .exercise_failures import ExerciseFailed, ExerciseNotAttempted, WrongValues
from .learner_call import ChangedInPlace, LearnerCall, LearnerRaised, NotWrittenYet
from .result_diagnosis import non_finite, wrong_type
from .tensor_comparison import expect_tensor, same_values
from .time_limit import DEFAULT_TIME_LIMIT_S, TIME_LIMIT_ENV_VAR, TimedOut, time_limit_s

__all__ = [
    "exercise", "run_check", "strict_mode", "STRICT_ENV_VAR",
    "ExerciseFailed", "WrongValues", "ExerciseNotAttempted",
    "expect_tensor", "same_values", "non_finite", "wrong_type",
    "time_limit_s", "TIME_LIMIT_ENV_VAR", "DEFAULT_TIME_LIMIT_S",
]

STRICT_ENV_VAR = "INTERP_COURSE_STRICT"

Comparison = Callable[[Callable, Callable], str]  # compare(fn, reference_fn) -> what was checked


def strict_mode(strict: bool | None = None) -> bool:
    """``strict`` if given, else whether ``$INTERP_COURSE_STRICT`` is set to 1/true/yes/on."""
    if strict is not None:
        return bool(strict)
    return os.environ.get(STRICT_ENV_VAR, "").strip().lower() in {"1", "true", "yes", "on"}


def run_check(
    exercise: str,
    learner_fn: Callable,
    reference_fn: Callable,
    compare: Comparison,
    strict: bool | None = None,
    may_change: tuple[str, ...] = (),
) -> Callable:
    """Check ``learner_fn`` and return the function the rest of the notebook should use.

    Args:
        exercise: e.g. ``"1.1 all_pairs"``; it starts every message.
        learner_fn: the learner's function.
        reference_fn: the reference from ``solutions/``.
        compare: ``compare(fn, reference_fn)`` runs ``fn`` (the learner's function, guarded:
            see :class:`~interp_course.core.learner_call.LearnerCall`) on the test inputs and
            compares each result with ``reference_fn``'s on the same inputs (the result already
            computed when ``fn`` was called: see
            :class:`~interp_course.core.reference_results.ReferenceResults`); raises
            :class:`ExerciseFailed` if it is wrong; returns a short description of what was
            checked, for the success message.
        strict: see :func:`strict_mode`.
        may_change: the arguments the exercise changes in place on purpose.
    """
    if not callable(learner_fn):
        raise TypeError(f"Exercise {exercise}: expected your function, got {type(learner_fn).__name__}")
    call = LearnerCall(learner_fn, reference_fn, may_change)
    try:
        checked = compare(call, call.reference)
        if call.wrong_type:
            raise ExerciseFailed(call.wrong_type[0])
        if call.non_finite:
            raise ExerciseFailed(
                f"your function returned NaN or inf (in {call.non_finite[0]}); a correct answer is finite"
            )
    except TimedOut as timed_out:
        raise ExerciseFailed(
            f"Exercise {exercise}: your function was still running after {timed_out.seconds:g} s, "
            "so the check stopped it. Look for a loop that never ends (a while loop whose "
            "condition never changes), or work far larger than the docstring asks for. "
            f"(To change the limit, set the environment variable {TIME_LIMIT_ENV_VAR} to a "
            "number of seconds; 0 turns it off.)"
        ) from None
    except NotWrittenYet:
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
    except ChangedInPlace as changed:
        raise ExerciseFailed(
            f"Exercise {exercise}: your function changed its input `{changed.name}` in place; work on a "
            "copy (e.g. x = x.clone(), or an operation without a trailing underscore)"
        ) from None
    except ExerciseFailed as failure:
        if isinstance(failure, WrongValues) and call.wrong_type:  # e.g. float32 values off by 1e-8
            raise ExerciseFailed(f"Exercise {exercise}: {call.wrong_type[0]}") from None
        raise ExerciseFailed(f"Exercise {exercise}: {failure}") from None  # the check's own diagnosis
    except LearnerRaised as raised:
        error = raised.error
        raise ExerciseFailed(
            f"Exercise {exercise}: your function raised {type(error).__name__}: {error}"
        ) from error
    except Exception as error:  # the check could not compare what the function returned
        if call.wrong_type:
            raise ExerciseFailed(f"Exercise {exercise}: {call.wrong_type[0]}") from None
        raise ExerciseFailed(
            f"Exercise {exercise}: your function's result could not be compared with the "
            f"reference's ({type(error).__name__}: {error}); check its type, dtype and shape "
            "against the docstring"
        ) from error
    print(f"Exercise {exercise}: correct. Checked {checked}.")
    return learner_fn


def exercise(number: str, reference: Callable, may_change: tuple[str, ...] = ()) -> Callable[[Comparison], Callable]:
    """Make the check of exercise ``number`` (e.g. ``"1.1"``) from a comparison.

    The decorated function ``compare(fn, reference_fn) -> str`` runs ``fn`` on the test inputs,
    gets the reference's result on the same inputs from ``reference_fn`` (computed once, when
    ``fn`` was called; on other inputs, computed then), and raises :class:`ExerciseFailed`
    with a precise message if ``fn`` is wrong. ``reference_fn`` runs the reference on its own
    copy of the inputs: a comparison that needs the reference to change its arguments (a
    training step updating the reference's own model) calls ``reference`` itself.

    The result is the check a notebook calls, ``check(learner_fn, strict=None) -> the function
    to go on with`` (see :func:`run_check`); it carries ``.exercise`` (e.g. ``"1.1 all_pairs"``)
    and ``.reference``, so a test can find every check and pair it with its reference.
    ``may_change``: the arguments the exercise is meant to change in place (e.g. the weights a
    training loop updates); a change to any other input is reported as a mistake.
    """
    name = f"{number} {reference.__name__}"

    def decorate(compare: Comparison) -> Callable:
        try:
            inspect.signature(compare).bind(None, None)
        except TypeError:
            raise TypeError(
                f"the comparison {compare.__name__} of exercise {name} should take (fn, reference_fn)"
            ) from None

        def check(learner_fn: Callable, strict: bool | None = None) -> Callable:
            return run_check(name, learner_fn, reference, compare, strict, may_change)

        check.__name__ = check.__qualname__ = compare.__name__
        check.__module__ = compare.__module__
        check.__doc__ = (
            f"Check exercise {name}: compare your function with the reference "
            f"({reference.__module__}.{reference.__name__}) and return the function to go on with."
        )
        check.exercise, check.reference, check.compare, check.may_change = name, reference, compare, may_change
        return check

    return decorate
