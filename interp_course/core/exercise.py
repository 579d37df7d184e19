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

import _thread
import copy
import inspect
import math
import os
import random
import signal
import sys
import threading
import time
import traceback
from typing import Any, Callable

import torch

from .validation import shape_text

STRICT_ENV_VAR = "INTERP_COURSE_STRICT"


_COURSE_CODE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # interp_course/


def _learners_frames(error: BaseException | None) -> list[str]:
    """The frames of ``error``'s traceback that are the learner's own code (a notebook cell or
    their module), formatted; not the course's, the standard library's or torch's."""
    if error is None or error.__traceback__ is None:
        return []
    libraries = {os.path.abspath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    frames = [
        frame for frame in traceback.extract_tb(error.__traceback__)
        if not os.path.abspath(frame.filename).startswith(_COURSE_CODE)
        and not any(os.path.abspath(frame.filename).startswith(lib) for lib in libraries)
    ]
    return traceback.format_list(frames)


class _ShortReport:
    """In IPython and Jupyter, the error shows as its message alone (plus, where the learner's
    own code raised, the lines of it that did), not as a traceback through the course's code."""

    heading = "Exercise check failed"

    def _render_traceback_(self) -> list[str]:
        red, bold, reset = "\x1b[31m", "\x1b[1m", "\x1b[0m"
        lines = [f"{red}{bold}✗ {self.heading}{reset}", *str(self).splitlines()]
        frames = _learners_frames(self.__cause__)
        if frames:
            lines += ["", "Where your code raised it:", *"".join(frames).rstrip().splitlines()]
        return lines


class ExerciseFailed(_ShortReport, AssertionError):
    """The learner's function gave a wrong answer; the message says what is wrong."""


class WrongValues(ExerciseFailed):
    """The learner's result has the right type, dtype and shape but wrong values (what
    :func:`expect_tensor` found). A wrong type or dtype seen by the guard explains it better."""


class ExerciseNotAttempted(_ShortReport, Exception):
    """Strict mode: the learner's function is still the stub."""

    heading = "Exercise not attempted (strict mode)"


class _NotWrittenYet(Exception):
    """The learner's function is still the stub: it raised NotImplementedError itself."""


class _LearnerRaised(Exception):
    """The learner's function raised ``error`` while being checked."""

    def __init__(self, error: BaseException):
        super().__init__(error)
        self.error = error


def strict_mode(strict: bool | None = None) -> bool:
    """``strict`` if given, else whether ``$INTERP_COURSE_STRICT`` is set to 1/true/yes/on."""
    if strict is not None:
        return bool(strict)
    return os.environ.get(STRICT_ENV_VAR, "").strip().lower() in {"1", "true", "yes", "on"}


def _raised_by_the_function_itself(error: BaseException, fn: Callable) -> bool:
    """Whether ``error`` was raised in ``fn``'s own body (a stub's ``raise``), not deeper in
    code it calls (a half-written function, or torch)."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    code = getattr(fn, "__code__", None)
    return tb is not None and (tb.tb_frame.f_code is code if code is not None else tb.tb_frame.f_code.co_name == getattr(fn, "__name__", None))


def _snapshot(value: Any) -> Any:
    """A copy of the tensors in ``value`` (a tensor, a module's weights, or a tuple / list of
    tensors), to tell later whether they were changed in place; None if it holds none."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, torch.nn.Module):
        return {name: t.detach().clone() for name, t in value.state_dict().items()}
    if isinstance(value, (tuple, list)) and any(isinstance(v, torch.Tensor) for v in value):
        return [_snapshot(v) for v in value]
    return None


def _same(before: Any, value: Any) -> bool:
    """Whether ``value`` still holds what ``_snapshot`` copied into ``before`` (NaN equals NaN)."""
    if isinstance(before, torch.Tensor):
        if not isinstance(value, torch.Tensor) or value.shape != before.shape or value.dtype != before.dtype:
            return False
        value = value.detach()
        if torch.equal(value, before):
            return True
        if not (before.is_floating_point() or before.is_complex()):
            return False
        return bool(torch.isclose(value, before, rtol=0, atol=0, equal_nan=True).all())
    if isinstance(before, dict):
        now = value.state_dict()
        return now.keys() == before.keys() and all(_same(before[k], now[k]) for k in before)
    if isinstance(before, list):
        return all(b is None or _same(b, v) for b, v in zip(before, value))
    return True


def non_finite(result: Any, where: str = "the result") -> str | None:
    """Where ``result`` (a number, a tensor, or tuples / lists / dicts of them) holds NaN or
    inf, as text; None if nowhere."""
    if isinstance(result, torch.Tensor):
        if (result.is_floating_point() or result.is_complex()) and not bool(torch.isfinite(result.detach()).all()):
            return where
    elif isinstance(result, float):
        if not math.isfinite(result):
            return where
    elif isinstance(result, (tuple, list)):
        for i, item in enumerate(result):
            found = non_finite(item, f"{where}[{i}]")
            if found:
                return found
    elif isinstance(result, dict):
        for key, item in result.items():
            found = non_finite(item, f"{where}[{key!r}]")
            if found:
                return found
    return None


def wrong_type(got: Any, expected: Any, where: str = "your function's result") -> str | None:
    """How ``got`` differs in type from ``expected`` (the reference's result on the same
    inputs), as text; None if it does not. Tensors must have the same dtype; a Python ``int``
    must be an int (not a float or a bool); a ``float`` may be an int or a float but not a
    tensor; tuples and lists must have the same length, dicts the same keys, recursively.
    Values and shapes are the check's to compare."""
    if isinstance(expected, torch.Tensor):
        if not isinstance(got, torch.Tensor):
            return f"{where} should be a torch.Tensor of dtype {expected.dtype}, got {type(got).__name__}"
        if got.dtype != expected.dtype:
            hint = ""
            if got.dtype == torch.float64 and expected.dtype == torch.float32:
                hint = " (float64 comes from numpy, from torch.tensor of a Python list with dtype=float, or from .double(); add .float())"
            elif got.is_complex() and not expected.is_complex():
                hint = " (a complex result: take .real, or build it from cos and sin)"
            elif expected.dtype == torch.int64:
                hint = " (token ids and indices are torch.long; add .long())"
            return f"{where} has the wrong dtype: expected {expected.dtype}, got {got.dtype}{hint}"
        return None
    if isinstance(expected, bool):
        return None if isinstance(got, bool) else f"{where} should be a bool, got {type(got).__name__} {got!r}"
    if isinstance(expected, int):
        if isinstance(got, bool) or not isinstance(got, int):
            hint = _scalar_hint(got, "int")
            return f"{where} should be an int, got {type(got).__name__} {_short(got)}{hint}"
        return None
    if isinstance(expected, float):
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            hint = _scalar_hint(got, "float")
            return f"{where} should be a float, got {type(got).__name__} {_short(got)}{hint}"
        return None
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)):
            return f"{where} should be a {type(expected).__name__} of {len(expected)} items, got {type(got).__name__}"
        if len(got) != len(expected):
            return f"{where} should have {len(expected)} items, got {len(got)}"
        for i, (g, e) in enumerate(zip(got, expected)):
            found = wrong_type(g, e, f"{where}[{i}]")
            if found:
                return found
        return None
    if isinstance(expected, dict):
        if not isinstance(got, dict):
            return f"{where} should be a dict, got {type(got).__name__}"
        missing = [key for key in expected if key not in got]
        if missing:
            return f"{where} is missing the key {missing[0]!r}"
        for key in expected:
            found = wrong_type(got[key], expected[key], f"{where}[{key!r}]")
            if found:
                return found
        return None
    if isinstance(expected, torch.nn.Module):
        return None if isinstance(got, torch.nn.Module) else f"{where} should be a torch.nn.Module, got {type(got).__name__}"
    return None


