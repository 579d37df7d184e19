"""What chapter 6 measures on every run of a batch: when it memorised and generalised, its
key frequencies, the idealised algorithm's loss against the model's, chapter 3's progress
measures and phases, and the clock-or-pizza signature.

The exercises' reference functions (``solutions/chapter6_universality.py``) are the defaults;
the notebook passes the learner's where it says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from solutions import chapter6_universality as reference
from solutions.chapter1_grokking import first_step_reaching

from ..chapter2_fourier import analysis as fourier
from ..chapter3_progress import measures as progress
from .runs import BatchRun

KEY_SHARE = 0.1
"""A frequency is *key* when it holds more than this share of the embedding's squared norm
(constant left out). Chapter 2 used 0.05 at p = 113, where there are 56 frequencies; at p = 31
there are 15, and an even spread would already give each 0.067."""

LOSS_THRESHOLD = 0.1
"""The level at which a loss counts as "solved": chapter 3's threshold for the restricted loss."""

GROKKED = 0.99
"""A run has generalised when its test accuracy reaches this."""


@dataclass(frozen=True)
class RunSummary:
    """One run of a batch, measured.

    Steps are training steps (None: never). ``measures``: chapter 3's measures at every
    checkpoint, ``step`` [n] and each of ``train_loss``, ``test_loss``, ``restricted_loss``,
    ``excluded_loss``, ``weight_norm`` [n] float64.
    """

    p: int
    seed: int
    memorised: int | None
    generalised: int | None
    key_frequencies: tuple[int, ...]
    model_loss: float
    idealised_loss: float
    idealised_fve: float
    final_test_accuracy: float
    restricted_below: int | None
    test_below: int | None
    phases: dict
    distance_dependence: float
    measures: dict

    @property
    def grokked(self) -> bool:
        return self.generalised is not None

    @property
    def restricted_first(self) -> bool:
        """The key-frequency circuit alone solves the task before the model generalises:
        the restricted loss falls below the threshold strictly before the test loss does."""
        return self.restricted_below is not None and (self.test_below is None or self.restricted_below < self.test_below)


def embedding_spectra(batch: BatchRun, step: int) -> torch.Tensor:
    """Squared norm of each run's number-token embeddings per frequency: [K, (p + 1) / 2] float64."""
    p = batch.config.p
    W_E = batch.checkpoints[step]["embed.W_E"][:, :p].to(torch.float64)  # [K, p, d_model]
    basis = fourier.fourier_basis(p)
    return torch.stack([fourier.norm_per_frequency(basis @ W) for W in W_E])


