"""The checks of chapter 6 reject plausible wrong answers with a message that says what is wrong
(the contract every check keeps, reference / stub / strict, is tested in
tests/test_exercise_contract.py)."""

import pytest
import math

import torch

from interp_course.chapter6_universality import checks
from solutions import chapter6_universality as ref
from tests.test_exercise_contract import assert_rejected, wrong_answer_cases

WRONG_ANSWERS: dict = {}
"""{check: [(wrong function, regex its failure message must match), ...]}"""


def stack_in_place_of_the_first(state_dicts):
    return {name: torch.cat([s[name] for s in state_dicts]) for name in state_dicts[0]}


def stack_returns_the_input_views(state_dicts):
    if len(state_dicts) == 1:  # one model: a view of its weights, not a copy
        return {name: weight.unsqueeze(0) for name, weight in state_dicts[0].items()}
    return ref.stack_weights(state_dicts)


def stack_after_adding_the_run_dimension_to_the_inputs(state_dicts):
    for state in state_dicts:  # edits the learner's own state dicts: their weights get a new shape
        for name in list(state):
            state[name] = state[name].unsqueeze(0)
    return {name: torch.cat([s[name] for s in state_dicts]) for name in state_dicts[0]}


def stack_popping_the_inputs(state_dicts):
    names = list(state_dicts[0])
    return {name: torch.stack([s.pop(name) for s in state_dicts]) for name in names}


WRONG_ANSWERS[checks.check_stack_weights] = [
    (stack_in_place_of_the_first, "torch.stack adds the new run dimension"),
    (stack_after_adding_the_run_dimension_to_the_inputs, "changed its input `state_dicts` in place"),
    (stack_popping_the_inputs, "changed its input `state_dicts` in place"),
    (lambda sds: [ref.stack_weights(sds)], "should return a dict"),
    (lambda sds: {**ref.stack_weights(sds), "extra": torch.zeros(1)}, "names"),
    (stack_returns_the_input_views, "changing the result changed the input"),
]


def _losses(model, tokens, labels):
    logits = model(tokens).double()
    return -logits.log_softmax(-1).gather(-1, labels[..., None])[..., 0].mean(-1), logits


def step_with_mean(model, optimizer, tokens, labels):
    optimizer.zero_grad()
    losses, logits = _losses(model, tokens, labels)
    losses.mean().backward()
    optimizer.step()
    return losses.detach(), (logits.argmax(-1) == labels).double().mean(-1)


def step_without_update(model, optimizer, tokens, labels):
    losses, logits = _losses(model, tokens, labels)
    return losses.detach(), (logits.argmax(-1) == labels).double().mean(-1)


def step_reporting_after(model, optimizer, tokens, labels):
    ref.batched_training_step(model, optimizer, tokens, labels)
    with torch.no_grad():
        losses, logits = _losses(model, tokens, labels)
    return losses, (logits.argmax(-1) == labels).double().mean(-1)


def step_float32_losses(model, optimizer, tokens, labels):
    losses, accuracies = ref.batched_training_step(model, optimizer, tokens, labels)
    return losses.float(), accuracies


def step_not_detached(model, optimizer, tokens, labels):
    optimizer.zero_grad()
    losses, logits = _losses(model, tokens, labels)
    losses.sum().backward(retain_graph=True)
    optimizer.step()
    return losses, (logits.argmax(-1) == labels).double().mean(-1)


def step_without_zero_grad(model, optimizer, tokens, labels):
    losses, logits = _losses(model, tokens, labels)
    losses.sum().backward()
    optimizer.step()
    return losses.detach(), (logits.argmax(-1) == labels).double().mean(-1)


WRONG_ANSWERS[checks.check_batched_training_step] = [
    (step_with_mean, "backpropagated the mean of the K losses"),
    (step_without_update, "the weights did not change"),
    (step_reporting_after, "measured after the update"),
    (step_float32_losses, "dtype"),
    (step_not_detached, "require grad"),
    (step_without_zero_grad, "zero_grad"),
]


