"""Measurements of chapter 5 that are not exercises: induction at every distance, and when a
measure tracked over training moves.

Shapes: tokens [batch, pos]; losses per distance [n_distances].
"""

from __future__ import annotations

import torch

from ..core.losses import next_token_losses
from ..core.validation import require_int, require_tensor


def repeat_at_distance(batch_size: int, n_ctx: int, d_vocab: int, distance: int, segment: int,
                       generator: torch.Generator) -> tuple[torch.Tensor, slice, slice]:
    """Random tokens whose last ``segment`` tokens repeat the tokens ``distance`` positions
    earlier (a repeat closer than its length overlaps itself: the end of the text is periodic).

    Returns:
        tokens: [batch_size, n_ctx] long.
        first, second: slices of next_token_losses' last dimension. first: the predictions
            of the source's tokens after its first, up to where the repeat begins (a repeat at
            distance d < segment leaves d - 1 of them); second: the predictions of the
            repeat's tokens after its first.
    """
    batch_size = require_int(batch_size, "batch_size", minimum=1)
    distance = require_int(distance, "distance", minimum=1)
    segment = require_int(segment, "segment", minimum=2)
    if distance + segment > n_ctx:
        raise ValueError(f"distance + segment must fit in n_ctx = {n_ctx}, got {distance} + {segment}")
    tokens = torch.randint(0, d_vocab, (batch_size, n_ctx), generator=generator)
    start = n_ctx - segment  # the repeat is tokens[start:], the source tokens[start - distance : n_ctx - distance]
    for t in range(start, n_ctx):  # in order, so that an overlapping repeat repeats itself
        tokens[:, t] = tokens[:, t - distance]
    source = start - distance
    return tokens, slice(source, source + min(distance, segment) - 1), slice(start, n_ctx - 1)


def loss_by_distance(model, distances, segment: int = 6, batch_size: int = 200,
                     seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """The loss on a repeated segment, for repeats at each distance.

    For each distance d, random tokens whose last ``segment`` tokens (fewer where the context
    is too short: n_ctx - d, so that distances up to n_ctx - 2 fit) repeat those d positions
    earlier. Returns (first [n_distances], second [n_distances]): the mean loss of predicting
    the source's tokens and the repeat's tokens, each from its second token on.
    """
    n_ctx, d_vocab = model.cfg.n_ctx, model.cfg.d_vocab
    generator = torch.Generator().manual_seed(seed)
    first, second = [], []
    for distance in distances:
        length = min(segment, n_ctx - distance)
        tokens, source, repeat = repeat_at_distance(batch_size, n_ctx, d_vocab, distance, length, generator)
        with torch.no_grad():
            losses = next_token_losses(model(tokens), tokens)  # [batch, pos - 1]; j predicts j + 1
        first.append(losses[:, source].mean().item())
        second.append(losses[:, repeat].mean().item())
    return torch.tensor(first, dtype=torch.float64), torch.tensor(second, dtype=torch.float64)


def halfway_step(steps: torch.Tensor, values: torch.Tensor) -> int:
    """The first step at which ``values`` has moved at least halfway from its first value to
    its last (in either direction): where a measure tracked over training changes.

    steps, values: [n_checkpoints].
    """
    require_tensor(steps, "steps", ndim=1, non_empty=True)
    require_tensor(values, "values", shape=(steps.shape[0],), dtype_kind="float")
    start, end = values[0].item(), values[-1].item()
    moved = (values - start) / (end - start) if end != start else torch.ones_like(values)
    return int(steps[(moved >= 0.5).nonzero()[0, 0]])
