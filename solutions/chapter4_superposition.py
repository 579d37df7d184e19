"""Reference solutions to the exercises of chapter 4, "A toy model of superposition".

The toy model of Elhage et al. (2022): ``x' = ReLU(WᵀW x + b)``, with many independent
instances (one per sparsity or importance setting) trained at once in one tensor.

Shapes::

    features   [batch, instances, n_features]
    W          [instances, n_hidden, n_features]   column i is feature i's direction W_i
    b          [instances, n_features]
"""

from __future__ import annotations

import torch

from interp_course.core.validation import arguments, fits_in_memory, integer, number, tensor


@arguments(
    batch_size=integer(minimum=1),
    feature_probability=tensor("instances n_features", float, non_empty=True, probabilities=True),
    where=fits_in_memory(lambda batch_size, feature_probability: (batch_size, *feature_probability.shape)),
)
def generate_batch(
    batch_size: int, feature_probability: torch.Tensor, generator: torch.Generator
) -> torch.Tensor:
    """Synthetic sparse features: each is uniform in [0, 1) and present with its probability.

    Draw the values first, then the presence mask, both from ``generator``:
    ``values = torch.rand(shape, generator=generator)`` and
    ``present = torch.rand(shape, generator=generator) < feature_probability``.

    Args:
        batch_size: number of samples.
        feature_probability: [instances, n_features], the probability 1 - S that each
            feature is present (non-zero) in each instance.
        generator: the random number generator to draw from.

    Returns:
        [batch_size, instances, n_features] float, zero where a feature is absent.
    """
    shape = (batch_size, *feature_probability.shape)
    values = torch.rand(shape, generator=generator)
    present = torch.rand(shape, generator=generator) < feature_probability
    return values * present


@arguments(
    W=tensor("instances n_hidden n_features", float, non_empty=True),
    b=tensor("instances n_features", float, same_dtype_as="W"),
    features=tensor("batch instances n_features", float, non_empty=True, same_dtype_as="W"),
)
def toy_forward(W: torch.Tensor, b: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
    """The toy model: compress into n_hidden dimensions with W, decode with Wᵀ, add b, ReLU.

    Args:
        W: [instances, n_hidden, n_features].
        b: [instances, n_features].
        features: [batch, instances, n_features].

    Returns:
        [batch, instances, n_features], the reconstruction ReLU(Wᵀ W x + b).
    """
    hidden = torch.einsum("bif,ihf->bih", features, W)  # [batch, instances, n_hidden]
    out = torch.einsum("bih,ihf->bif", hidden, W) + b  # [batch, instances, n_features]
    return torch.relu(out)


@arguments(
    output=tensor("batch instances n_features", float, non_empty=True),
    features=tensor("batch instances n_features", float),
    importance=tensor("instances n_features", float, same_dtype_as=("output", "features"), finite=True),
)
def importance_weighted_loss(
    output: torch.Tensor, features: torch.Tensor, importance: torch.Tensor
) -> torch.Tensor:
    """Importance-weighted squared error, for each instance.

    Args:
        output: [batch, instances, n_features], the reconstruction.
        features: [batch, instances, n_features], the input.
        importance: [instances, n_features], the weight of each feature's error.

    Returns:
        [instances]: the mean over the batch and the features of importance * (x' - x)².
    """
    return (importance * (output - features) ** 2).mean(dim=(0, 2))


@arguments(W=tensor("instances n_hidden n_features", float, non_empty=True))
def feature_dimensionality(W: torch.Tensor) -> torch.Tensor:
    """How much of a dimension each feature gets: D_i = ||W_i||² / Σ_j (Ŵ_i · W_j)².

    A feature with a dimension to itself has D_i = 1; two features sharing one dimension
    antipodally have 1/2 each; a feature that is not represented has D_i near 0.

    Args:
        W: [instances, n_hidden, n_features].

    Returns:
        [instances, n_features].
    """
    norms = W.norm(dim=1, keepdim=True)  # [instances, 1, n_features]
    W_hat = W / norms.clamp(min=1e-12)
    overlaps = torch.einsum("ihf,ihg->ifg", W_hat, W)  # [instances, f, g] = Ŵ_f · W_g
    return norms[:, 0] ** 2 / (overlaps**2).sum(dim=-1).clamp(min=1e-12)


@arguments(
    W=tensor("instances n_hidden n_features", float, non_empty=True, trainable=True),
    b=tensor("instances n_features", float, same_dtype_as="W", trainable=True),
    feature_probability=tensor("instances n_features", float),
    importance=tensor("instances n_features", float, finite=True),
    n_steps=integer(minimum=1),
    batch_size=integer(minimum=1),
    lr=number(low=0, low_open=True),
    seed=integer(),
)
def train_toy_model(
    W: torch.Tensor,
    b: torch.Tensor,
    feature_probability: torch.Tensor,
    importance: torch.Tensor,
    n_steps: int,
    batch_size: int = 1024,
    lr: float = 5e-3,
    seed: int = 0,
) -> list[float]:
    """Train every instance at once with Adam, in place.

    Each step: draw a batch with ``generate_batch(batch_size, feature_probability, generator)``
    (one generator, seeded with ``seed`` before the first step), reconstruct it with
    ``toy_forward``, and minimise the sum over instances of ``importance_weighted_loss``.
    The instances do not interact: summing their losses trains each on its own.

    Args:
        W: [instances, n_hidden, n_features], a leaf tensor with requires_grad=True.
        b: [instances, n_features], likewise.
        feature_probability, importance: [instances, n_features].

    Returns:
        The loss (summed over instances) at each step, before that step's update.
    """
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam([W, b], lr=lr)
    losses = []
    for _ in range(n_steps):
        features = generate_batch(batch_size, feature_probability, generator)
        loss = importance_weighted_loss(toy_forward(W, b, features), features, importance).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses

