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


def stack_as_lists(state_dicts):
    return {name: [s[name] for s in state_dicts] for name in state_dicts[0]}


def stack_along_the_last_dimension(state_dicts):
    return {name: torch.stack([s[name] for s in state_dicts], dim=-1) for name in state_dicts[0]}


def stack_the_first_model_k_times(state_dicts):
    first = state_dicts[0]
    return {name: torch.stack([first[name] for _ in state_dicts]) for name in first}  # the loop variable unused


def stack_into_the_first_dict(state_dicts):
    stacked = state_dicts[0]  # the first model's dict, reused as the result
    for name in list(stacked):
        stacked[name] = torch.stack([s[name] for s in state_dicts])
    return stacked


WRONG_ANSWERS[checks.check_stack_weights] = [
    (stack_in_place_of_the_first, "torch.stack adds the new run dimension"),
    (stack_after_adding_the_run_dimension_to_the_inputs, "changed its input `state_dicts` in place"),
    (stack_popping_the_inputs, "changed its input `state_dicts` in place"),
    (lambda sds: [ref.stack_weights(sds)], "should return a dict"),
    (lambda sds: {**ref.stack_weights(sds), "extra": torch.zeros(1)}, "names"),
    (stack_returns_the_input_views, "changing the result changed the input"),
    (stack_as_lists, "is a list of tensors; torch.stack"),
    (stack_along_the_last_dimension, "the run dimension is last"),
    (stack_the_first_model_k_times, "every entry of .* is model 0's weight"),
    (stack_into_the_first_dict, "changed its input `state_dicts` in place"),
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


def step_float32_cross_entropy(model, optimizer, tokens, labels):
    optimizer.zero_grad()
    logits = model(tokens)  # float32
    losses = torch.stack([torch.nn.functional.cross_entropy(logits[k], labels[k]) for k in range(len(logits))])
    losses.sum().backward()
    optimizer.step()
    return losses.detach().double(), (logits.argmax(-1) == labels).double().mean(-1)


def step_one_loss_for_all_runs(model, optimizer, tokens, labels):
    optimizer.zero_grad()
    logits = model(tokens).double()
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1))
    loss.backward()
    optimizer.step()
    return loss.detach(), (logits.argmax(-1) == labels).double().mean(-1)


def step_averaging_over_the_runs(model, optimizer, tokens, labels):
    optimizer.zero_grad()
    logits = model(tokens).double()
    losses = -logits.log_softmax(-1).gather(-1, labels[..., None])[..., 0].mean(0)  # the wrong axis
    losses.sum().backward()
    optimizer.step()
    return losses.detach(), (logits.argmax(-1) == labels).double().mean(-1)


def step_summing_over_the_batch(model, optimizer, tokens, labels):
    optimizer.zero_grad()
    logits = model(tokens).double()
    losses = -logits.log_softmax(-1).gather(-1, labels[..., None])[..., 0].sum(-1)
    losses.sum().backward()
    optimizer.step()
    return losses.detach(), (logits.argmax(-1) == labels).double().mean(-1)


def step_accuracy_as_a_count(model, optimizer, tokens, labels):
    optimizer.zero_grad()
    losses, logits = _losses(model, tokens, labels)
    losses.sum().backward()
    optimizer.step()
    return losses.detach(), (logits.argmax(-1) == labels).double().sum(-1)


def step_zero_grad_after_backward(model, optimizer, tokens, labels):
    losses, logits = _losses(model, tokens, labels)
    losses.sum().backward()
    optimizer.zero_grad()  # clears the gradients just computed
    optimizer.step()
    return losses.detach(), (logits.argmax(-1) == labels).double().mean(-1)


