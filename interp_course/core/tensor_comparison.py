"""What a check's comparison uses to compare a learner's result with the reference's."""

from __future__ import annotations

from typing import Any

import torch

from .exercise_failures import ExerciseFailed, WrongValues
from .validation import shape_text


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
    equal within ``atol + rtol * |expected|`` (:class:`WrongValues` if only the values differ)."""
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