def _scalar_hint(got: Any, kind: str) -> str:
    if isinstance(got, torch.Tensor):
        return " (a 0-d tensor: add .item())"
    if type(got).__module__ == "numpy":
        return f" (a numpy number: convert it with {kind}(...))"
    return ""


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _reference_result(reference_fn: Callable, args: tuple, kwargs: dict) -> Any:
    """``reference_fn`` on ``args`` and ``kwargs`` (copies the learner's function never saw),
    leaving the random number generators as they were; ``_NO_RESULT`` if it cannot run."""
    python_state = random.getstate()
    try:
        with torch.random.fork_rng(devices=[]):
            return reference_fn(*args, **kwargs)
    except Exception:  # a check may call with inputs only the learner's function is given
        return _NO_RESULT
    finally:
        random.setstate(python_state)


_NO_RESULT = object()

DEFAULT_TIME_LIMIT_S = 60.0
TIME_LIMIT_ENV_VAR = "INTERP_COURSE_TIME_LIMIT"


def time_limit_s() -> float:
    """How long one call of a learner's function may run in a check: ``$INTERP_COURSE_TIME_LIMIT``
    seconds if set (0, a negative number or inf: no limit), else 60."""
    text = os.environ.get(TIME_LIMIT_ENV_VAR, "").strip()
    if not text:
        return DEFAULT_TIME_LIMIT_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if math.isnan(seconds):
        raise ValueError(f"{TIME_LIMIT_ENV_VAR} should be a number of seconds, got {text!r}")
    return seconds if math.isfinite(seconds) else 0.0


