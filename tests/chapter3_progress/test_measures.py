"""Chapter 3's measures: the references against oracles, and the measures over a small run."""

import math

import pytest
import torch
import torch.nn.functional as F

from interp_course.chapter1_grokking import runs as grokking
from interp_course.core.runs import Run
from interp_course.chapter3_progress import measures as progress
from interp_course.chapter3_progress.plots import progress_overview, spectra_small_multiples
from interp_course.chapter3_progress.viewer import CheckpointExplorer
from interp_course.core.training import TrainingConfig
from solutions import chapter3_progress as ref
from solutions.chapter1_grokking import all_pairs
from solutions.chapter2_fourier import idealised_logits

TINY = grokking.GrokkingConfig(
    p=13, train_fraction=0.6, d_model=32, n_heads=2, d_head=16, d_mlp=64,
    training=TrainingConfig(n_steps=200, lr=1e-2, weight_decay=0.1, eval_every=50, checkpoint_every=50),
)


def test_sum_directions_match_a_loop_and_are_orthonormal():
    p, frequencies = 7, [1, 3]
    d = ref.sum_directions(p, frequencies)
    assert torch.allclose(d @ d.T, torch.eye(4, dtype=torch.float64), atol=1e-12)
    for a in range(p):
        for b in range(p):
            assert d[2, a * p + b] == pytest.approx(math.cos(2 * math.pi * 3 * (a + b) / p) * math.sqrt(2) / p)


def test_logits_made_of_the_directions_split_cleanly():
    """Idealised logits live entirely in the key directions: excluding them leaves a uniform
    guess, restricting to them changes nothing."""
    p, key = 11, [2, 5]
    logits = idealised_logits(p, key, torch.tensor([3.0, 2.0], dtype=torch.float64))
    _, labels = all_pairs(p)
    d = ref.sum_directions(p, key)
    train = torch.arange(0, p * p, 2)
    assert ref.excluded_loss(logits, labels, d, train).item() == pytest.approx(math.log(p))
    assert ref.restricted_loss(logits, labels, d).item() == pytest.approx(F.cross_entropy(logits, labels).item())


def test_other_frequencies_are_not_kept():
    p = 11
    logits = idealised_logits(p, [4], torch.tensor([5.0], dtype=torch.float64))
    _, labels = all_pairs(p)
    d = ref.sum_directions(p, [1])
    assert ref.restricted_loss(logits, labels, d).item() == pytest.approx(math.log(p))
    assert ref.excluded_loss(logits, labels, d, torch.arange(p * p)).item() == pytest.approx(F.cross_entropy(logits, labels).item())


def test_gini_agrees_with_mean_absolute_difference():
    values = torch.rand(4, 30, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    pairwise = (values[:, :, None] - values[:, None, :]).abs().sum(dim=(1, 2))
    oracle = pairwise / (2 * 30 * values.sum(dim=1))
    assert torch.allclose(ref.gini(values), oracle)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: ref.gini(torch.tensor([1.0, -1.0])), "non-negative"),
        (lambda: ref.sum_directions(8, [1]), "p must be odd"),
        (lambda: ref.excluded_loss(torch.zeros(9, 3), torch.zeros(9, dtype=torch.long), torch.zeros(2, 8), torch.arange(3)), "directions must have shape"),
        (lambda: ref.detect_phases(torch.arange(3), torch.ones(3), torch.ones(2), torch.ones(3)), "restricted must have shape"),
        (lambda: ref.detect_phases(torch.arange(3), torch.ones(3), torch.ones(3), torch.ones(3), threshold=-1.0), "threshold"),
    ],
)
def test_bad_input_is_named(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


@pytest.fixture(scope="module")
def tiny_run():
    """Trained once for the module, outside any cache."""
    metrics, checkpoints = TINY.train(progress=False)
    return Run(TINY, metrics, checkpoints)


def test_measures_cover_every_checkpoint(tiny_run):
    measures = progress.measure(tiny_run, [1, 2])
    n = len(tiny_run.checkpoint_steps)
    assert measures["step"].tolist() == tiny_run.checkpoint_steps
    for name in progress.MEASURES:
        assert measures[name].shape == (n,) and torch.isfinite(measures[name]).all(), name
    assert measures["embedding_spectrum"].shape == (n, 7)
    final = tiny_run.model
    assert measures["weight_norm"][-1].item() == pytest.approx(sum(v.double().pow(2).sum().item() for v in final.state_dict().values()))
    assert measures["train_loss"][-1] < measures["train_loss"][0]


def test_measure_uses_the_functions_it_is_given(tiny_run):
    calls = []

    def spy_gini(values):
        calls.append(values.shape)
        return ref.gini(values)

    measures = progress.measure(tiny_run, [1], gini=spy_gini, restricted_loss=lambda *a: torch.tensor(7.0))
    assert len(calls) == 2 * len(tiny_run.checkpoint_steps)
    assert (measures["restricted_loss"] == 7.0).all()


def test_first_step_below():
    steps = torch.tensor([0, 50, 100])
    assert progress.first_step_below(steps, torch.tensor([1.0, 0.05, 0.01]), 0.1) == 50
    assert progress.first_step_below(steps, torch.tensor([1.0, 0.5, 0.2]), 0.1) is None


def test_plots_and_the_checkpoint_explorer(tiny_run):
    measures = progress.measure(tiny_run, [1, 2])
    phases = ref.detect_phases(measures["step"], measures["excluded_loss"], measures["restricted_loss"], measures["weight_norm"])
    assert progress_overview(measures, phases).axes
    assert spectra_small_multiples(measures, [0, 200], [1, 2], phases).axes
    explorer = CheckpointExplorer(measures, [1, 2], phases)
    explorer.step.value = 100
    assert explorer.index() == 2
