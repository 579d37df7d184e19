"""The checks of chapter 3 reject plausible wrong answers with a message that says what is wrong
(the contract every check keeps, reference / stub / strict, is tested in
tests/test_exercise_contract.py)."""

import math

import pytest
import torch
import torch.nn.functional as F

from interp_course.chapter3_progress import checks
from solutions import chapter3_progress as ref
from tests.test_exercise_contract import assert_rejected, wrong_answer_cases

WRONG_ANSWERS: dict = {}
"""{check: [(wrong function, regex its failure message must match), ...]}"""


# --- 3.1 sum_directions ----------------------------------------------------------------------


def directions_from(p, frequencies, sums, two_pi=True, normalise=lambda d: d / d.norm(dim=1, keepdim=True)):
    """The waves cos, sin of each frequency over ``sums``, as a learner builds them."""
    rows = []
    for k in frequencies:
        angle = (2 * math.pi if two_pi else 1) * k * sums / p
        rows += [torch.cos(angle), torch.sin(angle)]
    return normalise(torch.stack(rows))


def grid(p, dtype=torch.float64, first=0):
    x = torch.arange(first, first + p, dtype=dtype)
    return x[:, None], x[None, :]


def directions_unnormalised(p, frequencies):
    return ref.sum_directions(p, frequencies) * p


def directions_sin_first(p, frequencies):
    d = ref.sum_directions(p, frequencies)
    return d[[r for i in range(len(frequencies)) for r in (2 * i + 1, 2 * i)]]


def directions_a_minus_b(p, frequencies):
    a, b = grid(p)
    return directions_from(p, frequencies, (a - b).flatten())


def directions_cos_rows_first(p, frequencies):
    a, b = grid(p)
    s = (a + b).flatten()
    cos = [torch.cos(2 * math.pi * k * s / p) for k in frequencies]
    sin = [torch.sin(2 * math.pi * k * s / p) for k in frequencies]
    d = torch.stack(cos + sin)
    return d / d.norm(dim=1, keepdim=True)


def directions_without_two_pi(p, frequencies):
    a, b = grid(p)
    return directions_from(p, frequencies, (a + b).flatten(), two_pi=False)


def directions_scaled_as_a_whole(p, frequencies):
    a, b = grid(p)
    return directions_from(p, frequencies, (a + b).flatten(), normalise=lambda d: d / d.norm())


def directions_scaled_by_column(p, frequencies):
    a, b = grid(p)
    return directions_from(p, frequencies, (a + b).flatten(), normalise=lambda d: d / d.norm(dim=0, keepdim=True))


def directions_from_1_to_p(p, frequencies):
    a, b = grid(p, first=1)
    return directions_from(p, frequencies, (a + b).flatten())


def directions_over_the_column_index(p, frequencies):
    return directions_from(p, frequencies, torch.arange(p * p, dtype=torch.float64))


def directions_float32(p, frequencies):
    a, b = grid(p, dtype=torch.float32)
    return directions_from(p, frequencies, (a + b).flatten())


WRONG_ANSWERS[checks.check_sum_directions] = [
    (directions_unnormalised, "not unit vectors.*scale each row to unit norm"),
    (directions_sin_first, "sin comes before cos"),
    (directions_a_minus_b, "waves in a - b; the directions are waves in a \\+ b"),
    (lambda p, f: ref.sum_directions(p, f).T, "this is transposed; return one row per direction"),
    (directions_cos_rows_first, "every cos row comes first.*interleave them"),
    (directions_without_two_pi, "the angle is missing 2 pi"),
    (directions_scaled_as_a_whole, "not unit vectors.*divides the whole matrix by one norm"),
    (directions_scaled_by_column, r"not unit vectors.*divides each column by its norm \(dim=0\)"),
    (directions_from_1_to_p, "run from 1 to p here; they run from 0 to p - 1"),
    (directions_over_the_column_index, r"uses the column index a \* p \+ b"),
    (directions_float32, "wrong dtype: expected torch.float64, got torch.float32"),
]


# --- 3.2 excluded_loss -----------------------------------------------------------------------


def project(logits, d):
    return d.T @ (d @ logits.double())


def excluded_in_place(L, y, d, t):
    L = L.to(torch.float64)  # the same tensor when the logits are float64 already
    L -= project(L, d)
    return F.cross_entropy(L[t], y[t])


def excluded_projecting_the_training_rows(L, y, d, t):
    L, d = L.double()[t], d[:, t]
    return F.cross_entropy(L - d.T @ (d @ L), y[t])


def excluded_softmax_over_inputs(L, y, d, t):
    excluded = (L - project(L, d))[t]
    return -excluded.log_softmax(dim=0).gather(1, y[t, None]).mean()


def excluded_in_float32(L, y, d, t):
    L, d = L.float(), d.float()
    return F.cross_entropy((L - d.T @ (d @ L))[t], y[t]).double()


WRONG_ANSWERS[checks.check_excluded_loss] = [
    (lambda L, y, d, t: F.cross_entropy(L - project(L, d), y), "over every input"),
    (lambda L, y, d, t: F.cross_entropy(project(L, d)[t], y[t]), "this keeps the directions"),
    (lambda L, y, d, t: F.cross_entropy(L[t].double(), y[t]), "nothing was removed"),
    (lambda L, y, d, t: F.cross_entropy((L - project(L, d))[t].float(), y[t]), "dtype"),
    (lambda L, y, d, t: F.cross_entropy((L - 2 * project(L, d))[t], y[t]), "the projection is subtracted twice"),
    (lambda L, y, d, t: F.cross_entropy((L - project(L, d))[t], y[t], reduction="sum"),
     r"the sum of the losses over the \d+ training rows; take their mean"),
    (lambda L, y, d, t: F.cross_entropy((L - project(L, d))[t], y[t], reduction="none"),
     "one loss per row of the training set; return their mean"),
    (excluded_softmax_over_inputs, r"the softmax runs over the inputs \(dim=0\)"),
    (excluded_projecting_the_training_rows, "projects the training rows only"),
    (excluded_in_place, "changed its input `logits` in place"),
    (excluded_in_float32, "computed in float32"),
]


# --- 3.3 restricted_loss ---------------------------------------------------------------------


def restricted_in_place(L, y, d):
    L = L.to(torch.float64)
    kept = project(L, d)
    L -= kept  # what was removed, in the caller's logits
    return F.cross_entropy(kept + L.mean(dim=0), y)


def restricted_softmax_over_inputs(L, y, d):
    kept = project(L, d)
    restricted = kept + (L - kept).mean(dim=0)
    return -restricted.log_softmax(dim=0).gather(1, y[:, None]).mean()


def restricted_in_float32(L, y, d):
    L, d = L.float(), d.float()
    kept = d.T @ (d @ L)
    return F.cross_entropy(kept + (L - kept).mean(dim=0), y).double()


WRONG_ANSWERS[checks.check_restricted_loss] = [
    (lambda L, y, d: F.cross_entropy(project(L, d), y), "the mean of what was removed is missing"),
    (lambda L, y, d: F.cross_entropy(project(L, d) + (L - project(L, d)).mean(), y), "the mean of what was removed is missing"),
    (lambda L, y, d: F.cross_entropy(project(L, d) + (L - project(L, d)).mean(dim=1, keepdim=True), y),
     "the mean of what was removed is missing .*one value per answer"),
    (lambda L, y, d: F.cross_entropy(L - project(L, d) + project(L, d).mean(0), y), "this removes the directions"),
    (lambda L, y, d: F.cross_entropy(project(L, d[::2]) + (L - project(L, d[::2])).mean(0), y),
     "keeps only the cos rows"),
    (lambda L, y, d: F.cross_entropy(project(L, d) - (L - project(L, d)).mean(0), y),
     "subtracts the mean of what was removed; add it back"),
    (lambda L, y, d: F.cross_entropy(project(L, d) + (L - project(L, d)).mean(0), y, reduction="sum"),
     r"the sum of the losses over the \d+ inputs; take their mean"),
    (lambda L, y, d: F.cross_entropy(project(L, d) + (L - project(L, d)).mean(0), y, reduction="none"),
     "one loss per row of the grid; return their mean"),
    (restricted_softmax_over_inputs, r"the softmax runs over the inputs \(dim=0\)"),
    (restricted_in_place, "changed its input `logits` in place"),
    (restricted_in_float32, "computed in float32"),
]


