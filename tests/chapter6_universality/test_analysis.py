"""Chapter 6's per-frequency clock-or-pizza profiles, on logits made by hand."""

from types import SimpleNamespace

import pytest
import torch

from interp_course.chapter6_universality import analysis


def _batch(logits_of):
    """A stand-in for a BatchRun of one run at p = 13 whose logits [p * p, p] are
    logits_of(a, b, c) (broadcast over a [p, 1, 1], b [1, p, 1], c [1, 1, p])."""
    p = 13
    a, b, c = (torch.arange(p, dtype=torch.float64).reshape(shape) for shape in ((p, 1, 1), (1, p, 1), (1, 1, p)))
    logits = logits_of(a, b, c, p).reshape(1, p * p, p)
    labels = ((torch.arange(p)[:, None] + torch.arange(p)[None, :]) % p).flatten()
    return SimpleNamespace(config=SimpleNamespace(p=p), data=SimpleNamespace(labels=labels), final_step=0,
                           grid_logits=lambda step: logits.clone())


def _summary(*frequencies):
    return SimpleNamespace(key_frequencies=frequencies)


def clock(a, b, c, p, f=5):
    return 3 * torch.cos(2 * torch.pi * f * (a + b - c) / p) + 0.5 * torch.cos(2 * torch.pi * 2 * (a + b - c) / p)


def pizza(a, b, c, p, f=5):
    return torch.cos(torch.pi * f * (a - b) / p).abs() * torch.cos(2 * torch.pi * f * (a + b - c) / p)


@pytest.mark.parametrize("frequency", [1, 5, 6])
def test_a_pure_pizza_follows_the_pizza_shape_at_every_frequency(frequency):
    batch = _batch(lambda a, b, c, p: pizza(a, b, c, p, frequency))
    (profiles,) = analysis.frequency_profiles(batch, [_summary(frequency)])
    torch.testing.assert_close(profiles[frequency], analysis.pizza_shape(13))
    assert analysis.pizza_share(profiles[frequency]) == pytest.approx(1.0)


def test_a_clock_is_flat_and_each_frequency_is_read_on_its_own():
    (profiles,) = analysis.frequency_profiles(_batch(clock), [_summary(5, 2)])
    for frequency in (5, 2):
        torch.testing.assert_close(profiles[frequency], torch.ones(13, dtype=torch.float64))
        assert analysis.pizza_share(profiles[frequency]) == pytest.approx(0.0, abs=1e-12)


def test_a_mixture_is_read_frequency_by_frequency():
    (profiles,) = analysis.frequency_profiles(_batch(lambda a, b, c, p: clock(a, b, c, p, 3) + pizza(a, b, c, p, 5)),
                                              [_summary(3, 5)])
    assert analysis.pizza_share(profiles[3]) == pytest.approx(0.0, abs=1e-12)
    assert analysis.pizza_share(profiles[5]) == pytest.approx(1.0)


def test_a_frequency_that_lowers_the_correct_answer_has_no_profile():
    (profiles,) = analysis.frequency_profiles(_batch(lambda a, b, c, p: -clock(a, b, c, p)), [_summary(5)])
    assert profiles == {}