class _TimedOut(Exception):
    """The learner's function ran past the time limit."""

    def __init__(self, seconds: float):
        super().__init__(seconds)
        self.seconds = seconds


def _interrupt_main_thread() -> None:
    """What the notebook's stop button does: a SIGINT to the main thread, which also wakes a
    blocking call such as ``time.sleep`` (POSIX); where that is not available, or SIGINT is
    not handled by Python, ``_thread.interrupt_main``, which raises at the next bytecode."""
    if hasattr(signal, "pthread_kill") and callable(signal.getsignal(signal.SIGINT)):
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
    else:
        _thread.interrupt_main()


def _call_with_time_limit(fn: Callable, args: tuple, kwargs: dict, seconds: float) -> Any:
    """``fn(*args, **kwargs)``; if it has not returned after ``seconds``, it is interrupted
    (as the notebook's stop button would), again every second if its code swallows the
    interrupt, and :class:`_TimedOut` raised, whatever the interrupted code raised or returned.
    Only in the main thread (where an interrupt lands) and with a positive limit; elsewhere, a
    plain call."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        return fn(*args, **kwargs)
    if not callable(signal.getsignal(signal.SIGINT)):
        # SIGINT ignored or left to the OS (a process started in the background by a shell, or
        # under nohup): Python would never see the interrupt, so handle it for this call only.
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            return _call_with_time_limit(fn, args, kwargs, seconds)
        finally:
            signal.signal(signal.SIGINT, previous)
    lock = threading.Lock()
    state = {"running": True, "fired": False, "timer": None}

    def interrupt():
        with lock:
            if state["running"]:
                state["fired"] = True
                _interrupt_main_thread()
                arm(1.0)  # in case the learner's code catches it

    def arm(delay: float):
        timer = threading.Timer(delay, interrupt)
        timer.daemon = True
        state["timer"] = timer
        timer.start()

    try:
        try:
            with lock:
                arm(seconds)
            result = fn(*args, **kwargs)
        finally:
            with lock:
                state["running"] = False
                state["timer"].cancel()
        if state["fired"]:  # it returned just as the interrupt was sent: let that land here
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline:
                time.sleep(0.01)
    except BaseException:
        if not state["fired"]:
            raise  # the learner's own error, or the learner pressed stop
        raise _TimedOut(seconds) from None
    if state["fired"]:
        raise _TimedOut(seconds)
    return result


def guarded(fn: Callable, reference_fn: Callable, may_change: tuple[str, ...] = ()) -> Callable:
    """``fn`` as a check calls it: a stub's own ``NotImplementedError`` means "not written
    yet"; any other error it raises is reported as the learner's; an input changed in place
    (other than those named in ``may_change``) is a wrong answer at once; a call that runs
    past :func:`time_limit_s` is interrupted and reported. Two findings are recorded, for
    :func:`run_check` to report if the check's own comparison does not say something more
    precise: a NaN or inf in a result (``call.non_finite``), and a result whose type or dtype
    differs from the reference's on copies of the same inputs (``call.wrong_type``).
    Arguments are matched to names through ``reference_fn``'s signature."""
    signature = inspect.signature(reference_fn)
    seconds = time_limit_s()

    def call(*args, **kwargs):
        try:
            bound = signature.bind(*args, **kwargs).arguments
        except TypeError:
            bound = dict(enumerate(args), **kwargs)
        before = {name: _snapshot(value) for name, value in bound.items() if name not in may_change}
        try:
            copies = copy.deepcopy((args, kwargs))
        except Exception:
            copies = None
        try:
            result = _call_with_time_limit(fn, args, kwargs, seconds)
        except _TimedOut:
            raise
        except NotImplementedError as error:
            if _raised_by_the_function_itself(error, fn):
                raise _NotWrittenYet() from None
            raise _LearnerRaised(error) from error
        except Exception as error:
            raise _LearnerRaised(error) from error
        for name, old in before.items():
            if old is not None and not _same(old, bound[name]):
                raise ExerciseFailed(
                    f"your function changed its input `{name}` in place; work on a copy "
                    "(e.g. x = x.clone(), or an operation without a trailing underscore)"
                )
        where = non_finite(result)
        if where:
            call.non_finite.append(where)
        if copies is not None and not call.wrong_type:
            expected = _reference_result(reference_fn, *copies)
            if expected is not _NO_RESULT:
                found = wrong_type(result, expected)
                if found:
                    call.wrong_type.append(found)
        return result

    call.non_finite = []  # where a result held NaN or inf: a wrong answer, even if it compared equal
    call.wrong_type = []  # how a result's type differed from the reference's
    return call


