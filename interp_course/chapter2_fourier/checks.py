"""Checks for the exercises of chapter 2, "The Fourier multiplication algorithm"."""

from __future__ import annotations

import math
from typing import Callable

import torch

from solutions import chapter2_fourier as reference

from ..core.exercise import ExerciseFailed, expect_tensor, exercise, same_values

ATOL = 1e-9


def _random(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@exercise("2.1", reference.fourier_basis)
def check_fourier_basis(fn: Callable, reference_fn: Callable) -> str:
    for p in (3, 5, 113):
        got, want = fn(p), reference_fn(p)
        if isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point():
            got = got.to(torch.float64)
            norms = got.norm(dim=1)
            if not torch.allclose(norms, torch.ones(p, dtype=torch.float64), atol=1e-6):
                raise ExerciseFailed(
                    f"for p = {p}, the rows are not normalised: their norms range from "
                    f"{norms.min().item():.3g} to {norms.max().item():.3g}; divide each row by its norm"
                )
            if same_values(got[1], want[2]) and same_values(got[2], want[1]):
                raise ExerciseFailed(f"for p = {p}, row 1 is sin and row 2 is cos; row 2k-1 must be cos, row 2k sin")
            half = (p - 1) // 2
            if p > 3 and same_values(got[1 : half + 1], want[1::2]):
                raise ExerciseFailed(
                    f"for p = {p}, all the cos rows come first; interleave them: "
                    "row 2k-1 = cos of frequency k, row 2k = sin of frequency k"
                )
        expect_tensor(got, want, f"the basis for p = {p}", atol=1e-10)
    return "p = 3, 5, 113"


@exercise("2.2", reference.norm_per_frequency)
def check_norm_per_frequency(fn: Callable, reference_fn: Callable) -> str:
    cases = [("coefficients [5, 3]", _random(5, 3)), ("coefficients [113, 128]", _random(113, 128, seed=1)),
             ("a single vector [7]", _random(7, seed=2))]
    for name, coefficients in cases:
        got, want = fn(coefficients), reference_fn(coefficients)
        p = coefficients.shape[0]
        if isinstance(got, torch.Tensor) and got.shape == (p,):
            raise ExerciseFailed(
                f"on {name}: got one value per basis row, shape ({p},); add the cos and sin rows "
                f"of each frequency together, shape ({(p + 1) // 2},)"
            )
        if isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point():
            unsquared = reference_fn(coefficients.abs().sqrt())
            if torch.allclose(got.double(), unsquared):
                raise ExerciseFailed(f"on {name}: these are sums of |coefficients|; square them")
            if torch.allclose(got.double(), want.sqrt()):
                raise ExerciseFailed(f"on {name}: this is the norm; the exercise asks for the squared norm")
        expect_tensor(got, want, f"the result on {name}", atol=ATOL, rtol=1e-9)
    return "3 inputs, a single vector included"


@exercise("2.3", reference.fourier_2d)
def check_fourier_2d(fn: Callable, reference_fn: Callable) -> str:
    for p, extra in [(5, ()), (7, (3,)), (113, (4,))]:
        basis = reference.fourier_basis(p)
        values = _random(p, p, *extra, seed=p)
        got, want = fn(values, basis), reference_fn(values, basis)
        name = f"values of shape {tuple(values.shape)}"
        if isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point():
            only_a = torch.einsum("ia,ab...->ib...", basis, values)
            if same_values(got, only_a):
                raise ExerciseFailed(f"on {name}: only the a axis is transformed; transform b as well")
            # sum over a, b of basis[a, i] * basis[b, j] * values[a, b], one axis at a time (a single
            # three-operand einsum builds a [p, p, p, p] product first: over a second at p = 113)
            transposed = torch.einsum("bj,ib...->ij...", basis, torch.einsum("ai,ab...->ib...", basis, values))
            if same_values(got, transposed):
                raise ExerciseFailed(
                    f"on {name}: the basis is used transposed; coefficient [i, j] is "
                    "sum over a, b of basis[i, a] * basis[j, b] * values[a, b]"
                )
        expect_tensor(got, want, f"the coefficients for {name}", atol=1e-8)
    return "p = 5, 7, 113, with and without trailing dimensions"


def _product_of_waves(p: int, k: int) -> torch.Tensor:
    """[p, p, 2]: a function made only of frequency k, and one with a little of frequency k + 1."""
    x = torch.arange(p, dtype=torch.float64)
    w = 2 * math.pi * k / p
    pure = 3.0 + torch.cos(w * x)[:, None] * torch.cos(w * x)[None, :] + 0.5 * torch.sin(w * x)[:, None]
    mixed = pure + 0.3 * torch.cos(2 * math.pi * (k + 1) * (x[:, None] + x[None, :]) / p)
    return torch.stack([pure, mixed], dim=-1)


@exercise("2.4", reference.frequency_fve)
def check_frequency_fve(fn: Callable, reference_fn: Callable) -> str:
    p = 11
    basis = reference.fourier_basis(p)
    cases = [("a product of frequency-2 waves plus a linear term and a constant", reference.fourier_2d(_product_of_waves(p, 2), basis), 2),
             ("random coefficients [11, 11, 5]", _random(p, p, 5, seed=3), 3),
             ("random coefficients [11, 11, 5], the top frequency", _random(p, p, 5, seed=4), 5)]
    for name, coefficients, k in cases:
        got, want = fn(coefficients, k), reference_fn(coefficients, k)
        if isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point():
            got = got.double()
            constant = coefficients[0, 0].pow(2)
            rows = [0, 2 * k - 1, 2 * k]
            with_constant = coefficients[rows][:, rows].pow(2).sum((0, 1)) / coefficients.pow(2).sum((0, 1))
            if torch.allclose(got, with_constant) and not torch.allclose(with_constant, want):
                raise ExerciseFailed(
                    f"on {name}: the constant term [0, 0] is counted; it is the mean, not variance: "
                    "leave it out of both the explained part and the total"
                )
            rows = [2 * k - 1, 2 * k]
            products = coefficients[rows][:, rows].pow(2).sum((0, 1)) / (coefficients.pow(2).sum((0, 1)) - constant)
            if torch.allclose(got, products) and not torch.allclose(products, want):
                raise ExerciseFailed(
                    f"on {name}: only the product terms (cos w a * cos w b, ...) are counted; the "
                    "linear terms (row or column 0, e.g. cos w a * 1) belong to the frequency too"
                )
        expect_tensor(got, want, f"the fraction on {name}", atol=1e-9)
    return "a function built from one frequency (fraction 1), random coefficients, the top frequency"


@exercise("2.5", reference.idealised_logits)
def check_idealised_logits(fn: Callable, reference_fn: Callable) -> str:
    cases = [(5, [1], torch.tensor([1.0], dtype=torch.float64)),
             (7, [1, 3], torch.tensor([2.0, -0.5], dtype=torch.float64)),
             (113, [1, 8, 21], torch.tensor([11.4, 36.0, 19.9], dtype=torch.float64))]
    for p, frequencies, coefficients in cases:
        got = fn(p, frequencies, coefficients)
        want = reference_fn(p, frequencies, coefficients)
        name = f"p = {p}, frequencies {frequencies}"
        if isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point():
            got = got.double()
            x = torch.arange(p, dtype=torch.float64)
            w = 2 * math.pi * torch.tensor(frequencies, dtype=torch.float64) / p
            plus = x[:, None, None] + x[None, :, None] + x[None, None, :]
            if torch.allclose(got, (torch.cos(w * plus[..., None]) @ coefficients).reshape(p * p, p)):
                raise ExerciseFailed(f"for {name}: the waves are in a + b + c; the right answer c = a + b needs a + b - c")
            minus = x[:, None, None] + x[None, :, None] - x[None, None, :]
            if torch.allclose(got, (torch.sin(w * minus[..., None]) @ coefficients).reshape(p * p, p)):
                raise ExerciseFailed(f"for {name}: sin instead of cos; the logit of c must peak at c = a + b, where cos is 1")
            if not torch.allclose(got, want) and torch.allclose(got, want.reshape(p, p, p).transpose(0, 2).reshape(p * p, p)):
                raise ExerciseFailed(f"for {name}: rows and columns are mixed up: row a * p + b, column c")
        expect_tensor(got, want, f"the logits for {name}", atol=1e-8)
    return "p = 5, 7, 113, one to three frequencies"


@exercise("2.6", reference.keep_frequencies)
def check_keep_frequencies(fn: Callable, reference_fn: Callable) -> str:
    p = 7
    basis = reference.fourier_basis(p)
    cases = [(_random(p, p, 3, seed=5), [1]), (_random(p, p, 2, seed=6), [2, 3]), (_product_of_waves(p, 2), [2])]
    for values, frequencies in cases:
        got, want = fn(values, basis, frequencies), reference_fn(values, basis, frequencies)
        name = f"values [7, 7, {values.shape[-1]}], frequencies {frequencies}"
        if isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point():
            rows = [row for k in frequencies for row in (2 * k - 1, 2 * k)]
            coefficients = reference.fourier_2d(values, basis)
            if torch.count_nonzero(got) == 0:
                raise ExerciseFailed(f"on {name}: the result is all zeros")
            no_constant = torch.einsum("ia,jb,ij...->ab...", basis[rows], basis[rows], coefficients[rows][:, rows])
            if same_values(got, no_constant):
                raise ExerciseFailed(
                    f"on {name}: the constant row and column (index 0) are dropped; keep them: "
                    "they hold the mean and the linear terms such as cos(w a)"
                )
            if same_values(got, reference.fourier_2d(want, basis)):
                raise ExerciseFailed(f"on {name}: these are Fourier coefficients; transform back to values over (a, b)")
        expect_tensor(got, want, f"the projection of {name}", atol=1e-9)
    return "random values, one and two frequencies, a function made of frequencies 2 and 3"

