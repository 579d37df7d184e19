"""Checks for the exercises of chapter 4, "A toy model of superposition"."""

from __future__ import annotations

from typing import Callable

import torch

from solutions import chapter4_superposition as reference

from ..core.exercise import ExerciseFailed, expect_tensor, exercise


@exercise("4.1", reference.generate_batch)
def check_generate_batch(fn: Callable, reference_fn: Callable) -> str:
    cases = [
        ("3 instances of 5 features", 200, torch.tensor([[1.0] * 5, [0.5] * 5, [0.05] * 5])),
        ("per-feature probabilities", 64, torch.tensor([[1.0, 0.5, 0.1, 1e-9]])),
        ("a batch of one", 1, torch.full((2, 3), 0.3)),
    ]
    for name, batch_size, probability in cases:
        got = fn(batch_size, probability, torch.Generator().manual_seed(1))
        want = reference_fn(batch_size, probability, torch.Generator().manual_seed(1))
        if isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point():
            if (got < 0).any() or (got >= 1).any():
                raise ExerciseFailed(f"on {name}: values must lie in [0, 1); draw them with torch.rand")
            if name.startswith("3 instances"):
                rate = (got[:, 2] != 0).float().mean().item()  # the instance with probability 0.05
                if (got != 0).all():
                    raise ExerciseFailed(
                        f"on {name}: every feature is present; each must be zero unless present, "
                        "which happens with probability feature_probability"
                    )
                if rate > 0.5:
                    raise ExerciseFailed(
                        f"on {name}: a feature with probability 0.05 is present {rate:.0%} of the "
                        "time; it should be present when rand < feature_probability"
                    )
            if not torch.equal(got, want):
                raise ExerciseFailed(
                    f"on {name}: the values differ from the reference; draw the values first and "
                    "then the presence mask, each with torch.rand(shape, generator=generator)"
                )
        expect_tensor(got, want, f"the batch on {name}")
    return "3 batches: several instances, per-feature probabilities, and a batch of one"


def _forward_cases():
    g = torch.Generator().manual_seed(2)
    W = torch.randn(3, 2, 5, generator=g)
    b = torch.randn(3, 5, generator=g)
    x = torch.rand(7, 3, 5, generator=g)
    # One hidden dimension, one instance: the smallest model.
    W1, b1, x1 = torch.randn(1, 1, 2, generator=g), torch.randn(1, 2, generator=g), torch.rand(4, 1, 2, generator=g)
    return [("3 instances, 5 features into 2", W, b, x), ("2 features into 1", W1, b1, x1)]


@exercise("4.2", reference.toy_forward)
def check_toy_forward(fn: Callable, reference_fn: Callable) -> str:
    for name, W, b, x in _forward_cases():
        got = fn(W, b, x)
        want = reference_fn(W, b, x)
        if isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point():
            no_relu = torch.einsum("bih,ihf->bif", torch.einsum("bif,ihf->bih", x, W), W) + b
            if torch.allclose(got, no_relu, atol=1e-5) and (no_relu < 0).any():
                raise ExerciseFailed(f"on {name}: some outputs are negative: apply the ReLU last")
            if torch.allclose(got, torch.relu(no_relu - b), atol=1e-5):
                raise ExerciseFailed(f"on {name}: the bias b is missing: ReLU(Wᵀ W x + b)")
            if torch.allclose(got, torch.relu(no_relu - b) + b, atol=1e-5):
                raise ExerciseFailed(f"on {name}: add b before the ReLU, not after")
        expect_tensor(got, want, f"the output on {name}", atol=1e-5, rtol=1e-5)
    return "2 models: 3 instances of 5 features into 2, and 2 features into 1"


@exercise("4.3", reference.importance_weighted_loss)
def check_importance_weighted_loss(fn: Callable, reference_fn: Callable) -> str:
    g = torch.Generator().manual_seed(3)
    out, x = torch.rand(9, 4, 6, generator=g), torch.rand(9, 4, 6, generator=g)
    importance = 0.8 ** torch.arange(6.0).repeat(4, 1)
    importance[1] = 1.0
    got = fn(out, x, importance)
    want = reference_fn(out, x, importance)
    if isinstance(got, torch.Tensor) and got.shape == ():
        raise ExerciseFailed(
            "returned a single number; return one loss per instance, shape (instances,): "
            "average over the batch and the features only"
        )
    if isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point():
        unweighted = ((out - x) ** 2).mean(dim=(0, 2))
        if torch.allclose(got, unweighted):
            raise ExerciseFailed("the importance is not applied: multiply each squared error by it")
        if torch.allclose(got, want * 6):
            raise ExerciseFailed("this is the sum over features; take the mean over them")
        if torch.allclose(got, (importance * (out - x).abs()).mean(dim=(0, 2))):
            raise ExerciseFailed("square the errors: importance * (x' - x)**2")
    expect_tensor(got, want, "the per-instance loss", atol=1e-6, rtol=1e-5)
    return "4 instances with different importances"