# --- 3.4 gini --------------------------------------------------------------------------------


def gini_with(v, order=lambda v: v.sort(dim=-1).values, first_rank=1, denominator=lambda n, o: n * o.sum(-1)):
    n = v.shape[-1]
    rank = torch.arange(first_rank, first_rank + n, dtype=v.dtype)
    o = order(v)
    return ((2 * rank - n - 1) * o).sum(-1) / denominator(n, o)


def gini_unsorted(v):
    return gini_with(v, order=lambda v: v)


def gini_descending(v):
    return gini_with(v, order=lambda v: v.sort(dim=-1, descending=True).values)


def gini_normalised_in_place(v):
    v /= v.sum(-1, keepdim=True)  # shares of the whole: changes the caller's tensor
    return gini_with(v)


WRONG_ANSWERS[checks.check_gini] = [
    (gini_unsorted, "must be sorted ascending"),
    (gini_descending, "the sign is flipped"),
    (lambda v: ref.gini(v) * v.shape[-1] / max(v.shape[-1] - 1, 1), r"rescaled by n / \(n - 1\)"),
    (lambda v: v.std(-1) / v.mean(-1), r"the coefficient of variation \(std / mean\)"),
    (lambda v: gini_with(v, first_rank=0), "the ranks are off by one: i runs from 1 to n"),
    (lambda v: gini_with(v, order=lambda v: v.sort(dim=0).values), "sorts along dim 0, across the batch"),
    (lambda v: gini_with(v, denominator=lambda n, o: o.sum(-1)), r"divide by n \* sum_i x_i, not by the sum alone"),
    (lambda v: gini_with(v)[..., None], r"keeps the summed dimension \(keepdim=True\)"),
    (lambda v: gini_with(v.flatten()) if v.ndim > 1 else gini_with(v), "one number for the whole batch"),
    (gini_normalised_in_place, "changed its input `values` in place"),
]


# --- 3.5 detect_phases -----------------------------------------------------------------------


def phases_with(lowest=lambda excluded: int(excluded.argmin()), formation_from_start=False, below=lambda r, t: r < t,
                none_if_unformed=False, cleanup_from=lambda formed: formed, drops=None, end_shift=0,
                none_if_unsettled=False):
    """``detect_phases`` written out, with one mistake switched on."""

    def detect(steps, excluded, restricted, norm, threshold=0.1, settle=0.01):
        n, at = len(steps), [int(s) for s in steps]
        last = lowest(excluded)
        phases = {"memorisation": (at[0], at[last]), "circuit formation": None, "clean-up": None}
        if last == n - 1:
            return phases
        found = [i for i in range(0 if formation_from_start else last + 1, n) if below(restricted[i], threshold)]
        if not found:
            if not none_if_unformed:
                phases["circuit formation"] = (at[last], at[-1])
            return phases
        formed = found[0]
        phases["circuit formation"] = (at[last], at[formed])
        drop = drops(norm) if drops else (norm[:-1] - norm[1:]) / norm[:-1]
        settled = [j for j in range(cleanup_from(formed), n - 1) if drop[j] < settle]
        if settled:
            phases["clean-up"] = (at[formed], at[settled[0] + end_shift])
        elif not none_if_unsettled:
            phases["clean-up"] = (at[formed], at[-1])
        return phases

    return detect


phases_from_train_loss_spike = phases_with(lowest=lambda e: int((e[1:] - e[:-1]).abs().argmax()) + 1)
phases_from_the_highest_excluded_loss = phases_with(lowest=lambda e: int(e.argmax()))
phases_searching_the_restricted_loss_from_the_start = phases_with(formation_from_start=True)
phases_at_the_threshold = phases_with(below=lambda r, t: r <= t)
phases_unformed_is_none = phases_with(none_if_unformed=True)
phases_unsettled_is_none = phases_with(none_if_unsettled=True)
phases_settling_searched_from_the_start = phases_with(cleanup_from=lambda formed: 0)
phases_settling_searched_after_its_start = phases_with(cleanup_from=lambda formed: formed + 1)
phases_absolute_drop = phases_with(drops=lambda norm: norm[:-1] - norm[1:])
phases_rise_not_drop = phases_with(drops=lambda norm: (norm[1:] - norm[:-1]) / norm[:-1])
phases_clean_up_ends_at_j_plus_1 = phases_with(end_shift=1)


