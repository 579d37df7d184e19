"""Checks for the exercises of chapter 6, "Many seeds, many moduli"."""

from __future__ import annotations

import copy
import math
from typing import Callable

import torch

from solutions import chapter6_universality as reference

from ..core.exercise import ExerciseFailed, expect_tensor, exercise, same_values
from ..core.mistakes import agrees
from ..core.stacked import StackedTransformer
from ..core.training import evaluate_stacked, gradient_step
from ..core.transformer import HookedTransformer, TransformerConfig


def _tiny_config(p: int = 5) -> TransformerConfig:
    return TransformerConfig(d_vocab=p + 1, d_vocab_out=p, n_ctx=3, d_model=8, n_heads=2, d_head=4, d_mlp=16)


def _expect_float(got, want: float, what: str, tolerance: float = 1e-6, relative: bool = False) -> None:
    """``got`` within ``tolerance`` of ``want``: of its size if ``relative`` (a loss of 0.018 must
    be right to 1.8e-8, not to 1e-6), else of max(1, its size)."""
    if isinstance(got, torch.Tensor) or not isinstance(got, float):
        raise ExerciseFailed(f"{what} should be a Python float (use float(...) or .item()), got {type(got).__name__}")
    bound = tolerance * abs(want) if relative else tolerance * max(1.0, abs(want))
    if not abs(got - want) <= bound:
        raise ExerciseFailed(f"{what}: expected {want:.6g}, got {got:.6g}")


@exercise("6.1", reference.stack_weights)
def check_stack_weights(fn: Callable, reference_fn: Callable) -> str:
    models = [HookedTransformer(_tiny_config(), seed=seed).state_dict() for seed in (0, 1, 2)]
    for cases in (models, models[:1]):
        got = fn(cases)
        want = reference_fn(cases)
        if not isinstance(got, dict):
            raise ExerciseFailed(f"should return a dict {{name: tensor}}, got {type(got).__name__}")
        if set(got) != set(want):
            raise ExerciseFailed(f"should have the weights' names {sorted(want)}, got {sorted(got)}")
        for name in want:
            value, right = got[name], want[name]
            if isinstance(value, (list, tuple)):
                raise ExerciseFailed(f"{name} is a {type(value).__name__} of tensors; torch.stack turns it into one "
                                     "tensor with the run dimension in front")
            if isinstance(value, torch.Tensor) and value.shape[0] == right.shape[0] * right.shape[1] and len(cases) > 1:
                raise ExerciseFailed(f"{name} has shape {tuple(value.shape)}: torch.cat joins along an existing "
                                     "dimension; torch.stack adds the new run dimension in front")
            if len(cases) > 1 and same_values(value, right.movedim(0, -1), atol=0) \
                    and not same_values(right, right.movedim(0, -1), atol=0):
                raise ExerciseFailed(f"{name} has shape {tuple(value.shape)}: the run dimension is last; "
                                     "it goes in front, torch.stack(..., dim=0)")
            first_only = right[:1].expand_as(right)
            if len(cases) > 1 and same_values(value, first_only, atol=0) and not torch.equal(right, first_only):
                raise ExerciseFailed(f"every entry of {name} is model 0's weight; entry k must come from "
                                     "state_dicts[k]")
            expect_tensor(value, right, f"{name} for {len(cases)} model(s)")
    originals = {name: weight.clone() for name, weight in models[0].items()}
    for weight in fn(models[:1]).values():
        weight.add_(1.0)
    if not all(torch.equal(models[0][name], weight) for name, weight in originals.items()):
        raise ExerciseFailed("changing the result changed the input: build new tensors (torch.stack copies)")
    return "3 models and 1 model; the result is a copy"


def _step_case(K: int = 3, p: int = 5, batch: int = 6):
    g = torch.Generator().manual_seed(7)
    tokens = torch.randint(0, p, (K, batch, 3), generator=g)
    tokens[..., 2] = p
    labels = torch.randint(0, p, (K, batch), generator=g)
    return StackedTransformer(_tiny_config(p), list(range(K))), tokens, labels


