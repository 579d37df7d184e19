"""Checks for the exercises of chapter 8, "Sparse autoencoders".

Each ``check_*`` takes the learner's function and returns the function the notebook should
go on with (see :mod:`interp_course.core.exercise`). Each looks for the mistakes a learner
makes with that step (a bias in the wrong place, the penalty on the wrong tensor, the maximum
over the wrong axis, one batch where all are needed) and names the one it finds.
"""

from __future__ import annotations

from typing import Callable

import torch

from solutions import chapter8_saes as reference

from ..core.exercise import ExerciseFailed, expect_tensor, exercise, same_values
from ..core.learner_call import LearnerRaised
from ..core.mistakes import name_the_mistake, name_the_raise


_BROADCAST = ("`@` broadcast the batch against the instances (input b met instance b's weights, and it runs only "
              "when batch = instances); multiply each instance by its own weights: torch.einsum('{einsum}', ...)")


def _weights(instances=3, d=4, n_latents=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(instances, d, n_latents, generator=g), 0.3 * torch.randn(instances, n_latents, generator=g),
            torch.randn(instances, n_latents, d, generator=g), torch.randn(instances, d, generator=g))


@exercise("8.1", reference.encode)
def check_encode(fn: Callable, reference_fn: Callable) -> str:
    g = torch.Generator().manual_seed(1)
    W_enc, b_enc, _, b_dec = _weights()
    cases = [("3 instances, d = 4, 6 latents", torch.randn(8, 3, 4, generator=g), W_enc, b_enc, b_dec),
             ("one input, one instance, float64", torch.randn(1, 1, 2, generator=g, dtype=torch.float64),
              torch.randn(1, 2, 3, generator=g, dtype=torch.float64), torch.tensor([[0.5, -0.5, 0.1]], dtype=torch.float64),
              torch.ones(1, 2, dtype=torch.float64))]
    for name, h, W, b, c in cases:
        try:
            got = fn(h, W, b, c)
        except LearnerRaised:  # `h @ W_enc` and a transposed W_enc raise here; they run on square inputs
            hp, Wp, bp, cp = torch.randn(3, 3, 3, generator=g), torch.randn(3, 3, 3, generator=g), b_enc[:, :3], b_dec[:, :3]
            name_the_raise(fn, (hp, Wp, bp, cp), want=reference.encode(hp, Wp, bp, cp), mistakes=lambda: [
                (torch.relu(torch.einsum("bid,bdm->bim", hp - cp, Wp) + bp),
                 _BROADCAST.format(einsum="bid,idm->bim")),
                (torch.relu(torch.einsum("bid,imd->bim", hp - cp, Wp) + bp), "W_enc is [instances, d, n_latents]: "
                 "multiply h's d by its middle dimension (einsum 'bid,idm->bim'), not its last")])
            raise
        want = reference_fn(h, W, b, c)
        if same_values(got, want, atol=1e-5):  # right values: expect_tensor checks the dtype
            expect_tensor(got, want, f"the latents on {name}", atol=1e-5, rtol=1e-5)
            continue
        pre = torch.einsum("bid,idm->bim", h - c, W) + b
        if same_values(got, pre, atol=1e-5) and (pre < 0).any():
            raise ExerciseFailed(f"on {name}: some latents are negative: apply a ReLU, last")
        name_the_mistake(got, want, [
            (torch.relu(torch.einsum("bid,idm->bim", h, W) + b), "subtract the decoder's bias b_dec from h before "
             "the encoder: ReLU((h - b_dec) W_enc + b_enc)"),
            (torch.relu(torch.einsum("bid,idm->bim", h + c, W) + b), "b_dec is added to h; subtract it: "
             "ReLU((h - b_dec) W_enc + b_enc)"),
            (torch.relu(pre - b) + b, "add b_enc before the ReLU, not after"),
            (torch.relu(pre - 2 * b), "b_enc is subtracted; add it: ReLU((h - b_dec) W_enc + b_enc)"),
        ], where=f"on {name}: ")
        expect_tensor(got, want, f"the latents on {name}", atol=1e-5, rtol=1e-5)
    return "2 cases: 3 instances with both biases, and one float64 input"


