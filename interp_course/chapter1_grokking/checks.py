"""Checks for the exercises of chapter 1, "The grokking phenomenon".

Each ``check_*`` takes the learner's function and returns the function the notebook should
go on with (see :mod:`interp_course.core.exercise`).
"""

from __future__ import annotations

import copy
from typing import Callable

import torch

from solutions import chapter1_grokking as reference

from ..core.exercise import ExerciseFailed, expect_tensor, exercise
from ..core.transformer import HookedTransformer, TransformerConfig


@exercise("1.1", reference.all_pairs)
def check_all_pairs(fn: Callable, reference_fn: Callable) -> str:
    primes = [2, 3, 7, 113]
    for p in primes:
        got = fn(p)
        if not isinstance(got, tuple) or len(got) != 2:
            raise ExerciseFailed(f"should return a tuple (tokens, labels), got {type(got).__name__}")
        tokens, labels = got
        want_tokens, want_labels = reference_fn(p)
        if isinstance(tokens, torch.Tensor) and tokens.shape == want_tokens.shape[::-1]:
            raise ExerciseFailed(
                f"tokens has shape {tuple(tokens.shape)}, transposed: expected one row per "
                f"problem, shape {tuple(want_tokens.shape)} = (p * p, 3)"
            )
        if isinstance(tokens, torch.Tensor) and tokens.shape == want_tokens.shape:
            if not torch.equal(tokens[:, 2], want_tokens[:, 2]):
                raise ExerciseFailed(
                    f"for p = {p}, the third token of every row must be the '=' token, which "
                    f"is p = {p}; got {tokens[:, 2].unique().tolist()[:5]}"
                )
            same_rows = torch.equal(
                tokens[:, 0] * p + tokens[:, 1], want_tokens[:, 0] * p + want_tokens[:, 1]
            )
            if not same_rows and torch.equal(
                (tokens[:, 0] * p + tokens[:, 1]).sort().values, torch.arange(p * p)
            ):
                raise ExerciseFailed(
                    f"for p = {p}, every pair is there but in another order: row a * p + b "
                    "must be [a, b, p] (a changes slowest, b fastest)"
                )
        expect_tensor(tokens, want_tokens, f"tokens for p = {p}")
        if isinstance(labels, torch.Tensor) and labels.shape == want_labels.shape:
            if torch.equal(labels, tokens[:, 0] + tokens[:, 1]):
                raise ExerciseFailed(
                    f"for p = {p}, labels are a + b; they must be reduced modulo p: (a + b) % p"
                )
        expect_tensor(labels, want_labels, f"labels for p = {p}")
    return f"p = {', '.join(map(str, primes))}"


@exercise("1.2", reference.train_test_split)
def check_train_test_split(fn: Callable, reference_fn: Callable) -> str:
    cases = [(113 * 113, 0.3, 0), (113 * 113, 0.3, 1), (10, 0.35, 7), (5, 0.5, 0), (2, 0.5, 3)]
    for n, fraction, seed in cases:
        got = fn(n, fraction, seed)
        label = f"n={n}, train_fraction={fraction}, seed={seed}"
        if not isinstance(got, tuple) or len(got) != 2:
            raise ExerciseFailed(
                f"should return a tuple (train_indices, test_indices), got {type(got).__name__}"
            )
        train, test = got
        want_train, want_test = reference_fn(n, fraction, seed)
        if isinstance(train, torch.Tensor) and train.ndim == 1 and len(train) != len(want_train):
            raise ExerciseFailed(
                f"with {label}: expected round(train_fraction * n) = {len(want_train)} "
                f"training indices, got {len(train)}"
            )
        if isinstance(train, torch.Tensor) and isinstance(test, torch.Tensor):
            everything = torch.cat([train.flatten(), test.flatten()]).sort().values
            if everything.shape != (n,) or not torch.equal(everything, torch.arange(n)):
                raise ExerciseFailed(
                    f"with {label}: train and test together must hold each index 0..{n - 1} "
                    "exactly once"
                )
            shuffled = not torch.equal(want_train, want_train.sort().values)
            if shuffled and train.shape == want_train.shape and torch.equal(train, want_train.sort().values):
                raise ExerciseFailed(
                    f"with {label}: the training indices are sorted; keep them in the "
                    "shuffled order that torch.randperm gives"
                )
            if train.shape == want_train.shape and not torch.equal(train, want_train):
                raise ExerciseFailed(
                    f"with {label}: the split differs from the seeded one: shuffle with "
                    "torch.randperm(n, generator=torch.Generator().manual_seed(seed)) and "
                    "take the first round(train_fraction * n) as training indices"
                )
        expect_tensor(train, want_train, f"train_indices with {label}")
        expect_tensor(test, want_test, f"test_indices with {label}")
    return f"{len(cases)} splits, including n = 2 and a fraction that needs rounding"


