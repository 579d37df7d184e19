"""Checks for the exercises of chapter 3, "Progress measures"."""

from __future__ import annotations

import math
from typing import Callable

import torch

from solutions import chapter3_progress as reference

from ..core.exercise import ExerciseFailed, expect_tensor, exercise, same_values

_cross_entropy = torch.nn.functional.cross_entropy


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


def _waves(p: int, frequencies: list[int], sums: torch.Tensor, two_pi: bool = True) -> torch.Tensor:
    """Rows cos(w k s / p), sin(...) per frequency over ``sums`` (what a learner's angle was
    built from), each scaled to unit norm: the directions as a mistake builds them."""
    rows = []
    for k in frequencies:
        angle = (2 * math.pi if two_pi else 1.0) * k * sums / p
        rows += [torch.cos(angle), torch.sin(angle)]
    directions = torch.stack(rows)
    return directions / directions.norm(dim=1, keepdim=True).clamp(min=1e-300)


def _direction_mistakes(p: int, frequencies: list[int]) -> list[tuple[torch.Tensor, str]]:
    """[(the directions a mistake gives, what to say)], for a learner's unit-norm rows."""
    x = torch.arange(p, dtype=torch.float64)
    a_plus_b = (x[:, None] + x[None, :]).flatten()
    right = _waves(p, frequencies, a_plus_b)
    K = len(frequencies)
    return [
        (right[[r for i in range(K) for r in (2 * i + 1, 2 * i)]],
         "sin comes before cos; row 2i is cos(w_i (a + b)), row 2i + 1 its sin"),
        (right[list(range(0, 2 * K, 2)) + list(range(1, 2 * K, 2))],
         "every cos row comes first, then every sin row; interleave them: cos then sin of each frequency in turn"),
        (_waves(p, frequencies, (x[:, None] - x[None, :]).flatten()),
         "these are waves in a - b; the directions are waves in a + b: (x[:, None] + x[None, :]).flatten()"),
        (_waves(p, frequencies, a_plus_b, two_pi=False), "the angle is missing 2 pi: w = 2 pi k / p"),
        (_waves(p, frequencies, torch.arange(p * p, dtype=torch.float64)),
         "the angle uses the column index a * p + b; use a + b: (x[:, None] + x[None, :]).flatten()"),
        (_waves(p, frequencies, a_plus_b + 2),
         "a and b run from 1 to p here; they run from 0 to p - 1: torch.arange(p)"),
    ]


@exercise("3.1", reference.sum_directions)
def check_sum_directions(fn: Callable, reference_fn: Callable) -> str:
    # Two frequencies first: there, forgetting to scale the rows, scaling the whole matrix and
    # scaling the columns give three different results (with one frequency the columns are
    # already unit vectors).
    for p, frequencies in [(7, [1, 3]), (5, [1]), (113, [1, 8, 21])]:
        got, want = fn(p, frequencies), reference_fn(p, frequencies)
        name = f"p = {p}, frequencies {frequencies}"
        if (isinstance(got, torch.Tensor) and got.shape != want.shape and got.shape == want.T.shape
                and same_values(got.T, want, atol=1e-6)):
            raise ExerciseFailed(f"for {name}: this is transposed; return one row per direction, [2K, p * p]")
        if isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point():
            values = got.double()
            norms = values.norm(dim=1)
            if not torch.allclose(norms, torch.ones_like(norms), atol=1e-6):
                unit_norm = f"for {name}: the rows are not unit vectors (norms {norms.min():.3g} to {norms.max():.3g})"
                raw = want * (p / math.sqrt(2))  # every row of cos or sin over the grid has norm p / sqrt(2)
                if same_values(values, raw / raw.norm(), atol=1e-9):
                    raise ExerciseFailed(f"{unit_norm}: this divides the whole matrix by one norm; divide each row "
                                         "by its own norm, directions.norm(dim=1, keepdim=True)")
                if same_values(values, raw / raw.norm(dim=0, keepdim=True), atol=1e-9):
                    raise ExerciseFailed(f"{unit_norm}: this divides each column by its norm (dim=0); divide each "
                                         "row by its own norm, directions.norm(dim=1, keepdim=True)")
                if same_values(values, raw, atol=1e-6):
                    raise ExerciseFailed(f"{unit_norm}: divide each row by its norm, directions.norm(dim=1, keepdim=True)")
                raise ExerciseFailed(f"{unit_norm}; scale each row to unit norm")
            if not same_values(values, want, atol=1e-10):
                for wrong, mistake in _direction_mistakes(p, frequencies):
                    if same_values(values, wrong, atol=1e-9) and not same_values(wrong, want, atol=1e-9):
                        raise ExerciseFailed(f"for {name}: {mistake}")
        expect_tensor(got, want, f"the directions for {name}", atol=1e-10)
    return "p = 5, 7, 113 with one to three frequencies"