@exercise("8.2", reference.decode)
def check_decode(fn: Callable, reference_fn: Callable) -> str:
    g = torch.Generator().manual_seed(2)
    _, _, W_dec, b_dec = _weights(seed=2)
    cases = [("as many latents as dimensions (4)", torch.relu(torch.randn(5, 3, 4, generator=g)),
              torch.randn(3, 4, 4, generator=g), torch.randn(3, 4, generator=g)),
             ("3 instances, 6 latents into d = 4", torch.relu(torch.randn(5, 3, 6, generator=g)), W_dec, b_dec)]
    for name, z, W, c in cases:
        try:
            got = fn(z, W, c)
        except LearnerRaised:  # `latents @ W_dec` raises here; it runs when batch = instances
            zp = torch.relu(torch.randn(3, 3, 6, generator=g))
            name_the_raise(fn, (zp, W_dec, b_dec), want=reference.decode(zp, W_dec, b_dec), mistakes=lambda: [
                (torch.einsum("bim,bmd->bid", zp, W_dec) + b_dec, _BROADCAST.format(einsum="bim,imd->bid"))])
            raise
        want = reference_fn(z, W, c)
        if same_values(got, want, atol=1e-5):  # right values: expect_tensor checks the dtype
            expect_tensor(got, want, f"the reconstruction on {name}", atol=1e-5, rtol=1e-5)
            continue
        name_the_mistake(got, want, [
            (want - c, "add the decoder's bias b_dec to the sum of directions"),
            (torch.einsum("bim,idm->bid", z, W) + c, "latent j's direction is row j of W_dec ([instances, n_latents, "
             "d]); this used its columns"),
            (want - 2 * c, "b_dec is subtracted; add it: latents W_dec + b_dec"),
            (torch.relu(want), "the decoder has no ReLU: a reconstruction can be negative, as h can"),
            (torch.einsum("bim,imd->bid", z, W / W.norm(dim=-1, keepdim=True)) + c, "use W_dec as it is: do not "
             "normalise its rows here (training keeps them at length 1)"),
            (torch.einsum("bim,imd->bid", z, W) / z.shape[-1] + c, "you averaged over the latents; sum each latent "
             "times its direction"),
        ], where=f"on {name}: ")
        expect_tensor(got, want, f"the reconstruction on {name}", atol=1e-5, rtol=1e-5)
    return "2 cases, one with a square decoder (rows and columns confusable)"