@exercise("6.2", reference.batched_training_step, may_change=("model", "optimizer"))
def check_batched_training_step(fn: Callable, reference_fn: Callable) -> str:
    model, tokens, labels = _step_case()
    for parameter in model.parameters():  # gradients left over from an earlier step: the step must zero them
        parameter.grad = torch.full_like(parameter, 0.1)
    learner_model, reference_model, mean_model = model, copy.deepcopy(model), copy.deepcopy(model)
    before = reference_model.stacked_state_dict()
    # SGD: an update proportional to the gradient shows a gradient that is off by a factor.
    with torch.no_grad():  # each example's loss before the step, for naming the known mistakes
        example_losses = -mean_model(tokens).double().log_softmax(-1).gather(-1, labels[..., None])[..., 0]  # [K, batch]
    got = fn(learner_model, torch.optim.SGD(learner_model.parameters(), lr=0.5), tokens, labels)
    # The reference itself, not reference_fn (which runs on a copy): it must update reference_model.
    losses, accuracies = reference.batched_training_step(
        reference_model, torch.optim.SGD(reference_model.parameters(), lr=0.5), tokens, labels)
    if not isinstance(got, tuple) or len(got) != 2:
        raise ExerciseFailed(f"should return a tuple (losses, accuracies), got {type(got).__name__}")
    got_losses, got_accuracies = got
    if isinstance(got_losses, torch.Tensor) and got_losses.requires_grad:
        raise ExerciseFailed("losses still require grad: return losses.detach()")
    after = evaluate_stacked(reference_model, tokens, labels)[0]
    if same_values(got_losses, after, atol=1e-9) and not same_values(after, losses, atol=1e-9):
        raise ExerciseFailed("the losses are measured after the update; return the losses computed before optimizer.step()")
    if isinstance(got_losses, torch.Tensor) and got_losses.shape == () and abs(float(got_losses) - float(losses.mean())) < 1e-6:
        raise ExerciseFailed("this is one loss for all the runs together; compute one mean loss per run, [K] "
                             "(average over the batch, the last dimension), and backpropagate their sum")
    if isinstance(got_losses, torch.Tensor) and not agrees(got_losses, losses, atol=1e-9):
        if same_values(got_losses, example_losses.mean(dim=0), atol=1e-6):
            raise ExerciseFailed("the losses are averaged over the runs (dim 0), one per example; average over the "
                                 "batch (the last dimension), one loss per run, [K]")
        if same_values(got_losses, example_losses.sum(dim=-1), atol=1e-6):
            raise ExerciseFailed("each run's loss is summed over its batch; take the mean")
        if (got_losses.dtype == torch.float64 and torch.equal(got_losses.float().double(), got_losses)
                and same_values(got_losses, losses, atol=1e-5)):
            raise ExerciseFailed("the losses were computed in float32 and converted afterwards; cast the logits "
                                 "to float64 before log_softmax")
    if isinstance(got_accuracies, torch.Tensor) and not agrees(got_accuracies, accuracies, atol=1e-12) \
            and same_values(got_accuracies, accuracies * labels.shape[-1], atol=1e-9):
        raise ExerciseFailed("the accuracies count the right answers; divide by the batch size (the mean over the batch)")
    expect_tensor(got_losses, losses, "losses", atol=1e-9)
    expect_tensor(got_accuracies, accuracies, "accuracies", atol=1e-12)
    weights = learner_model.stacked_state_dict()
    if all(torch.equal(weights[name], before[name]) for name in weights):
        raise ExerciseFailed("the weights did not change: call optimizer.zero_grad() first (not between the "
                             "backward pass and the step), then losses.sum().backward(), then optimizer.step()")
    want = reference_model.stacked_state_dict()
    if not all(torch.allclose(weights[name], want[name], atol=1e-6) for name in want):
        logits = mean_model(tokens).double()  # the known mistake, replayed: the mean of the K losses backpropagated
        gradient_step(torch.optim.SGD(mean_model.parameters(), lr=0.5),
                      (-logits.log_softmax(-1).gather(-1, labels[..., None])[..., 0].mean(-1)).mean())
        mean_weights = mean_model.stacked_state_dict()
        if all(torch.allclose(weights[name], mean_weights[name], atol=1e-6) for name in weights):
            raise ExerciseFailed("the update is the reference's divided by K: you backpropagated the mean of the K losses; "
                                 "backpropagate their sum, so that each run gets the gradient of its own loss")
        raise ExerciseFailed("after your step the weights differ from the reference's (with SGD, lr 0.5, and gradients "
                             "left over from an earlier step): call optimizer.zero_grad() first, backpropagate "
                             "losses.sum() and call optimizer.step() once")
    return "3 runs of a small model, one SGD step: losses, accuracies and every updated weight"


