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


def basis_without_top_frequency(p):
    return ref.fourier_basis(p)[: p - 2]  # range(1, (p - 1) // 2): one frequency short


def basis_from_frequency_zero(p):
    x = torch.arange(p, dtype=torch.float64)
    rows = [torch.ones(p, dtype=torch.float64)]
    for k in range((p - 1) // 2):
        rows += [torch.cos(2 * math.pi * k * x / p), torch.sin(2 * math.pi * k * x / p)]
    basis = torch.stack(rows)
    return basis / basis.norm(dim=1, keepdim=True)


def basis_norm_without_keepdim(p):
    basis = basis_unnormalised(p)
    return basis / basis.norm(dim=1)  # [p, p] / [p]: divides column j by the norm of row j


def basis_columns_normalised(p):
    basis = basis_unnormalised(p)
    return basis / basis.norm(dim=0, keepdim=True)


def basis_one_scale(p):
    return basis_unnormalised(p) / math.sqrt(p / 2)  # right for the waves, not for the constant


def basis_without_two_pi(p):
    x = torch.arange(p, dtype=torch.float64)
    rows = [torch.ones(p, dtype=torch.float64)]
    for k in range(1, (p - 1) // 2 + 1):
        rows += [torch.cos(k * x / p), torch.sin(k * x / p)]
    basis = torch.stack(rows)
    return basis / basis.norm(dim=1, keepdim=True)


WRONG_ANSWERS[checks.check_fourier_basis] = [
    (basis_unnormalised, "not normalised"),
    (basis_sin_first, "row 1 is sin"),
    (basis_cos_block_first, "all the cos rows come first"),
    (basis_without_over_p, "the waves use 113 in place of p"),
    (lambda p: ref.fourier_basis(p).T, "the basis is transposed: one basis vector per row"),
    (basis_without_top_frequency, r"frequency 1 is missing \(off by one\): k runs from 1 to \(p - 1\) / 2 included"),
    (basis_from_frequency_zero, r"that is frequency 0; the frequencies run from k = 1"),
    (basis_norm_without_keepdim, r"each column is divided by a row's norm.*keepdim=True"),
    (basis_columns_normalised, r"the columns are normalised \(norm over dim=0\)"),
    (basis_one_scale, r"every row but the constant one has norm 1"),
    (basis_without_two_pi, r"the rows are not orthogonal .*2 pi k x / p"),
    (lambda p: ref.fourier_basis(p).to(torch.complex128), r"wrong dtype: expected torch.float64, got torch.complex128"),
    (lambda p: ref.fourier_basis(p).float(), r"wrong dtype: expected torch.float64, got torch.float32"),
]


def per_row(c):
    return c.pow(2).reshape(c.shape[0], -1).sum(1)


def per_frequency_and_column(c):
    squared = c.pow(2)  # the columns are not summed
    return torch.cat([squared[:1], squared[1::2] + squared[2::2]])


def mean_over_columns(c):
    squared = c.pow(2).reshape(c.shape[0], -1).mean(1)
    return torch.cat([squared[:1], squared[1::2] + squared[2::2]])


def without_the_constant(c):
    return ref.norm_per_frequency(c)[1:]


def squared_in_place(c):
    squared = c.pow_(2).reshape(c.shape[0], -1).sum(1)
    return torch.cat([squared[:1], squared[1::2] + squared[2::2]])


def as_fractions(c):
    spectrum = ref.norm_per_frequency(c)
    return spectrum / spectrum.sum()


WRONG_ANSWERS[checks.check_norm_per_frequency] = [
    (per_row, "one value per basis row"),
    (lambda c: ref.norm_per_frequency(c.abs().sqrt()), "square them"),
    (lambda c: ref.norm_per_frequency(c).sqrt(), "this is the norm"),
    (lambda c: torch.cat([per_row(c)[:1], per_row(c)[1::2]]), r"only the cos rows \(2k-1\) are counted; add the sin row"),
    (lambda c: torch.cat([per_row(c)[::2], per_row(c)[-1:]])[: (c.shape[0] + 1) // 2],
     r"only the sin rows \(2k\) are counted; add the cos row"),
    (per_frequency_and_column, r"one value per frequency and per column, shape \(3, 3\); sum the squares over every dimension"),
    (mean_over_columns, r"averages the squares over the columns; sum them"),
    (without_the_constant, r"entry 0, the squared norm of the constant row, is missing"),
    (squared_in_place, r"changed its input `coefficients` in place"),
    (as_fractions, r"these are fractions of the total"),
]


def transform_as_matrix_product(values, basis):
    return basis @ values.double() @ basis  # [p, p] only, and the second basis needs a .T


def transform_without_float64(values, basis):
    return torch.einsum("ia,jb,ab...->ij...", basis, basis, values)


def transform_in_the_values_dtype(values, basis):
    basis = basis.to(values.dtype)
    return torch.einsum("ia,jb,ab...->ij...", basis, basis, values)


def transform_rounded_to_float32(values, basis):
    return transform_in_the_values_dtype(values, basis).double()


WRONG_ANSWERS[checks.check_fourier_2d] = [
    (lambda v, B: torch.einsum("ia,ab...->ib...", B, v), "only the a axis"),
    (lambda v, B: torch.einsum("ai,bj,ab...->ij...", B, B, v), "the basis is used transposed"),
    (lambda v, B: torch.einsum("ia,jb,ab...->ji...", B, B, v), r"the first two axes are swapped; entry \[i, j\] has i for a"),
    (lambda v, B: torch.einsum("jb,ab...->aj...", B, v.double()), "only the b axis is transformed"),
    (transform_as_matrix_product, r"the b axis uses the basis transposed .*basis @ values @ basis.T"),
    (lambda v, B: torch.einsum("ai,jb,ab...->ij...", B, B, v.double()), "the a axis uses the basis transposed"),
    (transform_without_float64, r"float32 values your function raised RuntimeError.*convert values to float64 first"),
    (transform_in_the_values_dtype, r"\(float32\): the result is float32; convert values to float64 first"),
    (transform_rounded_to_float32, r"off by float32 rounding; convert values to float64 before the transform"),
]


def fve_with_constant(c, k):
    rows = [0, 2 * k - 1, 2 * k]
    return c[rows][:, rows].pow(2).sum((0, 1)) / c.pow(2).sum((0, 1))


def fve_products_only(c, k):
    rows = [2 * k - 1, 2 * k]
    return c[rows][:, rows].pow(2).sum((0, 1)) / (c.pow(2).sum((0, 1)) - c[0, 0].pow(2))


def fve_off_by_one(c, k):
    return ref.frequency_fve(c, k - 1 if k > 1 else k + 1)


def fve_diagonal_only(c, k):
    rows = [0, 2 * k - 1, 2 * k]
    constant = c[0, 0].pow(2)
    return (c[rows, rows].pow(2).sum(0) - constant) / (c.pow(2).sum((0, 1)) - constant)


def fve_rows_only(c, k):
    rows = [0, 2 * k - 1, 2 * k]
    constant = c[0, 0].pow(2)
    return (c[rows].pow(2).sum((0, 1)) - constant) / (c.pow(2).sum((0, 1)) - constant)


def fve_unsquared(c, k):
    rows = [0, 2 * k - 1, 2 * k]
    return (c[rows][:, rows].sum((0, 1)) - c[0, 0]) / (c.sum((0, 1)) - c[0, 0])


def fve_summed_over_functions(c, k):
    rows = [0, 2 * k - 1, 2 * k]
    constant = c[0, 0].pow(2)
    return (c[rows][:, rows].pow(2).sum() - constant) / (c.pow(2).sum() - constant)


def fve_rows_off_by_one(c, k):
    rows = [0, 2 * k, 2 * k + 1]
    constant = c[0, 0].pow(2)
    return (c[rows][:, rows].pow(2).sum((0, 1)) - constant) / (c.pow(2).sum((0, 1)) - constant)


def fve_without_the_constant_case(c, k):
    rows = [0, 2 * k - 1, 2 * k]
    constant = c[0, 0].pow(2)
    return (c[rows][:, rows].pow(2).sum((0, 1)) - constant) / (c.pow(2).sum((0, 1)) - constant)  # 0 / 0


def fve_zeroing_the_constant_in_place(c, k):
    c[0, 0] = 0.0
    rows = [0, 2 * k - 1, 2 * k]
    return c[rows][:, rows].pow(2).sum((0, 1)) / c.pow(2).sum((0, 1))


WRONG_ANSWERS[checks.check_frequency_fve] = [
    (fve_with_constant, "the constant term \\[0, 0\\] is counted"),
    (fve_products_only, "only the product terms"),
    (fve_off_by_one, r"this is the fraction of frequency 2, not 3"),
    (lambda c, k: ref.frequency_fve(c, k)[None], r"shape \(1, 5\), with an extra dimension of size 1; return shape \(5,\)"),
    (fve_diagonal_only, r"coefficients_2d\[rows, rows\] picks only the 3 diagonal entries"),
    (fve_rows_only, r"the block takes every column of rows"),
    (fve_unsquared, r"the coefficients are not squared"),
    (fve_summed_over_functions, r"the sums run over all n functions together; sum over dims \(0, 1\) only"),
    (fve_rows_off_by_one, r"rows \[6, 7\] are off by one: frequency k is rows 2k-1 \(cos\) and 2k \(sin\)"),
    (fve_without_the_constant_case, r"a constant function has no variance, and 0 / 0 is NaN; return 0"),
    (fve_zeroing_the_constant_in_place, r"changed its input `coefficients_2d` in place"),
]


def ideal_with(sign=-1, fn=torch.cos, transpose=False, scale=2 * math.pi):
    def logits(p, frequencies, coefficients):
        x = torch.arange(p, dtype=torch.float64)
        w = scale * torch.tensor(frequencies, dtype=torch.float64) / p
        s = x[:, None, None] + x[None, :, None] + sign * x[None, None, :]
        out = fn(w * s[..., None]) @ coefficients.double()
        return (out.transpose(0, 2) if transpose else out).reshape(p * p, p)

    return logits


def waves_not_added_up(p, frequencies, coefficients):
    x = torch.arange(p, dtype=torch.float64)
    w = 2 * math.pi * torch.tensor(frequencies, dtype=torch.float64) / p
    s = x[:, None, None] + x[None, :, None] - x[None, None, :]
    return (coefficients.double() * torch.cos(w * s[..., None])).reshape(p * p, p, len(frequencies))


def ideal_with_w_equal_to_k(p, frequencies, coefficients):
    x = torch.arange(p, dtype=torch.float64)
    w = torch.tensor(frequencies, dtype=torch.float64)  # the frequency itself, not 2 pi k / p
    s = x[:, None, None] + x[None, :, None] - x[None, None, :]
    return (torch.cos(w * s[..., None]) @ coefficients.double()).reshape(p * p, p)


def ideal_in_float32(p, frequencies, coefficients):
    x = torch.arange(p)  # int64: the angles below come out float32
    w = 2 * math.pi * torch.tensor(frequencies) / p
    s = x[:, None, None] + x[None, :, None] - x[None, None, :]
    return (torch.cos(w * s[..., None]) @ coefficients.float()).reshape(p * p, p)


WRONG_ANSWERS[checks.check_idealised_logits] = [
    (ideal_with(sign=+1), "a \\+ b \\+ c"),
    (ideal_with(fn=torch.sin), "sin instead of cos"),
    (ideal_with(transpose=True), "rows and columns are mixed up"),
    (lambda p, f, c: ref.idealised_logits(p, f, c.abs()), "the negative coefficients lost their sign"),
    (ideal_with(scale=1.0), r"the 2 pi is missing: w_i = 2 pi frequencies\[i\] / p"),
    (ideal_with_w_equal_to_k, r"w_i is frequencies\[i\] itself; it is 2 pi frequencies\[i\] / p"),
    (lambda p, f, c: ref.idealised_logits(p, f, torch.ones_like(c)), r"the coefficients are not used"),
    (lambda p, f, c: ref.idealised_logits(p, f, c).reshape(p, p, p), r"the result is \[p, p, p\], indexed \[a, b, c\]; reshape it"),
    (waves_not_added_up, r"one wave per frequency, shape \(25, 5, 1\); weight them by the coefficients and add them up"),
    (ideal_in_float32, r"wrong dtype: expected torch.float64, got torch.float32"),
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


def keep_frequencies_as_rows(values, basis, frequencies):
    rows = [0] + list(frequencies)
    c = ref.fourier_2d(values, basis)[rows][:, rows]
    return torch.einsum("ia,jb,ij...->ab...", basis[rows], basis[rows], c)


def keep_rows_off_by_one(values, basis, frequencies):
    rows = [0] + [row for k in frequencies for row in (2 * k, 2 * k + 1)]
    c = ref.fourier_2d(values, basis)[rows][:, rows]
    return torch.einsum("ia,jb,ij...->ab...", basis[rows], basis[rows], c)


def keep_forward_twice(values, basis, frequencies):
    rows = [0] + [row for k in frequencies for row in (2 * k - 1, 2 * k)]
    c = ref.fourier_2d(values, basis)
    masked = torch.zeros_like(c)
    masked[torch.tensor(rows)[:, None], torch.tensor(rows)[None, :]] = c[rows][:, rows]
    return ref.fourier_2d(masked, basis)  # the forward transform again, not its inverse


def keep_block_only(values, basis, frequencies):
    rows = [0] + [row for k in frequencies for row in (2 * k - 1, 2 * k)]
    return ref.fourier_2d(values, basis)[rows][:, rows]


WRONG_ANSWERS[checks.check_keep_frequencies] = [
    (keep_without_constant, "the constant row and column"),
    (keep_coefficients, "these are Fourier coefficients"),
    (lambda v, B, f: torch.zeros_like(v), "all zeros, so nothing was kept"),
    (keep_one_axis, "only the a axis is projected; project the b axis too"),
    (lambda v, B, f: v - ref.keep_frequencies(v, B, f), r"this is what is removed \(values minus the projection\)"),
    (keep_frequencies_as_rows, r"the frequencies are used as row numbers; frequency k is rows 2k-1"),
    (keep_rows_off_by_one, r"rows \[2, 3\] are off by one"),
    (keep_forward_twice, r"the way back uses the basis untransposed"),
    (keep_block_only, r"these are the kept coefficients, shape \(3, 3, 3\); transform them back"),
]


CASES, CASE_IDS = wrong_answer_cases(WRONG_ANSWERS)


@pytest.mark.parametrize("check, wrong, message", CASES, ids=CASE_IDS)
def test_wrong_answers_are_rejected_with_a_precise_message(check, wrong, message):
    assert_rejected(check, wrong, message)