def run_check(
    exercise: str,
    learner_fn: Callable,
    reference_fn: Callable,
    compare: Callable[[Callable], str],
    strict: bool | None = None,
    may_change: tuple[str, ...] = (),
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
        may_change: the arguments the exercise changes in place on purpose (see :func:`guarded`).
    """
    if not callable(learner_fn):
        raise TypeError(f"Exercise {exercise}: expected your function, got {type(learner_fn).__name__}")
    call = guarded(learner_fn, reference_fn, may_change)
    try:
        checked = compare(call)
        if call.wrong_type:
            raise ExerciseFailed(call.wrong_type[0])
        if call.non_finite:
            raise ExerciseFailed(
                f"your function returned NaN or inf (in {call.non_finite[0]}); a correct answer is finite"
            )
    except _TimedOut as timed_out:
        raise ExerciseFailed(
            f"Exercise {exercise}: your function was still running after {timed_out.seconds:g} s, "
            "so the check stopped it. Look for a loop that never ends (a while loop whose "
            "condition never changes), or work far larger than the docstring asks for. "
            f"(To change the limit, set the environment variable {TIME_LIMIT_ENV_VAR} to a "
            "number of seconds; 0 turns it off.)"
        ) from None
    except _NotWrittenYet:
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
        if isinstance(failure, WrongValues) and call.wrong_type:  # e.g. float32 values off by 1e-8
            raise ExerciseFailed(f"Exercise {exercise}: {call.wrong_type[0]}") from None
        raise ExerciseFailed(f"Exercise {exercise}: {failure}") from None  # the check's own diagnosis
    except _LearnerRaised as raised:
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


def exercise(number: str, reference: Callable, may_change: tuple[str, ...] = ()) -> Callable[[Callable], Callable]:
    """Make the check of exercise ``number`` (e.g. ``"1.1"``) from a comparison.

    The decorated function ``compare(fn) -> str`` runs ``fn`` on the test inputs and raises
    :class:`ExerciseFailed` with a precise message if it is wrong. The result is the check a
    notebook calls, ``check(learner_fn, strict=None) -> the function to go on with``
    (see :func:`run_check`); it carries ``.exercise`` (e.g. ``"1.1 all_pairs"``) and
    ``.reference``, so a test can find every check and pair it with its reference.
    ``may_change``: the arguments the exercise is meant to change in place (e.g. the weights a
    training loop updates); a change to any other input is reported as a mistake.
    """
    name = f"{number} {reference.__name__}"

    def decorate(compare: Callable[[Callable], str]) -> Callable:
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


def same_values(got: Any, expected: torch.Tensor, atol: float = 1e-7) -> bool:
    """Whether ``got`` is a tensor of ``expected``'s shape with the same values (to ``atol``):
    what a check uses to recognise a known wrong answer before naming it."""
    return (
        isinstance(got, torch.Tensor)
        and got.shape == expected.shape
        and not got.is_complex()
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
        raise WrongValues(
            f"{what} has wrong values{where}: expected {expected[first].item()!r}, got "
            f"{got_values[first].item()!r} ({int(wrong.sum())} of {wrong.numel()} entries differ)"
        )
