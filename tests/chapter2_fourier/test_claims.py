"""Chapter 2's claims hold on the canonical run and the other seed, computed here with the
reference solutions (the notebook computes the same quantities with the learner's functions)."""

import math

import pytest
import torch

from interp_course.chapter1_grokking import runs as grokking
from interp_course.chapter2_fourier import analysis as fourier
from interp_course.chapter2_fourier import claims
from solutions.chapter2_fourier import fourier_2d, fourier_basis, frequency_fve, idealised_logits, keep_frequencies
from tests.course_runs import load

pytestmark = pytest.mark.course_runs


def analyse(run):
    """What the notebook computes about a run, with the reference solutions."""
    model, data, p = run.model, run.data, run.config.p
    basis = fourier_basis(p)
    spectrum = fourier.embedding_spectrum(model, p)
    key = fourier.key_frequencies(spectrum)
    grid = fourier.grid_activations(model, data.tokens, p)
    centred = grid["logits"].reshape(p, p, p)
    centred = centred - centred.mean(dim=-1, keepdim=True)
    alphas = fourier.fit_idealised_coefficients(grid["logits"], p, key)
    return dict(model=model, data=data, p=p, basis=basis, key=key, grid=grid, spectrum=spectrum,
                untrained=fourier.embedding_spectrum(run.model_at(0), p),
                logit_coefficients=fourier_2d(centred, basis), centred=centred,
                alphas=alphas, idealised=idealised_logits(p, key, alphas))


@pytest.fixture(scope="module")
def canonical():
    return analyse(load(grokking.load_or_train, grokking.CANONICAL))


def test_embedding(canonical):
    c = canonical
    claims.embedding(c["key"], fourier.share_of_spectrum(c["spectrum"], c["key"]),
                     fourier.share_of_spectrum(c["untrained"], c["key"])).assert_hold()


