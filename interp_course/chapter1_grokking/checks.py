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
        if (isinstance(tokens, torch.Tensor) and isinstance(labels, torch.Tensor)
                and tokens.shape == want_labels.shape and labels.shape == want_tokens.shape):
            raise ExerciseFailed("the tuple is (labels, tokens); return (tokens, labels), tokens first")
        if (isinstance(tokens, torch.Tensor) and tokens.ndim == 2 and tokens.shape[1] == 3
                and len(tokens) in (p * (p + 1) // 2, p * (p - 1) // 2) and len(tokens) != p * p
                and ((tokens[:, 0] <= tokens[:, 1]).all() or (tokens[:, 0] >= tokens[:, 1]).all())):
            raise ExerciseFailed(
                f"for p = {p}, got {len(tokens)} rows, each pair in one order only (a <= b): every ordered "
                f"pair is a problem, (1, 2) and (2, 1) both, and (a, a) too: p * p = {p * p} rows"
            )
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
            if not tokens.is_floating_point() and torch.equal(tokens[:, :2] - 1, want_tokens[:, :2]):
                raise ExerciseFailed(
                    f"for p = {p}, a and b run from 1 to p; they run from 0 to p - 1: torch.arange(p)"
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
        if isinstance(labels, torch.Tensor) and labels.shape in ((p * p, 1), (1, p * p)):
            raise ExerciseFailed(
                f"for p = {p}, labels has shape {tuple(labels.shape)}; it must be 1-D, shape ({p * p},): "
                "drop the extra dimension"
            )
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
        order = torch.cat([want_train, want_test])  # the seeded shuffle
        if (isinstance(train, torch.Tensor) and isinstance(test, torch.Tensor) and train.shape == want_test.shape
                and test.shape == want_train.shape and torch.equal(train, want_test) and torch.equal(test, want_train)):
            raise ExerciseFailed(
                f"with {label}: the two parts are swapped; return (train_indices, test_indices), the "
                "first round(train_fraction * n) shuffled indices first"
            )
        if isinstance(train, torch.Tensor) and train.ndim == 1 and len(train) != len(want_train):
            why = ""
            if len(train) == int(fraction * n):
                why = ": int() rounds down; use round(train_fraction * n)"
            elif len(train) == round((1 - fraction) * n):
                why = ": this is the test share, round((1 - train_fraction) * n); train_fraction is the training share"
            elif len(train) == len(want_train) + 1 and fraction * n - int(fraction * n) == 0.5:
                why = (f": {fraction} * {n} = {fraction * n:g} was rounded up; Python's round() gives "
                       f"{round(fraction * n)} (it rounds halves to even): use round(train_fraction * n)")
            raise ExerciseFailed(
                f"with {label}: expected round(train_fraction * n) = {len(want_train)} "
                f"training indices, got {len(train)}{why}"
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
                if torch.equal(train, order[n - len(want_train):]):
                    raise ExerciseFailed(
                        f"with {label}: these are the last round(train_fraction * n) shuffled indices; "
                        "take the first ones for training, order[:n_train]"
                    )
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


def _loss_variants(logits: torch.Tensor, labels: torch.Tensor) -> list[tuple[float, str]]:
    """Known wrong losses on these inputs, each with what is wrong."""
    final = logits[:, -1].double()  # [batch, d_vocab_out]
    rows = torch.arange(len(labels))
    every = logits.double().log_softmax(-1).gather(-1, labels[:, None, None].expand(-1, logits.shape[1], 1))
    return [
        (-every.mean().item(), "this averages the loss over every position; use only the final one, logits[:, -1]"),
        (-final.log_softmax(0)[rows, labels].mean().item(),
         "log_softmax is taken over the batch (dim=0); normalise over the vocabulary, dim=-1"),
        (-final.softmax(-1)[rows, labels].mean().item(),
         "these are probabilities, not log-probabilities: use log_softmax, not softmax"),
        (-final.log_softmax(-1)[:, labels].mean().item(),
         "log_probs[:, labels] picks a [batch, batch] block (every label for every row); pick each row's "
         "own label with log_probs.gather(-1, labels[:, None])"),
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
            for wrong, why in _loss_variants(logits.detach(), labels):
                if abs(value - wrong) <= 1e-14 + 1e-7 * abs(wrong) and abs(wrong - target) > 1e-14 + 1e-6 * abs(target):
                    raise ExerciseFailed(f"on {name}: {why}")
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
        right = abs(got[0] - want[0]) <= 1e-6 * max(1.0, abs(want[0])) and abs(got[1] - want[1]) <= 1e-6
        if (not right and abs(got[0] - want[1]) < 1e-6 and abs(got[1] - want[0]) < 1e-6 * max(1.0, abs(want[0]))
                and abs(want[0] - want[1]) > 1e-6):
            raise ExerciseFailed("the tuple is (accuracy, loss); return (loss, accuracy), the loss first")
        params_same = all(
            torch.equal(a, b) for a, b in zip(theirs.parameters(), model.parameters())
        )
        if step == 1 and params_same and all(a.grad is None or not a.grad.any() for a in theirs.parameters()):
            raise ExerciseFailed(
                "the parameters did not change: no gradient reached optimizer.step(). Call optimizer.zero_grad(), "
                "then loss.backward(), then optimizer.step(): either loss.backward() is missing, or zero_grad() "
                "between it and step() cleared the gradients"
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
            if abs(accuracy - len(labels) * want[1]) < 1e-4:
                raise ExerciseFailed(
                    f"at step {step} the accuracy is a count of correct answers ({accuracy:.4g}); divide by the "
                    "batch size (take the mean) for the fraction, in [0, 1]"
                )
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
                    with torch.no_grad():
                        every = model(tokens).double()  # [batch, pos, d_vocab_out], the model before any step
                    pos = every.shape[1]
                    every_position = torch.nn.functional.cross_entropy(
                        every.flatten(0, 1), labels.repeat_interleave(pos)
                    ).item()
                    if abs(g - every_position) < 1e-6 * max(1.0, abs(every_position)):
                        raise ExerciseFailed(
                            "the loss averages over every position; train on the final position only: "
                            "model(tokens, final_position_only=True) and final_position_loss"
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


def _first_index(mask: torch.Tensor) -> int | None:
    hits = mask.nonzero()
    return int(hits[0, 0]) if len(hits) else None


def _reaching_variants() -> list[tuple[Callable, str]]:
    """Known wrong answers to 1.5, each ``(answer(steps, values, threshold), what is wrong)``."""

    def last_reaching(steps, values, threshold):
        hits = (values >= threshold).nonzero()
        return int(steps[hits[-1, 0]]) if len(hits) else None

    def one_record_late(steps, values, threshold):
        i = _first_index(values >= threshold)
        return None if i is None or i + 1 >= len(steps) else int(steps[i + 1])

    def reaches_and_stays(steps, values, threshold):
        below = _first_index((values < threshold).flip(0))
        if below is None:
            return int(steps[0])
        after = len(values) - below
        return int(steps[after]) if after < len(steps) else None

    def highest_value(steps, values, threshold):
        return int(steps[values.argmax()])

    def argmax_of_the_mask(steps, values, threshold):
        return int(steps[(values >= threshold).int().argmax()])

    return [
        (last_reaching, "this is the last step at or above the threshold (searching from the end); return the first"),
        (one_record_late, "this is one record after the first that reaches the threshold (off by one); "
                          "return steps[i] for the first i with values[i] >= threshold"),
        (reaches_and_stays, "this is where the curve reaches the threshold and stays; return the first step it "
                            "is reached, even if it dips below afterwards"),
        (argmax_of_the_mask, "(values >= threshold).argmax() is 0 when nothing reaches the threshold, which gives "
                             "the first step; return None when values never reaches it"),
        (highest_value, "this is the step of the highest value; return the first step at or above the threshold"),
    ]


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
    answers = []
    for name, values, threshold in cases:
        got = fn(steps, values.double(), threshold)
        want = reference_fn(steps, values.double(), threshold)
        if isinstance(got, torch.Tensor):
            raise ExerciseFailed(f"on {name}: return a Python int (use int(...)), not a tensor")
        answers.append(got)
    # A known mistake is named only if it gives this answer on every curve (on one curve, two
    # mistakes can give the same step).
    for variant, why in _reaching_variants():
        expected = [variant(steps, values.double(), threshold) for _, values, threshold in cases]
        if answers == expected and answers != [reference_fn(steps, v.double(), t) for _, v, t in cases]:
            wrong = next(i for i, (_, v, t) in enumerate(cases) if answers[i] != reference_fn(steps, v.double(), t))
            raise ExerciseFailed(f"on {cases[wrong][0]}: returned {answers[wrong]!r}: {why}")
    for (name, values, threshold), got in zip(cases, answers):
        want = reference_fn(steps, values.double(), threshold)
        if got != want:
            index = None if want is None else int((steps == want).nonzero()[0, 0])
            if want is not None and got == index:
                raise ExerciseFailed(
                    f"on {name}: returned {got}, the position in the list; return the step "
                    f"recorded there, steps[{index}] = {want}"
                )
            if want is None:
                what = " (-1 is a valid-looking step; None says it never happened)" if got == -1 else ""
                raise ExerciseFailed(
                    f"on {name}: expected None, got {got!r}: if values never reaches the threshold, "
                    f"return None{what}"
                )
            exact = " (reaching the threshold exactly counts: use >=)" if values[index] == threshold else ""
            raise ExerciseFailed(
                f"on {name} (threshold {threshold}): expected step {want}, got {got!r}{exact}"
            )
    return f"{len(cases)} curves, including one that never reaches the threshold"
