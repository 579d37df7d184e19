"""Every check of chapter 2 passes the reference, falls back (or fails, in strict mode) on the
stub, and rejects plausible wrong answers with a message that says what is wrong."""

import math

import pytest
import torch

from interp_course.checks import chapter2_fourier as checks
from solutions import chapter2_fourier as ref
from tests.check_contract import assert_rejected, contract_tests

CHECKS = {
    "fourier_basis": (checks.check_fourier_basis, ref.fourier_basis),
    "norm_per_frequency": (checks.check_norm_per_frequency, ref.norm_per_frequency),
    "fourier_2d": (checks.check_fourier_2d, ref.fourier_2d),
    "frequency_fve": (checks.check_frequency_fve, ref.frequency_fve),
    "idealised_logits": (checks.check_idealised_logits, ref.idealised_logits),
    "keep_frequencies": (checks.check_keep_frequencies, ref.keep_frequencies),
}

(
    test_the_reference_passes,
    test_the_stub_falls_back_to_the_reference,
    test_strict_mode_rejects_the_stub,
) = contract_tests(CHECKS, "solutions/chapter2_fourier.py")


def basis_unnormalised(p):
    x = torch.arange(p, dtype=torch.float64)
    rows = [torch.ones(p, dtype=torch.float64)]
    for k in range(1, (p - 1) // 2 + 1):
        rows += [torch.cos(2 * math.pi * k * x / p), torch.sin(2 * math.pi * k * x / p)]
    return torch.stack(rows)


def basis_sin_first(p):
    basis = ref.fourier_basis(p)
    order = [0] + [row for k in range(1, (p - 1) // 2 + 1) for row in (2 * k, 2 * k - 1)]
    return basis[order]


def basis_cos_block_first(p):
    basis = ref.fourier_basis(p)
    return torch.cat([basis[:1], basis[1::2], basis[2::2]])


def basis_without_over_p(p):
    x = torch.arange(p, dtype=torch.float64)
    rows = [torch.ones(p, dtype=torch.float64)]
    for k in range(1, (p - 1) // 2 + 1):
        rows += [torch.cos(2 * math.pi * k * x / 113), torch.sin(2 * math.pi * k * x / 113)]
    basis = torch.stack(rows)
    return basis / basis.norm(dim=1, keepdim=True)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (basis_unnormalised, "not normalised"),
        (basis_sin_first, "row 1 is sin"),
        (basis_cos_block_first, "all the cos rows come first"),
        (basis_without_over_p, "wrong values"),
        (lambda p: ref.fourier_basis(p).T, "wrong values"),
    ],
)
def test_fourier_basis_rejects(wrong, message):
    assert_rejected(checks.check_fourier_basis, wrong, message)


def per_row(c):
    return c.pow(2).reshape(c.shape[0], -1).sum(1)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (per_row, "one value per basis row"),
        (lambda c: ref.norm_per_frequency(c.abs().sqrt()), "square them"),
        (lambda c: ref.norm_per_frequency(c).sqrt(), "this is the norm"),
        (lambda c: torch.cat([per_row(c)[:1], per_row(c)[1::2]]), "wrong values"),
        (lambda c: torch.cat([per_row(c)[::2], per_row(c)[-1:]])[: (c.shape[0] + 1) // 2], "wrong values"),
    ],
)
def test_norm_per_frequency_rejects(wrong, message):
    assert_rejected(checks.check_norm_per_frequency, wrong, message)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda v, B: torch.einsum("ia,ab...->ib...", B, v), "only the a axis"),
        (lambda v, B: torch.einsum("ai,bj,ab...->ij...", B, B, v), "the basis is used transposed"),
        (lambda v, B: torch.einsum("ia,jb,ab...->ji...", B, B, v), "wrong values"),
    ],
)
def test_fourier_2d_rejects(wrong, message):
    assert_rejected(checks.check_fourier_2d, wrong, message)


def fve_with_constant(c, k):
    rows = [0, 2 * k - 1, 2 * k]
    return c[rows][:, rows].pow(2).sum((0, 1)) / c.pow(2).sum((0, 1))


def fve_products_only(c, k):
    rows = [2 * k - 1, 2 * k]
    return c[rows][:, rows].pow(2).sum((0, 1)) / (c.pow(2).sum((0, 1)) - c[0, 0].pow(2))


def fve_off_by_one(c, k):
    return ref.frequency_fve(c, k - 1 if k > 1 else k + 1)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (fve_with_constant, "the constant term \\[0, 0\\] is counted"),
        (fve_products_only, "only the product terms"),
        (fve_off_by_one, "wrong values"),
        (lambda c, k: ref.frequency_fve(c, k)[None], "wrong shape"),
    ],
)
def test_frequency_fve_rejects(wrong, message):
    assert_rejected(checks.check_frequency_fve, wrong, message)


def ideal_with(sign=-1, fn=torch.cos, transpose=False):
    def logits(p, frequencies, coefficients):
        x = torch.arange(p, dtype=torch.float64)
        w = 2 * math.pi * torch.tensor(frequencies, dtype=torch.float64) / p
        s = x[:, None, None] + x[None, :, None] + sign * x[None, None, :]
        out = fn(w * s[..., None]) @ coefficients.double()
        return (out.transpose(0, 2) if transpose else out).reshape(p * p, p)

    return logits


@pytest.mark.parametrize(
    "wrong, message",
    [
        (ideal_with(sign=+1), "a \\+ b \\+ c"),
        (ideal_with(fn=torch.sin), "sin instead of cos"),
        (ideal_with(transpose=True), "rows and columns are mixed up"),
        (lambda p, f, c: ref.idealised_logits(p, f, c.abs()), "wrong values"),
    ],
)
def test_idealised_logits_rejects(wrong, message):
    assert_rejected(checks.check_idealised_logits, wrong, message)


def keep_without_constant(values, basis, frequencies):
    rows = [row for k in frequencies for row in (2 * k - 1, 2 * k)]
    c = ref.fourier_2d(values, basis)[rows][:, rows]
    return torch.einsum("ia,jb,ij...->ab...", basis[rows], basis[rows], c)


def keep_coefficients(values, basis, frequencies):
    return ref.fourier_2d(ref.keep_frequencies(values, basis, frequencies), basis)


def keep_one_axis(values, basis, frequencies):
    rows = [0] + [row for k in frequencies for row in (2 * k - 1, 2 * k)]
    c = torch.einsum("ia,ab...->ib...", basis[rows], values)
    return torch.einsum("ia,ib...->ab...", basis[rows], c)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (keep_without_constant, "the constant row and column"),
        (keep_coefficients, "these are Fourier coefficients"),
        (lambda v, B, f: torch.zeros_like(v), "all zeros"),
        (keep_one_axis, "wrong values"),
        (lambda v, B, f: v - ref.keep_frequencies(v, B, f), "wrong values"),
    ],
)
def test_keep_frequencies_rejects(wrong, message):
    assert_rejected(checks.check_keep_frequencies, wrong, message)