def correct_logits(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """[K, p * p, p] logits and [p * p] labels -> the correct answer's logit, [K, p, p]."""
    n_runs, n_inputs, p = logits.shape
    return logits.gather(-1, labels.expand(n_runs, -1)[..., None])[..., 0].reshape(n_runs, p, p)


@torch.no_grad()
def summarise(
    batch: BatchRun,
    *,
    first_steps_below: Callable = reference.first_steps_below,
    idealised_loss: Callable = reference.idealised_loss,
    distance_dependence: Callable = reference.distance_dependence,
) -> list[RunSummary]:
    """A :class:`RunSummary` of every run of ``batch``, in seed order."""
    config, data = batch.config, batch.data
    p, steps = config.p, batch.checkpoint_steps
    final = batch.final_step
    spectra = embedding_spectra(batch, final)
    grids = {step: batch.grid_logits(step) for step in steps}  # {step: [K, p*p, p]}
    summaries = []
    for k, seed in enumerate(config.seeds):
        frequencies = fourier.key_frequencies(spectra[k], KEY_SHARE)
        directions = progress.reference.sum_directions(p, frequencies) if frequencies else None
        train_idx, test_idx = data.train_indices[k], data.test_indices[k]
        records: dict[str, list] = {name: [] for name in
                                    ("train_loss", "test_loss", "restricted_loss", "excluded_loss", "weight_norm")}
        for step in steps:
            logits = grids[step][k]  # [p*p, p]
            records["train_loss"].append(fourier.loss_and_accuracy(logits[train_idx], data.labels[train_idx])[0])
            records["test_loss"].append(fourier.loss_and_accuracy(logits[test_idx], data.labels[test_idx])[0])
            if directions is None:
                records["restricted_loss"].append(float("nan"))
                records["excluded_loss"].append(float("nan"))
            else:
                records["restricted_loss"].append(float(progress.reference.restricted_loss(logits, data.labels, directions)))
                records["excluded_loss"].append(
                    float(progress.reference.excluded_loss(logits, data.labels, directions, train_idx)))
            records["weight_norm"].append(
                float(sum(w[k].double().pow(2).sum() for w in batch.checkpoints[step].values())))
        measures = {name: torch.tensor(values, dtype=torch.float64) for name, values in records.items()}
        measures["step"] = torch.tensor(steps)
        restricted_below, test_below = first_steps_below(
            measures["step"], measures["restricted_loss"], measures["test_loss"], LOSS_THRESHOLD)
        phases = progress.reference.detect_phases(
            measures["step"], measures["excluded_loss"], measures["restricted_loss"], measures["weight_norm"]
        ) if frequencies else {"memorisation": (0, final), "circuit formation": None, "clean-up": None}
        final_logits = grids[final][k]
        fve = float("nan")
        if frequencies:
            fitted = fourier.idealised_logits(p, frequencies, fourier.fit_idealised_coefficients(final_logits, p, frequencies))
            centred = final_logits - final_logits.mean(dim=1, keepdim=True)
            fve = fourier.fraction_of_variance_explained(fitted.reshape(p * p, p), centred)
        correct = correct_logits(final_logits[None], data.labels)[0]
        summaries.append(RunSummary(
            p=p, seed=seed,
            memorised=first_step_reaching(batch.metrics["step"], batch.metrics["train_accuracy"][k], 1.0),
            generalised=first_step_reaching(batch.metrics["eval_step"], batch.metrics["test_accuracy"][k], GROKKED),
            key_frequencies=tuple(frequencies),
            model_loss=fourier.loss_and_accuracy(final_logits, data.labels)[0],
            idealised_loss=idealised_loss(final_logits, data.labels, frequencies) if frequencies else float("nan"),
            idealised_fve=fve, final_test_accuracy=float(batch.metrics["test_accuracy"][k, -1]),
            restricted_below=restricted_below, test_below=test_below,
            phases=phases,
            distance_dependence=distance_dependence(correct) if bool(correct.mean() > 0) else float("nan"),
            measures=measures,
        ))
    return summaries


def summary_table(summaries: list[RunSummary]) -> str:
    """The runs as a text table, one row each."""
    def step(value):
        return "never" if value is None else str(value)

    header = (f"{'p':>3} {'seed':>4} {'train 100%':>10} {'test 99%':>8} {'final test':>10} {'restricted<0.1':>14} "
              f"{'test<0.1':>8} {'key frequencies':<15} {'model loss':>10} {'idealised':>9} {'its FVE':>7}")
    rows = [header, "-" * len(header)]
    for s in summaries:
        rows.append(
            f"{s.p:>3} {s.seed:>4} {step(s.memorised):>10} {step(s.generalised):>8} {s.final_test_accuracy:>10.1%} "
            f"{step(s.restricted_below):>14} {step(s.test_below):>8} {', '.join(map(str, s.key_frequencies)) or 'none':<15} "
            f"{s.model_loss:>10.2e} {s.idealised_loss:>9.2e} {s.idealised_fve:>7.1%}"
        )
    return "\n".join(rows)


def frequency_matrix(summaries: list[RunSummary], p: int) -> torch.Tensor:
    """[runs, (p - 1) / 2] bool: entry [i, k - 1] whether run i uses frequency k."""
    matrix = torch.zeros(len(summaries), (p - 1) // 2, dtype=torch.bool)
    for i, s in enumerate(summaries):
        for k in s.key_frequencies:
            matrix[i, k - 1] = True
    return matrix


def distinct_frequency_sets(summaries: list[RunSummary]) -> int:
    """How many different sets of key frequencies the runs use."""
    return len({s.key_frequencies for s in summaries})


def frequency_profiles(batch: BatchRun, summaries: list[RunSummary]) -> list[dict[int, torch.Tensor]]:
    """Each key frequency's part of the correct logit, as a function of the angle between a
    and b on that frequency's circle, at the end of training.

    For run k and its key frequency f: the logits' component along the output's cos and sin
    of frequency f, read at the correct answer, averaged over the inputs at each distance
    d = (a - b) mod p, divided by its mean, and put at position m = f * d mod p: the angle
    between a and b on frequency f's circle is 2 pi m / p. A clock's profile is flat at 1; a
    pizza's follows :func:`pizza_shape`. A key frequency whose part lowers the correct
    answer on average is left out.

    Returns: one {frequency: profile [p] float64, indexed by m} per run, in seed order.
    """
    p = batch.config.p
    logits = batch.grid_logits(batch.final_step)  # [K, p * p, p]
    labels = batch.data.labels  # [p * p]
    answers = torch.arange(p, dtype=torch.float64)
    distance = ((torch.arange(p)[:, None] - torch.arange(p)[None, :]) % p).flatten()  # [p * p]
    profiles = []
    for k, summary in enumerate(summaries):
        by_frequency = {}
        for f in summary.key_frequencies:
            waves = torch.stack([torch.cos(2 * torch.pi * f * answers / p), torch.sin(2 * torch.pi * f * answers / p)])
            waves = waves / waves.norm(dim=1, keepdim=True)  # [2, p], orthonormal
            part = (logits[k] @ waves.T) @ waves  # [p * p, p]: frequency f's part of every logit
            correct = part.gather(-1, labels[:, None])[:, 0]  # [p * p]
            if not bool(correct.mean() > 0):
                continue  # this frequency does not raise the correct answer: it has no profile to draw
            per_distance = torch.zeros(p, dtype=torch.float64).index_add_(0, distance, correct) / p  # [p]
            profile = torch.empty(p, dtype=torch.float64)
            profile[(f * torch.arange(p)) % p] = per_distance / correct.mean()
            by_frequency[f] = profile
        profiles.append(by_frequency)
    return profiles


def pizza_shape(p: int) -> torch.Tensor:
    """A pure pizza's profile: |cos(pi m / p)| at angle 2 pi m / p between a and b (the
    midpoint of two points at that angle on a unit circle lies |cos(angle / 2)| from the
    centre), divided by its mean: [p] float64."""
    shape = torch.cos(torch.pi * torch.arange(p, dtype=torch.float64) / p).abs()
    return shape / shape.mean()


def pizza_share(profile: torch.Tensor) -> float:
    """How much of a pure pizza's swing a profile [p] has: the least-squares slope of
    (profile - 1) on (pizza_shape - 1). 0 for a clock (flat), 1 for a pure pizza."""
    pizza = pizza_shape(profile.shape[0]) - 1
    return float(((profile - 1) * pizza).sum() / pizza.pow(2).sum())
