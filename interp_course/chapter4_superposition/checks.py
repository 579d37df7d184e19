"""Checks for the exercises of chapter 4, "A toy model of superposition"."""

from __future__ import annotations

from typing import Callable

import torch

from solutions import chapter4_superposition as reference

from ..core.exercise import ExerciseFailed, expect_tensor, exercise


def _batch_mistakes(batch_size: int, probability: torch.Tensor, seed: int) -> list[tuple[torch.Tensor, str]]:
    """[(the batch a mistake draws from a generator seeded with ``seed``, what to say)]."""
    shape = (batch_size, *probability.shape)

    def mask_first(g):
        present = torch.rand(shape, generator=g) < probability
        return torch.rand(shape, generator=g) * present

    def above_sparsity(g):
        values = torch.rand(shape, generator=g)
        return values * (torch.rand(shape, generator=g) > 1 - probability)

    def one_mask(g):
        values = torch.rand(shape, generator=g)
        return values * (torch.rand(probability.shape, generator=g) < probability)

    return [
        (mask_first(torch.Generator().manual_seed(seed)),
         "this draws the presence mask first; draw the values first and then the mask, each with "
         "torch.rand(shape, generator=generator)"),
        (above_sparsity(torch.Generator().manual_seed(seed)),
         "a feature is present where the second draw is below feature_probability (rand < p), not above 1 - p"),
        (one_mask(torch.Generator().manual_seed(seed)),
         "every sample has the same presence mask; draw the mask with the batch's full shape, "
         "(batch_size, *feature_probability.shape)"),
    ]


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
        if isinstance(got, torch.Tensor) and got.shape != want.shape and got.shape == (*probability.shape, batch_size):
            raise ExerciseFailed(f"on {name}: the batch dimension comes first: shape "
                                 f"(batch_size, *feature_probability.shape), {list(want.shape)}, got {list(got.shape)}")
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
            if got.dtype == want.dtype and not torch.equal(got, want):
                for wrong, mistake in _batch_mistakes(batch_size, probability, seed=1):
                    if torch.equal(got, wrong) and not torch.equal(wrong, want):
                        raise ExerciseFailed(f"on {name}: {mistake}")
                again = fn(batch_size, probability, torch.Generator().manual_seed(1))
                if isinstance(again, torch.Tensor) and not torch.equal(got, again):
                    raise ExerciseFailed(
                        f"on {name}: two generators seeded alike gave two different batches: draw every random "
                        "number from generator, torch.rand(shape, generator=generator)"
                    )
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


def _forward_mistakes(W: torch.Tensor, b: torch.Tensor, x: torch.Tensor) -> list[tuple[torch.Tensor, str]]:
    """[(what a mistake computes, what to say)] for ``toy_forward``."""
    hidden = torch.einsum("bif,ihf->bih", x, W)
    decoded = torch.einsum("bih,ihf->bif", hidden, W)
    mixed = torch.einsum("bh,ihf->bif", torch.einsum("bif,ihf->bh", x, W), W)  # the hidden vector summed over instances
    relu_hidden = torch.einsum("bih,ihf->bif", torch.relu(hidden), W) + b
    return [
        (torch.relu(decoded), "the bias b is missing: ReLU(Wᵀ W x + b)"),
        (torch.relu(decoded) + b, "add b before the ReLU, not after"),
        (relu_hidden, "the ReLU goes on the output, after decoding and adding b, not on the hidden vector W x"),
        (torch.relu(relu_hidden), "the ReLU goes on the output, after decoding and adding b, not on the hidden vector W x"),
        (torch.relu(mixed + b), "the instances are mixed: keep the instance index i in the hidden vector, "
                                "einsum('bif,ihf->bih', features, W)"),
        (torch.relu(torch.einsum("bih,ihf->bif", hidden, W.flip(-1)) + b),
         "the decoder reads the features in reverse order; decode with W itself, einsum('bih,ihf->bif', hidden, W)"),
    ]