def first_below_or_equal(steps, restricted, test, threshold):
    def first(values):
        below = (values <= threshold).nonzero()
        return None if len(below) == 0 else int(steps[below[0, 0]])
    return first(restricted), first(test)


def first_positions(steps, restricted, test, threshold):
    def first(values):
        below = (values < threshold).nonzero()
        return None if len(below) == 0 else int(below[0, 0])
    return first(restricted), first(test)


WRONG_ANSWERS[checks.check_first_steps_below] = [
    (first_below_or_equal, "use <, not <="),
    (first_positions, "return the steps at those positions"),
    (lambda s, r, t, th: ref.first_steps_below(s, t, r, th), "expected"),
    (lambda s, r, t, th: tuple(None if v is None else float(v) for v in ref.first_steps_below(s, r, t, th)), "int"),
    (lambda s, r, t, th: tuple(None if v is None else torch.tensor(v) for v in ref.first_steps_below(s, r, t, th)),
     "Python int"),
]



def idealised_loss_with(logits, labels, frequencies, *, c_sign=-1, per_p=True, reduction="mean"):
    """The idealised loss as a learner might write it, with one of three slips."""
    p = logits.shape[1]
    x = torch.arange(p, dtype=torch.float64)
    total = (x[:, None, None] + x[None, :, None] + c_sign * x[None, None, :]).reshape(p * p, p)
    waves = torch.stack([torch.cos(2 * math.pi * k / (p if per_p else 1) * total) for k in frequencies], dim=-1)
    centred = logits.double() - logits.double().mean(dim=1, keepdim=True)
    coefficients = torch.linalg.lstsq(waves.reshape(-1, len(frequencies)), centred.reshape(-1, 1)).solution
    return float(torch.nn.functional.cross_entropy((waves @ coefficients)[..., 0], labels, reduction=reduction))


WRONG_ANSWERS[checks.check_idealised_loss] = [
    (lambda logits, labels, f: float(torch.nn.functional.cross_entropy(logits, labels)), "loss of the model's own logits"),
    (lambda logits, labels, f: torch.tensor(ref.idealised_loss(logits, labels, f)), "Python float"),
    (lambda logits, labels, f: idealised_loss_with(logits, labels, f, reduction="sum"), "sum of the losses"),
    (lambda logits, labels, f: idealised_loss_with(logits, labels, f, per_p=False), "divided by p"),
    (lambda logits, labels, f: idealised_loss_with(logits, labels, f, c_sign=+1), r"cos\(w \(a \+ b \+ c\)\)"),
    (lambda logits, labels, f: ref.idealised_loss(logits, labels, f) * (1 + 1e-4), "expected"),  # off in the 5th digit
]


def distance_sample_std(correct):
    p = correct.shape[0]
    d = ((torch.arange(p)[:, None] - torch.arange(p)[None, :]) % p).flatten()
    means = torch.zeros(p, dtype=torch.float64).index_add_(0, d, correct.double().flatten()) / p
    return float(means.std() / correct.mean())


def distance_unnormalised(correct):
    return ref.distance_dependence(correct) * float(correct.double().mean())


def grouped_by_sum(correct):
    return ref.distance_dependence(correct.flip(1).roll(1, dims=1))


WRONG_ANSWERS[checks.check_distance_dependence] = [
    (distance_sample_std, "population standard deviation"),
    (distance_unnormalised, "divide by the mean correct logit"),
    (grouped_by_sum, "groups by a \\+ b"),
    (lambda correct: float(correct.std() / correct.mean()), "spread of every correct logit"),
    (lambda correct: float(correct.double().std(correction=0) / correct.double().mean()), "spread of every correct logit"),
]

CASES, IDS = wrong_answer_cases(WRONG_ANSWERS)


@pytest.mark.parametrize("check, wrong, message", CASES, ids=IDS)
def test_wrong_answers_are_rejected_with_a_message(check, wrong, message):
    assert_rejected(check, wrong, message)


def test_a_correct_answer_with_its_names_in_another_order_passes():
    checks.check_stack_weights(lambda sds: dict(sorted(ref.stack_weights(sds).items())), strict=True)