WRONG_ANSWERS[checks.check_batched_training_step] = [
    (step_with_mean, "backpropagated the mean of the K losses"),
    (step_without_update, "the weights did not change"),
    (step_reporting_after, "measured after the update"),
    (step_float32_losses, "dtype"),
    (step_not_detached, "require grad"),
    (step_without_zero_grad, "zero_grad"),
    (step_float32_cross_entropy, "computed in float32"),
    (step_one_loss_for_all_runs, "one loss for all the runs together"),
    (step_averaging_over_the_runs, "averaged over the runs \\(dim 0\\)"),
    (step_summing_over_the_batch, "summed over its batch; take the mean"),
    (step_accuracy_as_a_count, "accuracies count the right answers"),
    (step_zero_grad_after_backward, "not between the backward pass and the step"),
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


def first_steps_with(pick):
    """first_steps_below with ``pick(values, steps, threshold)`` for each loss."""
    def first_steps(steps, restricted, test, threshold):
        return pick(restricted, steps, threshold), pick(test, steps, threshold)
    return first_steps


def last_below(values, steps, threshold):
    below = (values < threshold).nonzero()
    return None if len(below) == 0 else int(steps[below[-1, 0]])


def first_above(values, steps, threshold):
    above = (values > threshold).nonzero()
    return None if len(above) == 0 else int(steps[above[0, 0]])


def first_by_argmax(values, steps, threshold):
    return int(steps[(values < threshold).int().argmax()])  # argmax of an all-False mask is 0


def first_or_minus_one(values, steps, threshold):
    below = (values < threshold).nonzero()
    return -1 if len(below) == 0 else int(steps[below[0, 0]])


def first_by_truthiness(values, steps, threshold):
    below = (values < threshold).nonzero()
    position = int(below[0, 0]) if len(below) else None
    return int(steps[position]) if position else None  # position 0 is falsy


WRONG_ANSWERS[checks.check_first_steps_below] = [
    (first_below_or_equal, "use <, not <="),
    (first_positions, "return the steps at those positions"),
    (lambda s, r, t, th: ref.first_steps_below(s, t, r, th), "the two are swapped"),
    (first_steps_with(last_below), "the last steps below the threshold; return the first"),
    (first_steps_with(first_above), "first steps \\*above\\* the threshold"),
    (first_steps_with(first_by_argmax), "never falls below the threshold got step 0 \\(as argmax"),
    (first_steps_with(first_or_minus_one), "never falls below the threshold got -1; return None"),
    (first_steps_with(first_by_truthiness), "falsy, so test `is None`"),
    (lambda s, r, t, th: tuple(None if v is None else float(v) for v in ref.first_steps_below(s, r, t, th)), "int"),
    (lambda s, r, t, th: tuple(None if v is None else torch.tensor(v) for v in ref.first_steps_below(s, r, t, th)),
     "Python int"),
]



def idealised_loss_with(logits, labels, frequencies, *, c_sign=-1, per_p=True, reduction="mean", wave=torch.cos,
                        ce_input="logits"):
    """The idealised loss as a learner might write it, with one slip."""
    p = logits.shape[1]
    x = torch.arange(p, dtype=torch.float64)
    total = (x[:, None, None] + x[None, :, None] + c_sign * x[None, None, :]).reshape(p * p, p)
    waves = torch.stack([wave(2 * math.pi * k / (p if per_p else 1) * total) for k in frequencies], dim=-1)
    centred = logits.double() - logits.double().mean(dim=1, keepdim=True)
    coefficients = torch.linalg.lstsq(waves.reshape(-1, len(frequencies)), centred.reshape(-1, 1)).solution
    fitted = (waves @ coefficients)[..., 0]
    if ce_input == "nll":  # nll_loss on the logits themselves
        return float(torch.nn.functional.nll_loss(fitted, labels))
    if ce_input == "softmax":  # probabilities passed where cross_entropy wants logits
        fitted = fitted.softmax(-1)
    return float(torch.nn.functional.cross_entropy(fitted, labels, reduction=reduction))


def idealised_loss_in_float32(logits, labels, frequencies):
    p = logits.shape[1]
    x = torch.arange(p)  # long: the waves come out float32, so the logits are made float32 to match
    total = (x[:, None, None] + x[None, :, None] - x[None, None, :]).reshape(p * p, p)
    waves = torch.stack([torch.cos(2 * math.pi * k / p * total) for k in frequencies], dim=-1)
    centred = logits.float() - logits.float().mean(dim=1, keepdim=True)
    coefficients = torch.linalg.lstsq(waves.reshape(-1, len(frequencies)), centred.reshape(-1, 1)).solution
    return float(torch.nn.functional.cross_entropy((waves @ coefficients)[..., 0], labels))


WRONG_ANSWERS[checks.check_idealised_loss] = [
    (lambda logits, labels, f: float(torch.nn.functional.cross_entropy(logits, labels)), "loss of the model's own logits"),
    (lambda logits, labels, f: torch.tensor(ref.idealised_loss(logits, labels, f)), "Python float"),
    (lambda logits, labels, f: idealised_loss_with(logits, labels, f, reduction="sum"), "sum of the losses"),
    (lambda logits, labels, f: idealised_loss_with(logits, labels, f, per_p=False), "angle of each wave divided by p"),
    (lambda logits, labels, f: idealised_loss_with(logits, labels, f, c_sign=+1), r"cos\(w \(a \+ b \+ c\)\)"),
    # off in the 5th digit: no single cause to name, so the message gives the two numbers
    (lambda logits, labels, f: ref.idealised_loss(logits, labels, f) * (1 + 1e-4),
     r"the idealised loss with frequencies \[1, 3\]: expected 0\.0182578, got"),
    (lambda logits, labels, f: idealised_loss_with(logits, labels, f, ce_input="softmax"), "not their softmax"),
    (lambda logits, labels, f: idealised_loss_with(logits, labels, f, ce_input="nll"), "nll_loss expects log-probabilities"),
    (lambda logits, labels, f: idealised_loss_with(logits, labels, f, wave=torch.sin), "the waves are cosines"),
    (idealised_loss_in_float32, "computed in float32"),
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


def distance_means_with(group, divide_by_p=True):
    """The per-group means of the correct logit, grouped by ``group(a, b)``, as a learner might."""
    def means_of(correct):
        p = correct.shape[0]
        a, b = torch.arange(p)[:, None], torch.arange(p)[None, :]
        index = group(a, b, p).flatten()
        sums = torch.zeros(p, dtype=torch.float64).index_add_(0, index, correct.double().flatten())
        return sums / p if divide_by_p else sums
    return means_of


def distance_with(means_of, spread=lambda m: m.std(correction=0)):
    return lambda correct: float(spread(means_of(correct)) / correct.double().mean())


by_distance = distance_means_with(lambda a, b, p: (a - b) % p)


WRONG_ANSWERS[checks.check_distance_dependence] = [
    (distance_sample_std, "population standard deviation"),
    (distance_unnormalised, "divide by the mean correct logit"),
    (grouped_by_sum, "groups by a \\+ b"),
    (lambda correct: float(correct.std() / correct.mean()), "spread of every correct logit"),
    (lambda correct: float(correct.double().std(correction=0) / correct.double().mean()), "spread of every correct logit"),
    (distance_with(by_distance, lambda m: m.var(correction=0)), "variance of the p means; take its square root"),
    (distance_with(distance_means_with(lambda a, b, p: (a - b) % p, divide_by_p=False)), "sum of the correct logits"),
    (lambda correct: float(correct.double().mean(dim=1).std(correction=0) / correct.double().mean()),
     "averages each row \\(one a\\)"),
    (lambda correct: float(correct.double().mean(dim=0).std(correction=0) / correct.double().mean()),
     "averages each column \\(one b\\)"),
    (distance_with(distance_means_with(lambda a, b, p: (a - b).abs())), "groups by \\|a - b\\|"),
]

CASES, IDS = wrong_answer_cases(WRONG_ANSWERS)


@pytest.mark.parametrize("check, wrong, message", CASES, ids=IDS)
def test_wrong_answers_are_rejected_with_a_message(check, wrong, message):
    assert_rejected(check, wrong, message)


def test_a_correct_answer_with_its_names_in_another_order_passes():
    checks.check_stack_weights(lambda sds: dict(sorted(ref.stack_weights(sds).items())), strict=True)