@exercise("4.2", reference.toy_forward)
def check_toy_forward(fn: Callable, reference_fn: Callable) -> str:
    for name, W, b, x in _forward_cases():
        got = fn(W, b, x)
        want = reference_fn(W, b, x)
        if isinstance(got, torch.Tensor) and got.shape != want.shape and got.shape == (*want.shape[:2], W.shape[1]):
            raise ExerciseFailed(f"on {name}: this has n_hidden = {W.shape[1]} values per sample and instance, the "
                                 "hidden vector W x; decode it with Wᵀ back to n_features")
        if (isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point()
                and not torch.allclose(got, want, atol=1e-5, rtol=1e-5)):
            no_relu = torch.einsum("bih,ihf->bif", torch.einsum("bif,ihf->bih", x, W), W) + b
            if torch.allclose(got, no_relu, atol=1e-5) and (no_relu < 0).any():
                raise ExerciseFailed(f"on {name}: some outputs are negative: apply the ReLU last")
            for wrong, mistake in _forward_mistakes(W, b, x):
                if torch.allclose(got, wrong, atol=1e-5) and not torch.allclose(wrong, want, atol=1e-5):
                    raise ExerciseFailed(f"on {name}: {mistake}")
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
    weighted = importance * (out - x) ** 2  # [batch, instances, features]
    if isinstance(got, torch.Tensor) and got.shape != want.shape and got.is_floating_point():
        for dims, mistake in [
            ((0, 1), "this averages over the batch and the instances; average over the batch and the features, "
                     "mean(dim=(0, 2)), one loss per instance"),
            ((0,), "this averages over the batch only; average over the features too, mean(dim=(0, 2))"),
            ((2,), "this averages over the features only; average over the batch too, mean(dim=(0, 2))"),
        ]:
            wrong = weighted.mean(dim=dims)
            if got.shape == wrong.shape and torch.allclose(got, wrong):
                raise ExerciseFailed(mistake)
    if (isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point()
            and not torch.allclose(got, want, atol=1e-6, rtol=1e-5)):
        for wrong, mistake in [
            (((out - x) ** 2).mean(dim=(0, 2)), "the importance is not applied: multiply each squared error by it"),
            (want * 6, "this is the sum over features; take the mean over them"),
            (want * 9, "this is the sum over the batch; take the mean over it"),
            (want * 54, "this is the sum over the batch and the features; take the mean over them"),
            ((importance * (out - x).abs()).mean(dim=(0, 2)), "square the errors: importance * (x' - x)**2"),
            (((importance * out - x) ** 2).mean(dim=(0, 2)),
             "the importance weights multiply the squared error per feature, not the output"),
            (((importance * (out - x)) ** 2).mean(dim=(0, 2)),
             "this squares the importance too; multiply the squared error by it: importance * (x' - x)**2"),
        ]:
            if torch.allclose(got, wrong) and not torch.allclose(wrong, want):
                raise ExerciseFailed(mistake)
    expect_tensor(got, want, "the per-instance loss", atol=1e-6, rtol=1e-5)
    return "4 instances with different importances"


_TRAINING_MISTAKES = {
    "no zero_grad": "the gradients add up from step to step: call optimizer.zero_grad() every step",
    "reseed": "every step draws the same batch: seed the generator once, before the loop",
    "unseeded": "the batches differ from the reference's from the first step: seed the generator with seed, "
                "torch.Generator().manual_seed(seed)",
    "mean": "this averages the per-instance losses; sum them: importance_weighted_loss(...).sum()",
    "optimizer in the loop": "a new Adam every step forgets its running averages: create the optimizer once, "
                             "before the loop",
    "SGD": "this is plain gradient descent; use torch.optim.Adam([W, b], lr=lr)",
    "default lr": "the learning rate is not lr: pass lr=lr to torch.optim.Adam",
    "loss after the step": "these are the losses after each step's update; return the loss each step "
                           "backpropagates, recorded before optimizer.step()",
}


def _train_with(mistake: str, W, b, probability, importance, n_steps, batch_size, lr, seed) -> list[float]:
    """The reference loop with one of ``_TRAINING_MISTAKES``."""
    generator = torch.Generator() if mistake == "unseeded" else torch.Generator().manual_seed(seed)

    def optimizer_for():
        if mistake == "SGD":
            return torch.optim.SGD([W, b], lr=lr)
        return torch.optim.Adam([W, b]) if mistake == "default lr" else torch.optim.Adam([W, b], lr=lr)

    optimizer = optimizer_for()
    losses = []
    for _ in range(n_steps):
        if mistake == "reseed":
            generator = torch.Generator().manual_seed(seed)
        if mistake == "optimizer in the loop":
            optimizer = optimizer_for()
        features = reference.generate_batch(batch_size, probability, generator)
        per_instance = reference.importance_weighted_loss(reference.toy_forward(W, b, features), features, importance)
        loss = per_instance.mean() if mistake == "mean" else per_instance.sum()
        if mistake != "no zero_grad":
            optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if mistake == "loss after the step":
            with torch.no_grad():
                loss = reference.importance_weighted_loss(reference.toy_forward(W, b, features), features,
                                                          importance).sum()
        losses.append(loss.item())
    return losses


def _same_losses(got: list[float], want: list[float]) -> bool:
    return len(got) == len(want) and all(abs(g - w) <= 1e-5 * max(1, abs(w)) for g, w in zip(got, want))