def _loss_cases() -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    generator = torch.Generator().manual_seed(0)
    logits = torch.randn(6, 3, 11, generator=generator)
    labels = torch.randint(0, 11, (6,), generator=generator)
    single = torch.randn(4, 1, 5, generator=generator)
    single_labels = torch.tensor([0, 4, 2, 2])
    # Each answer predicted with a margin of 25 logits: the loss is about 1e-10, which float32
    # rounds to 0 but float64 does not. This is the regime late in grokking.
    confident = torch.zeros(8, 3, 113)
    confident_labels = torch.arange(8) * 13
    confident[torch.arange(8), -1, confident_labels] = 25.0
    return [
        ("random logits [6, 3, 11]", logits, labels),
        ("a single position [4, 1, 5]", single, single_labels),
        ("confident predictions [8, 3, 113]", confident, confident_labels),
    ]


@exercise("1.3", reference.final_position_loss)
def check_final_position_loss(fn: Callable, reference_fn: Callable) -> str:
    for name, logits, labels in _loss_cases():
        logits = logits.clone().requires_grad_(True)
        got = fn(logits, labels)
        want = reference_fn(logits, labels)
        if isinstance(got, float):
            raise ExerciseFailed(
                "returned a Python float; return the loss tensor (no .item()) so that "
                "training can call .backward() on it"
            )
        if isinstance(got, torch.Tensor) and got.shape != ():
            raise ExerciseFailed(
                f"on {name}: expected a scalar loss, shape (), got shape {tuple(got.shape)}: "
                "take the mean over the batch"
            )
        if isinstance(got, torch.Tensor) and got.dtype != torch.float64:
            raise ExerciseFailed(
                f"on {name}: the loss has dtype {got.dtype}; convert the logits to "
                "torch.float64 before log_softmax"
            )
        if isinstance(got, torch.Tensor) and got.shape == ():
            value, target = got.item(), want.item()
            first = reference_fn(logits[:, :1], labels).item()
            if logits.shape[1] > 1 and abs(value - first) < 1e-9 and abs(value - target) > 1e-9:
                raise ExerciseFailed(
                    f"on {name}: this is the loss at the first position; use the final one, "
                    "logits[:, -1]"
                )
            if abs(value + target) < 1e-9 * max(1, abs(target)) and target > 1e-9:
                raise ExerciseFailed(f"on {name}: the sign is flipped; the loss is -mean(log p)")
            if abs(value - target * len(labels)) < 1e-6 * max(1, abs(target)) and target > 1e-6:
                raise ExerciseFailed(f"on {name}: this is the sum over the batch; take the mean")
            if target > 0 and value == 0.0:
                raise ExerciseFailed(
                    f"on {name}: the loss is exactly 0 but should be {target:.3e}: it was "
                    "rounded in float32; convert the logits to float64 before log_softmax"
                )
        expect_tensor(got, want, f"the loss on {name}", atol=1e-14, rtol=1e-7)
        if not got.requires_grad:
            raise ExerciseFailed(
                "the loss is not connected to the logits (no gradient); do not detach it"
            )
    return "3 batches: random logits, a single position, and confident predictions"


def _tiny_training_problem(seed: int = 0):
    """A small model and data for checking a training step: p = 7, d_model 16."""
    tokens, labels = reference.all_pairs(7)
    cfg = TransformerConfig(d_vocab=8, d_vocab_out=7, n_ctx=3, d_model=16, n_heads=2, d_head=8, d_mlp=32)
    model = HookedTransformer(cfg, seed=seed)
    return model, tokens[:30], labels[:30]


