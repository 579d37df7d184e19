"""Checks for the exercises of chapter 3, "Progress measures"."""

from __future__ import annotations

import math
from typing import Callable

import torch

from solutions import chapter3_progress as reference

from ..core.exercise import ExerciseFailed, expect_tensor, exercise, same_values


def _grid_logits(p: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Logits [p * p, p] that mix a wave in a + b - c with noise, the labels, a train split."""
    g = torch.Generator().manual_seed(seed)
    x = torch.arange(p, dtype=torch.float64)
    a_plus_b = (x[:, None] + x[None, :]).flatten()  # [p * p]
    wave = 4 * torch.cos(2 * math.pi * (a_plus_b[:, None] - x[None, :]) / p)  # [p * p, p]
    logits = wave + torch.randn(p * p, p, generator=g, dtype=torch.float64) + 0.5
    labels = (a_plus_b.long() % p)
    train = torch.randperm(p * p, generator=g)[: (p * p) // 3]
    return logits, labels, train


@exercise("3.1", reference.sum_directions)
def check_sum_directions(fn: Callable, reference_fn: Callable) -> str:
    for p, frequencies in [(5, [1]), (7, [1, 3]), (113, [1, 8, 21])]:
        got, want = fn(p, frequencies), reference_fn(p, frequencies)
        name = f"p = {p}, frequencies {frequencies}"
        if isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point():
            got = got.double()
            norms = got.norm(dim=1)
            if not torch.allclose(norms, torch.ones_like(norms), atol=1e-6):
                raise ExerciseFailed(f"for {name}: the rows are not unit vectors (norms {norms.min():.3g} to {norms.max():.3g})")
            order = [r for i in range(len(frequencies)) for r in (2 * i + 1, 2 * i)]
            if same_values(got, want[order]):
                raise ExerciseFailed(f"for {name}: sin comes before cos; row 2i is cos(w_i (a + b)), row 2i + 1 its sin")
        expect_tensor(got, want, f"the directions for {name}", atol=1e-10)
    return "p = 5, 7, 113 with one to three frequencies"


@exercise("3.2", reference.excluded_loss)
def check_excluded_loss(fn: Callable, reference_fn: Callable) -> str:
    for p, frequencies, seed in [(7, [1], 0), (11, [1, 3], 1), (11, [2], 2)]:
        logits, labels, train = _grid_logits(p, seed)
        directions = reference.sum_directions(p, frequencies)
        got = fn(logits, labels, directions, train)
        want = reference_fn(logits, labels, directions, train)
        name = f"p = {p}, frequencies {frequencies}"
        if isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point():
            everywhere = reference_fn(logits, labels, directions, torch.arange(p * p))
            if torch.isclose(got.double(), everywhere) and not torch.isclose(everywhere, want):
                raise ExerciseFailed(f"for {name}: the loss is over every input; take it over the training rows only")
            kept = directions.T @ (directions @ logits)
            wrong = torch.nn.functional.cross_entropy(kept[train], labels[train])
            if torch.isclose(got.double(), wrong):
                raise ExerciseFailed(f"for {name}: this keeps the directions; the excluded loss removes them")
            if torch.isclose(got.double(), torch.nn.functional.cross_entropy(logits[train], labels[train])):
                raise ExerciseFailed(f"for {name}: nothing was removed; this is the ordinary training loss")
        expect_tensor(got, want, f"the excluded loss for {name}", atol=1e-9)
    return "three grids with noise, one and two frequencies"


@exercise("3.3", reference.restricted_loss)
def check_restricted_loss(fn: Callable, reference_fn: Callable) -> str:
    for p, frequencies, seed in [(7, [1], 3), (11, [1, 3], 4), (11, [2], 5)]:
        logits, labels, _ = _grid_logits(p, seed)
        directions = reference.sum_directions(p, frequencies)
        got = fn(logits, labels, directions)
        want = reference_fn(logits, labels, directions)
        name = f"p = {p}, frequencies {frequencies}"
        if isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point():
            kept = directions.T @ (directions @ logits)
            rest = logits - kept
            if torch.isclose(got.double(), torch.nn.functional.cross_entropy(kept, labels)):
                raise ExerciseFailed(
                    f"for {name}: the mean of what was removed is missing (or it is the same for every "
                    "answer, which the softmax ignores); add (logits - projection).mean(dim=0), one value "
                    "per answer, back to every row"
                )
            if torch.isclose(got.double(), torch.nn.functional.cross_entropy(rest + kept.mean(dim=0), labels)):
                raise ExerciseFailed(f"for {name}: this removes the directions; the restricted loss keeps only them")
        expect_tensor(got, want, f"the restricted loss for {name}", atol=1e-9)
    return "three grids with noise, one and two frequencies"


@exercise("3.4", reference.gini)
def check_gini(fn: Callable, reference_fn: Callable) -> str:
    g = torch.Generator().manual_seed(6)
    cases = [
        ("equal values", torch.ones(10, dtype=torch.float64)),
        ("one value holding everything", torch.tensor([0.0, 0.0, 5.0, 0.0], dtype=torch.float64)),
        ("unsorted random values", torch.rand(56, generator=g, dtype=torch.float64)),
        ("a batch [3, 20]", torch.rand(3, 20, generator=g, dtype=torch.float64)),
        ("a single value", torch.tensor([2.0], dtype=torch.float64)),
    ]
    for name, values in cases:
        got, want = fn(values), reference_fn(values)
        if isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point() and not torch.allclose(got.double(), want):
            n = values.shape[-1]
            rank = torch.arange(1, n + 1, dtype=values.dtype)
            unsorted = ((2 * rank - n - 1) * values).sum(-1) / (n * values.sum(-1))
            if torch.allclose(got.double(), unsorted):
                raise ExerciseFailed(f"on {name}: the values must be sorted ascending before they are weighted by rank")
            if torch.allclose(got.double(), -want):
                raise ExerciseFailed(f"on {name}: the sign is flipped; sort ascending (the largest value gets the largest weight)")
        expect_tensor(got, want, f"the Gini coefficient of {name}", atol=1e-9)
    return "equal values (0), one value (3/4 of 4), random, a batch, a single value"


def _phase_cases() -> list[tuple[str, tuple]]:
    """Synthetic checkpoint curves with known phases, a spike included."""
    steps = torch.arange(0, 1050, 50)  # 21 checkpoints
    t = steps.double()
    excluded = 0.2 + ((t - 150) / 100).pow(2) * 0.3
    restricted = 4.5 * torch.exp(-t / 120)  # below 0.1 from step 500
    norm = 3000 - 1800 * torch.sigmoid((t - 600) / 60)
    spiky = excluded.clone()
    spiky[14] = excluded[14] * 0.5  # a spike in training, still far above the minimum
    flat_norm = torch.linspace(3000, 3100, len(steps), dtype=torch.float64)
    never = torch.full_like(t, 5.0)
    falling = torch.linspace(5, 0.01, len(steps), dtype=torch.float64)
    return [
        ("curves with all three phases", (steps, excluded, restricted, norm)),
        ("the same with a spike in the excluded loss", (steps, spiky, restricted, norm)),
        ("a run whose restricted loss never falls (no weight decay)", (steps, excluded, never, flat_norm)),
        ("a run whose excluded loss only falls (memorisation only)", (steps, falling, restricted, norm)),
        ("a run that cleans up but never settles", (steps, excluded, restricted, flat_norm * 0 + 3000 - 40 * t)),
        ("checkpoints from step 100, with the restricted loss dipping below the threshold once during "
         "memorisation", _late_checkpoints()),
    ]


def _late_checkpoints() -> tuple:
    """Checkpoints every 100 steps from step 100 (so indices are not steps, and the first step is
    not 0), with the restricted loss below the threshold once before memorisation ends: circuit
    formation ends at the first step *after* memorisation where it is below."""
    steps = torch.arange(100, 2100, 100)  # 20 checkpoints
    t = steps.double()
    excluded = 0.2 + ((t - 500) / 300).pow(2) * 0.3  # lowest at step 500
    restricted = 4.5 * torch.exp(-t / 300)  # below 0.1 from step 1200
    restricted[1] = 0.05  # step 200: a dip during memorisation
    norm = 3000 - 1800 * torch.sigmoid((t - 1300) / 100)
    return steps, excluded, restricted, norm


@exercise("3.5", reference.detect_phases)
def check_detect_phases(fn: Callable, reference_fn: Callable) -> str:
    for name, args in _phase_cases():
        got, want = fn(*args), reference_fn(*args)
        if not isinstance(got, dict):
            raise ExerciseFailed(f"should return a dict of phases, got {type(got).__name__}")
        if set(got) != set(want):
            raise ExerciseFailed(f"the dict must have the keys {sorted(want)}, got {sorted(got)}")
        for phase in ("memorisation", "circuit formation", "clean-up"):
            g, w = got[phase], want[phase]
            if g is not None and not isinstance(g, tuple):
                raise ExerciseFailed(f"on {name}: {phase} should be a (start, end) tuple or None, got {type(g).__name__}")
            if (g is None) != (w is None):
                raise ExerciseFailed(
                    f"on {name}: {phase} should be {'None (it never begins)' if w is None else w}, got {g}"
                )
            if g is not None and tuple(int(s) for s in g) != w:
                steps = args[0].tolist()
                if all(0 <= int(s) < len(steps) for s in g) and tuple(steps[int(s)] for s in g) == w:
                    raise ExerciseFailed(f"on {name}: {phase} is given as checkpoint indices {tuple(g)}; "
                                         f"return the steps, steps[i]: {w}")
                if phase == "memorisation" and int(g[0]) == 0 and steps[0] != 0:
                    raise ExerciseFailed(f"on {name}: memorisation begins at the first checkpoint, step {steps[0]}, "
                                         "not at step 0")
                raise ExerciseFailed(f"on {name}: {phase} should be {w}, got {tuple(g)}"
                                     + (": look for the restricted loss below the threshold only after "
                                        "memorisation has ended" if phase == "circuit formation" and g[1] < w[1] else ""))
    return "6 sets of curves: all three phases, a spike, no clean-up, memorisation only, no settling, late checkpoints"

