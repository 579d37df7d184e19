"""Measurements on trained toy models of superposition (chapter 4): each instance's loss, the
best of several initialisations, how a feature shares its direction, and the phase of the
2-features-into-1 models."""

from __future__ import annotations

import torch

from solutions.chapter4_superposition import generate_batch, importance_weighted_loss, toy_forward

from .runs import ToySweep


def superposition_score(W: torch.Tensor) -> torch.Tensor:
    """How much each feature shares its direction with others: Σ_{j≠i} (Ŵ_i · W_j)².

    W: [instances, n_hidden, n_features] -> [instances, n_features]; 0 for a feature with a
    dimension of its own."""
    W_hat = W / W.norm(dim=1, keepdim=True).clamp(min=1e-12)
    overlaps = torch.einsum("ihf,ihg->ifg", W_hat, W) ** 2  # [instances, f, g]
    return overlaps.sum(-1) - overlaps.diagonal(dim1=1, dim2=2)


def per_instance_loss(sweep: ToySweep, batch_size: int = 50_000, seed: int = 1) -> torch.Tensor:
    """The loss of every instance on one large fresh batch: [instances]."""
    feature_probability, importance = sweep.config.tensors()
    features = generate_batch(batch_size, feature_probability, torch.Generator().manual_seed(seed))
    return importance_weighted_loss(toy_forward(sweep.W, sweep.b, features), features, importance)


def best_of_copies(sweep: ToySweep, copies: int) -> torch.Tensor:
    """W of the lowest-loss copy of each setting: [instances / copies, n_hidden, n_features]."""
    losses = per_instance_loss(sweep).reshape(-1, copies)  # [settings, copies]
    best = losses.argmin(dim=1) + torch.arange(losses.shape[0]) * copies
    return sweep.W[best]


def extra_feature_phase(W: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """Classify how a 2-features-into-1 model represents its extra feature (feature 1).

    W: [instances, 1, 2] -> [instances] long: 0 the extra feature is not represented,
    1 it has the dimension to itself (feature 0 is dropped), 2 both share the dimension
    (superposition). A feature is represented when its norm is above ``threshold``.
    """
    norms = W.norm(dim=1)  # [instances, 2]
    first, extra = norms[:, 0] > threshold, norms[:, 1] > threshold
    return torch.where(extra & first, 2, torch.where(extra, 1, 0))
