"""Progress measures over the checkpoints of a grokking run (chapter 3).

Example::

    from interp_course.chapter1_grokking import runs as grokking
    from interp_course.chapter3_progress import measures as progress
    run = grokking.load_or_train(grokking.CANONICAL)
    measures = progress.measure(run, frequencies=[1, 8, 21])
    measures["restricted_loss"]   # [n_checkpoints]
"""

from __future__ import annotations

from typing import Callable

import torch

from solutions import chapter3_progress as reference

from ..chapter2_fourier.analysis import embedding_spectrum, neuron_logit_spectrum
from ..core.losses import loss_and_accuracy
from ..core.runs import Run
from ..core.transformer import HookedTransformer

MEASURES = (
    "train_loss", "test_loss", "excluded_loss", "restricted_loss",
    "weight_norm", "gini_embedding", "gini_neuron_logit",
)


def sum_of_squared_weights(model: HookedTransformer) -> float:
    """The total of every parameter squared: what weight decay pushes down."""
    return float(sum(parameter.detach().double().pow(2).sum() for parameter in model.parameters()))


@torch.no_grad()
def measure(
    run: Run,
    frequencies: list[int],
    *,
    sum_directions: Callable = reference.sum_directions,
    excluded_loss: Callable = reference.excluded_loss,
    restricted_loss: Callable = reference.restricted_loss,
    gini: Callable = reference.gini,
) -> dict[str, torch.Tensor]:
    """Every progress measure at every checkpoint of ``run``.

    The functions default to the reference solutions; the notebook passes the learner's.

    Returns:
        ``step`` [n] long; each of :data:`MEASURES` [n] float64 (losses in float64 on the
        run's split; ``weight_norm`` the sum of squared weights; ``gini_*`` the Gini
        coefficient of the per-frequency spectrum, constant left out, of W_E and of
        W_L = W_out W_U); ``embedding_spectrum`` [n, (p + 1) / 2].
    """
    data, p = run.data, run.config.p
    directions = sum_directions(p, frequencies)  # [2K, p * p]
    records: dict[str, list] = {name: [] for name in (*MEASURES, "embedding_spectrum")}
    steps = run.checkpoint_steps
    for step in steps:
        model = run.model_at(step)
        logits = model(data.tokens, final_position_only=True)[:, -1].double()  # [p * p, p]
        spectrum = embedding_spectrum(model, p)
        records["train_loss"].append(loss_and_accuracy(logits[data.train_indices], data.train_labels)[0])
        records["test_loss"].append(loss_and_accuracy(logits[data.test_indices], data.test_labels)[0])
        records["excluded_loss"].append(float(excluded_loss(logits, data.labels, directions, data.train_indices)))
        records["restricted_loss"].append(float(restricted_loss(logits, data.labels, directions)))
        records["weight_norm"].append(sum_of_squared_weights(model))
        records["gini_embedding"].append(float(gini(spectrum[1:])))
        records["gini_neuron_logit"].append(float(gini(neuron_logit_spectrum(model)[1:])))
        records["embedding_spectrum"].append(spectrum)
    result = {name: torch.tensor(records[name], dtype=torch.float64) for name in MEASURES}
    result["step"] = torch.tensor(steps)
    result["embedding_spectrum"] = torch.stack(records["embedding_spectrum"])
    return result


def first_step_below(steps: torch.Tensor, values: torch.Tensor, threshold: float) -> int | None:
    """The first of ``steps`` at which ``values`` is below ``threshold`` (None if never)."""
    below = (values < threshold).nonzero()
    return None if len(below) == 0 else int(steps[below[0, 0]])


@torch.no_grad()
def final_losses(
    run: Run,
    frequencies: list[int],
    *,
    sum_directions: Callable = reference.sum_directions,
    excluded_loss: Callable = reference.excluded_loss,
    restricted_loss: Callable = reference.restricted_loss,
) -> dict[str, float]:
    """``{"excluded_loss", "restricted_loss"}`` of ``run``'s final model with these frequencies,
    on the run's split as in :func:`measure`."""
    data, p = run.data, run.config.p
    logits = run.model(data.tokens, final_position_only=True)[:, -1].double()  # [p * p, p]
    directions = sum_directions(p, frequencies)  # [2 n, p * p]
    return {"excluded_loss": float(excluded_loss(logits, data.labels, directions, data.train_indices)),
            "restricted_loss": float(restricted_loss(logits, data.labels, directions))}


@torch.no_grad()
def random_frequency_losses(
    run: Run,
    n_frequencies: int,
    draws: int = 40,
    seed: int = 0,
    *,
    sum_directions: Callable = reference.sum_directions,
    excluded_loss: Callable = reference.excluded_loss,
    restricted_loss: Callable = reference.restricted_loss,
) -> dict[str, torch.Tensor]:
    """A baseline for a run's key frequencies: the excluded and restricted losses of its final
    model with ``draws`` sets of ``n_frequencies`` frequencies drawn at random instead (each set
    without repeats from 1 .. (p - 1) / 2, by a generator seeded with ``seed``).

    Returns:
        ``frequencies`` [draws, n_frequencies] long, sorted within each set; ``excluded_loss`` and
        ``restricted_loss`` [draws] float64, on the run's split as in :func:`measure`.
    """
    p = run.config.p
    if not 1 <= n_frequencies <= (p - 1) // 2:
        raise ValueError(f"n_frequencies must be in 1..{(p - 1) // 2}, got {n_frequencies}")
    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    generator = torch.Generator().manual_seed(seed)
    sets = [sorted((torch.randperm((p - 1) // 2, generator=generator)[:n_frequencies] + 1).tolist())
            for _ in range(draws)]
    losses = [final_losses(run, frequencies, sum_directions=sum_directions, excluded_loss=excluded_loss,
                           restricted_loss=restricted_loss) for frequencies in sets]
    return {"frequencies": torch.tensor(sets),
            **{name: torch.tensor([loss[name] for loss in losses], dtype=torch.float64)
               for name in ("excluded_loss", "restricted_loss")}}
