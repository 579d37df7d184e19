"""The reference's results in a check, computed once for each set of inputs.

Each time a check calls the learner's function, the reference runs on its own copy of the same
inputs (to tell a result of the wrong type; see :mod:`interp_course.core.learner_call`). A
check's comparison gets a :class:`ReferenceResults` as its ``reference_fn``: called on the
inputs the learner's function was given, it hands back the result already computed rather
than running the reference again; called on other inputs, it runs the reference then, on its
own copy of them. Either way the reference never sees the learner's objects, and never
changes the check's.
"""

from __future__ import annotations

import copy
import inspect
import random
import types
from typing import Any, Callable

import torch

NO_RESULT = object()  # the reference raised on these inputs (a check may give some only to the learner)

_VALUES = (bool, int, float, complex, str, bytes, type(None), torch.dtype, torch.device)
_CONSTANTS = (types.FunctionType, types.BuiltinFunctionType, type)  # what copy.deepcopy leaves as is


class SavedInputs:
    """A call's arguments as they were before the learner's function saw them: a copy, and
    which objects they were (a module matches only itself)."""

    def __init__(self, arguments: dict, objects: dict, call: tuple[tuple, dict]):
        self.arguments = arguments  # {parameter name: copy of the value}
        self.objects = objects  # the same, holding the learner's objects themselves
        self.call = call  # (args, kwargs): the copy, as it was called


class ReferenceResults:
    """``reference_fn`` as a check's comparison calls it (see the module's docstring). Its
    results are the reference's own: a comparison must not change them."""

    def __init__(self, reference_fn: Callable):
        self.reference_fn = reference_fn
        self.__name__ = self.__qualname__ = getattr(reference_fn, "__name__", "reference")
        self.__doc__ = getattr(reference_fn, "__doc__", None)
        self.__wrapped__ = reference_fn
        self.signature = inspect.signature(reference_fn)  # arguments are named as the reference names them
        self._known: list[tuple[SavedInputs, Any]] = []

    def save_inputs(self, args: tuple, kwargs: dict) -> SavedInputs | None:
        """A copy of the inputs as they are now, before the learner's function is called on
        them; None if they cannot be copied (a tensor in the middle of an autograd graph)."""
        try:
            call = _deepcopy((args, kwargs))
        except Exception:
            return None
        return SavedInputs(self._arguments(*call), _objects(self._arguments(args, kwargs)), call)

    def result_on(self, inputs: SavedInputs | None) -> Any:
        """The reference's result on a copy of ``inputs``, remembered for the comparison;
        :data:`NO_RESULT` if the inputs could not be copied or the reference raised."""
        if inputs is None:
            return NO_RESULT
        try:
            result = self._run(*_deepcopy(inputs.call))
        except Exception:  # a check may call with inputs only the learner's function is given
            return NO_RESULT
        self._known.append((inputs, result))
        return result

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """The reference's result on these inputs: the one computed when the learner's function
        was called on inputs equal to them, else computed now, on a copy of them."""
        now = self._arguments(args, kwargs)
        for inputs, result in reversed(self._known):
            if _same_arguments(inputs.arguments, inputs.objects, now):
                return result
        try:
            args, kwargs = _deepcopy((args, kwargs))
        except Exception:
            pass  # cannot be copied (a tensor in the middle of an autograd graph): run on them as they are
        return self._run(args, kwargs)

    def _arguments(self, args: tuple, kwargs: dict) -> dict:
        """{parameter name: value}, defaults included, however the call spelled them."""
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError:
            return {**dict(enumerate(args)), **kwargs}
        bound.apply_defaults()
        return dict(bound.arguments)

    def _run(self, args: tuple, kwargs: dict) -> Any:
        """The reference on ``args`` and ``kwargs``, leaving the random number generators as
        they were."""
        python_state = random.getstate()
        try:
            with torch.random.fork_rng(devices=[]):
                return self.reference_fn(*args, **kwargs)
        finally:
            random.setstate(python_state)


def _deepcopy(value: Any) -> Any:
    """``copy.deepcopy(value)``, random generators included: torch before 2.3 cannot deep-copy a
    ``torch.Generator``, so each is copied by its state (the same as deepcopy does in later torch)."""
    memo: dict = {}
    for generator in _generators(value):
        clone = torch.Generator(device=generator.device)
        clone.set_state(generator.get_state())
        memo[id(generator)] = clone
    return copy.deepcopy(value, memo)


def _generators(value: Any) -> list[torch.Generator]:
    if isinstance(value, torch.Generator):
        return [value]
    if isinstance(value, (tuple, list)):
        return [g for item in value for g in _generators(item)]
    if isinstance(value, dict):
        return [g for item in value.values() for g in _generators(item)]
    return []


def _objects(value: Any) -> Any:
    """``value``'s containers unpacked, down to the objects in them (kept by identity)."""
    if isinstance(value, (tuple, list)):
        return [_objects(item) for item in value]
    if isinstance(value, dict):
        return {key: _objects(item) for key, item in value.items()}
    return value


def _same_arguments(saved: dict, objects: dict, now: dict) -> bool:
    return saved.keys() == now.keys() and all(_same(saved[name], objects[name], now[name]) for name in saved)


def _same(saved: Any, was: Any, now: Any) -> bool:
    """Whether ``now`` is the input that ``saved`` is a copy of (and ``was`` the object it
    was): tensors and random generators by value, numbers and strings by value (NaN never
    matches), a module only if it is the same module with the same weights and mode, containers
    item by item. Anything else may have changed unseen, so it never matches: the reference
    then runs again."""
    if isinstance(saved, torch.Tensor):
        return (
            type(now) is type(saved)
            and (now.dtype, now.shape, now.device, now.requires_grad)
            == (saved.dtype, saved.shape, saved.device, saved.requires_grad)
            and torch.equal(now.detach(), saved.detach())
        )
    if isinstance(saved, torch.Generator):
        return (
            isinstance(now, torch.Generator)
            and now.device == saved.device
            and torch.equal(now.get_state(), saved.get_state())
        )
    if isinstance(saved, torch.nn.Module):
        if now is not was or now.training != saved.training:
            return False
        before, after = saved.state_dict(), now.state_dict()
        return before.keys() == after.keys() and all(_same(before[k], None, after[k]) for k in before)
    if isinstance(saved, (tuple, list)):
        return (
            type(now) is type(saved)
            and len(now) == len(saved)
            and all(_same(s, w, n) for s, w, n in zip(saved, was, now))
        )
    if isinstance(saved, dict):
        return (
            type(now) is type(saved)
            and now.keys() == saved.keys()
            and all(_same(saved[key], was[key], now[key]) for key in saved)
        )
    if isinstance(saved, _VALUES):
        return type(now) is type(saved) and bool(now == saved)
    if isinstance(saved, _CONSTANTS):
        return now is saved
    return False
