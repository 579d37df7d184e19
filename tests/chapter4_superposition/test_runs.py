import matplotlib

matplotlib.use("Agg")

import pytest
import torch

from interp_course.chapter4_superposition import runs as sp
from interp_course.chapter4_superposition import analysis
from interp_course.chapter4_superposition.analysis import superposition_score
from interp_course.chapter4_superposition.viewer import GeometryExplorer
from tests.tiny_runs import tiny_sweep
from solutions.chapter4_superposition import feature_dimensionality, generate_batch, toy_forward


def test_generate_batch_sparsity_and_range():
    probability = torch.tensor([[1.0, 0.3, 0.01]])
    batch = generate_batch(20_000, probability, torch.Generator().manual_seed(0))
    assert batch.shape == (20_000, 1, 3)
    assert (batch >= 0).all() and (batch < 1).all()
    rates = (batch != 0).float().mean(0)[0]
    assert rates[0] == 1.0
    assert abs(rates[1] - 0.3) < 0.02 and abs(rates[2] - 0.01) < 0.005


def test_toy_forward_against_a_loop():
    g = torch.Generator().manual_seed(1)
    W, b, x = torch.randn(2, 3, 4, generator=g), torch.randn(2, 4, generator=g), torch.rand(5, 2, 4, generator=g)
    out = toy_forward(W, b, x)
    for i in range(2):
        for s in range(5):
            expected = torch.relu(W[i].T @ (W[i] @ x[s, i]) + b[i])
            torch.testing.assert_close(out[s, i], expected)


def test_feature_dimensionality_of_known_geometries():
    angles = 2 * torch.pi * torch.arange(5) / 5
    pentagon = torch.stack([angles.cos(), angles.sin()])[None]
    torch.testing.assert_close(feature_dimensionality(pentagon), torch.full((1, 5), 0.4))
    antipodal = torch.tensor([[[1.0, -1.0, 0.0]]])
    torch.testing.assert_close(feature_dimensionality(antipodal), torch.tensor([[0.5, 0.5, 0.0]]))


def test_superposition_score():
    W = torch.tensor([[[1.0, 0.0, -1.0], [0.0, 1.0, 0.0]]])  # feature 0 and 2 antipodal, 1 alone
    torch.testing.assert_close(superposition_score(W), torch.tensor([[1.0, 0.0, 1.0]]))


def test_extra_feature_phase():
    W = torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]], [[1.0, -1.0]], [[0.1, 0.2]]])
    assert analysis.extra_feature_phase(W).tolist() == [0, 1, 2, 0]


def test_grid_order_and_shapes():
    config = sp.importance_sparsity_grid(5, 2, (0.0, 0.9), (0.9, 1.0))
    probability, importance = config.tensors()
    assert probability.shape == importance.shape == (4, 5)
    assert probability[:, 0].tolist() == pytest.approx([1.0, 0.1, 1.0, 0.1])
    assert importance[0].tolist() == pytest.approx([0.9**i for i in range(5)])
    assert importance[2].tolist() == [1.0] * 5


def tiny(**changes):
    return tiny_sweep(**changes)


def trained_weights(config):
    """The final W and b of a sweep trained now, with its losses."""
    metrics, checkpoints = config.train(progress=False)
    return {**checkpoints[config.n_steps], **metrics}


def test_training_is_seeded_and_learns():
    a, b = trained_weights(tiny()), trained_weights(tiny())
    assert torch.equal(a["W"], b["W"]) and torch.equal(a["losses"], b["losses"])
    assert not torch.equal(a["W"], trained_weights(tiny(seed=1))["W"])
    assert a["losses"][-20:].mean() < 0.5 * a["losses"][:20].mean()


def test_dense_features_get_two_dimensions_and_sparse_ones_share():
    """The chapter's headline, at small scale: dense -> 2 features, sparse -> more."""
    W = trained_weights(tiny(n_steps=1500))["W"]
    represented = (W.norm(dim=1) > 0.5).sum(1)
    assert represented[0] == 2
    assert represented[1] > 2


def test_a_loaded_sweep_shows_its_weights_and_losses():
    sweep = sp.load_or_train(tiny(), verbose=False)
    assert isinstance(sweep, sp.ToySweep)
    assert sweep.W.shape == (2, 2, 5) and sweep.b.shape == (2, 5) and sweep.losses.shape == (300,)


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: sp.ToySweepConfig(3, 2, ((0.5, 0.5),), ((1.0, 1.0, 1.0),)), r"feature_probability must have shape"),
        (lambda: sp.ToySweepConfig(2, 1, ((0.5, 0.5),), ((1.0, 1.0), (1.0, 1.0))), "same number of instances"),
        (lambda: sp.ToySweepConfig(2, 1, ((0.0, 0.5),), ((1.0, 1.0),)), r"feature_probability must be in \(0, 1\]"),
        (lambda: sp.sparsity_sweep(5, 0, (0.5,)), "n_hidden must be at least 1"),
        (lambda: sp.load_or_train("five"), r"config must be a run config \(a RunConfig\), got str"),
    ],
)
def test_bad_input_is_a_clear_error(build, message):
    with pytest.raises((TypeError, ValueError), match=message):
        build()


def test_geometry_explorer_follows_its_sliders():
    config = sp.importance_sparsity_grid(5, 2, (0.0, 0.5, 0.9), (0.9, 1.0))
    W = torch.randn(config.n_instances, 2, 5, generator=torch.Generator().manual_seed(0))
    explorer = GeometryExplorer(W, torch.tensor(config.importance), (0.0, 0.5, 0.9), (0.9, 1.0))
    assert explorer.index == 0
    explorer.sparsity.value = 0.9
    explorer.decay.value = 1.0
    assert explorer.index == 5
    with pytest.raises(ValueError, match="must hold len"):
        GeometryExplorer(W[:4], torch.tensor(config.importance), (0.0, 0.5, 0.9), (0.9, 1.0))
