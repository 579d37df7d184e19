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


def require_frequencies(frequencies, p: int, name: str = "frequencies", *, allow_empty: bool = False) -> list[int]:
    """``frequencies`` as a list of distinct ints in 1..(p-1)/2, non-empty unless
    ``allow_empty``, or a clear error."""
    if isinstance(frequencies, (str, bytes)) or not hasattr(frequencies, "__iter__"):
        raise TypeError(f"{name} must be a list of integers, got {type(frequencies).__name__} {frequencies!r}")
    frequencies = [require_int(k, f"{name}[{i}]") for i, k in enumerate(frequencies)]
    top = (p - 1) // 2
    if not frequencies and not allow_empty:
        raise ValueError(f"{name} must name at least one frequency (in 1..{top} for p = {p}), got []")
    if any(not 1 <= k <= top for k in frequencies):
        raise ValueError(f"{name} must lie in 1..{top} for p = {p}, got {frequencies}")
    if len(set(frequencies)) != len(frequencies):
        raise ValueError(f"{name} must not repeat a frequency (each is counted once), got {frequencies}")
    return frequencies


def require_frequency(frequency, p: int, name: str = "frequency") -> int:
    """``frequency`` as an int in 1..(p-1)/2, or a clear error."""
    frequency = require_int(frequency, name)
    top = (p - 1) // 2
    if not 1 <= frequency <= top:
        raise ValueError(f"{name} must be in 1..{top} for p = {p}, got {frequency}")
    return frequency


def require_index(value, name: str, size: int, what: str) -> int:
    """``value`` as an int in 0..size-1, or a clear error: a negative index is refused, not
    counted from the end as Python would. ``what`` names the things indexed, e.g. "heads"."""
    value = require_int(value, name)
    if not 0 <= value < size:
        raise ValueError(f"{name} must be in 0..{size - 1} (there are {size} {what}), got {value}")
    return value


def require_number(value, name: str, *, low: float | None = None, high: float | None = None,
                   low_open: bool = False, high_open: bool = False) -> float:
    """``value`` as a finite float in the interval given, or a clear error (``TypeError`` for
    something that is not a number, e.g. the string ``'0.9'``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        left = "-inf" if low is None else f"{low:g}"
        right = "inf" if high is None else f"{high:g}"
        interval = f"{'(' if low_open or low is None else '['}{left}, {right}{')' if high_open or high is None else ']'}"
        raise ValueError(f"{name} must be in {interval}, got {value}")
    return float(value)


MAX_TENSOR_VALUES = 200_000_000  # 0.8 GB of float32: more than any exercise of the course needs


def require_fits(shape: Sequence[int], name: str) -> None:
    """A clear error, before anything is allocated, if a tensor of ``shape`` would hold more
    than :data:`MAX_TENSOR_VALUES` values (a typo such as ``10**9`` that would exhaust memory)."""
    n_values = math.prod(shape)
    if n_values > MAX_TENSOR_VALUES:
        raise ValueError(
            f"{name} would make a tensor of shape {tuple(shape)}: {n_values:,} values, "
            f"{4 * n_values / 1e9:.3g} GB as float32; the course never needs more than "
            f"{MAX_TENSOR_VALUES:,}. Use a smaller size."
        )


def require_same_dtype(tensors: dict[str, torch.Tensor]) -> None:
    """A clear error if the named tensors do not all have the same dtype."""
    dtypes = {name: t.dtype for name, t in tensors.items()}
    if len(set(dtypes.values())) > 1:
        listed = ", ".join(f"{name} is {dtype}" for name, dtype in dtypes.items())
        raise TypeError(f"{' and '.join(dtypes)} must have the same dtype: {listed}")


def require_finite(x: torch.Tensor, name: str) -> torch.Tensor:
    """A clear error if ``x`` holds NaN or inf."""
    if (x.is_floating_point() or x.is_complex()) and not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name} holds NaN or inf; it must be finite")
    return x


def require_fraction(value, name: str) -> float:
    """``value`` as a float strictly between 0 and 1, or a clear error."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number in (0, 1), got {type(value).__name__} {value!r}")
    if not 0.0 < float(value) < 1.0:
        raise ValueError(f"{name} must be strictly between 0 and 1, got {value}")
    return float(value)


def require_positive_float(value, name: str, *, allow_zero: bool = False) -> float:
    """``value`` as a float > 0 (or >= 0 with ``allow_zero``), or a clear error."""
    value = require_number(value, name)
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
    non_empty: bool = False,
) -> torch.Tensor:
    """Check that ``x`` is a tensor of the expected rank, shape and kind of dtype.

    ``shape`` may hold ``None`` for a dimension of any size; ``dtype_kind`` is ``"int"`` or
    ``"float"``; ``non_empty``: no dimension may be 0 (an empty batch gives NaN means).
    Shapes in messages are written as in the docstrings, e.g. ``(batch, 3)``.
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
    if non_empty and x.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(x.shape)}); it must hold at least one entry in each dimension")
    return x


def shape_text(shape: Sequence[int | None]) -> str:
    """(3, None) -> "(3, *)": a shape as errors show it (None: any size)."""
    parts = ["*" if s is None else str(s) for s in shape]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