def phases_without_none(steps, excluded, restricted, norm, threshold=0.1, settle=0.01):
    phases = ref.detect_phases(steps, excluded, restricted, norm, threshold, settle)
    last = int(steps[-1])
    return {k: v if v is not None else (last, last) for k, v in phases.items()}


def phases_threshold_off_by_one(steps, excluded, restricted, norm, threshold=0.1, settle=0.01):
    phases = ref.detect_phases(steps, excluded, restricted, norm, threshold, settle)
    if phases["circuit formation"] and phases["clean-up"]:
        start, end = phases["circuit formation"]
        phases["circuit formation"] = (start, end - 50)
        phases["clean-up"] = (end - 50, phases["clean-up"][1])
    return phases


def phases_as_lists(*args):
    return {k: list(v) if v else v for k, v in ref.detect_phases(*args).items()}


def phases_as_indices(steps, excluded, restricted, norm, threshold=0.1, settle=0.01):
    index = {int(s): i for i, s in enumerate(steps)}
    return {k: (index[v[0]], index[v[1]]) if v else v
            for k, v in ref.detect_phases(steps, excluded, restricted, norm, threshold, settle).items()}


def phases_starting_at_step_0(steps, excluded, restricted, norm, threshold=0.1, settle=0.01):
    phases = ref.detect_phases(steps, excluded, restricted, norm, threshold, settle)
    phases["memorisation"] = (0, phases["memorisation"][1])
    return phases


def phases_as_tensors(steps, excluded, restricted, norm, threshold=0.1, settle=0.01):
    """steps[i] without int(...): 0-d tensors."""
    index = {int(s): i for i, s in enumerate(steps)}
    return {k: (steps[index[v[0]]], steps[index[v[1]]]) if v else v
            for k, v in ref.detect_phases(steps, excluded, restricted, norm, threshold, settle).items()}


WRONG_ANSWERS[checks.check_detect_phases] = [
    (phases_as_indices, r"checkpoint indices.*return the steps"),
    (phases_starting_at_step_0, r"begins at the first checkpoint, step 100, not at step 0"),
    (phases_searching_the_restricted_loss_from_the_start, r"only after memorisation has ended"),
    (phases_from_train_loss_spike, r"lowest \(argmin\), not at its largest jump"),
    (phases_without_none, "should be None: it never begins"),
    (phases_threshold_off_by_one, "circuit formation ends one checkpoint early, at step 450"),
    (phases_as_lists, "tuple or None"),
    (lambda *a: list(ref.detect_phases(*a).values()), "should return a dict"),
    (lambda *a: {k: v and (v[0] + 0.4, v[1] + 0.4) for k, v in ref.detect_phases(*a).items()}, r"\]\[0\] should be an int, got float"),
    (phases_from_the_highest_excluded_loss, r"lowest \(argmin\), not where it is highest"),
    (phases_at_the_threshold, r"below the threshold \(<\), not equal to it"),
    (phases_unformed_is_none, "circuit formation should be .*, got None: it begins.*ends at the last step"),
    (phases_unsettled_is_none, "clean-up should be .*, got None: it begins.*ends at the last step"),
    (phases_settling_searched_from_the_start, "settled weight norm only from the start of clean-up"),
    (phases_settling_searched_after_its_start, "already have settled where clean-up begins"),
    (phases_absolute_drop, "the drop is relative"),
    (phases_rise_not_drop, "the sign is flipped: the drop is"),
    (phases_clean_up_ends_at_j_plus_1, r"ends at checkpoint j, .* not at j \+ 1"),
    (phases_as_tensors, r"should be an int, got Tensor .*add \.item\(\)"),
]


CASES, CASE_IDS = wrong_answer_cases(WRONG_ANSWERS)


@pytest.mark.parametrize("check, wrong, message", CASES, ids=CASE_IDS)
def test_wrong_answers_are_rejected_with_a_precise_message(check, wrong, message):
    assert_rejected(check, wrong, message)