@exercise("8.3", reference.sae_loss)
def check_sae_loss(fn: Callable, reference_fn: Callable) -> str:
    g = torch.Generator().manual_seed(3)
    h, reconstruction = torch.randn(7, 3, 4, generator=g), torch.randn(7, 3, 4, generator=g)
    latents = torch.relu(torch.randn(7, 3, 6, generator=g))
    latents[::2, :, ::3] *= -1  # a few negative: the penalty is on absolute values
    coefficient = torch.tensor([0.0, 0.1, 1.0])
    try:
        got = fn(h, reconstruction, latents, coefficient)
    except LearnerRaised:  # averaging over dim 1 raises here (7 inputs, 3 coefficients); it runs on 3 inputs
        hp, rp, lp = h[:3], reconstruction[:3], latents[:3]
        name_the_raise(fn, (hp, rp, lp, coefficient), want=reference.sae_loss(hp, rp, lp, coefficient), mistakes=lambda: [
            ((rp - hp).pow(2).sum(-1).mean(1) + coefficient * lp.abs().sum(-1).mean(1), "you averaged over the "
             "instances (dim 1); average over the batch, dim 0, for one loss per instance")])
        raise
    want = reference_fn(h, reconstruction, latents, coefficient)
    if isinstance(got, torch.Tensor) and got.shape == ():
        raise ExerciseFailed("returned one number; return one loss per instance, shape (instances,): "
                             "average over the batch only")
    error = (reconstruction - h).pow(2).sum(-1).mean(0)
    mistakes = [
        (error + coefficient * reconstruction.abs().sum(-1).mean(0), "the L1 penalty is on the reconstruction; "
         "put it on the latents (that is what should be sparse)"),
        (error + coefficient * latents.pow(2).sum(-1).mean(0), "squared latents are an L2 penalty; the L1 "
         "penalty is their absolute values"),
        (error / 4 + coefficient * latents.abs().sum(-1).mean(0), "the squared error is averaged over d; sum "
         "it over d (||h - reconstruction||²)"),
        (error + coefficient * latents.abs().sum(-1).mean(0) / 6, "the L1 penalty is averaged over the latents; "
         "sum it over them (||latents||₁)"),
        (error + latents.abs().sum(-1).mean(0), "the L1 penalty is not multiplied by l1_coefficient"),
        (error + coefficient * latents.sum(-1).mean(0), "the L1 penalty sums the latents' absolute values, as "
         "the exercise asks: take latents.abs() (the check passes some negative latents, and without abs each "
         "one lowers the penalty)"),
        (error * 7 + coefficient * latents.abs().sum(-1).sum(0), "summed over the batch; take the mean"),
        ((reconstruction - h).norm(dim=-1).mean(0) + coefficient * latents.abs().sum(-1).mean(0), "the error is the "
         "squared length ||h - reconstruction||²; you took the length itself: square it (sum of squares over d)"),
        (error / 4 + coefficient * latents.abs().sum(-1).mean(0) / 6, "you averaged over d and over the latents; sum "
         "over both, and average over the batch only"),
    ]
    name_the_mistake(got, want, mistakes)
    expect_tensor(got, want, "the loss per instance", atol=1e-5, rtol=1e-5)
    return "3 instances, λ = 0, 0.1 and 1"


@exercise("8.4", reference.keep_top_k)
def check_keep_top_k(fn: Callable, reference_fn: Callable) -> str:
    g = torch.Generator().manual_seed(4)
    cases = [("k = 2 of 6 latents", torch.relu(torch.randn(5, 3, 6, generator=g)), 2),
             ("k = 1", torch.rand(4, 2, 5, generator=g), 1),
             ("k = n_latents (keeps everything)", torch.rand(3, 1, 4, generator=g), 4)]
    for name, latents, k in cases:
        got, want = fn(latents, k), reference_fn(latents, k)
        if same_values(got, want, atol=1e-5) and got.dtype == want.dtype:  # right: expect_tensor has nothing to add
            continue
        if isinstance(got, torch.Tensor) and got.shape == (*latents.shape[:-1], k) and latents.shape[-1] != k:
            raise ExerciseFailed(f"on {name}: returned only the k values, shape {tuple(got.shape)}; return every "
                                 "latent, shape [batch, instances, n_latents], with all but the k largest set to 0")
        if isinstance(got, torch.Tensor) and got.shape == latents.shape and got.dtype == latents.dtype:
            kept = (got != 0).sum(-1)
            if k < latents.shape[-1] and same_values(got, reference.keep_top_k(latents, k + 1), atol=1e-5):
                raise ExerciseFailed(f"on {name}: kept k + 1 latents per input; keep exactly k")
            smallest = latents.topk(k, dim=-1, largest=False)
            kept_smallest = torch.zeros_like(latents).scatter(-1, smallest.indices, smallest.values)
            if same_values(got, kept_smallest, atol=1e-5) and k < latents.shape[-1]:
                raise ExerciseFailed(f"on {name}: kept the k smallest latents; keep the k largest")
            largest = latents.topk(k, dim=-1)
            mistakes = [
                (reference.keep_top_k(latents, k - 1) if k > 1 else torch.zeros_like(latents), "kept k - 1 latents "
                 "per input: the k-th largest is kept too (compare with >=, or use topk)"),
                (torch.zeros_like(latents).scatter(-1, largest.indices, 1.0), "kept a 1 where each of the k largest "
                 "is; keep its value (scatter topk's values, not ones)"),
                (torch.cat([largest.values, torch.zeros_like(latents[..., k:])], dim=-1), "the k largest values are "
                 "in the first k places; put each back at its own index (scatter them at topk's indices)"),
                (latents * (latents > latents.mean(dim=-1, keepdim=True)), "kept the latents above their mean; keep "
                 "exactly the k largest (topk(k, dim=-1))"),
            ]
            for dim, axis in ((0, "the batch"), (1, "the instances")):
                if k <= latents.shape[dim]:
                    top = latents.topk(k, dim=dim)
                    mistakes.append((torch.zeros_like(latents).scatter(dim, top.indices, top.values), f"chose the k "
                                     f"largest over {axis} (dim {dim}); choose them over each input's latents, the "
                                     "last dimension (topk(k, dim=-1))"))
            name_the_mistake(got, want, mistakes, where=f"on {name}: ")
            if k < latents.shape[-1] and not bool((kept <= k).all()):
                raise ExerciseFailed(f"on {name}: some inputs keep more than k latents; choose the k largest of each "
                                     "input over the last dimension (topk(k, dim=-1))")
        expect_tensor(got, want, f"the kept latents on {name}")
    return "3 cases: k = 2, k = 1 and k = n_latents"


