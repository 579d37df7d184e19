"""Reference solutions for chapter 2, "The Fourier multiplication algorithm".

Conventions: p is odd; a function of one residue x = 0..p-1 is a vector [p]; a function of
the two inputs (a, b) is a tensor [p, p, ...] indexed [a, b]. Everything is float64.
"""

from __future__ import annotations

import math

import torch

from interp_course.core.validation import arguments, frequencies_mod, frequency_mod, odd, require_odd, tensor


@arguments(p=odd)
def fourier_basis(p: int) -> torch.Tensor:
    """The real Fourier basis of functions on 0..p-1, one basis vector per row.

    Returns:
        [p, p] float64 with orthonormal rows: row 0 is constant; for k = 1..(p-1)/2, row
        2k-1 is cos(2 pi k x / p) and row 2k is sin(2 pi k x / p), each scaled to unit norm.
    """
    x = torch.arange(p, dtype=torch.float64)  # [p]
    rows = [torch.ones(p, dtype=torch.float64)]
    for k in range(1, (p - 1) // 2 + 1):
        angle = 2 * math.pi * k * x / p
        rows += [torch.cos(angle), torch.sin(angle)]
    basis = torch.stack(rows)  # [p, p]
    return basis / basis.norm(dim=1, keepdim=True)


@arguments(coefficients=tensor(dtype=float), where="_odd_length")
def norm_per_frequency(coefficients: torch.Tensor) -> torch.Tensor:
    """Squared norm of Fourier coefficients, frequency by frequency.

    Args:
        coefficients: [p, ...] float, row i the coefficients of basis row i (e.g.
            ``fourier_basis(p) @ W_E[:p]`` for the embedding, [p, d_model]).

    Returns:
        [(p + 1) / 2] float: entry 0 the squared norm of the constant row, entry k the squared
        norms of the cos and sin rows of frequency k added together.
    """
    p = coefficients.shape[0]
    squared = coefficients.pow(2).reshape(p, -1).sum(dim=1)  # [p]
    return torch.cat([squared[:1], squared[1::2] + squared[2::2]])


@arguments(basis=tensor("* *", float), values=tensor(dtype=float), where="_indexed_by_a_and_b")
def fourier_2d(values: torch.Tensor, basis: torch.Tensor) -> torch.Tensor:
    """The 2-D Fourier transform of functions of (a, b).

    Args:
        values: [p, p, ...] float, indexed [a, b, ...] (e.g. neuron activations [p, p, d_mlp]).
        basis: [p, p], ``fourier_basis(p)``.

    Returns:
        [p, p, ...] float64: entry [i, j, ...] = sum over a, b of
        basis[i, a] * basis[j, b] * values[a, b, ...].
    """
    return torch.einsum("ia,jb,ab...->ij...", basis, basis, values.to(torch.float64))


@arguments(
    coefficients_2d=tensor("* * *", float),
    frequency=lambda coefficients_2d: frequency_mod(coefficients_2d.shape[0]),
)
def frequency_fve(coefficients_2d: torch.Tensor, frequency: int) -> torch.Tensor:
    """The fraction of each function's variance explained by one frequency.

    The terms of frequency k are those built from the constant, cos(w a), sin(w a) and the
    constant, cos(w b), sin(w b): the 3 x 3 block of rows and columns {0, 2k-1, 2k}. The
    variance is everything but the constant term [0, 0].

    Args:
        coefficients_2d: [p, p, n] float, the 2-D Fourier coefficients of n functions of (a, b).
        frequency: k, in 1..(p-1)/2.

    Returns:
        [n] float in [0, 1] (0 for a constant function, which has no variance to explain).
    """
    rows = [0, 2 * frequency - 1, 2 * frequency]
    constant = coefficients_2d[0, 0].pow(2)  # [n]
    explained = coefficients_2d[rows][:, rows].pow(2).sum(dim=(0, 1)) - constant  # [n]
    total = coefficients_2d.pow(2).sum(dim=(0, 1)) - constant  # [n]
    return torch.where(total > 0, explained / total.clamp(min=1e-300), 0.0)  # a constant function: 0


@arguments(
    p=odd,
    frequencies=lambda p: frequencies_mod(p),
    coefficients=lambda frequencies: tensor((len(frequencies),), float),
)
def idealised_logits(p: int, frequencies: list[int], coefficients: torch.Tensor) -> torch.Tensor:
    """The logits of the idealised algorithm: a sum of waves in a + b - c.

    Args:
        p: the modulus.
        frequencies: [K] key frequencies k; w_k = 2 pi k / p.
        coefficients: [K] float, the weight of each frequency.

    Returns:
        [p * p, p] float64, row a * p + b, column c:
        sum over i of coefficients[i] * cos(w_i * (a + b - c)).
    """
    x = torch.arange(p, dtype=torch.float64)
    a_plus_b_minus_c = x[:, None, None] + x[None, :, None] - x[None, None, :]  # [p, p, p]
    w = 2 * math.pi * torch.tensor(frequencies, dtype=torch.float64) / p  # [K]
    waves = torch.cos(w * a_plus_b_minus_c[..., None])  # [p, p, p, K]
    return (waves @ coefficients.to(torch.float64)).reshape(p * p, p)


@arguments(basis=tensor("* *", float), frequencies=lambda basis: frequencies_mod(basis.shape[0]))
def keep_frequencies(values: torch.Tensor, basis: torch.Tensor, frequencies: list[int]) -> torch.Tensor:
    """Project functions of (a, b) onto the terms of the given frequencies.

    The kept terms are the products of {constant, cos(w_k a), sin(w_k a) for k in frequencies}
    with the same set in b: rows and columns {0} and {2k-1, 2k} of the 2-D Fourier
    coefficients. Everything else is set to zero.

    Args:
        values: [p, p, ...] float, indexed [a, b, ...].
        basis: [p, p], ``fourier_basis(p)``.
        frequencies: the frequencies to keep.

    Returns:
        [p, p, ...] float64, the projection, indexed [a, b, ...] like ``values``.
    """
    rows = [0] + [row for k in frequencies for row in (2 * k - 1, 2 * k)]
    kept = basis[rows]  # [m, p]
    coefficients = fourier_2d(values, basis)[rows][:, rows]  # [m, m, ...]
    return torch.einsum("ia,jb,ij...->ab...", kept, kept, coefficients)


# Argument contracts (checked by @arguments; not part of the answers)


def _odd_length(coefficients: torch.Tensor) -> None:
    """``norm_per_frequency``: an odd number of rows, one per row of a Fourier basis."""
    require_odd(coefficients.shape[0], "coefficients.shape[0]")


def _indexed_by_a_and_b(values: torch.Tensor, basis: torch.Tensor) -> None:
    """``fourier_2d``: ``values`` is a function of (a, b), [p, p, ...], for the basis's p."""
    p = basis.shape[0]
    if values.ndim < 2 or values.shape[:2] != (p, p):
        raise ValueError(f"values must have shape (p, p, ...) = ({p}, {p}, ...), got {tuple(values.shape)}")