def test_neurons(canonical):
    c = canonical
    coefficients = fourier_2d(c["grid"]["neurons"], c["basis"])
    most_varied = int(c["grid"]["neurons"].reshape(c["p"] ** 2, -1).var(dim=0).argmax())  # the notebook's example
    claims.neuron(coefficients[..., most_varied], c["key"]).assert_hold()
    fve_all = torch.stack([frequency_fve(coefficients, k) for k in range(1, (c["p"] + 1) // 2)])
    best_fve, best = fve_all.max(dim=0)
    claims.neurons(best_fve, best + 1, c["key"]).assert_hold()


def test_attention(canonical):
    c = canonical
    coefficients = fourier_2d(c["grid"]["attention"], c["basis"])
    key_share = [sum(frequency_fve(coefficients[..., h : h + 1], k).item() for k in c["key"])
                 for h in range(coefficients.shape[-1])]
    claims.attention(key_share).assert_hold()


def test_logits_and_the_neuron_logit_map(canonical):
    c = canonical
    strength = c["logit_coefficients"].pow(2).sum(dim=-1)
    claims.logits(strength / strength.sum(), c["key"]).assert_hold()
    W_L = fourier.neuron_logit_map(c["model"])
    from solutions.chapter2_fourier import norm_per_frequency
    claims.logit_map(fourier.share_of_spectrum(norm_per_frequency(c["basis"] @ W_L.T), c["key"])).assert_hold()


def test_waves(canonical):
    c = canonical
    rows = [(k, name, *fourier.fit_wave(curve, k))
            for k in c["key"] for name, curve in fourier.product_terms(c["logit_coefficients"], k).items()]
    claims.waves(rows).assert_hold()


def test_idealised_algorithm_and_ablations(canonical):
    c = canonical
    p, grid, labels = c["p"], c["grid"], c["data"].labels
    fve = fourier.fraction_of_variance_explained(c["idealised"], c["centred"].reshape(p * p, p))
    claims.idealised_fit(c["alphas"], fve).assert_hold()
    neurons = grid["neurons"]
    kept = keep_frequencies(neurons, c["basis"], c["key"])
    removed = neurons - kept + neurons.mean(dim=(0, 1), keepdim=True)
    results = {
        "model": grid["logits"],
        "idealised": c["idealised"],
        "key_only": fourier.logits_from_neurons(c["model"], grid["resid_mid"], kept),
        "key_removed": fourier.logits_from_neurons(c["model"], grid["resid_mid"], removed),
    }
    claims.ablations(**{name: fourier.loss_and_accuracy(r, labels) for name, r in results.items()}, p=p).assert_hold()


def test_the_other_seed(canonical):
    other = analyse(load(grokking.load_or_train, grokking.OTHER_SEED))
    _, accuracy = fourier.loss_and_accuracy(other["idealised"], other["data"].labels)
    claims.other_seed(canonical["key"], other["key"], accuracy).assert_hold()


def test_the_claims_can_fail(canonical):
    """False of an untrained model, or of the wrong frequencies."""
    c = canonical
    wrong = [k for k in range(1, 10) if k not in c["key"]][:3]
    assert claims.embedding(wrong, fourier.share_of_spectrum(c["spectrum"], wrong), 0.05).failed
    assert claims.other_seed(c["key"], list(c["key"]), 1.0).failed
    untrained = fourier.grid_activations(load(grokking.load_or_train, grokking.CANONICAL).model_at(0), c["data"].tokens, c["p"])
    coefficients = fourier_2d(untrained["neurons"], c["basis"])
    fve_all = torch.stack([frequency_fve(coefficients, k) for k in range(1, (c["p"] + 1) // 2)])
    best_fve, best = fve_all.max(dim=0)
    assert len(claims.neurons(best_fve, best + 1, c["key"]).failed) == 2
    assert claims.neuron(coefficients[..., 0], c["key"]).failed  # an untrained neuron is no wave
    rows = [(k, name, 1.0, 45.0) for k in c["key"] for name in fourier.product_terms(c["logit_coefficients"], k)]
    assert len(claims.waves(rows).failed) == 1
    loss = math.log(c["p"])
    guess = (loss, 1 / c["p"])  # a uniform guess is not 100% accurate, and it is no better than a guess
    assert len(claims.ablations(guess, guess, guess, guess, c["p"]).failed) == 1


def test_the_neuron_claim_is_about_the_neurons_one_frequency_explains():
    """A neuron no frequency explains may have a best frequency off the key ones; one that a
    frequency explains must not; and no well-explained neuron at all is no evidence."""
    key = [1, 8, 21]
    best_frequency = torch.tensor([1, 8, 21, 1, 42])
    holds = claims.neurons(torch.tensor([0.9, 0.9, 0.9, 0.9, 0.4]), best_frequency, key)
    assert not holds.failed
    off_key = claims.neurons(torch.tensor([0.9, 0.9, 0.9, 0.9, 0.6]), best_frequency, key)
    assert [c.statement for c in off_key.failed] == [holds[0].statement]
    assert claims.neurons(torch.full((5,), 0.3), best_frequency, key).failed


def test_the_wave_claims_leave_out_a_frequency_the_logits_do_not_use():
    """A key frequency of the embedding whose logit terms are a ten-thousandth of the others' is
    left out (its phases are noise); one that carries the logits with the wrong phases is not."""
    terms = ["cos a · cos b", "− sin a · sin b", "cos a · sin b", "sin a · cos b"]
    good = [(8, t, 1000.0, 0.0 if i < 2 else 90.0) for i, t in enumerate(terms)]
    noise = [(42, t, 0.3, 67.0) for t in terms]
    holds = claims.waves(good + noise)
    assert not holds.failed and "frequency 42 left out" in holds[0].this_run
    wrong = claims.waves(good + [(42, t, 900.0, 67.0) for t in terms])
    assert len(wrong.failed) == 1
