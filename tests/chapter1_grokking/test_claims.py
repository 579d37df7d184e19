"""Chapter 1's claims hold on the runs the notebook uses, and fail on runs they do not describe."""

import pytest

from interp_course.chapter1_grokking import claims
from interp_course.chapter1_grokking import runs as grokking
from tests.course_runs import load

pytestmark = pytest.mark.course_runs


@pytest.fixture(scope="module")
def canonical():
    return load(grokking.load_or_train, grokking.CANONICAL)


@pytest.fixture(scope="module")
def control():
    return load(grokking.load_or_train, grokking.NO_WEIGHT_DECAY)


def test_the_canonical_run_groks(canonical):
    claims.grokking(canonical.metrics).assert_hold()


def test_without_weight_decay_it_memorises_and_never_generalises(control):
    claims.control(control.metrics).assert_hold()


def test_more_data_generalises_sooner():
    runs = {f: load(grokking.load_or_train, grokking.train_fraction_config(f)) for f in grokking.TRAIN_FRACTIONS}
    claims.train_fractions({f: r.metrics for f, r in runs.items()}).assert_hold()


def test_the_claims_can_fail(canonical, control):
    """Each claim is false of a run it does not describe."""
    assert len(claims.grokking(control.metrics).failed) == 2  # no 99%, so no delay and no final 99% test
    assert len(claims.control(canonical.metrics).failed) == 1  # the canonical run generalises
    reversed_order = {0.3: canonical.metrics, 0.7: control.metrics}  # the larger fraction never groks
    assert len(claims.train_fractions(reversed_order).failed) == 2
