"""The checks of chapter 2 reject plausible wrong answers with a message that says what is wrong
(the contract every check keeps, reference / stub / strict, is tested in
tests/test_exercise_contract.py)."""

import math

import pytest
import torch

from interp_course.chapter2_fourier import checks
from solutions import chapter2_fourier as ref
from tests.test_exercise_contract import assert_rejected, wrong_answer_cases

WRONG_ANSWERS: dict = {}
"""{check: [(wrong function, regex its failure message must match), ...]}"""


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


WRONG_ANSWERS[checks.check_fourier_basis] = [
    (basis_unnormalised, "not normalised"),
    (basis_sin_first, "row 1 is sin"),
    (basis_cos_block_first, "all the cos rows come first"),
    (basis_without_over_p, "wrong values"),
    (lambda p: ref.fourier_basis(p).T, "wrong values"),
    (lambda p: ref.fourier_basis(p).to(torch.complex128), r"wrong dtype: expected torch.float64, got torch.complex128"),
    (lambda p: ref.fourier_basis(p).float(), r"wrong dtype: expected torch.float64, got torch.float32"),
]


def per_row(c):
    return c.pow(2).reshape(c.shape[0], -1).sum(1)


WRONG_ANSWERS[checks.check_norm_per_frequency] = [
    (per_row, "one value per basis row"),
    (lambda c: ref.norm_per_frequency(c.abs().sqrt()), "square them"),
    (lambda c: ref.norm_per_frequency(c).sqrt(), "this is the norm"),
    (lambda c: torch.cat([per_row(c)[:1], per_row(c)[1::2]]), "wrong values"),
    (lambda c: torch.cat([per_row(c)[::2], per_row(c)[-1:]])[: (c.shape[0] + 1) // 2], "wrong values"),
]


WRONG_ANSWERS[checks.check_fourier_2d] = [
    (lambda v, B: torch.einsum("ia,ab...->ib...", B, v), "only the a axis"),
    (lambda v, B: torch.einsum("ai,bj,ab...->ij...", B, B, v), "the basis is used transposed"),
    (lambda v, B: torch.einsum("ia,jb,ab...->ji...", B, B, v), "wrong values"),
]


def fve_with_constant(c, k):
    rows = [0, 2 * k - 1, 2 * k]
    return c[rows][:, rows].pow(2).sum((0, 1)) / c.pow(2).sum((0, 1))


def fve_products_only(c, k):
    rows = [2 * k - 1, 2 * k]
    return c[rows][:, rows].pow(2).sum((0, 1)) / (c.pow(2).sum((0, 1)) - c[0, 0].pow(2))


def fve_off_by_one(c, k):
    return ref.frequency_fve(c, k - 1 if k > 1 else k + 1)


WRONG_ANSWERS[checks.check_frequency_fve] = [
    (fve_with_constant, "the constant term \\[0, 0\\] is counted"),
    (fve_products_only, "only the product terms"),
    (fve_off_by_one, "wrong values"),
    (lambda c, k: ref.frequency_fve(c, k)[None], "wrong shape"),
]


def ideal_with(sign=-1, fn=torch.cos, transpose=False):
    def logits(p, frequencies, coefficients):
        x = torch.arange(p, dtype=torch.float64)
        w = 2 * math.pi * torch.tensor(frequencies, dtype=torch.float64) / p
        s = x[:, None, None] + x[None, :, None] + sign * x[None, None, :]
        out = fn(w * s[..., None]) @ coefficients.double()
        return (out.transpose(0, 2) if transpose else out).reshape(p * p, p)

    return logits


WRONG_ANSWERS[checks.check_idealised_logits] = [
    (ideal_with(sign=+1), "a \\+ b \\+ c"),
    (ideal_with(fn=torch.sin), "sin instead of cos"),
    (ideal_with(transpose=True), "rows and columns are mixed up"),
    (lambda p, f, c: ref.idealised_logits(p, f, c.abs()), "wrong values"),
]


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


WRONG_ANSWERS[checks.check_keep_frequencies] = [
    (keep_without_constant, "the constant row and column"),
    (keep_coefficients, "these are Fourier coefficients"),
    (lambda v, B, f: torch.zeros_like(v), "all zeros"),
    (keep_one_axis, "wrong values"),
    (lambda v, B, f: v - ref.keep_frequencies(v, B, f), "wrong values"),
]


CASES, CASE_IDS = wrong_answer_cases(WRONG_ANSWERS)


@pytest.mark.parametrize("check, wrong, message", CASES, ids=CASE_IDS)
def test_wrong_answers_are_rejected_with_a_precise_message(check, wrong, message):
    assert_rejected(check, wrong, message)