def _train_setup(instances=2, d=3, n_latents=5):
    g = torch.Generator().manual_seed(5)
    W_dec = torch.randn(instances, n_latents, d, generator=g)
    W_dec = W_dec / W_dec.norm(dim=-1, keepdim=True)
    tensors = (W_dec.transpose(1, 2).clone(), torch.zeros(instances, n_latents), W_dec.clone(), torch.zeros(instances, d))
    return tuple(t.requires_grad_(True) for t in tensors)


def _sample(batch_size: int, generator: torch.Generator) -> torch.Tensor:
    """Sparse vectors in 3 dimensions along 4 fixed directions."""
    directions = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.6, 0.8, 0.0], [0.0, 0.0, 1.0]])
    values = torch.rand(batch_size, 4, generator=generator) * (torch.rand(batch_size, 4, generator=generator) < 0.3)
    return values @ directions


_TRAINING_MISTAKES = {
    "normalise_before": "you renormalise W_dec's rows before optimizer.step(), so the last step leaves them off length "
                        "1: renormalise after each step",
    "batch_per_instance": "each instance got its own batch; draw one batch a step and give it to every instance "
                          "([:, None, :].expand(-1, instances, -1))",
    "no_zero_grad": "the gradients pile up from step to step: call optimizer.zero_grad() every step, before "
                    "loss.backward()",
    "seed_every_step": "every step drew the same batch: make and seed the generator once, before the loop, and draw a "
                       "new batch from it each step",
    "mean_over_instances": "the loss is the sum of the instances' sae_loss, not their mean",
    "no_top_k": "with k > 0, keep the k largest latents (keep_top_k) before decoding and before the loss",
    "optimiser_every_step": "a new Adam every step forgets its running averages: make the optimiser once, before the "
                            "loop",
    "rebound": "`W_dec = W_dec / ...` makes a new tensor and leaves the one being trained as it was: change W_dec in "
               "place (W_dec /= W_dec.norm(dim=-1, keepdim=True)) inside torch.no_grad()",
    "loss_after_the_step": "these are the losses after each step's update; return the loss each step backpropagates, "
                           "recorded before optimizer.step()",
}