@exercise("6.3", reference.first_steps_below)
def check_first_steps_below(fn: Callable, reference_fn: Callable) -> str:
    steps = torch.tensor([0, 100, 200, 300, 400])
    cases = [
        (torch.tensor([3.0, 0.5, 0.05, 0.01, 0.001], dtype=torch.float64),
         torch.tensor([4.0, 3.0, 1.0, 0.1, 0.02], dtype=torch.float64), "restricted first"),
        (torch.tensor([3.0, 0.5, 0.2, 0.2, 0.2], dtype=torch.float64),
         torch.tensor([0.05, 3.0, 1.0, 0.5, 0.5], dtype=torch.float64), "restricted never; test at the first step"),
    ]
    for restricted, test, name in cases:
        got = fn(steps, restricted, test, 0.1)
        want = reference_fn(steps, restricted, test, 0.1)
        if got != want:
            if isinstance(got, tuple) and len(got) == 2 and got == tuple(
                    None if v is None else int(steps.tolist().index(v)) for v in want):
                raise ExerciseFailed(f"on '{name}': returned positions {got}; return the steps at those positions, {want}")
            if name == "restricted first" and got == (200, 300):
                raise ExerciseFailed("a loss exactly at the threshold (0.1 at step 300) is not below it: use <, not <=")
            _name_the_step_mistake(got, want, steps, restricted, test, name)
            raise ExerciseFailed(f"on '{name}': expected {want}, got {got}")
        if not all(v is None or type(v) is int for v in got):
            raise ExerciseFailed(f"should return a Python int (or None) for each step, got {[type(v).__name__ for v in got]}")
    return "a run whose restricted loss falls first, and one whose restricted loss never does"


def _name_the_step_mistake(got, want, steps, restricted, test, name) -> None:
    """Raise :class:`ExerciseFailed` naming the mistake of first_steps_below's wrong result
    ``got`` (``want``: the right one), if it is a known one."""
    if not (isinstance(got, tuple) and len(got) == 2):
        return
    if want[0] != want[1] and got == (want[1], want[0]):
        raise ExerciseFailed(f"on '{name}': the two are swapped; return (the restricted loss's first step, "
                             "the test loss's first step), in the order of the arguments")

    def step_where(values: torch.Tensor, which: int) -> int | None:
        found = values.nonzero()
        return None if len(found) == 0 else int(steps[found[which, 0]])

    def plain(value):
        return int(value) if isinstance(value, torch.Tensor) and value.numel() == 1 else value

    got = tuple(plain(v) for v in got)
    if got == tuple(step_where(loss < 0.1, -1) for loss in (restricted, test)):
        raise ExerciseFailed(f"on '{name}': these are the last steps below the threshold; return the first")
    if got == tuple(step_where(loss > 0.1, 0) for loss in (restricted, test)):
        raise ExerciseFailed(f"on '{name}': these are the first steps *above* the threshold; use loss < threshold")
    for g, w in zip(got, want):
        if w is None and g == int(steps[0]):
            raise ExerciseFailed(f"on '{name}': a loss that never falls below the threshold got step {g} (as argmax "
                                 "of an all-False mask gives 0); return None when no step is below")
        if w is None and g == -1:
            raise ExerciseFailed(f"on '{name}': a loss that never falls below the threshold got -1; return None")
        if w == int(steps[0]) and g is None:
            raise ExerciseFailed(f"on '{name}': returned None for a loss already below the threshold at the first "
                                 "step: position 0 (and step 0) is falsy, so test `is None`, not `if first:`")


def _idealised_case(p: int = 7):
    g = torch.Generator().manual_seed(3)
    x = torch.arange(p, dtype=torch.float64)
    total = (x[:, None, None] + x[None, :, None] - x[None, None, :]).reshape(p * p, p)
    logits = 4 * torch.cos(2 * math.pi * 1 / p * total) + 2 * torch.cos(2 * math.pi * 3 / p * total)
    logits = logits + 0.5 * torch.randn(p * p, p, generator=g, dtype=torch.float64)
    logits = logits + 3 * torch.randn(p * p, 1, generator=g, dtype=torch.float64)  # a constant per input
    labels = ((x[:, None] + x[None, :]) % p).long().flatten()
    return logits, labels


