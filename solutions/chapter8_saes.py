"""Reference solutions to the exercises of chapter 8, "Sparse autoencoders".

A sparse autoencoder (SAE) rewrites an activation vector h as a sparse, non-negative
combination of learned directions, the rows of its decoder:
``latents = ReLU((h - b_dec) W_enc + b_enc)`` and ``reconstruction = latents W_dec + b_dec``.
Many autoencoders (one per L1 coefficient, seed or size) are trained at once in one tensor,
as chapter 4 trains many toy models.

Shapes::

    h, reconstruction   [batch, instances, d]          the activations and their reconstruction
    latents             [batch, instances, n_latents]
    W_enc               [instances, d, n_latents]
    b_enc               [instances, n_latents]
    W_dec               [instances, n_latents, d]      row j is latent j's direction
    b_dec               [instances, d]
"""

from __future__ import annotations

from typing import Callable

import torch

from interp_course.core.validation import arguments, integer, number, tensor


@arguments(
    h=tensor("batch instances d", float, non_empty=True),
    W_enc=tensor("instances d n_latents", float, non_empty=True, same_dtype_as="h"),
    b_enc=tensor("instances n_latents", float, same_dtype_as="h"),
    b_dec=tensor("instances d", float, same_dtype_as="h"),
)
def encode(h: torch.Tensor, W_enc: torch.Tensor, b_enc: torch.Tensor, b_dec: torch.Tensor) -> torch.Tensor:
    """The latents of each activation vector: ReLU((h - b_dec) W_enc + b_enc).

    Subtracting the decoder's bias first centres h where the decoder adds it back.

    Args:
        h: [batch, instances, d].
        W_enc: [instances, d, n_latents]; b_enc: [instances, n_latents]; b_dec: [instances, d].

    Returns:
        [batch, instances, n_latents], non-negative.
    """
    pre = torch.einsum("bid,idm->bim", h - b_dec, W_enc) + b_enc  # [batch, instances, n_latents]
    return torch.relu(pre)


@arguments(
    latents=tensor("batch instances n_latents", float, non_empty=True),
    W_dec=tensor("instances n_latents d", float, non_empty=True, same_dtype_as="latents"),
    b_dec=tensor("instances d", float, same_dtype_as="latents"),
)
def decode(latents: torch.Tensor, W_dec: torch.Tensor, b_dec: torch.Tensor) -> torch.Tensor:
    """The reconstruction: each latent times its direction (a row of W_dec), summed, plus b_dec.

    Args:
        latents: [batch, instances, n_latents].
        W_dec: [instances, n_latents, d]; b_dec: [instances, d].

    Returns:
        [batch, instances, d].
    """
    return torch.einsum("bim,imd->bid", latents, W_dec) + b_dec


@arguments(
    h=tensor("batch instances d", float, non_empty=True),
    reconstruction=tensor("batch instances d", float, same_dtype_as="h"),
    latents=tensor("batch instances n_latents", float, same_dtype_as="h"),
    l1_coefficient=tensor("instances", float, same_dtype_as="h", finite=True),
)
def sae_loss(
    h: torch.Tensor, reconstruction: torch.Tensor, latents: torch.Tensor, l1_coefficient: torch.Tensor
) -> torch.Tensor:
    """Reconstruction error plus the L1 penalty on the latents, for each instance.

    loss = mean over the batch of ||h - reconstruction||² (summed over d)
         + l1_coefficient * mean over the batch of ||latents||₁ (summed over the latents).

    Args:
        h, reconstruction: [batch, instances, d].
        latents: [batch, instances, n_latents].
        l1_coefficient: [instances], each instance's λ.

    Returns:
        [instances].
    """
    reconstruction_error = (reconstruction - h).pow(2).sum(dim=-1).mean(dim=0)  # [instances]
    l1 = latents.abs().sum(dim=-1).mean(dim=0)  # [instances]
    return reconstruction_error + l1_coefficient * l1


@arguments(latents=tensor("batch instances n_latents", float, non_empty=True), k=integer(minimum=1))
def keep_top_k(latents: torch.Tensor, k: int) -> torch.Tensor:
    """A TopK autoencoder's activation: keep each input's k largest latents, zero the others.

    Args:
        latents: [batch, instances, n_latents], non-negative (after the ReLU).
        k: how many to keep, at most n_latents.

    Returns:
        [batch, instances, n_latents]: the k largest of each row kept, the rest 0.
    """
    if k > latents.shape[-1]:
        raise ValueError(f"k must be at most n_latents = {latents.shape[-1]}, got {k}")
    values, indices = latents.topk(k, dim=-1)
    return torch.zeros_like(latents).scatter(-1, indices, values)


