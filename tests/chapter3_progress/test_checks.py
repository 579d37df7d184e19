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


def directions_unnormalised(p, frequencies):
    return ref.sum_directions(p, frequencies) * p


def directions_sin_first(p, frequencies):
    d = ref.sum_directions(p, frequencies)
    return d[[r for i in range(len(frequencies)) for r in (2 * i + 1, 2 * i)]]


def directions_a_minus_b(p, frequencies):
    x = torch.arange(p, dtype=torch.float64)
    s = (x[:, None] - x[None, :]).flatten()
    rows = [f(2 * math.pi * k * s / p) for k in frequencies for f in (torch.cos, torch.sin)]
    d = torch.stack(rows)
    return d / d.norm(dim=1, keepdim=True)


WRONG_ANSWERS[checks.check_sum_directions] = [
    (directions_unnormalised, "not unit vectors"),
    (directions_sin_first, "sin comes before cos"),
    (directions_a_minus_b, "wrong values"),
    (lambda p, f: ref.sum_directions(p, f).T, "wrong shape"),
]


def project(logits, d):
    return d.T @ (d @ logits.double())


WRONG_ANSWERS[checks.check_excluded_loss] = [
    (lambda L, y, d, t: F.cross_entropy(L - project(L, d), y), "over every input"),
    (lambda L, y, d, t: F.cross_entropy(project(L, d)[t], y[t]), "this keeps the directions"),
    (lambda L, y, d, t: F.cross_entropy(L[t].double(), y[t]), "nothing was removed"),
    (lambda L, y, d, t: F.cross_entropy((L - project(L, d))[t].float(), y[t]), "dtype"),
    (lambda L, y, d, t: F.cross_entropy((L - 2 * project(L, d))[t], y[t]), "wrong values"),
]


WRONG_ANSWERS[checks.check_restricted_loss] = [
    (lambda L, y, d: F.cross_entropy(project(L, d), y), "the mean of what was removed is missing"),
    (lambda L, y, d: F.cross_entropy(project(L, d) + (L - project(L, d)).mean(), y), "the mean of what was removed is missing"),
    (lambda L, y, d: F.cross_entropy(L - project(L, d) + project(L, d).mean(0), y), "this removes the directions"),
    (lambda L, y, d: F.cross_entropy(project(L, d[::2]) + (L - project(L, d[::2])).mean(0), y), "wrong values"),
]


def gini_unsorted(v):
    n = v.shape[-1]
    rank = torch.arange(1, n + 1, dtype=v.dtype)
    return ((2 * rank - n - 1) * v).sum(-1) / (n * v.sum(-1))


def gini_descending(v):
    n = v.shape[-1]
    rank = torch.arange(1, n + 1, dtype=v.dtype)
    o = v.sort(dim=-1, descending=True).values
    return ((2 * rank - n - 1) * o).sum(-1) / (n * o.sum(-1))


WRONG_ANSWERS[checks.check_gini] = [
    (gini_unsorted, "must be sorted ascending"),
    (gini_descending, "the sign is flipped"),
    (lambda v: ref.gini(v) * v.shape[-1] / max(v.shape[-1] - 1, 1), "wrong values"),
    (lambda v: v.std(-1) / v.mean(-1), "wrong values|wrong shape"),
]


def phases_from_train_loss_spike(steps, excluded, restricted, norm, threshold=0.1, settle=0.01):
    """Ends memorisation at the largest jump in the excluded loss (a spike), not its minimum."""
    phases = ref.detect_phases(steps, excluded, restricted, norm, threshold, settle)
    jump = int((excluded[1:] - excluded[:-1]).abs().argmax()) + 1
    if phases["circuit formation"] is not None:
        phases["memorisation"] = (0, int(steps[jump]))
    return phases


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


def phases_searching_the_restricted_loss_from_the_start(steps, excluded, restricted, norm, threshold=0.1, settle=0.01):
    """Circuit formation ends at the first step *anywhere* with the restricted loss below the threshold."""
    n, lowest = len(steps), int(excluded.argmin())
    phases = {"memorisation": (int(steps[0]), int(steps[lowest])), "circuit formation": None, "clean-up": None}
    if lowest == n - 1:
        return phases
    below = [i for i in range(n) if restricted[i] < threshold]
    formed = below[0] if below else n - 1
    phases["circuit formation"] = (int(steps[lowest]), int(steps[formed]))
    if below:
        drops = (norm[:-1] - norm[1:]) / norm[:-1]
        settled = [i for i in range(formed, n - 1) if drops[i] < settle]
        phases["clean-up"] = (int(steps[formed]), int(steps[settled[0]]) if settled else int(steps[-1]))
    return phases


WRONG_ANSWERS[checks.check_detect_phases] = [
    (phases_as_indices, r"checkpoint indices.*return the steps"),
    (phases_starting_at_step_0, r"begins at the first checkpoint, step 100, not at step 0"),
    (phases_searching_the_restricted_loss_from_the_start, r"only after memorisation has ended"),
    (phases_from_train_loss_spike, "memorisation should be"),
    (phases_without_none, "should be None"),
    (phases_threshold_off_by_one, "circuit formation should be"),
    (phases_as_lists, "tuple or None"),
    (lambda *a: list(ref.detect_phases(*a).values()), "should return a dict"),
    (lambda *a: {k: v and (v[0] + 0.4, v[1] + 0.4) for k, v in ref.detect_phases(*a).items()}, r"\]\[0\] should be an int, got float"),
]


CASES, CASE_IDS = wrong_answer_cases(WRONG_ANSWERS)


@pytest.mark.parametrize("check, wrong, message", CASES, ids=CASE_IDS)
def test_wrong_answers_are_rejected_with_a_precise_message(check, wrong, message):
    assert_rejected(check, wrong, message)