def _idealised_fit(logits: torch.Tensor, frequencies: list[int], wave: Callable = torch.cos) -> torch.Tensor:
    """The fitted logits of idealised_loss, [p * p, p] float64, with ``wave`` in place of cos."""
    p = logits.shape[1]
    x = torch.arange(p, dtype=torch.float64)
    total = (x[:, None, None] + x[None, :, None] - x[None, None, :]).reshape(p * p, p)
    waves = torch.stack([wave(2 * math.pi * k / p * total) for k in frequencies], dim=-1)
    centred = logits.double() - logits.double().mean(dim=1, keepdim=True)
    coefficients = torch.linalg.lstsq(waves.reshape(-1, len(frequencies)), centred.reshape(-1, 1)).solution
    return (waves @ coefficients)[..., 0]


@exercise("6.4", reference.idealised_loss)
def check_idealised_loss(fn: Callable, reference_fn: Callable) -> str:
    logits, labels = _idealised_case()
    for frequencies in ([1, 3], [2], [1]):
        got = fn(logits, labels, frequencies)
        want = reference_fn(logits, labels, frequencies)
        if isinstance(got, float):
            model = float(torch.nn.functional.cross_entropy(logits, labels))
            if abs(got - model) < 1e-9 and abs(want - model) > 1e-6:
                raise ExerciseFailed("this is the loss of the model's own logits; fit the idealised logits to them "
                                     "and return the loss of the fit")
            p = logits.shape[1]
            if abs(got - want * p * p) < 1e-6 * want * p * p:
                raise ExerciseFailed(f"with frequencies {frequencies}: this is the sum of the losses over the "
                                     f"{p * p} inputs; return their mean")
            if abs(got - math.log(p)) < 1e-6 and abs(want - math.log(p)) > 1e-6:
                raise ExerciseFailed(f"with frequencies {frequencies}: the loss is ln p, a uniform guess: the fitted "
                                     "logits are flat. Is the angle of each wave divided by p: cos(2 pi k (a + b - c) / p)?")
            flip = (-torch.arange(p)) % p  # c -> -c: the fit of cos(w (a + b + c)), through the reference
            plus = reference_fn(logits[:, flip], flip[labels], frequencies)
            if abs(got - plus) < 1e-6 * max(1.0, plus) and abs(want - plus) > 1e-6:
                raise ExerciseFailed(f"with frequencies {frequencies}: the waves are cos(w (a + b + c)); the logit of "
                                     "c must peak where c = a + b, so take cos(w (a + b - c))")
            if abs(got - want) > 1e-6 * want:
                fitted = _idealised_fit(logits, frequencies)
                for variant, message in [
                    (lambda: torch.nn.functional.cross_entropy(fitted.softmax(-1), labels),
                     "cross_entropy takes logits (it applies log_softmax itself): pass the fitted logits, "
                     "not their softmax"),
                    (lambda: torch.nn.functional.nll_loss(fitted, labels),
                     "nll_loss expects log-probabilities; take cross_entropy of the fitted logits"),
                    (lambda: torch.nn.functional.cross_entropy(_idealised_fit(logits, frequencies, torch.sin), labels),
                     "the waves are cosines, cos(w (a + b - c)); a sine peaks a quarter turn away from the answer"),
                ]:
                    wrong = float(variant())
                    if abs(got - wrong) < 1e-6 * max(1.0, wrong) and abs(want - wrong) > 1e-6 * want:
                        raise ExerciseFailed(f"with frequencies {frequencies}: {message}")
                if got == float(torch.tensor(got, dtype=torch.float32)) and abs(got - want) < 1e-4 * want:
                    raise ExerciseFailed(f"with frequencies {frequencies}: the loss was computed in float32; compute "
                                         "in float64 (torch.arange(p, dtype=torch.float64) for the waves, "
                                         "logits.double())")
        _expect_float(got, want, f"the idealised loss with frequencies {frequencies}", relative=True)
    return "noisy wave logits with a constant per input, p = 7, three sets of frequencies"