@exercise("4.4", reference.train_toy_model, may_change=("W", "b"))
def check_train_toy_model(fn: Callable, reference_fn: Callable) -> str:
    def setup():
        W = torch.randn(2, 2, 5, generator=torch.Generator().manual_seed(4)).requires_grad_(True)
        b = torch.zeros(2, 5, requires_grad=True)
        return W, b

    probability = torch.tensor([[0.5] * 5, [0.1] * 5])
    importance = 0.9 ** torch.arange(5.0).repeat(2, 1)
    settings = dict(n_steps=25, batch_size=64, lr=1e-2, seed=5)
    W_got, b_got = setup()
    W_want, b_want = setup()
    got = fn(W_got, b_got, probability, importance, **settings)
    # The reference itself, not reference_fn (which runs on a copy): it must train W_want, b_want.
    want = reference.train_toy_model(W_want, b_want, probability, importance, **settings)
    if not isinstance(got, list) or not all(isinstance(v, float) for v in got):
        raise ExerciseFailed("should return the list of losses, one Python float per step (loss.item())")
    if len(got) != len(want):
        raise ExerciseFailed(f"returned {len(got)} losses for {len(want)} steps")
    W_start, b_start = setup()
    if torch.equal(W_got.detach(), W_start.detach()):
        if _same_losses(got, want):
            raise ExerciseFailed("the losses are right but W did not change: train W and b themselves, in place "
                                 "(no .clone() or .detach() of them)")
        raise ExerciseFailed("W did not change: call loss.backward() and optimizer.step() each step")
    if torch.equal(b_got.detach(), b_start.detach()):
        raise ExerciseFailed("b did not change: train it with W, torch.optim.Adam([W, b], lr=lr)")
    if not _same_losses(got, want):
        for mistake, message in _TRAINING_MISTAKES.items():
            if _same_losses(got, _train_with(mistake, *setup(), probability, importance, **settings)):
                raise ExerciseFailed(message)
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
        raise ExerciseFailed("the losses match but the final W differs from the reference: after the last step's "
                             "update, change W and b no more (no extra step or edit after the loop)")
    return "25 steps of 2 instances: every loss and the final weights"


def _dimensionality_mistakes(W: torch.Tensor) -> list[tuple[torch.Tensor, str]]:
    """[(what a mistake computes, what to say)] for ``feature_dimensionality``."""
    norms = W.norm(dim=1, keepdim=True)  # [instances, 1, features]
    W_hat = W / norms.clamp(min=1e-12)
    overlaps = torch.einsum("ihf,ihg->ifg", W_hat, W)
    squared = overlaps**2
    row_norms = W.norm(dim=2, keepdim=True)  # [instances, hidden, 1]: the wrong axis
    by_rows = torch.einsum("ihf,ihg->ifg", W / row_norms.clamp(min=1e-12), W)
    hats = torch.einsum("ihf,ihg->ifg", W_hat, W_hat) ** 2

    def over(numerator, denominator):
        return numerator / denominator.clamp(min=1e-12)

    return [
        (over(norms[:, 0] ** 2, squared.sum(-1) - squared.diagonal(dim1=1, dim2=2)),
         "the sum over j must include j = i"),
        (over(norms[:, 0] ** 2, (torch.einsum("ihf,ihg->ifg", W, W) ** 2).sum(-1)),
         "normalise W_i in the overlaps: (Ŵ_i · W_j) with Ŵ_i = W_i / ||W_i||"),
        (over(norms[:, 0] ** 2, (torch.einsum("ihf,ihg->ifg", W, W_hat) ** 2).sum(-1)),
         "this normalises W_j; normalise W_i, the feature whose D this is: (Ŵ_i · W_j)"),
        (over(norms[:, 0] ** 2, hats.sum(-1)), "only W_i is normalised in the overlaps: (Ŵ_i · W_j), not (Ŵ_i · Ŵ_j)"),
        (over(torch.ones_like(norms[:, 0]), hats.sum(-1)),
         "the numerator is ||W_i||², and only W_i is normalised in the overlaps: (Ŵ_i · W_j), not (Ŵ_i · Ŵ_j)"),
        (over(norms[:, 0], squared.sum(-1)), "square the norm in the numerator: ||W_i||²"),
        (over(norms[:, 0] ** 2, overlaps.abs().sum(-1)), "square each overlap before summing: Σ_j (Ŵ_i · W_j)²"),
        (over(norms[:, 0] ** 2, overlaps.sum(-1)), "square each overlap before summing: Σ_j (Ŵ_i · W_j)²"),
        (over(row_norms[:, 0] ** 2, (by_rows**2).sum(-1)),
         "these norms are over the features (dim=2); W_i is a column of W: take its norm over the hidden "
         "dimension, W.norm(dim=1)"),
    ]


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
            if not torch.allclose(got, want, atol=1e-5, rtol=1e-4):
                if name.startswith("a pentagon") and torch.allclose(got, torch.full_like(got, 2 / 3), atol=1e-4):
                    raise ExerciseFailed(f"on {name}: got 2/3 for each feature; the sum over j must include j = i")
                for wrong, mistake in _dimensionality_mistakes(W):
                    if torch.allclose(got, wrong, atol=1e-5, rtol=1e-4) and not torch.allclose(wrong, want, atol=1e-5, rtol=1e-4):
                        raise ExerciseFailed(f"on {name}: {mistake}")
        expect_tensor(got, want, f"D on {name}", atol=1e-5, rtol=1e-4)
    return "4 geometries: a pentagon, orthogonal, antipodal with an unused feature, and random weights"