@exercise("4.4", reference.train_toy_model, may_change=("W", "b"))
def check_train_toy_model(fn: Callable, reference_fn: Callable) -> str:
    def setup():
        W = torch.randn(2, 2, 5, generator=torch.Generator().manual_seed(4)).requires_grad_(True)
        b = torch.zeros(2, 5, requires_grad=True)
        return W, b

    probability = torch.tensor([[0.5] * 5, [0.1] * 5])
    importance = 0.9 ** torch.arange(5.0).repeat(2, 1)
    W_got, b_got = setup()
    W_want, b_want = setup()
    got = fn(W_got, b_got, probability, importance, n_steps=25, batch_size=64, lr=1e-2, seed=5)
    # The reference itself, not reference_fn (which runs on a copy): it must train W_want, b_want.
    want = reference.train_toy_model(W_want, b_want, probability, importance, n_steps=25, batch_size=64, lr=1e-2, seed=5)
    if not isinstance(got, list) or not all(isinstance(v, float) for v in got):
        raise ExerciseFailed("should return the list of losses, one Python float per step (loss.item())")
    if len(got) != len(want):
        raise ExerciseFailed(f"returned {len(got)} losses for {len(want)} steps")
    if torch.equal(W_got.detach(), setup()[0].detach()):
        raise ExerciseFailed("W did not change: call loss.backward() and optimizer.step() each step")
    if abs(got[0] - want[0]) > 1e-6 * max(1, abs(want[0])):
        raise ExerciseFailed(
            f"the first loss is {got[0]:.6g}, expected {want[0]:.6g}: seed one torch.Generator "
            "with seed before the loop, draw each batch with generate_batch, and sum the "
            "per-instance losses"
        )
    for step, (g, w) in enumerate(zip(got, want)):
        if abs(g - w) > 1e-5 * max(1, abs(w)):
            raise ExerciseFailed(
                f"the losses agree until step {step}, then differ ({g:.6g}, expected {w:.6g}): "
                "reset the gradients every step, use torch.optim.Adam([W, b], lr=lr), and "
                "draw a new batch every step"
            )
    if not torch.allclose(W_got.detach(), W_want.detach(), atol=1e-5):
        raise ExerciseFailed("the losses match but the final W differs from the reference")
    return "25 steps of 2 instances: every loss and the final weights"


@exercise("4.5", reference.feature_dimensionality)
def check_feature_dimensionality(fn: Callable, reference_fn: Callable) -> str:
    angles = 2 * torch.pi * torch.arange(5) / 5
    cases = [
        ("a pentagon (D = 2/5 each)", torch.stack([angles.cos(), angles.sin()])[None]),
        ("three orthogonal features (D = 1 each)", torch.eye(3)[None]),
        ("an antipodal pair and an unused feature (D = 1/2, 1/2, 0)", torch.tensor([[[1.0, -1.0, 0.0]]])),
        ("random weights", torch.randn(2, 4, 6, generator=torch.Generator().manual_seed(6))),
    ]
    for name, W in cases:
        got = fn(W)
        want = reference_fn(W)
        if isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point():
            if not torch.isfinite(got).all():
                raise ExerciseFailed(
                    f"on {name}: got nan or inf; a feature with W_i = 0 must get D_i = 0 "
                    "(clamp the norm before dividing by it)"
                )
            if name.startswith("a pentagon") and torch.allclose(got, torch.full_like(got, 2 / 3), atol=1e-4):
                raise ExerciseFailed(
                    f"on {name}: got 2/3 for each feature; the sum over j must include j = i"
                )
            # ||W_i||² / Σ_j (W_i · W_j)²: the overlaps taken without normalising W_i.
            unnormalised = (W**2).sum(1) / (torch.einsum("ihf,ihg->ifg", W, W) ** 2).sum(-1).clamp(min=1e-12)
            if name == "random weights" and torch.allclose(got, unnormalised, atol=1e-5):
                raise ExerciseFailed(
                    f"on {name}: normalise W_i in the overlaps: (Ŵ_i · W_j) with Ŵ_i = W_i / ||W_i||"
                )
        expect_tensor(got, want, f"D on {name}", atol=1e-5, rtol=1e-4)
    return "4 geometries: a pentagon, orthogonal, antipodal with an unused feature, and random weights"

