"""The checks of chapter 1 reject plausible wrong answers with a message that says what is wrong
(the contract every check keeps, reference / stub / strict, is tested in
tests/test_exercise_contract.py)."""

import math

import pytest
import torch

from interp_course.chapter1_grokking import checks
from interp_course.core.exercise import ExerciseFailed
from tests.test_exercise_contract import assert_rejected, wrong_answer_cases
from solutions import chapter1_grokking as ref

WRONG_ANSWERS: dict = {}
"""{check: [(wrong function, regex its failure message must match), ...]}"""


# --- 1.1 all_pairs ---------------------------------------------------------------------------


def pairs_transposed(p):
    tokens, labels = ref.all_pairs(p)
    return tokens.T, labels


def pairs_equals_token_zero(p):
    tokens, labels = ref.all_pairs(p)
    tokens[:, 2] = 0
    return tokens, labels


def pairs_without_modulus(p):
    tokens, _ = ref.all_pairs(p)
    return tokens, tokens[:, 0] + tokens[:, 1]


def pairs_b_slowest(p):
    a = torch.arange(p).repeat(p)
    b = torch.arange(p).repeat_interleave(p)
    return torch.stack([a, b, torch.full_like(a, p)], 1), (a + b) % p


def pairs_as_floats(p):
    tokens, labels = ref.all_pairs(p)
    return tokens.float(), labels


def pairs_equals_token_p_minus_one(p):
    tokens, labels = ref.all_pairs(p)
    tokens[:, 2] = p - 1  # the last index of a vocabulary of p tokens, not the extra token p
    return tokens, labels


def pairs_from_one(p):
    a = torch.arange(1, p + 1).repeat_interleave(p)
    b = torch.arange(1, p + 1).repeat(p)
    return torch.stack([a, b, torch.full_like(a, p)], 1), (a + b) % p


def pairs_unordered(p):
    """Addition commutes, so each pair once: a <= b."""
    a, b = torch.triu_indices(p, p)
    return torch.stack([a, b, torch.full_like(a, p)], 1), (a + b) % p


def pairs_labels_then_tokens(p):
    tokens, labels = ref.all_pairs(p)
    return labels, tokens


def pairs_labels_as_a_column(p):
    tokens, labels = ref.all_pairs(p)
    return tokens, labels[:, None]


WRONG_ANSWERS[checks.check_all_pairs] = [
    (pairs_equals_token_p_minus_one, r"third token of every row must be the '=' token, which is p = 2; got \[1\]"),
    (pairs_from_one, r"a and b run from 1 to p; they run from 0 to p - 1"),
    (pairs_unordered, r"got 3 rows, each pair in one order only \(a <= b\): every ordered pair is a problem"),
    (pairs_labels_then_tokens, r"the tuple is \(labels, tokens\); return \(tokens, labels\)"),
    (pairs_labels_as_a_column, r"labels has shape \(4, 1\); it must be 1-D"),
    (pairs_transposed, r"transposed: expected one row per problem"),
    (pairs_equals_token_zero, r"third token of every row must be the '=' token"),
    (pairs_without_modulus, r"reduced modulo p"),
    (pairs_b_slowest, r"in another order: row a \* p \+ b must be \[a, b, p\]"),
    (pairs_as_floats, r"wrong dtype: expected torch.int64, got torch.float32"),
    (lambda p: tuple(t.to(torch.uint8) for t in ref.all_pairs(p)), r"wrong dtype: expected torch.int64, got torch.uint8"),
]


# --- 1.2 train_test_split --------------------------------------------------------------------


def split_truncating(n, fraction, seed):
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return order[: int(fraction * n)], order[int(fraction * n) :]


def split_sorted(n, fraction, seed):
    train, test = ref.train_test_split(n, fraction, seed)
    return train.sort().values, test.sort().values


def split_ignoring_seed(n, fraction, seed):
    return ref.train_test_split(n, fraction, 0)


def split_overlapping(n, fraction, seed):
    train, test = ref.train_test_split(n, fraction, seed)
    return train, torch.cat([test[:-1], train[:1]])


def split_rounding_half_up(n, fraction, seed):
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_train = math.ceil(fraction * n)
    return order[:n_train], order[n_train:]


