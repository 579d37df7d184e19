"""Chapter 3's claims hold on the canonical run and its control, measured with the reference
solutions (the notebook measures with the learner's functions)."""

import math

import pytest

from interp_course.chapter1_grokking import runs as grokking
from interp_course.chapter2_fourier import analysis as fourier
from interp_course.chapter3_progress import claims
from interp_course.chapter3_progress import measures as progress
from solutions.chapter3_progress import detect_phases
from tests.course_runs import load

pytestmark = pytest.mark.course_runs
THRESHOLD = 0.1  # the notebook's


def measured(config, n_frequencies=None):
    run = load(grokking.load_or_train, config)
    spectrum = fourier.embedding_spectrum(run.model, run.config.p)
    key = fourier.key_frequencies(spectrum) if n_frequencies is None else fourier.top_frequencies(spectrum, n_frequencies)
    measures = progress.measure(run, key)
    phases = detect_phases(measures["step"], measures["excluded_loss"], measures["restricted_loss"],
                           measures["weight_norm"], threshold=THRESHOLD)
    return key, measures, phases


@pytest.fixture(scope="module")
def canonical():
    return measured(grokking.CANONICAL)


@pytest.fixture(scope="module")
def control(canonical):
    return measured(grokking.NO_WEIGHT_DECAY, n_frequencies=len(canonical[0]))


def test_three_phases_in_order_and_the_restricted_loss_first(canonical):
    _, measures, phases = canonical
    claims.three_phases(measures, phases, THRESHOLD).assert_hold()


def test_no_circuit_without_weight_decay(control):
    _, measures, phases = control
    claims.control(measures, phases).assert_hold()


def test_the_claims_can_fail(canonical, control):
    assert len(claims.three_phases(control[1], control[2], THRESHOLD).failed) == 2
    assert len(claims.control(canonical[1], canonical[2]).failed) == 2


@pytest.fixture(scope="module")
def against_random(canonical, control):
    run, control_run = load(grokking.load_or_train, grokking.CANONICAL), load(grokking.load_or_train, grokking.NO_WEIGHT_DECAY)
    key_losses, control_losses = progress.final_losses(run, canonical[0]), progress.final_losses(control_run, control[0])
    return (canonical[0], key_losses, progress.random_frequency_losses(run, len(canonical[0])),
            canonical[1]["train_loss"][-1].item(), control_losses,
            progress.random_frequency_losses(control_run, len(control[0])), math.log(run.config.p))


def test_the_key_frequencies_beat_random_ones_and_the_controls_beat_them_short_of_a_solution(against_random):
    claims.against_random_frequencies(*against_random).assert_hold()


def test_the_baseline_claims_can_fail(against_random):
    key, key_losses, baseline, train, control_losses, control_baseline, uniform = against_random

    def failed(*args):
        return [claim.statement[:30] for claim in claims.against_random_frequencies(*args).failed]

    # a median random set in place of the key frequencies does not beat all the others
    median = {name: baseline[name].median().item() for name in ("excluded_loss", "restricted_loss")}
    assert failed(key, median, baseline, train, control_losses, control_baseline, uniform) == ["with weight decay, the key fre"]
    # other frequencies called key: the sets that matter no longer match them
    others = [k for k in range(1, 57) if k not in key][:3]
    assert failed(others, key_losses, baseline, train, control_losses, control_baseline, uniform) == ["removing a random set raises t"]
    # the canonical run's losses as the control's: its key frequencies do solve the task
    assert failed(key, key_losses, baseline, train, key_losses, baseline, uniform) == ["without weight decay the top f"]


def test_the_random_sets_are_reproducible_and_distinct(canonical):
    run = load(grokking.load_or_train, grokking.CANONICAL)
    first = progress.random_frequency_losses(run, 3, draws=5)
    again = progress.random_frequency_losses(run, 3, draws=5)
    assert (first["frequencies"] == again["frequencies"]).all()
    assert all(len(set(row.tolist())) == 3 for row in first["frequencies"])
    assert first["frequencies"].min() >= 1 and first["frequencies"].max() <= (run.config.p - 1) // 2
    with pytest.raises(ValueError, match="n_frequencies must be in 1..56"):
        progress.random_frequency_losses(run, 57)