def _distance_cases(p: int = 7) -> list[tuple[str, torch.Tensor]]:
    a = torch.arange(p, dtype=torch.float64)[:, None]
    b = torch.arange(p, dtype=torch.float64)[None, :]
    clock = torch.full((p, p), 5.0, dtype=torch.float64) + 0.1 * torch.cos(2 * math.pi * (a + b) / p)
    pizza = 2 + 3 * torch.cos(math.pi * 2 * (a - b) / p).abs()
    lopsided = (4 + torch.sin(2 * math.pi * (a - b) / p) + 0.5 * torch.cos(2 * math.pi * a / p)
                + 0.25 * torch.cos(4 * math.pi * b / p))  # a term in b alone: averaging each column (one b) is
    # then not 0, as grouping by a + b is, so that the two mistakes get their own numbers
    return [("a clock (depends on a + b only)", clock), ("a pizza (|cos| of the distance)", pizza),
            ("a mixture", lopsided)]


@exercise("6.5", reference.distance_dependence)
def check_distance_dependence(fn: Callable, reference_fn: Callable) -> str:
    # The mixture first: on it every mistake below gives its own number (on the clock, grouping
    # by a + b and the spread of every logit coincide).
    for name, correct in reversed(_distance_cases()):
        got = fn(correct)
        want = reference_fn(correct)
        if isinstance(got, float) and abs(got - want) > 1e-9:
            p = correct.shape[0]
            d = ((torch.arange(p)[:, None] - torch.arange(p)[None, :]) % p).flatten()
            means = torch.zeros(p, dtype=torch.float64).index_add_(0, d, correct.flatten()) / p
            if abs(got - float(means.std() / correct.mean())) < 1e-9:
                raise ExerciseFailed(f"on {name}: use the population standard deviation, std(correction=0)")
            if abs(got - float(means.std(correction=0))) < 1e-9:
                raise ExerciseFailed(f"on {name}: divide by the mean correct logit, so that runs with larger logits compare")
            s = ((torch.arange(p)[:, None] + torch.arange(p)[None, :]) % p).flatten()
            sums = torch.zeros(p, dtype=torch.float64).index_add_(0, s, correct.flatten()) / p
            if abs(got - float(sums.std(correction=0) / correct.mean())) < 1e-9:
                raise ExerciseFailed(f"on {name}: this groups by a + b; group by the distance (a - b) mod p")
            values = correct.double()
            mean = values.mean()
            for spread in (values.std(), values.std(correction=0)):
                if abs(got - float(spread / values.mean())) < 1e-9:
                    raise ExerciseFailed(
                        f"on {name}: this is the spread of every correct logit; first average the correct logit "
                        "at each distance (a - b) mod p, then take the spread of those p means")
            if abs(got - float(means.var(correction=0) / mean)) < 1e-9:
                raise ExerciseFailed(f"on {name}: this is the variance of the p means; take its square root, the "
                                     "standard deviation")
            if abs(got - float((means * p).std(correction=0) / mean)) < 1e-9:
                raise ExerciseFailed(f"on {name}: this takes the sum of the correct logits at each distance; "
                                     "divide it by p, the number of inputs at each distance, for their mean")
            for axis, which in ((1, "row (one a)"), (0, "column (one b)")):
                if abs(got - float(values.mean(dim=axis).std(correction=0) / mean)) < 1e-9:
                    raise ExerciseFailed(f"on {name}: this averages each {which}; group by the distance (a - b) mod p")
            absolute = (torch.arange(p)[:, None] - torch.arange(p)[None, :]).abs().flatten()
            by_absolute = torch.zeros(p, dtype=torch.float64).index_add_(0, absolute, values.flatten())
            counts = torch.zeros(p, dtype=torch.float64).index_add_(0, absolute, torch.ones(p * p, dtype=torch.float64))
            if any(abs(got - float(m.std(correction=0) / mean)) < 1e-9 for m in (by_absolute / p, by_absolute / counts)):
                raise ExerciseFailed(f"on {name}: this groups by |a - b|; the distance is (a - b) mod p "
                                     "(a - b = -1 is distance p - 1)")
        _expect_float(got, want, f"the distance dependence of {name}", tolerance=1e-9)
    return "a clock (0), a pizza and a mixture, p = 7"
