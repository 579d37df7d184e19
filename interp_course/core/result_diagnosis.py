"""What is wrong with a learner's result whatever the exercise: a NaN or inf in it
(:func:`non_finite`), or a type or dtype other than the reference's (:func:`wrong_type`)."""

from __future__ import annotations

import math
from typing import Any

import torch


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