@exercise("1.4", reference.training_step, may_change=("model", "optimizer"))
def check_training_step(fn: Callable, reference_fn: Callable) -> str:
    model, tokens, labels = _tiny_training_problem()
    theirs, ours = copy.deepcopy(model), copy.deepcopy(model)

    def optimiser(m: torch.nn.Module) -> torch.optim.Optimizer:
        return torch.optim.AdamW(m.parameters(), lr=1e-2, weight_decay=1.0, betas=(0.9, 0.98))

    opt_theirs, opt_ours = optimiser(theirs), optimiser(ours)
    # Gradients left over from an earlier backward pass (in a notebook, from exploring): a step
    # must clear them before its own backward pass, not only after it.
    for a, b in zip(theirs.parameters(), ours.parameters()):
        a.grad, b.grad = torch.full_like(a, 0.5), torch.full_like(b, 0.5)
    for step in (1, 2, 3):
        before = ours(tokens, final_position_only=True).detach()[:, -1]  # [batch, d_vocab_out]
        got = fn(theirs, opt_theirs, tokens, labels)
        # The reference itself, not reference_fn (which runs on a copy): it must update `ours`.
        want = reference.training_step(ours, opt_ours, tokens, labels)
        if not isinstance(got, tuple) or len(got) != 2:
            raise ExerciseFailed(f"should return a tuple (loss, accuracy), got {type(got).__name__}")
        for name, g, w in zip(("loss", "accuracy"), got, want):
            if not isinstance(g, float):
                raise ExerciseFailed(
                    f"the {name} should be a Python float (use .item()), got {type(g).__name__}"
                )
        params_same = all(
            torch.equal(a, b) for a, b in zip(theirs.parameters(), model.parameters())
        )
        if step == 1 and params_same:
            raise ExerciseFailed(
                "the parameters did not change: call loss.backward() and then optimizer.step()"
            )
        accuracy = got[1]
        if abs(accuracy - want[1]) > 1e-6:
            predictions = before.argmax(dim=-1)  # [batch]
            after = (ours(tokens, final_position_only=True)[:, -1].argmax(dim=-1) == labels).double().mean().item()
            broadcast = (predictions[:, None] == labels[None, :]).double().mean().item()  # [batch, 1] == [batch]
            if abs(accuracy - 100 * want[1]) < 1e-4:
                raise ExerciseFailed(f"at step {step} the accuracy is a percentage ({accuracy:.4g}); return the fraction, in [0, 1]")
            if abs(accuracy - broadcast) < 1e-9 and abs(broadcast - want[1]) > 1e-6:
                raise ExerciseFailed(
                    f"at step {step} the accuracy is {accuracy:.6g}, expected {want[1]:.6g}: it compares predictions of "
                    "shape [batch, 1] with labels of shape [batch], which broadcasts to [batch, batch]; take "
                    "logits[:, -1] (or squeeze) before argmax"
                )
            if abs(accuracy - after) < 1e-9 and abs(after - want[1]) > 1e-6:
                raise ExerciseFailed(
                    f"at step {step} the accuracy is measured after the update; return the accuracy of the "
                    "forward pass the gradient came from, as the loss"
                )
        for name, g, w in zip(("loss", "accuracy"), got, want):
            if abs(g - w) > 1e-6 * max(1.0, abs(w)):
                if step == 1 and name == "loss":
                    after = reference.final_position_loss(
                        theirs(tokens, final_position_only=True), labels
                    ).item()
                    if abs(g - after) < 1e-6 * max(1.0, abs(after)):
                        raise ExerciseFailed(
                            "the loss returned is measured after the update; return the "
                            "loss of the forward pass that the gradient came from"
                        )
                raise ExerciseFailed(
                    f"at step {step} the {name} is {g:.6g}, expected {w:.6g}"
                    + (
                        ": the first step matches, so are the gradients reset with "
                        "optimizer.zero_grad() before each backward pass?"
                        if step > 1
                        else ""
                    )
                )
        for (name, a), b in zip(theirs.named_parameters(), ours.parameters()):
            if not torch.allclose(a, b, rtol=1e-5, atol=1e-6):
                hint = (
                    ": the first step matches, so are the gradients reset with "
                    "optimizer.zero_grad() before each backward pass?"
                    if step > 1
                    else ": the model came with gradients left from an earlier backward pass; are they "
                    "cleared with optimizer.zero_grad() before loss.backward()?"
                )
                raise ExerciseFailed(
                    f"after step {step} the parameter {name} differs from the reference{hint}"
                )
    return "3 consecutive steps on a small model: returned loss and accuracy, and the updated weights"


@exercise("1.5", reference.first_step_reaching)
def check_first_step_reaching(fn: Callable, reference_fn: Callable) -> str:
    steps = torch.arange(10, 110, 10)  # 10, 20, ..., 100
    cases = [
        ("a rising curve", torch.tensor([0.0, 0.1, 0.3, 0.6, 0.95, 0.99, 1.0, 1.0, 1.0, 1.0]), 0.99),
        ("a curve that never gets there", torch.linspace(0, 0.9, 10), 0.99),
        ("a curve already there at the first record", torch.ones(10), 0.99),
        ("a curve that reaches the threshold, dips, and comes back",
         torch.tensor([0.2, 1.0, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]), 1.0),
    ]
    for name, values, threshold in cases:
        got = fn(steps, values.double(), threshold)
        want = reference_fn(steps, values.double(), threshold)
        if isinstance(got, torch.Tensor):
            raise ExerciseFailed(f"on {name}: return a Python int (use int(...)), not a tensor")
        if got != want:
            index = None if want is None else int((steps == want).nonzero()[0, 0])
            if want is not None and got == index:
                raise ExerciseFailed(
                    f"on {name}: returned {got}, the position in the list; return the step "
                    f"recorded there, steps[{index}] = {want}"
                )
            if want is None:
                raise ExerciseFailed(f"on {name}: expected None, got {got!r}")
            exact = " (reaching the threshold exactly counts: use >=)" if values[index] == threshold else ""
            raise ExerciseFailed(
                f"on {name} (threshold {threshold}): expected step {want}, got {got!r}{exact}"
            )
    return f"{len(cases)} curves, including one that never reaches the threshold"