def _train_with(mistake: str, W_enc, b_enc, W_dec, b_dec, sample, l1_coefficient, n_steps, batch_size, lr, seed, k):
    """The reference training loop with one of _TRAINING_MISTAKES made: what a learner's loop
    with that mistake returns and leaves in the weights."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam([W_enc, b_enc, W_dec, b_dec], lr=lr)
    decoder, losses = W_dec, []
    for _ in range(n_steps):
        if mistake == "seed_every_step":
            generator = torch.Generator().manual_seed(seed)
        if mistake == "optimiser_every_step":
            optimizer = torch.optim.Adam([W_enc, b_enc, W_dec, b_dec], lr=lr)
        if mistake == "batch_per_instance":
            h = torch.stack([sample(batch_size, generator) for _ in range(W_enc.shape[0])], dim=1)
        else:
            h = sample(batch_size, generator)[:, None, :].expand(-1, W_enc.shape[0], -1)
        if mistake == "normalise_before":
            with torch.no_grad():
                W_dec /= W_dec.norm(dim=-1, keepdim=True)
        latents = reference.encode(h, W_enc, b_enc, b_dec)
        if k and mistake != "no_top_k":
            latents = reference.keep_top_k(latents, k)
        per_instance = reference.sae_loss(h, reference.decode(latents, decoder, b_dec), latents, l1_coefficient)
        loss = per_instance.mean() if mistake == "mean_over_instances" else per_instance.sum()
        if mistake != "no_zero_grad":
            optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            if mistake == "rebound":
                decoder = decoder / decoder.norm(dim=-1, keepdim=True)
            elif mistake != "normalise_before":
                W_dec /= W_dec.norm(dim=-1, keepdim=True)
            if mistake == "loss_after_the_step":
                latents = reference.encode(h, W_enc, b_enc, b_dec)
                if k:
                    latents = reference.keep_top_k(latents, k)
                loss = reference.sae_loss(h, reference.decode(latents, W_dec, b_dec), latents, l1_coefficient).sum()
        losses.append(loss.item())
    return losses


def _same_run(losses: list, weights: tuple, other_losses: list, other_weights: tuple) -> bool:
    return (len(losses) == len(other_losses)
            and all(abs(a - b) <= 1e-4 * max(1, abs(b)) for a, b in zip(losses, other_losses))
            and all(torch.allclose(a.detach(), b.detach(), atol=1e-4) for a, b in zip(weights, other_weights)))


@exercise("8.5", reference.train_sae, may_change=("W_enc", "b_enc", "W_dec", "b_dec"))
def check_train_sae(fn: Callable, reference_fn: Callable) -> str:
    coefficients = torch.tensor([0.05, 0.3])
    arguments = dict(n_steps=20, batch_size=32, lr=1e-2, seed=6)
    for k in (0, 2):
        what = "TopK (k = 2)" if k else "L1"
        got_weights, want_weights = _train_setup(), _train_setup()
        got = fn(*got_weights, _sample, coefficients, **arguments, k=k)
        # The reference itself, not reference_fn (which runs on a copy): it must train want_weights.
        want = reference.train_sae(*want_weights, _sample, coefficients, **arguments, k=k)
        if not isinstance(got, list) or not all(isinstance(v, float) for v in got):
            raise ExerciseFailed("should return the list of losses, one Python float per step (loss.item())")
        if len(got) != len(want):
            raise ExerciseFailed(f"returned {len(got)} losses for {len(want)} steps")
        if _same_run(got, got_weights, want, want_weights) and abs(got[0] - want[0]) <= 1e-5 * max(1, abs(want[0])):
            continue
        W_dec = got_weights[2].detach()
        if torch.equal(W_dec, _train_setup()[2].detach()):
            raise ExerciseFailed(f"({what}) W_dec did not change: optimise all four tensors, "
                                 "torch.optim.Adam([W_enc, b_enc, W_dec, b_dec], lr=lr)")
        row_norms, column_norms = W_dec.norm(dim=-1), W_dec.norm(dim=1)
        if (not torch.allclose(row_norms, torch.ones_like(row_norms), atol=1e-4)
                and torch.allclose(column_norms, torch.ones_like(column_norms), atol=1e-4)):
            raise ExerciseFailed(f"({what}) W_dec's columns have unit length, its rows do not: each latent's "
                                 "direction is a row, so normalise over the last dimension (dim=-1)")
        for mistake, message in _TRAINING_MISTAKES.items():
            if mistake == "no_top_k" and not k:
                continue
            weights = _train_setup()
            losses = _train_with(mistake, *weights, _sample, coefficients, **arguments, k=k)
            if (_same_run(got, got_weights, losses, weights)
                    and not _same_run(losses, weights, want, want_weights)):
                raise ExerciseFailed(f"({what}) {message}")
        if not torch.allclose(row_norms, torch.ones_like(row_norms), atol=1e-4):
            raise ExerciseFailed(f"({what}) after training the rows of W_dec are not unit length (norms "
                                 f"{row_norms.min():.3g} to {row_norms.max():.3g}): scale each row back to length 1 "
                                 "after every optimiser step, or the L1 penalty is dodged by a growing decoder")
        if abs(got[0] - want[0]) > 1e-5 * max(1, abs(want[0])):
            raise ExerciseFailed(
                f"({what}) the first loss is {got[0]:.6g}, expected {want[0]:.6g}: seed one torch.Generator with "
                "seed before the loop, draw each batch with sample(batch_size, generator), give every instance "
                "the same batch, " + ("keep the k largest latents, " if k else "") +
                "and sum the per-instance sae_loss")
        for step, (g, w) in enumerate(zip(got, want)):
            if abs(g - w) > 1e-4 * max(1, abs(w)):
                raise ExerciseFailed(
                    f"({what}) the losses agree until step {step}, then differ ({g:.6g}, expected {w:.6g}): reset "
                    "the gradients every step, use torch.optim.Adam on the four tensors with lr, draw a new batch "
                    "every step, and renormalise W_dec's rows after (not before) optimizer.step()")
        for name, got_t, want_t in zip(("W_enc", "b_enc", "W_dec", "b_dec"), got_weights, want_weights):
            if not torch.allclose(got_t.detach(), want_t.detach(), atol=1e-4):
                raise ExerciseFailed(f"({what}) the losses match but the final {name} differs from the reference: "
                                     "after the last step's update (and renormalisation), change nothing more")
    return "20 steps of 2 instances, L1 and TopK: every loss and the final weights"


@exercise("8.6", reference.mean_max_cosine_similarity)
def check_mean_max_cosine_similarity(fn: Callable, reference_fn: Callable) -> str:
    g = torch.Generator().manual_seed(7)
    truth = torch.tensor([[2.0, 0.0, 0.0], [0.0, 0.5, 0.0], [0.0, 0.0, 3.0]])
    cases = [
        ("a perfect dictionary with two extra latents (score 1)",
         torch.cat([torch.eye(3), torch.tensor([[0.6, 0.8, 0.0], [0.0, 0.6, 0.8]])])[None] * 1.5, truth),
        ("a dictionary that misses a feature, and one latent pointing opposite another",
         torch.tensor([[[1.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 0.5]]]), truth),
        ("true directions not along the axes", torch.tensor([[[1.0, 1.0, 0.0], [0.0, 1.0, 2.0], [1.0, 0.0, 0.0]]]),
         torch.tensor([[3.0, 1.0, 0.0], [0.0, 1.0, 1.0]])),
        ("random dictionaries, 2 instances", torch.randn(2, 5, 3, generator=g), torch.randn(4, 3, generator=g)),
    ]
    for name, W_dec, true_directions in cases:
        got, want = fn(W_dec, true_directions), reference_fn(W_dec, true_directions)
        latents = W_dec / W_dec.norm(dim=-1, keepdim=True)
        truth_hat = true_directions / true_directions.norm(dim=-1, keepdim=True)
        cosines = torch.einsum("imd,td->imt", latents, truth_hat)
        mistakes = [
            (cosines.max(dim=2).values.mean(dim=-1), "took, for each latent, its best true feature; take for each "
             "true feature its best latent (the max over latents, dim 1 of [instances, n_latents, n_true])"),
            (cosines.abs().max(dim=1).values.mean(dim=-1), "took the absolute value: a latent pointing opposite a "
             "feature does not recover it (its ReLU latent fires for the opposite input)"),
            (torch.einsum("imd,td->imt", latents, true_directions).max(dim=1).values.mean(dim=-1),
             "normalise the true directions too: cosine similarity divides by both lengths"),
            (torch.einsum("imd,td->imt", latents, true_directions / true_directions.norm(dim=0, keepdim=True))
             .max(dim=1).values.mean(dim=-1), "normalised the true directions over the wrong axis: each true "
             "direction is a row, so divide by its norm over dim=-1"),
            (torch.einsum("imd,td->imt", W_dec, truth_hat).max(dim=1).values.mean(dim=-1),
             "normalise the latent directions (rows of W_dec) too: cosine similarity divides by both lengths"),
            (cosines.mean(dim=1).max(dim=-1).values, "took the mean first and the max second; the max over "
             "latents first, then the mean over true features"),
            (torch.einsum("imd,td->imt", W_dec / W_dec.norm(dim=1, keepdim=True), truth_hat).max(dim=1).values
             .mean(dim=-1), "normalised W_dec over the wrong axis: each latent's direction is a row, so divide by "
             "its norm over dim=-1"),
            (cosines.max(dim=1).values.sum(dim=-1), "summed over the true features; take the mean over them"),
            (cosines.max(dim=1).values, "these are each true feature's best cosine similarity; average them over the "
             "true features, for one score per instance"),
            (want.mean(), "returned one number; return one score per instance, shape [instances]"),
        ]
        name_the_mistake(got, want, mistakes, where=f"on {name}: ")
        expect_tensor(got, want, f"the score on {name}", atol=1e-5, rtol=1e-5)
    return "4 dictionaries: perfect with extras, one that misses a feature, directions off the axes, random"


@exercise("8.7", reference.fraction_of_variance_unexplained)
def check_fraction_of_variance_unexplained(fn: Callable, reference_fn: Callable) -> str:
    g = torch.Generator().manual_seed(8)
    h = torch.randn(50, 2, 3, generator=g) + torch.tensor([3.0, 0.0, -1.0])  # far from zero mean
    cases = [("a noisy reconstruction", h, h + 0.3 * torch.randn(50, 2, 3, generator=g)),
             ("the mean of h as the reconstruction (FVU 1)", h, h.mean(0, keepdim=True).expand_as(h).clone()),
             ("a perfect reconstruction (FVU 0)", h, h.clone())]
    for name, act, reconstruction in cases:
        got, want = fn(act, reconstruction), reference_fn(act, reconstruction)
        error = (act - reconstruction).pow(2)
        variance = (act - act.mean(0)).pow(2)
        mistakes = [
            (error.sum((0, 2)) / act.pow(2).sum((0, 2)), "divided by the squared length of h; divide by its "
             "variance, the squared distance from its mean over the batch"),
            (1 - error.sum((0, 2)) / variance.sum((0, 2)), "this is the fraction explained; return the fraction "
             "unexplained, error / variance"),
            ((error.sum(0) / variance.sum(0)).mean(-1), "averaged one ratio per dimension; sum the error and "
             "the variance over the batch and d first, then divide"),
            (error.sum((0, 2)) / (act - act.mean((0, 2), keepdim=True)).pow(2).sum((0, 2)),
             "subtracted one mean over the batch and d; subtract the mean vector, over the batch only"),
            (error.sum((0, 2)) / (act - act.mean(1, keepdim=True)).pow(2).sum((0, 2)), "subtracted the mean over the "
             "instances (dim 1); subtract the mean over the batch, dim 0"),
            (error.mean(0).sum(-1) / act.var(dim=0).sum(-1), "h.var() divides by batch - 1 (Bessel's correction) but "
             "the mean error by batch; sum both over the batch, or use var(dim=0, correction=0)"),
            (variance.sum((0, 2)) / error.sum((0, 2)), "upside down: divide the error by the variance"),
            (error.sum() / variance.sum(), "summed over the instances too; return one FVU per instance, shape "
             "[instances]"),
            (want.mean(), "returned one number; return one FVU per instance, shape [instances]"),
        ]
        name_the_mistake(got, want, mistakes, where=f"on {name}: ")
        expect_tensor(got, want, f"FVU on {name}", atol=1e-5, rtol=1e-5)
    return "3 reconstructions of data far from zero mean: noisy, the mean, perfect"


@exercise("8.8", reference.dead_latents)
def check_dead_latents(fn: Callable, reference_fn: Callable) -> str:
    g = torch.Generator().manual_seed(9)
    first = torch.relu(torch.randn(6, 2, 5, generator=g))
    first[:, :, 3:] = 0  # latents 3 and 4 silent in the first batch
    second = torch.relu(torch.randn(4, 2, 5, generator=g))  # batches of different sizes
    second[:, :, 4] = 0  # latent 3 fires in the second batch; latent 4 never
    second[:, 1, 3] = 0  # ... except in instance 1, where it never fires either
    second[:, :, 0] = 0  # latent 0 fires in the first batch only
    cases = [("two batches, latents silent in one of them only", [first, second]),
             ("one batch", [second])]
    for name, batches in cases:
        try:
            got = fn(batches)
        except LearnerRaised:
            if len(batches) > 1:  # batches of one size, where torch.stack runs
                same_size = [first[:4], second]
                try:
                    right_there = torch.equal(fn(same_size), reference.dead_latents(same_size))
                except LearnerRaised:
                    right_there = False
                if right_there:
                    raise ExerciseFailed(f"on {name}: your function works only when every batch has the same size "
                                         "(torch.stack needs that); batches can differ in size, so reduce each batch "
                                         "on its own first, or torch.cat them along the batch") from None
            raise
        want = reference_fn(batches)
        if isinstance(got, torch.Tensor) and not torch.equal(got, want):
            if got.shape == want.shape[:1] and not got.dtype.is_floating_point and torch.equal(got, want.sum(-1)):
                raise ExerciseFailed(f"on {name}: counted the dead latents of each instance; return the mask itself, "
                                     "[instances, n_latents] bool, True for a dead latent")
            rows = torch.cat(batches)
            if got.shape == (rows.shape[0], want.shape[1]) and torch.equal(got.bool(), ~(rows > 0).any(dim=1)):
                raise ExerciseFailed(f"on {name}: reduced over the instances (dim 1); reduce over the inputs (dim 0) of "
                                     "every batch, for [instances, n_latents]")
        if isinstance(got, torch.Tensor) and got.shape == want.shape and got.dtype == torch.bool:
            if torch.equal(got, ~want):
                raise ExerciseFailed(f"on {name}: True should mark a dead latent (one that never fires); "
                                     "these are the live ones")
            if len(batches) > 1 and torch.equal(got, ~(batches[0] > 0).any(0)):
                raise ExerciseFailed(f"on {name}: counted on the first batch only; a latent silent on one batch "
                                     "may fire on another, so look at every batch")
            if len(batches) > 1 and torch.equal(got, ~(batches[-1] > 0).any(0)):
                raise ExerciseFailed(f"on {name}: counted on the last batch only; look at every batch")
            if len(batches) > 1 and torch.equal(got, torch.stack([~(b > 0).any(0) for b in batches]).any(0)):
                raise ExerciseFailed(f"on {name}: a latent silent on one batch is not dead if it fires on another: "
                                     "dead means silent on every batch (combine the batches with all, not any)")
            if want.any() and torch.equal(got, ~torch.stack([(b >= 0).any(0) for b in batches]).any(0)):
                raise ExerciseFailed(f"on {name}: no latent is marked dead, but some are (0 on every input); a "
                                     "latent at exactly 0 has not fired: if you compared with >= 0, count "
                                     "activations > 0 instead")
        # (expect_tensor compares numbers; a mask is compared here)
        if not isinstance(got, torch.Tensor) or got.shape != want.shape:
            expect_tensor(got, want.long(), f"the dead latents on {name}")
        if got.dtype != torch.bool:
            raise ExerciseFailed(f"the dead latents on {name} have the wrong dtype: expected torch.bool (True for "
                                 f"a dead latent), got {got.dtype}")
        if not torch.equal(got, want):
            raise ExerciseFailed(f"the dead latents on {name} are wrong at {int((got != want).sum())} of "
                                 f"{want.numel()} entries: a latent is dead when it is 0 on every input of every batch")
    return "2 cases: a latent that fires only in the second batch, and one batch"
