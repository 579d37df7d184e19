"""Argument checks shared by the course's functions.

Each raises ``ValueError`` or ``TypeError`` with a message that names the argument and says
what was expected, so a learner who passes the wrong thing learns what to pass instead.
"""

from __future__ import annotations

import math
from typing import Sequence

import torch


def is_prime(n: int) -> bool:
    """Whether ``n`` is a prime number (trial division; fine for the small p of this course)."""
    if n < 2:
        return False
    return all(n % d for d in range(2, math.isqrt(n) + 1))


def require_int(value, name: str, *, minimum: int | None = None) -> int:
    """``value`` as an int, or a clear error if it is not a whole number >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int,)) and not (
        isinstance(value, torch.Tensor) and value.ndim == 0 and not value.is_floating_point()
    ):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def require_prime(p, name: str = "p") -> int:
    """``p`` as an int, or a clear error if it is not a prime."""
    p = require_int(p, name, minimum=2)
    if not is_prime(p):
        raise ValueError(f"{name} must be a prime number (modular arithmetic mod {name}), got {p}")
    return p


def require_odd(p, name: str = "p") -> int:
    """``p`` as an int >= 3, or a clear error if it is not odd (the Fourier basis pairs cos and sin)."""
    p = require_int(p, name, minimum=3)
    if p % 2 == 0:
        raise ValueError(f"{name} must be odd (the Fourier basis here pairs cos and sin), got {p}")
    return p


def require_frequencies(frequencies, p: int, name: str = "frequencies") -> list[int]:
    """``frequencies`` as a list of ints in 1..(p-1)/2, or a clear error."""
    frequencies = [require_int(k, f"{name}[i]", minimum=1) for k in frequencies]
    top = (p - 1) // 2
    if any(k > top for k in frequencies):
        raise ValueError(f"{name} must lie in 1..{top} for p = {p}, got {frequencies}")
    return frequencies


def require_fraction(value, name: str) -> float:
    """``value`` as a float strictly between 0 and 1, or a clear error."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number in (0, 1), got {type(value).__name__} {value!r}")
    if not 0.0 < float(value) < 1.0:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value}")
    return float(value)


def require_positive_float(value, name: str, *, allow_zero: bool = False) -> float:
    """``value`` as a float > 0 (or >= 0 with ``allow_zero``), or a clear error."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be {bound}, got {value}")
    return float(value)


def require_tensor(
    x,
    name: str,
    *,
    ndim: int | None = None,
    shape: Sequence[int | None] | None = None,
    dtype_kind: str | None = None,
) -> torch.Tensor:
    """Check that ``x`` is a tensor of the expected rank, shape and kind of dtype.

    ``shape`` may hold ``None`` for a dimension of any size; ``dtype_kind`` is ``"int"`` or
    ``"float"``. Shapes in messages are written as in the docstrings, e.g. ``(batch, 3)``.
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if shape is not None:
        ndim = len(shape)
    if ndim is not None and x.ndim != ndim:
        expected = f"shape {shape_text(shape)}" if shape is not None else f"{ndim} dimensions"
        raise ValueError(f"{name} must have {expected}, got shape {tuple(x.shape)}")
    if shape is not None:
        for got, want in zip(x.shape, shape):
            if want is not None and got != want:
                raise ValueError(
                    f"{name} must have shape {shape_text(shape)}, got {tuple(x.shape)}"
                )
    if dtype_kind == "int" and (x.is_floating_point() or x.is_complex() or x.dtype == torch.bool):
        raise TypeError(f"{name} must hold integers (e.g. torch.long), got {x.dtype}")
    if dtype_kind == "float" and not x.is_floating_point():
        raise TypeError(f"{name} must hold floating-point numbers, got {x.dtype}")
    return x


def shape_text(shape: Sequence[int | None]) -> str:
    """(3, None) -> "(3, *)": a shape as errors show it (None: any size)."""
    parts = ["*" if s is None else str(s) for s in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
