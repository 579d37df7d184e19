"""Reference solutions for chapter 3, "Progress measures".

Grid convention as in chapter 2: row a * p + b of a [p * p, ...] tensor is the input (a, b).
"""

from __future__ import annotations

import math

import torch

from interp_course.core.validation import arguments, frequencies_mod, odd, positive, tensor


@arguments(p=odd, frequencies=lambda p: frequencies_mod(p))
def sum_directions(p: int, frequencies: list[int]) -> torch.Tensor:
    """The directions cos(w(a + b)) and sin(w(a + b)) over the grid of inputs.

    Args:
        p: the modulus (odd).
        frequencies: [K] key frequencies k; w = 2 pi k / p.

    Returns:
        [2K, p * p] float64 with orthonormal rows: row 2i is cos(w_i (a + b)) and row 2i + 1
        is sin(w_i (a + b)), column a * p + b, each scaled to unit norm.
    """
    x = torch.arange(p, dtype=torch.float64)
    a_plus_b = (x[:, None] + x[None, :]).flatten()  # [p * p], entry a * p + b
    rows = []
    for k in frequencies:
        angle = 2 * math.pi * k * a_plus_b / p
        rows += [torch.cos(angle), torch.sin(angle)]
    directions = torch.stack(rows)  # [2K, p * p]
    return directions / directions.norm(dim=1, keepdim=True)


@arguments(
    logits=tensor("inputs p", float),
    labels=tensor("inputs", int),
    directions=tensor("m inputs", float),
    train_indices=tensor("n_train", int),
)
def excluded_loss(
    logits: torch.Tensor, labels: torch.Tensor, directions: torch.Tensor, train_indices: torch.Tensor
) -> torch.Tensor:
    """The training loss once the key-frequency directions are removed from the logits.

    Args:
        logits: [p * p, p], the model's logits on every input (grid order).
        labels: [p * p] long.
        directions: [m, p * p], orthonormal rows (``sum_directions``).
        train_indices: [n_train] long, the rows the loss is taken over.

    Returns:
        Scalar float64: the cross-entropy, on the training rows, of the logits minus their
        projection onto the directions (each answer's column projected separately).
    """
    logits = logits.to(torch.float64)
    excluded = logits - directions.T @ (directions @ logits)  # [p * p, p]: minus the projection
    return torch.nn.functional.cross_entropy(excluded[train_indices], labels[train_indices])


@arguments(logits=tensor("inputs p", float), labels=tensor("inputs", int), directions=tensor("m inputs", float))
def restricted_loss(logits: torch.Tensor, labels: torch.Tensor, directions: torch.Tensor) -> torch.Tensor:
    """The loss on every input when the logits keep only the key-frequency directions.

    What is removed is replaced by its mean over the inputs (per answer), so the logits keep
    their average level.

    Args:
        logits: [p * p, p]; labels: [p * p]; directions: [m, p * p], orthonormal rows.

    Returns:
        Scalar float64: the cross-entropy over all p * p inputs of
        projection + mean over inputs of (logits - projection).
    """
    logits = logits.to(torch.float64)
    kept = directions.T @ (directions @ logits)  # [p * p, p]: the projection onto the directions
    rest = logits - kept
    restricted = kept + rest.mean(dim=0, keepdim=True)
    return torch.nn.functional.cross_entropy(restricted, labels)


@arguments(values=tensor(dtype=float), where="_shares_of_a_whole")
def gini(values: torch.Tensor) -> torch.Tensor:
    """The Gini coefficient of non-negative values, along the last dimension.

    0 when all values are equal; (n - 1) / n, its largest value, when one value holds
    everything. With the values sorted ascending, x_1 <= ... <= x_n:
    G = sum_i (2i - n - 1) x_i / (n * sum_i x_i).

    Args:
        values: [..., n] float, non-negative, not all zero.

    Returns:
        [...] float.
    """
    n = values.shape[-1]
    ordered = values.sort(dim=-1).values
    rank = torch.arange(1, n + 1, dtype=values.dtype)  # [n]
    return ((2 * rank - n - 1) * ordered).sum(dim=-1) / (n * ordered.sum(dim=-1))


@arguments(
    steps=tensor("n", int),
    excluded=tensor("n", float),
    restricted=tensor("n", float),
    weight_norm=tensor("n", float),
    threshold=positive,
    settle=positive,
    where="_at_least_two_checkpoints",
)
def detect_phases(
    steps: torch.Tensor,
    excluded: torch.Tensor,
    restricted: torch.Tensor,
    weight_norm: torch.Tensor,
    threshold: float = 0.1,
    settle: float = 0.01,
) -> dict[str, tuple[int, int] | None]:
    """Where memorisation, circuit formation and clean-up begin and end.

    The rules, over the checkpoints:

    - memorisation: from the first step to the step where the excluded loss is lowest
      (after it, the training loss depends more and more on the key frequencies);
    - circuit formation: from there to the first later step where the restricted loss is
      below ``threshold`` (the key-frequency circuit alone now solves the task);
    - clean-up: from there to the first later step where the weight norm falls by less than
      ``settle`` (a fraction) to the next checkpoint (weight decay has finished removing the
      memorising weights).

    A phase that does not begin is None; a phase that begins but does not end ends at the last
    step.

    Args:
        steps: [n] int, the checkpoint steps, increasing.
        excluded, restricted, weight_norm: [n] float, the measures at those steps.

    Returns:
        {"memorisation": (start, end), "circuit formation": (start, end) or None,
        "clean-up": (start, end) or None}, steps as Python ints.
    """
    n = steps.shape[0]
    last = int(steps[-1])
    lowest = int(excluded.argmin())
    phases: dict[str, tuple[int, int] | None] = {
        "memorisation": (int(steps[0]), int(steps[lowest])),
        "circuit formation": None,
        "clean-up": None,
    }
    if lowest == n - 1:
        return phases
    below = [i for i in range(lowest + 1, n) if restricted[i] < threshold]
    formed = below[0] if below else n - 1
    phases["circuit formation"] = (int(steps[lowest]), int(steps[formed]))
    if not below:
        return phases
    drops = (weight_norm[:-1] - weight_norm[1:]) / weight_norm[:-1]  # [n - 1], drop to the next checkpoint
    settled = [i for i in range(formed, n - 1) if drops[i] < settle]
    phases["clean-up"] = (int(steps[formed]), int(steps[settled[0]]) if settled else last)
    return phases


# Argument contracts (checked by @arguments; not part of the answers)


def _shares_of_a_whole(values: torch.Tensor) -> None:
    """``gini``: non-negative values, not all zero, along a last dimension."""
    if values.ndim == 0 or values.shape[-1] < 1:
        raise ValueError(f"values must have a last dimension of at least 1, got shape {tuple(values.shape)}")
    if (values < 0).any():
        raise ValueError("values must be non-negative (e.g. squared norms)")
    if (values.sum(dim=-1) == 0).any():
        raise ValueError("values must not be all zero: the Gini coefficient of nothing is undefined")


def _at_least_two_checkpoints(steps: torch.Tensor) -> None:
    """``detect_phases``: at least two checkpoints."""
    if steps.shape[0] < 2:
        raise ValueError(f"steps must hold at least 2 checkpoints, got {steps.shape[0]}")
