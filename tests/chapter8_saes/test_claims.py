"""Chapter 8's claims hold on the autoencoders the notebook loads, and fail on autoencoders
they do not describe."""

import dataclasses

import pytest
import torch

from interp_course.chapter1_grokking import runs as grokking
from interp_course.chapter2_fourier import analysis as fourier
from interp_course.chapter4_superposition import runs as sp
from interp_course.chapter8_saes import analysis, claims
from interp_course.chapter8_saes import runs as saes
from tests.course_runs import load

pytestmark = pytest.mark.course_runs


@pytest.fixture(scope="module")
def pentagon():
    five = load(sp.load_or_train, sp.FIVE_INTO_TWO)
    sample = saes.FIVE_INTO_TWO_L1.sampler((five,))
    return (analysis.score(load(saes.load_or_train, saes.FIVE_INTO_TWO_L1), sample, five),
            analysis.score(load(saes.load_or_train, saes.FIVE_INTO_TWO_TOPK), sample, five))


BAND = [i for i, (c, _) in enumerate(saes.FIVE_INTO_TWO_L1.settings) if c in saes.WORKING_BAND]


def test_the_working_band_of_l1_coefficients(pentagon):
    l1, _ = pentagon
    claims.l1_band(l1, saes.L1_COEFFICIENTS, saes.WORKING_BAND, saes.BELOW_BAND, len(saes.SEEDS)).assert_hold()
    # The band moved to where the features are not found: the first two claims fail.
    wrong = claims.l1_band(l1, saes.L1_COEFFICIENTS, saes.BELOW_BAND[:2], saes.WORKING_BAND, len(saes.SEEDS))
    assert len(wrong.failed) >= 2


def test_shrinkage_and_topk(pentagon):
    l1, topk = pentagon
    claims.shrinkage(l1, topk, BAND).assert_hold()
    assert len(claims.shrinkage(topk, l1, list(range(len(saes.SEEDS)))).failed) == 3  # the two swapped


def test_twenty_features_in_five_dimensions():
    twenty = load(sp.load_or_train, sp.TWENTY_INTO_FIVE)
    sample = saes.TWENTY_INTO_FIVE_L1.sampler((twenty,))
    l1 = analysis.score(load(saes.load_or_train, saes.TWENTY_INTO_FIVE_L1), sample, twenty)
    topk = analysis.score(load(saes.load_or_train, saes.TWENTY_INTO_FIVE_TOPK), sample, twenty)
    coefficients, seeds = saes.TWENTY_INTO_FIVE_L1.l1_coefficients, len(saes.TWENTY_SEEDS)
    claims.twenty_into_five(l1, topk, coefficients, seeds).assert_hold()
    weaker = dataclasses.replace(topk, mmcs=topk.mmcs - 0.2, fvu=topk.fvu * 10)
    assert len(claims.twenty_into_five(l1, weaker, coefficients, seeds).failed) == 2


def test_dead_latents_grow_with_the_dictionary():
    twenty = load(sp.load_or_train, sp.TWENTY_INTO_FIVE)
    sample = saes.TWENTY_INTO_FIVE_L1.sampler((twenty,))
    dead = {m: analysis.score(load(saes.load_or_train, c), sample).dead for m, c in saes.DICTIONARY_SWEEP.items()}
    represented = len(analysis.true_directions(saes.TWENTY_INTO_FIVE_L1, twenty.W[saes.TWENTY_INTO_FIVE_INSTANCE]))
    claims.dead_latents(dead, represented).assert_hold()
    reversed_sizes = dict(zip(dead, reversed(list(dead.values()))))
    assert len(claims.dead_latents(reversed_sizes, represented).failed) == 2


def test_a_parent_feature_is_absorbed_into_its_children():
    found = analysis.absorption(load(saes.load_or_train, saes.HIERARCHY), saes.HIERARCHY)
    claims.absorption(found).assert_hold()
    independent = dataclasses.replace(found, absorbing_children=found.absorbing_children * 0,
                                      child_towards_parent=found.child_towards_parent * 0)
    assert len(claims.absorption(independent).failed) == 2


def test_the_grokked_mlp():
    run = load(grokking.load_or_train, grokking.CANONICAL)
    p = run.config.p
    key = fourier.key_frequencies(fourier.embedding_spectrum(run.model, p))
    activations = saes.mlp_activations(run)
    latents, reconstruction = analysis.run_stack(load(saes.load_or_train, saes.GROKKED_MLP), activations)
    fvu = float(analysis.fraction_of_variance_unexplained(activations[:, None], reconstruction))
    neurons = analysis.frequency_report(*analysis.best_frequency(analysis.varying(activations.double()), p), key)
    found = analysis.frequency_report(*analysis.best_frequency(analysis.varying(latents[:, 0].double()), p), key)
    claims.grokked_mlp(neurons, found, key, fvu).assert_hold()
    # Latents of random directions: no frequency structure, worse reconstruction.
    random = torch.relu(activations @ torch.randn(activations.shape[1], 32, generator=torch.Generator().manual_seed(0)))
    mixed = analysis.frequency_report(*analysis.best_frequency(analysis.varying(random.double()), p), key)
    assert len(claims.grokked_mlp(neurons, mixed, key, 0.5).failed) >= 2
