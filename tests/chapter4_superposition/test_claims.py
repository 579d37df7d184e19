"""Chapter 4's claims hold on the sweeps the notebook loads, and fail on models they do not describe."""

import pytest
import torch

from interp_course.chapter4_superposition import analysis, claims
from interp_course.chapter4_superposition import runs as sp
from tests.course_runs import load

pytestmark = pytest.mark.course_runs


def test_five_features_into_two_dimensions():
    W = load(sp.load_or_train, sp.FIVE_INTO_TWO).W[: len(sp.FIVE_INTO_TWO_SPARSITIES)]  # importance 0.9^i
    claims.five_into_two(W, sp.FIVE_INTO_TWO_SPARSITIES).assert_hold()
    assert len(claims.five_into_two(W.flip(0), sp.FIVE_INTO_TWO_SPARSITIES).failed) == 3  # sparsities reversed


def test_twenty_features_into_five_dimensions():
    W = load(sp.load_or_train, sp.TWENTY_INTO_FIVE).W
    claims.twenty_into_five(W, sp.TWENTY_INTO_FIVE_SPARSITIES).assert_hold()
    assert len(claims.twenty_into_five(W.flip(0), sp.TWENTY_INTO_FIVE_SPARSITIES).failed) == 3


def test_the_phase_diagram():
    sweep = load(sp.load_or_train, sp.PHASE_DIAGRAM)
    best_W = analysis.best_of_copies(sweep, sp.PHASE_COPIES)
    phase = analysis.extra_feature_phase(best_W).reshape(len(sp.PHASE_IMPORTANCES), len(sp.PHASE_SPARSITIES))
    claims.phase_diagram(phase).assert_hold()
    assert len(claims.phase_diagram(phase.flip(1)).failed) == 1  # sparsity reversed
    assert len(claims.phase_diagram(torch.full_like(phase, 2)).failed) == 2  # superposition everywhere
