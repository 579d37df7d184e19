"""Chapter 2's Fourier tools against independent oracles (the FFT, loops, Parseval)."""

import math

import pytest
import torch

from interp_course.chapter2_fourier import analysis as fourier
from interp_course.chapter2_fourier.viewer import NeuronExplorer
from interp_course.core.transformer import HookedTransformer, TransformerConfig
from solutions import chapter2_fourier as ref
from solutions.chapter1_grokking import all_pairs


@pytest.mark.parametrize("p", [3, 7, 113])
def test_the_basis_is_orthonormal_with_cos_then_sin(p):
    basis = ref.fourier_basis(p)
    assert torch.allclose(basis @ basis.T, torch.eye(p, dtype=torch.float64), atol=1e-12)
    x = torch.arange(p, dtype=torch.float64)
    assert torch.allclose(basis[1] * math.sqrt(p / 2), torch.cos(2 * math.pi * x / p))
    assert torch.allclose(basis[2] * math.sqrt(p / 2), torch.sin(2 * math.pi * x / p))


def test_norm_per_frequency_agrees_with_the_fft():
    p = 11
    v = torch.randn(p, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    spectrum = ref.norm_per_frequency(ref.fourier_basis(p) @ v)
    power = torch.fft.fft(v).abs().pow(2) / p  # [p]
    assert torch.allclose(spectrum[0], power[0])
    assert torch.allclose(spectrum[1:], 2 * power[1 : (p + 1) // 2])
    assert torch.allclose(spectrum.sum(), v.pow(2).sum())  # Parseval


def test_a_product_of_one_frequency_is_fully_explained_by_it():
    p, k = 13, 4
    x = torch.arange(p, dtype=torch.float64)
    w = 2 * math.pi * k / p
    f = torch.cos(w * x)[:, None] * torch.sin(w * x)[None, :] + 0.5 * torch.cos(w * x)[None, :] + 2
    coefficients = ref.fourier_2d(f[..., None], ref.fourier_basis(p))
    assert torch.allclose(ref.frequency_fve(coefficients, k), torch.ones(1, dtype=torch.float64))
    assert ref.frequency_fve(coefficients, k + 1).item() < 1e-12


def test_a_constant_function_has_nothing_explained():
    coefficients = ref.fourier_2d(torch.full((5, 5, 1), 3.0, dtype=torch.float64), ref.fourier_basis(5))
    assert ref.frequency_fve(coefficients, 1).item() == 0.0


def test_fourier_2d_matches_a_loop():
    p = 5
    basis = ref.fourier_basis(p)
    values = torch.randn(p, p, 2, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    got = ref.fourier_2d(values, basis)
    for i in range(p):
        for j in range(p):
            want = sum(basis[i, a] * basis[j, b] * values[a, b] for a in range(p) for b in range(p))
            assert torch.allclose(got[i, j], want)


def test_idealised_logits_match_a_loop_and_peak_at_the_answer():
    p, frequencies = 7, [1, 3]
    coefficients = torch.tensor([1.0, 2.0], dtype=torch.float64)
    logits = ref.idealised_logits(p, frequencies, coefficients)
    for a in range(p):
        for b in range(p):
            for c in range(p):
                want = sum(a_k * math.cos(2 * math.pi * k * (a + b - c) / p) for k, a_k in zip(frequencies, coefficients.tolist()))
                assert abs(logits[a * p + b, c].item() - want) < 1e-12
    _, labels = all_pairs(p)
    assert torch.equal(logits.argmax(dim=1), labels)


def test_keep_frequencies_is_a_projection():
    p = 7
    basis = ref.fourier_basis(p)
    values = torch.randn(p, p, 3, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    kept = ref.keep_frequencies(values, basis, [2])
    assert torch.allclose(ref.keep_frequencies(kept, basis, [2]), kept)
    assert abs((kept * (values - kept)).sum().item()) < 1e-9
    assert torch.allclose(ref.keep_frequencies(values, basis, [1, 2, 3]), values)  # all frequencies: nothing lost


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: ref.fourier_basis(8), "p must be odd"),
        (lambda: ref.fourier_basis(1), "p must be at least 3"),
        (lambda: ref.idealised_logits(7, [4], torch.ones(1, dtype=torch.float64)), "frequencies must lie in 1..3"),
        (lambda: ref.idealised_logits(7, [1, 2], torch.ones(3, dtype=torch.float64)), "coefficients must have shape"),
        (lambda: ref.fourier_2d(torch.zeros(5, 4), ref.fourier_basis(5)), "values must have shape"),
        (lambda: ref.norm_per_frequency(torch.zeros(6, 2)), "must be odd"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_key_frequencies_take_those_above_the_share():
    spectrum = torch.tensor([9.0, 0.1, 5.0, 0.1, 3.0, 0.2], dtype=torch.float64)
    assert fourier.key_frequencies(spectrum) == [2, 4]
    assert fourier.key_frequencies(spectrum, min_share=0.5) == [2]
    assert fourier.top_frequencies(spectrum, 3) == [2, 4, 5]
    assert fourier.share_of_spectrum(spectrum, [2, 4]) == pytest.approx(8.0 / spectrum.sum().item())


def small_model(p=7):
    cfg = TransformerConfig(d_vocab=p + 1, d_vocab_out=p, n_ctx=3, d_model=16, n_layers=1, n_heads=2, d_head=8, d_mlp=24)
    return HookedTransformer(cfg, seed=0)


def test_logits_from_unchanged_neurons_are_the_models_logits():
    p = 7
    model = small_model(p)
    tokens, _ = all_pairs(p)
    grid = fourier.grid_activations(model, tokens, p)
    assert grid["neurons"].shape == (p, p, 24) and grid["attention"].shape == (p, p, 2)
    again = fourier.logits_from_neurons(model, grid["resid_mid"], grid["neurons"])
    assert torch.allclose(again, grid["logits"], atol=1e-5)


def test_fitted_coefficients_recover_an_idealised_model():
    p = 11
    want = torch.tensor([3.0, -1.5], dtype=torch.float64)
    logits = ref.idealised_logits(p, [2, 5], want) + 7.0  # a constant per input changes nothing
    assert torch.allclose(fourier.fit_idealised_coefficients(logits, p, [2, 5]), want)


def test_the_neuron_explorer_follows_its_controls():
    p = 7
    model = small_model(p)
    tokens, _ = all_pairs(p)
    neurons = fourier.grid_activations(model, tokens, p)["neurons"]
    coefficients = ref.fourier_2d(neurons, ref.fourier_basis(p))
    fve = torch.stack([ref.frequency_fve(coefficients, k) for k in (1, 2, 3)])  # [3, d_mlp]
    explorer = NeuronExplorer(neurons, fve)
    for frequency in explorer.frequency.options:
        explorer.frequency.value = frequency
        chosen = explorer.selected()
        assert explorer.best_frequency[chosen] == frequency
        assert fve[:, chosen].max() == fve[frequency - 1, chosen] > 0
        ranked = explorer.cluster()
        assert chosen == ranked[0] and explorer.rank.max == len(ranked) - 1
