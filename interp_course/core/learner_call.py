"""Calling the learner's function in a check, so that it cannot fool the check or crash it.

:class:`LearnerCall` is what a check's comparison gets as ``fn``. Each call: a stub's own
``NotImplementedError`` means "not written yet" (:class:`NotWrittenYet`); any other error the
function raises is the learner's (:class:`LearnerRaised`); an input changed in place is a
wrong answer at once (:class:`ChangedInPlace`); a call that runs past the time limit is
stopped (:class:`~interp_course.core.time_limit.TimedOut`). :func:`~interp_course.core.exercise.run_check`
turns each into the learner's message. Two findings are recorded for it to report if the
comparison does not say something more precise: a NaN or inf in a result, and a result whose
type or dtype differs from the reference's on its own copy of the same inputs.
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from .reference_results import NO_RESULT, ReferenceResults
from .result_diagnosis import non_finite, wrong_type
from .time_limit import TimedOut, call_with_time_limit, time_limit_s


class NotWrittenYet(Exception):
    """The learner's function is still the stub: it raised NotImplementedError itself."""


class LearnerRaised(Exception):
    """The learner's function raised ``error`` while being checked."""

    def __init__(self, error: BaseException):
        super().__init__(error)
        self.error = error


class ChangedInPlace(Exception):
    """The learner's function changed its input ``name`` in place."""

    def __init__(self, name: str):
        super().__init__(name)
        self.name = name


class LearnerCall:
    """``fn`` as a check's comparison calls it (see the module's docstring).

    Attributes:
        reference: the reference as the comparison calls it (``reference_fn``): a
            :class:`~interp_course.core.reference_results.ReferenceResults` holding the result
            computed on each call's inputs.
        non_finite: where a result held NaN or inf: a wrong answer, even if it compared equal.
        wrong_type: how a result's type differed from the reference's.
    """

    def __init__(self, fn: Callable, reference_fn: Callable, may_change: tuple[str, ...] = ()):
        self.fn = fn
        self.reference = ReferenceResults(reference_fn)
        self.may_change = tuple(may_change)  # the arguments the exercise changes in place on purpose
        self.seconds = time_limit_s()
        self.non_finite: list[str] = []
        self.wrong_type: list[str] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            bound = self.reference.signature.bind(*args, **kwargs).arguments
        except TypeError:
            bound = dict(enumerate(args), **kwargs)
        before = {name: _snapshot(value) for name, value in bound.items() if name not in self.may_change}
        inputs = self.reference.save_inputs(args, kwargs)
        try:
            result = call_with_time_limit(self.fn, args, kwargs, self.seconds)
        except TimedOut:
            raise
        except NotImplementedError as error:
            if _raised_by_the_function_itself(error, self.fn):
                raise NotWrittenYet() from None
            raise LearnerRaised(error) from error
        except Exception as error:
            raise LearnerRaised(error) from error
        for name, old in before.items():
            if old is not None and not _unchanged(old, bound[name]):
                raise ChangedInPlace(str(name))
        where = non_finite(result)
        if where:
            self.non_finite.append(where)
        expected = self.reference.result_on(inputs)
        if expected is not NO_RESULT and not self.wrong_type:
            found = wrong_type(result, expected)
            if found:
                self.wrong_type.append(found)
        return result


def _raised_by_the_function_itself(error: BaseException, fn: Callable) -> bool:
    """Whether ``error`` was raised in ``fn``'s own body (a stub's ``raise``), not deeper in
    code it calls (a half-written function, or torch)."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    code = getattr(fn, "__code__", None)
    return tb is not None and (tb.tb_frame.f_code is code if code is not None else tb.tb_frame.f_code.co_name == getattr(fn, "__name__", None))


class _ModuleState(dict):
    """A module's weights, as ``_snapshot`` copied them."""


class _DictState(dict):
    """A dict's tensors (and containers of them), as ``_snapshot`` copied them."""


def _holds_tensor(value: Any) -> bool:
    if isinstance(value, torch.Tensor):
        return True
    if isinstance(value, (tuple, list)):
        return any(_holds_tensor(v) for v in value)
    if isinstance(value, dict):
        return any(_holds_tensor(v) for v in value.values())
    return False


def _snapshot(value: Any) -> Any:
    """A copy of the tensors in ``value`` (a tensor, a module's weights, or tuples, lists and
    dicts holding tensors, nested: a list of state dicts), to tell later whether they were
    changed in place; None if it holds none."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    if isinstance(value, torch.nn.Module):
        return _ModuleState({name: t.detach().clone() for name, t in value.state_dict().items()})
    if isinstance(value, (tuple, list)) and _holds_tensor(value):
        return [_snapshot(v) for v in value]
    if isinstance(value, dict) and _holds_tensor(value):
        return _DictState({key: _snapshot(v) for key, v in value.items()})
    return None


def _unchanged(before: Any, value: Any) -> bool:
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
    if isinstance(before, _ModuleState):
        now = value.state_dict()
        return now.keys() == before.keys() and all(_unchanged(before[k], now[k]) for k in before)
    if isinstance(before, _DictState):  # the same keys, and the tensors in them as they were
        if not isinstance(value, dict) or value.keys() != before.keys():
            return False
        return all(b is None or _unchanged(b, value[k]) for k, b in before.items())
    if isinstance(before, list):
        if not isinstance(value, (tuple, list)) or len(value) != len(before):
            return False
        return all(b is None or _unchanged(b, v) for b, v in zip(before, value))
    return True