def split_test_share(n, fraction, seed):
    """train_fraction read as the share held out."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_train = round((1 - fraction) * n)
    return order[:n_train], order[n_train:]


def split_swapped(n, fraction, seed):
    train, test = ref.train_test_split(n, fraction, seed)
    return test, train


def split_from_the_end(n, fraction, seed):
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    n_train = round(fraction * n)
    return order[n - n_train :], order[: n - n_train]


WRONG_ANSWERS[checks.check_train_test_split] = [
    (split_truncating, r"expected round\(train_fraction \* n\) = 3831 training indices, got 3830: int\(\) rounds down"),
    (split_rounding_half_up, r"n=5, .*expected round\(train_fraction \* n\) = 2 training indices, got 3: 0.5 \* 5 = 2.5 was rounded up"),
    (split_test_share, r"got 8938: this is the test share, round\(\(1 - train_fraction\) \* n\)"),
    (split_swapped, r"the two parts are swapped; return \(train_indices, test_indices\)"),
    (split_from_the_end, r"these are the last round\(train_fraction \* n\) shuffled indices; take the first"),
    (split_sorted, r"training indices are sorted"),
    (split_ignoring_seed, r"seed=1: the split differs from the seeded one"),
    (split_overlapping, r"each index 0..12768 exactly once"),
]


# --- 1.3 final_position_loss -----------------------------------------------------------------


def loss_float32(logits, labels):
    return -logits[:, -1].log_softmax(-1).gather(-1, labels[:, None]).mean()


def loss_cast_too_late(logits, labels):
    return loss_float32(logits, labels).double()


def loss_first_position(logits, labels):
    return ref.final_position_loss(logits[:, :1], labels)


def loss_summed(logits, labels):
    return ref.final_position_loss(logits, labels) * len(labels)


def loss_as_float(logits, labels):
    return ref.final_position_loss(logits, labels).item()


def loss_detached(logits, labels):
    return ref.final_position_loss(logits.detach(), labels)


def loss_sign_flipped(logits, labels):
    return -ref.final_position_loss(logits, labels)


def loss_per_example(logits, labels):
    log_probs = logits[:, -1].double().log_softmax(-1)
    return -log_probs.gather(-1, labels[:, None])[:, 0]


def loss_every_position(logits, labels):
    log_probs = logits.double().log_softmax(-1)  # [batch, pos, vocab]
    return -log_probs.gather(-1, labels[:, None, None].expand(-1, logits.shape[1], 1)).mean()


def loss_softmax_over_the_batch(logits, labels):
    log_probs = logits[:, -1].double().log_softmax(0)
    return -log_probs.gather(-1, labels[:, None]).mean()


def loss_of_probabilities(logits, labels):
    probs = logits[:, -1].double().softmax(-1)
    return -probs.gather(-1, labels[:, None]).mean()


def loss_indexing_with_labels(logits, labels):
    log_probs = logits[:, -1].double().log_softmax(-1)
    return -log_probs[:, labels].mean()  # [batch, batch]: every label for every row


WRONG_ANSWERS[checks.check_final_position_loss] = [
    (loss_every_position, r"random logits .*averages the loss over every position; use only the final one"),
    (loss_softmax_over_the_batch, r"log_softmax is taken over the batch \(dim=0\)"),
    (loss_of_probabilities, r"probabilities, not log-probabilities"),
    (loss_indexing_with_labels, r"log_probs\[:, labels\] picks a \[batch, batch\] block"),
    (loss_float32, r"dtype torch.float32; convert the logits to torch.float64"),
    (loss_cast_too_late, r"rounded in float32"),
    (loss_first_position, r"loss at the first position"),
    (loss_summed, r"sum over the batch"),
    (loss_as_float, r"returned a Python float"),
    (loss_detached, r"not connected to the logits"),
    (loss_sign_flipped, r"sign is flipped"),
    (loss_per_example, r"expected a scalar loss, shape \(\), got shape \(6,\)"),
]


# --- 1.4 training_step -----------------------------------------------------------------------


def step_without_zero_grad(model, optimizer, tokens, labels):
    logits = model(tokens, final_position_only=True)
    loss = ref.final_position_loss(logits, labels)
    loss.backward()
    optimizer.step()
    return loss.item(), (logits[:, -1].argmax(-1) == labels).double().mean().item()


def step_without_update(model, optimizer, tokens, labels):
    optimizer.zero_grad()
    logits = model(tokens, final_position_only=True)
    loss = ref.final_position_loss(logits, labels)
    loss.backward()
    return loss.item(), (logits[:, -1].argmax(-1) == labels).double().mean().item()


def step_reporting_loss_after_update(model, optimizer, tokens, labels):
    _, accuracy = ref.training_step(model, optimizer, tokens, labels)
    with torch.no_grad():
        loss = ref.final_position_loss(model(tokens), labels).item()
    return loss, accuracy


def step_returning_tensors(model, optimizer, tokens, labels):
    loss, accuracy = ref.training_step(model, optimizer, tokens, labels)
    return torch.tensor(loss), torch.tensor(accuracy)


def step_on_every_position(model, optimizer, tokens, labels):
    optimizer.zero_grad()
    logits = model(tokens)  # [batch, 3, vocab]: the loss below averages over all positions
    loss = sum(ref.final_position_loss(logits[:, : i + 1], labels) for i in range(3)) / 3
    loss.backward()
    optimizer.step()
    return loss.item(), (logits[:, -1].argmax(-1) == labels).double().mean().item()


def step_clearing_the_gradients_after_it(model, optimizer, tokens, labels):
    logits = model(tokens, final_position_only=True)
    loss = ref.final_position_loss(logits, labels)
    loss.backward()  # onto whatever gradients an earlier backward pass left
    optimizer.step()
    optimizer.zero_grad()
    return loss.item(), (logits[:, -1].argmax(-1) == labels).double().mean().item()


def step_with_accuracy_after_the_update(model, optimizer, tokens, labels):
    loss, _ = ref.training_step(model, optimizer, tokens, labels)
    with torch.no_grad():
        return loss, (model(tokens, final_position_only=True)[:, -1].argmax(-1) == labels).double().mean().item()


def step_with_broadcast_accuracy(model, optimizer, tokens, labels):
    optimizer.zero_grad()
    logits = model(tokens, final_position_only=True)  # [batch, 1, vocab]
    loss = ref.final_position_loss(logits, labels)
    loss.backward()
    optimizer.step()
    return loss.item(), (logits.argmax(-1) == labels).double().mean().item()  # [batch, 1] == [batch]


def step_with_accuracy_in_percent(model, optimizer, tokens, labels):
    loss, accuracy = ref.training_step(model, optimizer, tokens, labels)
    return loss, 100 * accuracy


def step_clearing_the_gradients_before_the_update(model, optimizer, tokens, labels):
    logits = model(tokens, final_position_only=True)
    loss = ref.final_position_loss(logits, labels)
    loss.backward()
    optimizer.zero_grad()  # between backward and step: the step has no gradients to use
    optimizer.step()
    return loss.item(), (logits[:, -1].argmax(-1) == labels).double().mean().item()


def step_without_backward(model, optimizer, tokens, labels):
    optimizer.zero_grad()
    logits = model(tokens, final_position_only=True)
    loss = ref.final_position_loss(logits, labels)
    optimizer.step()  # loss.backward() forgotten: no gradients to step with
    return loss.item(), (logits[:, -1].argmax(-1) == labels).double().mean().item()


def step_with_accuracy_as_a_count(model, optimizer, tokens, labels):
    optimizer.zero_grad()
    logits = model(tokens, final_position_only=True)
    loss = ref.final_position_loss(logits, labels)
    loss.backward()
    optimizer.step()
    return loss.item(), (logits[:, -1].argmax(-1) == labels).double().sum().item()


def step_returning_accuracy_then_loss(model, optimizer, tokens, labels):
    loss, accuracy = ref.training_step(model, optimizer, tokens, labels)
    return accuracy, loss


WRONG_ANSWERS[checks.check_training_step] = [
    (step_clearing_the_gradients_before_the_update, r"no gradient reached optimizer.step\(\).*zero_grad\(\) between it"),
    (step_without_backward, r"no gradient reached optimizer.step\(\).*loss.backward\(\) is missing"),
    (step_with_accuracy_as_a_count, r"accuracy is a count of correct answers.*divide by the batch size"),
    (step_returning_accuracy_then_loss, r"the tuple is \(accuracy, loss\); return \(loss, accuracy\)"),
    (step_without_zero_grad, r"step 1 .*gradients left from an earlier backward pass.*optimizer.zero_grad\(\) before loss.backward"),
    (step_clearing_the_gradients_after_it, r"step 1 .*gradients left from an earlier backward pass"),
    (step_with_accuracy_after_the_update, r"accuracy is measured after the update"),
    (step_with_broadcast_accuracy, r"broadcasts to \[batch, batch\]"),
    (step_with_accuracy_in_percent, r"a percentage"),
    (step_without_update, r"parameters did not change"),
    (step_reporting_loss_after_update, r"measured after the update"),
    (step_returning_tensors, r"should be a Python float"),
    (step_on_every_position, r"the loss averages over every position; train on the final position only"),
]


# --- 1.5 first_step_reaching -----------------------------------------------------------------


def first_index(steps, values, threshold):
    hits = (values >= threshold).nonzero()
    return int(hits[0, 0]) if len(hits) else None


def first_strictly_above(steps, values, threshold):
    hits = (values > threshold).nonzero()
    return int(steps[hits[0, 0]]) if len(hits) else None


def last_arrival(steps, values, threshold):
    """The step after the last dip: 'reaches and stays', not 'first reaches'."""
    below = (values < threshold).nonzero()
    if len(below) == 0:
        return int(steps[0])
    after = int(below[-1, 0]) + 1
    return int(steps[after]) if after < len(steps) else None


def minus_one_if_never(steps, values, threshold):
    found = ref.first_step_reaching(steps, values, threshold)
    return -1 if found is None else found


def as_tensor(steps, values, threshold):
    found = ref.first_step_reaching(steps, values, threshold)
    return None if found is None else torch.tensor(found)


def last_reaching(steps, values, threshold):
    """Searching from the end."""
    hits = (values >= threshold).nonzero()
    return int(steps[hits[-1, 0]]) if len(hits) else None


def one_record_late(steps, values, threshold):
    hits = (values[:-1] >= threshold).nonzero()  # compares values[i], returns steps[i + 1]
    return int(steps[hits[0, 0] + 1]) if len(hits) else None


def argmax_of_the_mask(steps, values, threshold):
    return int(steps[(values >= threshold).int().argmax()])


def step_of_the_highest_value(steps, values, threshold):
    return int(steps[values.argmax()])


WRONG_ANSWERS[checks.check_first_step_reaching] = [
    (first_index, r"the position in the list; return the step recorded there"),
    (first_strictly_above, r"reaching the threshold exactly counts: use >="),
    (last_arrival, r"dips, and comes back: returned 50: this is where the curve reaches the threshold and stays"),
    (minus_one_if_never, r"never gets there: expected None, got -1: if values never reaches the threshold, return None"),
    (last_reaching, r"a rising curve: returned 100: this is the last step at or above the threshold"),
    (one_record_late, r"a rising curve: returned 70: this is one record after the first .*\(off by one\)"),
    (argmax_of_the_mask, r"never gets there: returned 10: \(values >= threshold\).argmax\(\) is 0 when nothing reaches the threshold.*return None"),
    (step_of_the_highest_value, r"returned 70: this is the step of the highest value"),
    (as_tensor, r"return a Python int"),
    (lambda *args: None if ref.first_step_reaching(*args) is None else float(ref.first_step_reaching(*args)),
     r"should be an int, got float 60.0"),
]


def test_a_crashing_function_is_reported_not_replaced():
    def crashes(p):
        return torch.arange(p)[p + 5]

    with pytest.raises(ExerciseFailed, match=r"1.1 all_pairs: your function raised IndexError"):
        checks.check_all_pairs(crashes)


def test_a_check_needs_a_function():
    with pytest.raises(TypeError, match="expected your function, got int"):
        checks.check_all_pairs(3)


CASES, CASE_IDS = wrong_answer_cases(WRONG_ANSWERS)


@pytest.mark.parametrize("check, wrong, message", CASES, ids=CASE_IDS)
def test_wrong_answers_are_rejected_with_a_precise_message(check, wrong, message):
    assert_rejected(check, wrong, message)
