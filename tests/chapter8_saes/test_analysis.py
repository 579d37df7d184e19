"""Chapter 8's measures against independent oracles, and its run configs' argument checks."""

import math

import pytest
import torch

from interp_course.chapter4_superposition import runs as sp
from interp_course.chapter8_saes import analysis
from interp_course.chapter8_saes import runs as saes
from interp_course.core.runs import TrainedRecord
from solutions import chapter8_saes as reference


def perfect_stack(directions: torch.Tensor, k: int = 0) -> saes.SAEStack:
    """One autoencoder whose latents are exactly the given unit directions ([n, d], orthonormal
    or a pentagon), with no biases: encoder = decoder transposed."""
    n, d = directions.shape
    config = saes.ToySAEConfig(n, (0.0,), (0,), k=k, toy=sp.FIVE_INTO_TWO, toy_instance=0)
    weights = {"W_enc": directions.T[None].clone(), "b_enc": torch.zeros(1, n),
               "W_dec": directions[None].clone(), "b_dec": torch.zeros(1, d)}
    return saes.SAEStack(config, {"losses": torch.zeros(1)}, {1: weights})


def test_a_perfect_dictionary_scores_one_and_does_not_shrink():
    angles = torch.arange(5) * 2 * math.pi / 5
    W = torch.stack([angles.cos(), angles.sin()])  # [2, 5], unit columns
    stack = perfect_stack(W.T, k=1)
    assert torch.allclose(reference.mean_max_cosine_similarity(stack.W_dec, W.T), torch.ones(1))
    # One feature at a time: TopK (k = 1) with the true directions reconstructs it exactly.
    h = torch.cat([W.T * 0.5, W.T])
    _, reconstruction = analysis.run_stack(stack, h)
    assert torch.allclose(reconstruction[:, 0], h, atol=1e-6)


def test_seed_agreement_is_one_for_identical_dictionaries_and_lower_for_rotated_ones():
    W = torch.eye(3)
    assert analysis.seed_agreement(torch.stack([W, W])) == pytest.approx(1.0)
    rotation = torch.tensor([[math.cos(0.5), -math.sin(0.5), 0.0], [math.sin(0.5), math.cos(0.5), 0.0], [0.0, 0.0, 1.0]])
    assert analysis.seed_agreement(torch.stack([W, W @ rotation.T])) < 0.95


def test_true_directions_keep_the_represented_features():
    W = torch.tensor([[1.0, 0.1, 0.0], [0.0, 0.0, -0.9]])  # feature 1 has norm 0.1: not represented
    assert torch.equal(analysis.true_directions(saes.FIVE_INTO_TWO_L1, W), torch.tensor([[1.0, 0.0], [0.0, -0.9]]))


def test_the_frequency_report_finds_a_planted_frequency():
    p = 13
    a, b = torch.meshgrid(torch.arange(p), torch.arange(p), indexing="ij")
    wave = torch.cos(2 * math.pi * 3 * (a + b) / p).reshape(p * p, 1).double()  # frequency 3 only
    noise = torch.randn(p * p, 1, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    units = analysis.varying(torch.cat([wave, noise, torch.ones(p * p, 1, dtype=torch.float64)], dim=1))
    assert units.shape == (p * p, 2)  # the constant unit does not vary
    report = analysis.frequency_report(*analysis.best_frequency(units, p), [3])
    assert report.units == 2
    assert report.mostly_one == 1 and report.on_key == 1 and report.frequencies == [3]


def test_by_setting_orders_rows_by_coefficient():
    values = torch.arange(len(saes.FIVE_INTO_TWO_L1.settings)).float()
    rows = analysis.by_setting(values, saes.FIVE_INTO_TWO_L1)
    assert rows.shape == (len(saes.L1_COEFFICIENTS), len(saes.SEEDS))
    coefficient, seed = saes.FIVE_INTO_TWO_L1.settings[int(rows[2, 3])]
    assert (coefficient, seed) == (saes.L1_COEFFICIENTS[2], saes.SEEDS[3])


def test_training_is_reproducible_and_keeps_unit_decoder_rows():
    config = saes.ToySAEConfig(4, (0.1, 0.3), (0,), n_steps=30, batch_size=64, toy=sp.FIVE_INTO_TWO, toy_instance=5)
    toy = sp.ToySweep(sp.FIVE_INTO_TWO, {}, {1: {"W": torch.randn(24, 2, 5, generator=torch.Generator().manual_seed(1)),
                                                "b": torch.zeros(24, 5)}})
    first, second = config.train(progress=False, inputs=(toy,)), config.train(progress=False, inputs=(toy,))
    assert isinstance(first, TrainedRecord)
    assert torch.equal(first.metrics["losses"], second.metrics["losses"])
    W_dec = first.checkpoints[30]["W_dec"]
    assert torch.allclose(W_dec.norm(dim=-1), torch.ones(2, 4), atol=1e-5)


@pytest.mark.parametrize("changes, message", [
    ({"n_latents": 0}, "n_latents"),
    ({"k": 9}, "k must be at most n_latents"),
    ({"l1_coefficients": (-0.1,)}, "l1_coefficients must be >= 0"),
    ({"seeds": ()}, "must not be empty"),
    ({"toy_instance": 24}, "toy_instance must be in 0..23"),
    ({"lr": 0.0}, "lr"),
])
def test_bad_configs_are_refused_with_the_argument_named(changes, message):
    arguments = {"n_latents": 8, "toy": sp.FIVE_INTO_TWO, "toy_instance": 0, **changes}
    with pytest.raises((ValueError, TypeError), match=message):
        saes.ToySAEConfig(**arguments)


def test_dead_latents_refuses_what_is_not_a_list_of_latent_tensors():
    with pytest.raises(ValueError, match="latent_batches"):
        reference.dead_latents([])
    with pytest.raises(ValueError, match=r"latent_batches\[1\]"):
        reference.dead_latents([torch.zeros(2, 1, 3), torch.zeros(2, 1, 4)])