def _close(got: float, variant: float, want: float) -> bool:
    """Whether ``got`` is ``variant`` (a known mistake's value) and ``variant`` is not ``want``."""
    return abs(got - variant) <= 1e-7 * max(1.0, abs(variant)) and abs(variant - want) > 1e-6 * max(1.0, abs(want))


def _softmax_over_inputs(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """Cross-entropy written out with the softmax over the rows (the inputs), not the answers."""
    return float(-logits.log_softmax(dim=0).gather(1, labels[:, None]).mean())


def _loss_diagnosis(got: torch.Tensor, want: torch.Tensor, rows: int, where: str) -> str | None:
    """What is wrong with a loss that is a tensor, whatever the loss: one per row, or float32
    precision. None if neither."""
    if got.shape == (rows,) and got.is_floating_point() and abs(float(got.double().mean()) - float(want)) < 1e-7:
        return f"this is one loss per row of {where}; return their mean, a scalar (cross_entropy's default)"
    if got.shape == want.shape and got.is_floating_point():
        g, w = float(got), float(want)
        if g != w and abs(g - w) < 1e-5 * max(1.0, abs(w)) and got.dtype == torch.float64:
            return ("right to about 7 digits only: part of it was computed in float32; "
                    "compute in float64 throughout (logits.double())")
    return None


@exercise("3.2", reference.excluded_loss)
def check_excluded_loss(fn: Callable, reference_fn: Callable) -> str:
    for p, frequencies, seed in [(7, [1], 0), (11, [1, 3], 1), (11, [2], 2)]:
        logits, labels, train = _grid_logits(p, seed)
        directions = reference.sum_directions(p, frequencies)
        got = fn(logits, labels, directions, train)
        want = reference_fn(logits, labels, directions, train)
        name = f"p = {p}, frequencies {frequencies}"
        wrong = not (isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point()
                     and torch.isclose(got.double(), want, atol=1e-9, rtol=0))
        if wrong and isinstance(got, torch.Tensor):
            found = _loss_diagnosis(got, want, len(train), "the training set")
            if found:
                raise ExerciseFailed(f"for {name}: {found}")
        if wrong and isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point():
            g, w = float(got), float(want)
            kept = directions.T @ (directions @ logits)
            excluded = logits - kept
            seen = directions[:, train]  # the directions over the training rows only: not orthonormal
            for variant, mistake in [
                (float(_cross_entropy(excluded, labels)), "the loss is over every input; take it over the training rows only"),
                (float(_cross_entropy(kept[train], labels[train])), "this keeps the directions; the excluded loss removes them"),
                (float(_cross_entropy(logits[train], labels[train])), "nothing was removed; this is the ordinary training loss"),
                (float(_cross_entropy((logits - 2 * kept)[train], labels[train])),
                 "the projection is subtracted twice; subtract it once"),
                (w * len(train), f"this is the sum of the losses over the {len(train)} training rows; take their mean"),
                (_softmax_over_inputs(excluded[train], labels[train]),
                 "the softmax runs over the inputs (dim=0); it runs over the answers (dim=-1): use cross_entropy"),
                (float(_cross_entropy(logits[train] - seen.T @ (seen @ logits[train]), labels[train])),
                 "this projects the training rows only; remove the projection over all p * p inputs first, "
                 "then take the training rows (the directions are orthonormal over the whole grid)"),
            ]:
                if _close(g, variant, w):
                    raise ExerciseFailed(f"for {name}: {mistake}")
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
        wrong = not (isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point()
                     and torch.isclose(got.double(), want, atol=1e-9, rtol=0))
        if wrong and isinstance(got, torch.Tensor):
            found = _loss_diagnosis(got, want, p * p, "the grid")
            if found:
                raise ExerciseFailed(f"for {name}: {found}")
        if wrong and isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point():
            g, w = float(got), float(want)
            kept = directions.T @ (directions @ logits)
            rest = logits - kept
            cos_only = directions[::2]
            kept_cos = cos_only.T @ (cos_only @ logits)
            for variant, mistake in [
                (float(_cross_entropy(kept, labels)),
                 "the mean of what was removed is missing (or it is the same for every answer, which the softmax "
                 "ignores); add (logits - projection).mean(dim=0), one value per answer, back to every row"),
                (float(_cross_entropy(rest + kept.mean(dim=0), labels)),
                 "this removes the directions; the restricted loss keeps only them"),
                (float(_cross_entropy(kept - rest.mean(dim=0), labels)),
                 "this subtracts the mean of what was removed; add it back"),
                (float(_cross_entropy(kept_cos + (logits - kept_cos).mean(dim=0), labels)),
                 "this keeps only the cos rows (every other direction); keep every row of directions"),
                (w * p * p, f"this is the sum of the losses over the {p * p} inputs; take their mean"),
                (_softmax_over_inputs(kept + rest.mean(dim=0), labels),
                 "the softmax runs over the inputs (dim=0); it runs over the answers (dim=-1): use cross_entropy"),
            ]:
                if _close(g, variant, w):
                    raise ExerciseFailed(f"for {name}: {mistake}")
        expect_tensor(got, want, f"the restricted loss for {name}", atol=1e-9)
    return "three grids with noise, one and two frequencies"


def _gini_mistakes(values: torch.Tensor, want: torch.Tensor) -> list[tuple[torch.Tensor, str]]:
    """[(what a mistake gives, what to say)] for ``gini`` on ``values``."""
    n = values.shape[-1]
    rank = torch.arange(1, n + 1, dtype=values.dtype)
    weights = 2 * rank - n - 1
    total = values.sum(-1)
    mistakes = [
        ((weights * values).sum(-1) / (n * total), "the values must be sorted ascending before they are weighted by rank"),
        (-want, "the sign is flipped; sort ascending (the largest value gets the largest weight)"),
        (want - 2 / n, "the ranks are off by one: i runs from 1 to n, torch.arange(1, n + 1), in 2i - n - 1"),
        (want + 2 / n, "the weights are off by one: each is 2i - n - 1, with i from 1 to n"),
        (want * n, "divide by n * sum_i x_i, not by the sum alone"),
        (want * total, "divide by n * sum_i x_i, not by n alone"),
    ]
    if n > 1:
        mistakes += [
            (want * n / (n - 1), "this is rescaled by n / (n - 1), so that one value holding everything gives 1; "
                                 "do not rescale: the largest value is (n - 1) / n"),
            (values.std(-1) / values.mean(-1), "this is the coefficient of variation (std / mean), not the Gini "
                                               "coefficient: weight the sorted values by 2i - n - 1"),
            (values.std(-1, correction=0) / values.mean(-1), "this is the coefficient of variation (std / mean), "
                                                             "not the Gini coefficient: weight the sorted values by 2i - n - 1"),
        ]
    if values.ndim > 1:
        across = values.sort(dim=0).values
        mistakes.append(((weights * across).sum(-1) / (n * across.sum(-1)),
                         "this sorts along dim 0, across the batch; sort along the last dimension, sort(dim=-1)"))
    return mistakes


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
        if isinstance(got, torch.Tensor) and got.is_floating_point() and got.shape != want.shape:
            if got.shape == (*want.shape, 1) and torch.allclose(got.double()[..., 0], want):
                raise ExerciseFailed(f"on {name}: the result keeps the summed dimension (keepdim=True); "
                                     f"drop it: shape {list(want.shape)}")
            if got.ndim == 0 and want.ndim > 0:
                raise ExerciseFailed(f"on {name}: returned one number for the whole batch; sum along the last "
                                     "dimension only, .sum(dim=-1), one coefficient per row")
        if isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point() and not torch.allclose(got.double(), want):
            for wrong, mistake in _gini_mistakes(values, want):
                if torch.allclose(got.double(), wrong) and not torch.allclose(wrong, want):
                    raise ExerciseFailed(f"on {name}: {mistake}")
        expect_tensor(got, want, f"the Gini coefficient of {name}", atol=1e-9)
    return "equal values (0), one value (3/4 of 4), random, a batch, a single value"


def _phase_cases() -> list[tuple[str, tuple]]:
    """Synthetic checkpoint curves with known phases, a spike included."""
    steps = torch.arange(0, 1050, 50)  # 21 checkpoints
    t = steps.double()
    excluded = 0.2 + ((t - 150) / 100).pow(2) * 0.3
    restricted = 4.5 * torch.exp(-t / 120)  # below 0.1 from step 500
    restricted[9] = 0.1  # step 450: at the threshold, not below it
    norm = 3000 - 1800 * torch.sigmoid((t - 600) / 60)
    spiky = excluded.clone()
    spiky[14] = excluded[14] * 0.5  # a spike in training, still far above the minimum
    flat_norm = torch.linspace(3000, 3100, len(steps), dtype=torch.float64)
    never = torch.full_like(t, 5.0)
    falling = torch.linspace(5, 0.01, len(steps), dtype=torch.float64)
    shrinking = 3000 * 0.98 ** torch.arange(len(steps), dtype=torch.float64)  # falls by 2% at every checkpoint
    return [
        ("curves with all three phases", (steps, excluded, restricted, norm)),
        ("the same with a spike in the excluded loss", (steps, spiky, restricted, norm)),
        ("a run whose restricted loss never falls (no weight decay)", (steps, excluded, never, flat_norm)),
        ("a run whose excluded loss only falls (memorisation only)", (steps, falling, restricted, norm)),
        ("a run that cleans up but never settles", (steps, excluded, restricted, shrinking)),
        ("checkpoints from step 100, with the restricted loss dipping below the threshold once during "
         "memorisation", _late_checkpoints()),
    ]


def _late_checkpoints() -> tuple:
    """Checkpoints every 100 steps from step 100 (so indices are not steps, and the first step is
    not 0), with the restricted loss below the threshold once before memorisation ends: circuit
    formation ends at the first step *after* memorisation where it is below. The weight norm has
    already settled when the circuit has formed, so clean-up ends where it begins."""
    steps = torch.arange(100, 2100, 100)  # 20 checkpoints
    t = steps.double()
    excluded = 0.2 + ((t - 500) / 300).pow(2) * 0.3  # lowest at step 500
    restricted = 4.5 * torch.exp(-t / 300)  # below 0.1 from step 1200
    restricted[1] = 0.05  # step 200: a dip during memorisation
    norm = 3000 - 1800 * torch.sigmoid((t - 700) / 100)  # falls by less than 1% from step 1200 on
    return steps, excluded, restricted, norm


_PHASES = ("memorisation", "circuit formation", "clean-up")

_PHASE_MISTAKES = {
    "argmax": "memorisation ends where the excluded loss is lowest (argmin), not where it is highest",
    "largest jump": "memorisation ends where the excluded loss is lowest (argmin), not at its largest jump "
                    "between checkpoints: a spike is not a phase boundary",
    "formation searched from the start": "look for the restricted loss below the threshold only after "
                                         "memorisation has ended",
    "at the threshold": "the restricted loss must be below the threshold (<), not equal to it (<=)",
    "clean-up searched from the start": "look for the settled weight norm only from the start of clean-up "
                                        "(j at or after the end of circuit formation)",
    "clean-up searched after its start": "the weight norm may already have settled where clean-up begins: search "
                                         "from j = its start, inclusive",
    "absolute drop": "the drop is relative: (weight_norm[j] - weight_norm[j + 1]) / weight_norm[j], not the "
                     "difference alone",
    "rise": "the sign is flipped: the drop is weight_norm[j] - weight_norm[j + 1] (the norm falls); this is the rise",
    "ends at j + 1": "clean-up ends at checkpoint j, where the drop to the next checkpoint is below settle, "
                     "not at j + 1",
}


def _phases_with(mistake: str, steps, excluded, restricted, weight_norm, threshold=0.1, settle=0.01) -> dict:
    """The phases as ``detect_phases`` finds them with one of ``_PHASE_MISTAKES``."""
    n, at = steps.shape[0], [int(s) for s in steps]
    if mistake == "argmax":
        lowest = int(excluded.argmax())
    elif mistake == "largest jump":
        lowest = int((excluded[1:] - excluded[:-1]).abs().argmax()) + 1
    else:
        lowest = int(excluded.argmin())
    phases: dict = {"memorisation": (at[0], at[lowest]), "circuit formation": None, "clean-up": None}
    if lowest == n - 1:
        return phases
    start = 0 if mistake == "formation searched from the start" else lowest + 1
    below = [i for i in range(start, n)
             if (restricted[i] <= threshold if mistake == "at the threshold" else restricted[i] < threshold)]
    formed = below[0] if below else n - 1
    phases["circuit formation"] = (at[lowest], at[formed])
    if not below:
        return phases
    if mistake == "absolute drop":
        drops = weight_norm[:-1] - weight_norm[1:]
    elif mistake == "rise":
        drops = (weight_norm[1:] - weight_norm[:-1]) / weight_norm[:-1]
    else:
        drops = (weight_norm[:-1] - weight_norm[1:]) / weight_norm[:-1]
    first = {"clean-up searched from the start": 0, "clean-up searched after its start": formed + 1}.get(mistake, formed)
    settled = [i for i in range(first, n - 1) if drops[i] < settle]
    end = (settled[0] + (1 if mistake == "ends at j + 1" else 0)) if settled else n - 1
    phases["clean-up"] = (at[formed], at[end])
    return phases


def _first_difference(got: dict, want: dict) -> str | None:
    return next((phase for phase in _PHASES if got[phase] != want[phase]), None)


def _as_steps(phases: dict) -> dict:
    return {phase: None if value is None else tuple(int(s) for s in value) for phase, value in phases.items()}


def _phase_diagnosis(name: str, args: tuple, phase: str, g: tuple | None, w: tuple | None) -> str | None:
    """What the first wrong phase of a case shows by itself, whatever the rest."""
    steps = args[0].tolist()
    if w is None:
        return f"{phase} should be None: it never begins (a phase that does not begin is None), got {g}"
    if g is None:
        return (f"{phase} should be {w}, got None: it begins, at step {w[0]}; a phase that begins but does not "
                f"end ends at the last step, {steps[-1]}")
    if all(0 <= s < len(steps) for s in g) and tuple(steps[s] for s in g) == w:
        return f"{phase} is given as checkpoint indices {tuple(g)}; return the steps, steps[i]: {w}"
    if phase == "memorisation" and g[0] == 0 and steps[0] != 0 and g[1] == w[1]:
        return f"memorisation begins at the first checkpoint, step {steps[0]}, not at step 0"
    return None


def _off_by_one(args: tuple, phase: str, g: tuple, w: tuple) -> str | None:
    steps = args[0].tolist()
    if g[0] != w[0] or g[1] not in steps or phase == "memorisation":
        return None
    shift = steps.index(g[1]) - steps.index(w[1])
    rule = ("the first checkpoint after memorisation whose restricted loss is below the threshold"
            if phase == "circuit formation" else
            "the first checkpoint j from its start where the weight norm falls by less than settle to the next")
    if shift in (-1, 1):
        return f"{phase} ends one checkpoint {'early' if shift < 0 else 'late'}, at step {g[1]}; it ends at {rule}, step {w[1]}"
    return None


@exercise("3.5", reference.detect_phases)
def check_detect_phases(fn: Callable, reference_fn: Callable) -> str:
    results = []
    for name, args in _phase_cases():
        got, want = fn(*args), reference_fn(*args)
        if not isinstance(got, dict):
            raise ExerciseFailed(f"should return a dict of phases, got {type(got).__name__}")
        if set(got) != set(want):
            raise ExerciseFailed(f"the dict must have the keys {sorted(want)}, got {sorted(got)}")
        for phase in _PHASES:
            if got[phase] is not None and not isinstance(got[phase], tuple):
                raise ExerciseFailed(f"on {name}: {phase} should be a (start, end) tuple or None, "
                                     f"got {type(got[phase]).__name__}")
            if got[phase] is not None and len(got[phase]) != 2:
                raise ExerciseFailed(f"on {name}: {phase} should be a (start, end) tuple of two steps, got {got[phase]}")
        results.append((name, args, _as_steps(got), want))
    failures = [(name, args, got, want) for name, args, got, want in results if got != want]
    if not failures:
        return "6 sets of curves: all three phases, a spike, no clean-up, memorisation only, no settling, late checkpoints"
    name, args, got, want = failures[0]
    phase = _first_difference(got, want)
    g, w = got[phase], want[phase]
    found = _phase_diagnosis(name, args, phase, g, w)
    if found:
        raise ExerciseFailed(f"on {name}: {found}")
    # A mistake of _PHASE_MISTAKES, if it explains every case: wrong where the answer is wrong, in
    # the same phase and the same way, and right where it is right.
    for mistake, message in _PHASE_MISTAKES.items():
        explains = True
        for _, case_args, case_got, case_want in results:
            variant = _phases_with(mistake, *case_args)
            where = _first_difference(variant, case_want)
            if where != _first_difference(case_got, case_want) or (where and variant[where] != case_got[where]):
                explains = False
                break
        if explains:
            raise ExerciseFailed(f"on {name}: {phase} should be {w}, got {g}: {message}")
    found = _off_by_one(args, phase, g, w)
    if found:
        raise ExerciseFailed(f"on {name}: {found}")
    raise ExerciseFailed(f"on {name}: {phase} should be {w}, got {g}")
