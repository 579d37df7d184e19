"""Chapter 3's claims hold on the canonical run and its control, measured with the reference
solutions (the notebook measures with the learner's functions)."""

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