@arguments(
    W_enc=tensor("instances d n_latents", float, non_empty=True, trainable=True),
    b_enc=tensor("instances n_latents", float, same_dtype_as="W_enc", trainable=True),
    W_dec=tensor("instances n_latents d", float, same_dtype_as="W_enc", trainable=True),
    b_dec=tensor("instances d", float, same_dtype_as="W_enc", trainable=True),
    l1_coefficient=tensor("instances", float, finite=True),
    n_steps=integer(minimum=1),
    batch_size=integer(minimum=1),
    lr=number(low=0, low_open=True),
    seed=integer(),
    k=integer(minimum=0),
)
def train_sae(
    W_enc: torch.Tensor,
    b_enc: torch.Tensor,
    W_dec: torch.Tensor,
    b_dec: torch.Tensor,
    sample: Callable[[int, torch.Generator], torch.Tensor],
    l1_coefficient: torch.Tensor,
    n_steps: int,
    batch_size: int = 1024,
    lr: float = 3e-3,
    seed: int = 0,
    k: int = 0,
) -> list[float]:
    """Train every instance at once with Adam, in place.

    Each step: draw a batch ``sample(batch_size, generator)`` ([batch, d], one generator seeded
    with ``seed`` before the first step), give every instance the same batch, encode it (then
    ``keep_top_k`` if ``k`` > 0), decode, minimise the sum over instances of ``sae_loss``, and
    after the optimiser's step scale each row of ``W_dec`` back to unit length (otherwise the
    L1 penalty is dodged by shrinking the latents and growing the decoder).

    Args:
        W_enc, b_enc, W_dec, b_dec: leaf tensors with requires_grad=True (module docstring).
        sample: ``sample(batch_size, generator)`` -> [batch, d] float.
        l1_coefficient: [instances] (zeros for a TopK autoencoder, whose sparsity is k).

    Returns:
        The loss (summed over instances) at each step, before that step's update.
    """
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam([W_enc, b_enc, W_dec, b_dec], lr=lr)
    losses = []
    for _ in range(n_steps):
        h = sample(batch_size, generator)[:, None, :].expand(-1, W_enc.shape[0], -1)  # [batch, instances, d]
        latents = encode(h, W_enc, b_enc, b_dec)
        if k:
            latents = keep_top_k(latents, k)
        loss = sae_loss(h, decode(latents, W_dec, b_dec), latents, l1_coefficient).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            W_dec /= W_dec.norm(dim=-1, keepdim=True)
        losses.append(loss.item())
    return losses


@arguments(
    W_dec=tensor("instances n_latents d", float, non_empty=True),
    true_directions=tensor("n_true d", float, non_empty=True),
)
def mean_max_cosine_similarity(W_dec: torch.Tensor, true_directions: torch.Tensor) -> torch.Tensor:
    """How well a dictionary recovers known features: for each true feature, the cosine
    similarity of the latent direction closest to it; the mean over the true features.

    1 when every true feature has a latent pointing exactly along it. Extra latents cost
    nothing (the max is over latents); a missed feature lowers the mean.

    Args:
        W_dec: [instances, n_latents, d], latent directions as rows.
        true_directions: [n_true, d], one true feature per row (any length, none zero).

    Returns:
        [instances].
    """
    latents = W_dec / W_dec.norm(dim=-1, keepdim=True)
    truth = true_directions / true_directions.norm(dim=-1, keepdim=True)
    cosines = torch.einsum("imd,td->imt", latents, truth)  # [instances, n_latents, n_true]
    return cosines.max(dim=1).values.mean(dim=-1)


@arguments(
    h=tensor("batch instances d", float, non_empty=True),
    reconstruction=tensor("batch instances d", float, same_dtype_as="h"),
)
def fraction_of_variance_unexplained(h: torch.Tensor, reconstruction: torch.Tensor) -> torch.Tensor:
    """The squared reconstruction error as a fraction of the activations' variance:
    Σ ||h - reconstruction||² / Σ ||h - mean(h)||², sums over the batch and d, the mean over
    the batch. 0 is perfect; 1 is no better than predicting the mean.

    Args:
        h, reconstruction: [batch, instances, d], a batch of at least two different vectors.

    Returns:
        [instances].
    """
    error = (h - reconstruction).pow(2).sum(dim=(0, 2))
    variance = (h - h.mean(dim=0)).pow(2).sum(dim=(0, 2))
    return error / variance


def dead_latents(latent_batches: list[torch.Tensor]) -> torch.Tensor:
    """The latents that never fire (are never above 0) on any input of any batch.

    A latent can be silent on one batch and fire on the next: count over all of them.

    Args:
        latent_batches: a non-empty list of [batch, instances, n_latents] tensors.

    Returns:
        [instances, n_latents] bool, True for a dead latent.
    """
    if not isinstance(latent_batches, (list, tuple)) or not latent_batches:
        raise ValueError("latent_batches must be a non-empty list of [batch, instances, n_latents] tensors")
    for i, batch in enumerate(latent_batches):
        if not isinstance(batch, torch.Tensor) or batch.ndim != 3 or batch.shape[1:] != latent_batches[0].shape[1:]:
            raise ValueError(f"latent_batches[{i}] must be a [batch, instances, n_latents] tensor like "
                             f"latent_batches[0], got {getattr(batch, 'shape', type(batch).__name__)}")
    fired = torch.stack([(batch > 0).any(dim=0) for batch in latent_batches]).any(dim=0)
    return ~fired
