"""Checks for the exercises of chapter 2, "The Fourier multiplication algorithm"."""

from __future__ import annotations

import math
from typing import Callable

import torch

from solutions import chapter2_fourier as reference

from ..core.exercise import ExerciseFailed, expect_tensor, exercise, same_values
from ..core.learner_call import LearnerRaised
from ..core.mistakes import which_mistake

ATOL = 1e-9


def _random(*shape: int, seed: int = 0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def _raw_basis(p: int, denominator: float | None = None) -> torch.Tensor:
    """[p, p]: the constant, then cos and sin of each frequency (angle 2 pi k x / denominator, p
    unless given), not normalised."""
    x = torch.arange(p, dtype=torch.float64)
    rows = [torch.ones(p, dtype=torch.float64)]
    for k in range(1, (p - 1) // 2 + 1):
        angle = 2 * math.pi * k * x / (denominator or p)
        rows += [torch.cos(angle), torch.sin(angle)]
    return torch.stack(rows)


@exercise("2.1", reference.fourier_basis)
def check_fourier_basis(fn: Callable, reference_fn: Callable) -> str:
    for p in (3, 5, 113):
        got, want = fn(p), reference_fn(p)
        half = (p - 1) // 2
        if (isinstance(got, torch.Tensor) and got.shape == (p - 2, p) and got.is_floating_point()
                and same_values(got, want[:-2])):
            raise ExerciseFailed(
                f"for p = {p}, frequency {half} is missing (off by one): k runs from 1 to (p - 1) / 2 "
                "included, range(1, (p - 1) // 2 + 1)"
            )
        if (isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point()
                and not same_values(got, want, atol=1e-10)):
            got = got.to(torch.float64)
            raw = _raw_basis(p)
            if same_values(got, raw / raw.norm(dim=1)):
                raise ExerciseFailed(
                    f"for p = {p}, each column is divided by a row's norm: basis.norm(dim=1) has shape [p]; "
                    "use keepdim=True so that each row is divided by its own norm"
                )
            if same_values(got, raw / raw.norm(dim=0, keepdim=True)):
                raise ExerciseFailed(
                    f"for p = {p}, the columns are normalised (norm over dim=0); divide each row by its "
                    "norm, basis.norm(dim=1, keepdim=True)"
                )
            if same_values(got[1], got[0]) and (got[2].isnan().all() or got[2].abs().max() < 1e-9):
                raise ExerciseFailed(
                    f"for p = {p}, row 1 is constant and row 2 is zero (or NaN): that is frequency 0; "
                    "the frequencies run from k = 1 to (p - 1) / 2"
                )
            if not got.isfinite().all():
                raise ExerciseFailed(f"for p = {p}, the basis holds NaN or inf; a correct answer is finite")
            norms = got.norm(dim=1)
            if torch.allclose(norms[1:], torch.ones(p - 1, dtype=torch.float64), atol=1e-6) and not math.isclose(
                    norms[0].item(), 1.0, abs_tol=1e-6):
                raise ExerciseFailed(
                    f"for p = {p}, every row but the constant one has norm 1 (row 0 has "
                    f"{norms[0].item():.3g}): the constant row has norm sqrt(p) before scaling, the waves "
                    "sqrt(p / 2); divide each row by its own norm"
                )
            if not torch.allclose(norms, torch.ones(p, dtype=torch.float64), atol=1e-6):
                raise ExerciseFailed(
                    f"for p = {p}, the rows are not normalised: their norms range from "
                    f"{norms.min().item():.3g} to {norms.max().item():.3g}; divide each row by its norm"
                )
            if same_values(got[1], want[2]) and same_values(got[2], want[1]):
                raise ExerciseFailed(f"for p = {p}, row 1 is sin and row 2 is cos; row 2k-1 must be cos, row 2k sin")
            if p > 3 and same_values(got[1 : half + 1], want[1::2]):
                raise ExerciseFailed(
                    f"for p = {p}, all the cos rows come first; interleave them: "
                    "row 2k-1 = cos of frequency k, row 2k = sin of frequency k"
                )
            if same_values(got, want.T):
                raise ExerciseFailed(
                    f"for p = {p}, the basis is transposed: one basis vector per row, basis[i] is a "
                    "function of x = 0..p-1"
                )
            over_113 = _raw_basis(p, denominator=113)
            if p != 113 and same_values(got, over_113 / over_113.norm(dim=1, keepdim=True)):
                raise ExerciseFailed(
                    f"for p = {p}, the waves use 113 in place of p; the angle is 2 pi k x / p for the p given"
                )
            gram = got @ got.T
            if not torch.allclose(gram, torch.eye(p, dtype=torch.float64), atol=1e-6):
                i, j = divmod(int((gram - torch.eye(p, dtype=torch.float64)).abs().argmax()), p)
                raise ExerciseFailed(
                    f"for p = {p}, the rows are not orthogonal (row {i} . row {j} = {gram[i, j].item():.3g}): "
                    "each must be cos or sin of 2 pi k x / p, for k = 1 .. (p - 1) / 2"
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
        squared = coefficients.pow(2).reshape(p, -1)  # [p, columns]
        per_row = squared.sum(dim=1)  # [p]
        if isinstance(got, torch.Tensor) and got.shape == (p,):
            raise ExerciseFailed(
                f"on {name}: got one value per basis row, shape ({p},); add the cos and sin rows "
                f"of each frequency together, shape ({(p + 1) // 2},)"
            )
        if isinstance(got, torch.Tensor) and got.shape == ((p - 1) // 2,) and same_values(got, want[1:]):
            raise ExerciseFailed(
                f"on {name}: entry 0, the squared norm of the constant row, is missing; put it in front: "
                f"shape ({(p + 1) // 2},)"
            )
        if (isinstance(got, torch.Tensor) and coefficients.ndim > 1 and got.shape == want.shape + coefficients.shape[1:]
                and same_values(got.reshape(len(want), -1).sum(dim=1), want)):
            raise ExerciseFailed(
                f"on {name}: got one value per frequency and per column, shape {tuple(got.shape)}; sum the "
                f"squares over every dimension after the first as well, shape ({(p + 1) // 2},)"
            )
        if (isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point()
                and not same_values(got, want, atol=ATOL)):
            got = got.double()
            variants = [
                (reference_fn(coefficients.abs().sqrt()), "these are sums of |coefficients|; square them"),
                (want.sqrt(), "this is the norm; the exercise asks for the squared norm"),
                (torch.cat([per_row[:1], per_row[1::2]]),
                 "only the cos rows (2k-1) are counted; add the sin row 2k of each frequency too"),
                (torch.cat([per_row[:1], per_row[2::2]]),
                 "only the sin rows (2k) are counted; add the cos row 2k-1 of each frequency too"),
                (reference_fn(coefficients) / squared.shape[1],
                 "this averages the squares over the columns; sum them"),
                (want / want.sum(), "these are fractions of the total; return the squared norms themselves"),
            ]
            reason = which_mistake(got, want, variants, atol=1e-7, only_one=True)
            if reason:
                raise ExerciseFailed(f"on {name}: {reason}")
        expect_tensor(got, want, f"the result on {name}", atol=ATOL, rtol=1e-9)
    return "3 inputs, a single vector included"


def _transform(values: torch.Tensor, basis_a: torch.Tensor | None, basis_b: torch.Tensor | None) -> torch.Tensor:
    """``values`` [p, p, ...] with its a axis multiplied by ``basis_a`` ([i, a]: entry [i, ...] = sum over a
    of basis_a[i, a] * values[a, ...]) and its b axis by ``basis_b``; None leaves that axis alone. One axis
    at a time (a single three-operand einsum builds a [p, p, p, p] product first: over a second at p = 113)."""
    values = values.to(torch.float64)
    if basis_a is not None:
        values = torch.einsum("ia,ab...->ib...", basis_a, values)
    if basis_b is not None:
        values = torch.einsum("jb,ab...->aj...", basis_b, values)
    return values


def _call_on_float32(fn: Callable, *args):
    """``fn(*args)``, with a dtype clash in the learner's code named as such."""
    try:
        return fn(*args)
    except LearnerRaised as raised:
        text = str(raised.error)
        if isinstance(raised.error, RuntimeError) and ("scalar type" in text or "same dtype" in text):
            raise ExerciseFailed(
                f"on float32 values your function raised RuntimeError: {text}. The basis is float64: "
                "convert values to float64 first, values.to(torch.float64)"
            ) from None
        raise


@exercise("2.3", reference.fourier_2d)
def check_fourier_2d(fn: Callable, reference_fn: Callable) -> str:
    for p, extra, dtype in [(5, (), torch.float64), (7, (3,), torch.float64), (5, (2,), torch.float32),
                            (113, (4,), torch.float64)]:
        basis = reference.fourier_basis(p)
        values = _random(p, p, *extra, seed=p).to(dtype)
        got = _call_on_float32(fn, values, basis) if dtype == torch.float32 else fn(values, basis)
        want = reference_fn(values, basis)
        name = f"values of shape {tuple(values.shape)}" + (" (float32)" if dtype == torch.float32 else "")
        if isinstance(got, torch.Tensor) and got.dtype == torch.float32 and dtype == torch.float32:
            raise ExerciseFailed(
                f"on {name}: the result is float32; convert values to float64 first, values.to(torch.float64)"
            )
        if (isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point()
                and not same_values(got, want, atol=1e-8)):
            variants = [
                ((basis, None), "only the a axis is transformed; transform b as well"),
                ((None, basis), "only the b axis is transformed; transform a as well"),
                ((basis.T, basis.T), "the basis is used transposed; coefficient [i, j] is "
                                     "sum over a, b of basis[i, a] * basis[j, b] * values[a, b]"),
                ((basis, basis.T), "the b axis uses the basis transposed (basis @ values @ basis?); coefficient "
                                   "[i, j] is sum over a, b of basis[i, a] * basis[j, b] * values[a, b]: "
                                   "basis @ values @ basis.T"),
                ((basis.T, basis), "the a axis uses the basis transposed; coefficient [i, j] is "
                                   "sum over a, b of basis[i, a] * basis[j, b] * values[a, b]"),
            ]
            variants = [(_transform(values, basis_a, basis_b), why) for (basis_a, basis_b), why in variants]
            variants.append((want.transpose(0, 1), "the first two axes are swapped; entry [i, j] has i for a and "
                                                   "j for b (einsum output 'ij...', not 'ji...')"))
            reason = which_mistake(got, want, variants, atol=1e-7, only_one=True)
            if reason:
                raise ExerciseFailed(f"on {name}: {reason}")
            if dtype == torch.float32 and torch.allclose(got.double(), want, atol=1e-4):
                raise ExerciseFailed(
                    f"on {name}: the values are off by float32 rounding; convert values to float64 before "
                    "the transform, not the result after it"
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


def _fve_variants(coefficients: torch.Tensor, k: int) -> list[tuple[torch.Tensor, str]]:
    """Known wrong answers to 2.4 on these coefficients [p, p, n], each with what is wrong."""
    rows = [0, 2 * k - 1, 2 * k]
    squared = coefficients.pow(2)
    constant = squared[0, 0]  # [n]
    total = squared.sum((0, 1)) - constant  # [n]

    def share(explained: torch.Tensor, of: torch.Tensor = total) -> torch.Tensor:
        return explained / of

    variants = [
        (squared[rows][:, rows].sum((0, 1)) / squared.sum((0, 1)),
         "the constant term [0, 0] is counted; it is the mean, not variance: "
         "leave it out of both the explained part and the total"),
        (share(squared[rows[1:]][:, rows[1:]].sum((0, 1))),
         "only the product terms (cos w a * cos w b, ...) are counted; the "
         "linear terms (row or column 0, e.g. cos w a * 1) belong to the frequency too"),
        (share(squared[rows, rows].sum(0) - constant),
         "coefficients_2d[rows, rows] picks only the 3 diagonal entries; take the 3 x 3 block, "
         "coefficients_2d[rows][:, rows]"),
        (share(squared[rows].sum((0, 1)) - constant),
         "the block takes every column of rows {0, 2k-1, 2k}; keep only the columns {0, 2k-1, 2k} too: "
         "coefficients_2d[rows][:, rows]"),
        ((coefficients[rows][:, rows].sum((0, 1)) - coefficients[0, 0])
         / (coefficients.sum((0, 1)) - coefficients[0, 0]),
         "the coefficients are not squared; the variance is the sum of their squares"),
        ((squared[rows][:, rows].sum() - constant) / (squared.sum() - constant),
         "the sums run over all n functions together; sum over dims (0, 1) only, one fraction per function"),
    ]
    p = coefficients.shape[0]
    if 2 * k + 1 < p:
        shifted = [0, 2 * k, 2 * k + 1]
        variants.append((share(squared[shifted][:, shifted].sum((0, 1)) - constant),
                         f"rows {shifted[1:]} are off by one: frequency k is rows 2k-1 (cos) and 2k (sin)"))
    for other in (k - 1, k + 1):
        if 1 <= other <= (p - 1) // 2:
            variants.append((reference.frequency_fve(coefficients, other),
                             f"this is the fraction of frequency {other}, not {k}: rows {{0, 2k-1, 2k}} "
                             f"with k = {k} are {{0, {2 * k - 1}, {2 * k}}}"))
    return variants


@exercise("2.4", reference.frequency_fve)
def check_frequency_fve(fn: Callable, reference_fn: Callable) -> str:
    p = 11
    basis = reference.fourier_basis(p)
    with_constant = _random(p, p, 3, seed=7)
    with_constant[:, :, 1] = 0.0
    with_constant[0, 0, 1] = 5.0  # function 1 is constant: no variance to explain
    # Random coefficients first: on them each known mistake gives its own numbers (on the product of
    # waves, some coincide: its cross terms [2k-1, 2k] are 0).
    cases = [("random coefficients [11, 11, 5]", _random(p, p, 5, seed=3), 3),
             ("a product of frequency-2 waves plus a linear term and a constant", reference.fourier_2d(_product_of_waves(p, 2), basis), 2),
             ("random coefficients [11, 11, 5], the top frequency", _random(p, p, 5, seed=4), 5),
             ("random coefficients [11, 11, 3] whose function 1 is constant", with_constant, 1)]
    for name, coefficients, k in cases:
        got, want = fn(coefficients, k), reference_fn(coefficients, k)
        if (isinstance(got, torch.Tensor) and got.shape != want.shape and got.numel() == want.numel()
                and got.squeeze().shape == want.shape and same_values(got.squeeze(), want)):
            raise ExerciseFailed(
                f"on {name}: the result has shape {tuple(got.shape)}, with an extra dimension of size 1; "
                f"return shape {tuple(want.shape)}, one fraction per function"
            )
        if (isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point()
                and not same_values(got, want, atol=1e-9)):
            got = got.double()
            total = coefficients.pow(2).sum((0, 1)) - coefficients[0, 0].pow(2)
            if (total == 0).any() and got[total == 0].isnan().all() and same_values(got[total > 0], want[total > 0]):
                raise ExerciseFailed(
                    f"on {name}: a constant function has no variance, and 0 / 0 is NaN; return 0 for it, "
                    "e.g. torch.where(total > 0, explained / total, 0.0)"
                )
            reason = which_mistake(got, want, _fve_variants(coefficients, k), atol=1e-7, only_one=True)
            if reason:
                raise ExerciseFailed(f"on {name}: {reason}")
        expect_tensor(got, want, f"the fraction on {name}", atol=1e-9)
    return "a function built from one frequency (fraction 1), random coefficients, the top frequency"


def _waves(p: int, frequencies: list[int], coefficients: torch.Tensor, *, sign: float = -1.0,
           trig: Callable = torch.cos, scale: float = 2 * math.pi) -> torch.Tensor:
    """[p, p, p], indexed [a, b, c]: sum over i of coefficients[i] * trig(w_i * (a + b + sign * c)),
    with w_i = scale * frequencies[i] / p."""
    x = torch.arange(p, dtype=torch.float64)
    w = scale * torch.tensor(frequencies, dtype=torch.float64) / p  # [K]
    s = x[:, None, None] + x[None, :, None] + sign * x[None, None, :]  # [p, p, p]
    return trig(w * s[..., None]) @ coefficients.to(torch.float64)


@exercise("2.5", reference.idealised_logits)
def check_idealised_logits(fn: Callable, reference_fn: Callable) -> str:
    cases = [(5, [1], torch.tensor([1.0], dtype=torch.float64)),
             (7, [1, 3], torch.tensor([2.0, -0.5], dtype=torch.float64)),
             (113, [1, 8, 21], torch.tensor([11.4, 36.0, 19.9], dtype=torch.float64))]
    for p, frequencies, coefficients in cases:
        got = fn(p, frequencies, coefficients)
        want = reference_fn(p, frequencies, coefficients)
        name = f"p = {p}, frequencies {frequencies}"
        n_waves = len(frequencies)
        if isinstance(got, torch.Tensor) and got.shape == (p, p, p) and same_values(got.reshape(p * p, p), want):
            raise ExerciseFailed(f"for {name}: the result is [p, p, p], indexed [a, b, c]; reshape it to [p * p, p]")
        if (isinstance(got, torch.Tensor) and got.shape in ((p * p, p, n_waves), (p, p, p, n_waves))
                and got.is_floating_point() and same_values(got.double().reshape(p * p, p, n_waves) @ coefficients, want)):
            raise ExerciseFailed(
                f"for {name}: one wave per frequency, shape {tuple(got.shape)}; weight them by the coefficients "
                "and add them up (waves @ coefficients), shape [p * p, p]"
            )
        if (isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point()
                and not same_values(got, want, atol=1e-8)):
            got = got.double()
            variants = [
                (_waves(p, frequencies, coefficients, sign=+1.0),
                 "the waves are in a + b + c; the right answer c = a + b needs a + b - c"),
                (_waves(p, frequencies, coefficients, trig=torch.sin),
                 "sin instead of cos; the logit of c must peak at c = a + b, where cos is 1"),
                (want.reshape(p, p, p).transpose(0, 2), "rows and columns are mixed up: row a * p + b, column c"),
                (_waves(p, frequencies, coefficients, scale=1.0),
                 "the 2 pi is missing: w_i = 2 pi frequencies[i] / p"),
                (_waves(p, frequencies, coefficients, scale=p),
                 "w_i is frequencies[i] itself; it is 2 pi frequencies[i] / p"),
                (_waves(p, frequencies, torch.ones_like(coefficients)),
                 "the coefficients are not used; weight wave i by coefficients[i]"),
                (_waves(p, frequencies, coefficients.abs()),
                 "the negative coefficients lost their sign; weight wave i by coefficients[i] as given"),
            ]
            reason = which_mistake(got, want, [(wrong.reshape(p * p, p), why) for wrong, why in variants], atol=1e-7,
                                   only_one=True)
            if reason:
                raise ExerciseFailed(f"for {name}: {reason}")
        expect_tensor(got, want, f"the logits for {name}", atol=1e-8)
    return "p = 5, 7, 113, one to three frequencies"


def _project(values: torch.Tensor, rows_a: torch.Tensor, rows_b: torch.Tensor | None) -> torch.Tensor:
    """``values`` [p, p, ...] projected on the basis rows ``rows_a`` [m, p] along a and ``rows_b`` along b
    (None: b left alone), as values over (a, b) again."""
    out = torch.einsum("ia,ib...->ab...", rows_a, torch.einsum("ia,ab...->ib...", rows_a, values))
    if rows_b is not None:
        out = torch.einsum("jb,aj...->ab...", rows_b, torch.einsum("jb,ab...->aj...", rows_b, out))
    return out


@exercise("2.6", reference.keep_frequencies)
def check_keep_frequencies(fn: Callable, reference_fn: Callable) -> str:
    p = 7
    basis = reference.fourier_basis(p)
    cases = [(_random(p, p, 3, seed=5), [1]), (_random(p, p, 2, seed=6), [2, 3]), (_product_of_waves(p, 2), [2])]
    for values, frequencies in cases:
        got, want = fn(values, basis, frequencies), reference_fn(values, basis, frequencies)
        name = f"values [7, 7, {values.shape[-1]}], frequencies {frequencies}"
        rows = [0] + [row for k in frequencies for row in (2 * k - 1, 2 * k)]
        coefficients = reference.fourier_2d(values, basis)
        if (isinstance(got, torch.Tensor) and got.shape != want.shape
                and got.shape == (len(rows), len(rows)) + values.shape[2:] and same_values(got, coefficients[rows][:, rows])):
            raise ExerciseFailed(
                f"on {name}: these are the kept coefficients, shape {tuple(got.shape)}; transform them back "
                "to values over (a, b), the shape of the input"
            )
        if (isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point()
                and not same_values(got, want, atol=1e-9)):
            if torch.count_nonzero(got) == 0:
                raise ExerciseFailed(
                    f"on {name}: the result is all zeros, so nothing was kept; keep rows and columns "
                    "{0} and {2k-1, 2k} of the coefficients"
                )
            shifted = [0] + [row for k in frequencies for row in (2 * k, 2 * k + 1)]
            variants = [
                (_project(values, basis[rows[1:]], basis[rows[1:]]),
                 "the constant row and column (index 0) are dropped; keep them: "
                 "they hold the mean and the linear terms such as cos(w a)"),
                (reference.fourier_2d(want, basis), "these are Fourier coefficients; transform back to values over (a, b)"),
                (_project(values, basis[rows], None), "only the a axis is projected; project the b axis too"),
                (values - want, "this is what is removed (values minus the projection); return the projection itself"),
                (reference.fourier_2d(reference.fourier_2d(want, basis), basis),
                 "the way back uses the basis untransposed; values[a, b] = sum over i, j of "
                 "basis[i, a] * basis[j, b] * coefficients[i, j]"),
                (_project(values, basis[[0, *frequencies]], basis[[0, *frequencies]]),
                 "the frequencies are used as row numbers; frequency k is rows 2k-1 (cos) and 2k (sin)"),
            ]
            if max(shifted) < p:
                variants.append((_project(values, basis[shifted], basis[shifted]),
                                 f"rows {shifted[1:]} are off by one; frequency k is rows 2k-1 (cos) and 2k (sin)"))
            reason = which_mistake(got, want, variants, atol=1e-7, only_one=True)
            if reason:
                raise ExerciseFailed(f"on {name}: {reason}")
        expect_tensor(got, want, f"the projection of {name}", atol=1e-9)
    return "random values, one and two frequencies, a function made of frequencies 2 and 3"
