"""Reference solutions to the exercises of chapter 1, "The grokking phenomenon".

These are the implementations the checks compare a learner's code against, and the ones the
course's own training code uses, so there is exactly one copy of each.
"""

from __future__ import annotations

import torch

from interp_course.core.validation import arguments, fraction, integer, prime, tensor


@arguments(p=prime)
def all_pairs(p: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Every modular-addition problem for the prime ``p``, as token sequences and answers.

    Returns:
        tokens: [p * p, 3] long. Row ``a * p + b`` is ``[a, b, p]``; token ``p`` stands for "=".
        labels: [p * p] long. ``labels[a * p + b] == (a + b) % p``.
    """
    a = torch.arange(p).repeat_interleave(p)  # [p*p]: 0,0,...,0,1,1,...
    b = torch.arange(p).repeat(p)  # [p*p]: 0,1,...,p-1,0,1,...
    equals = torch.full_like(a, p)
    tokens = torch.stack([a, b, equals], dim=1)  # [p*p, 3]
    labels = (a + b) % p  # [p*p]
    return tokens, labels


@arguments(n=integer(minimum=2), train_fraction=fraction, seed=integer(), where="_both_sets_non_empty")
def train_test_split(n: int, train_fraction: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A seeded random split of the indices ``0 .. n-1``.

    Shuffle with ``torch.randperm(n, generator=torch.Generator().manual_seed(seed))``; the first
    ``round(train_fraction * n)`` shuffled indices are the training set, the rest the test set.

    Returns:
        train_indices: [n_train] long, in shuffled order.
        test_indices: [n - n_train] long, in shuffled order.
    """
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))  # [n]
    n_train = round(train_fraction * n)
    return order[:n_train], order[n_train:]


@arguments(logits=tensor("batch pos d_vocab_out", float, non_empty=True), labels=tensor("batch", int))
def final_position_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of the prediction at the final position, computed in float64.

    Args:
        logits: [batch, pos, d_vocab_out] float (pos may be 1).
        labels: [batch] long, the correct answer for each sequence.

    Returns:
        A scalar float64 tensor (differentiable with respect to ``logits``).
    """
    final = logits[:, -1, :].to(torch.float64)  # [batch, d_vocab_out]
    log_probs = final.log_softmax(dim=-1)
    correct = log_probs.gather(dim=-1, index=labels[:, None])  # [batch, 1]
    return -correct.mean()


def training_step(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    tokens: torch.Tensor,
    labels: torch.Tensor,
) -> tuple[float, float]:
    """One full-batch gradient step on the final-position loss.

    Args:
        model: a HookedTransformer; ``model(tokens, final_position_only=True)`` gives
            logits [batch, 1, d_vocab_out].
        optimizer: an optimiser over ``model.parameters()``.
        tokens: [batch, pos] long.
        labels: [batch] long.

    Returns:
        (loss, accuracy) on this batch *before* the update, as Python floats.
    """
    optimizer.zero_grad(set_to_none=True)
    logits = model(tokens, final_position_only=True)  # [batch, 1, d_vocab_out]
    loss = final_position_loss(logits, labels)
    loss.backward()
    optimizer.step()
    accuracy = (logits[:, -1].argmax(dim=-1) == labels).double().mean()
    return loss.item(), accuracy.item()


@arguments(steps=tensor("n", non_empty=True), values=tensor("n"))
def first_step_reaching(steps: torch.Tensor, values: torch.Tensor, threshold: float) -> int | None:
    """The first recorded step at which ``values`` is at or above ``threshold``.

    Args:
        steps: [n] int, the training step of each record, increasing.
        values: [n] float, e.g. test accuracy at each of those steps.
        threshold: the level to reach, e.g. 0.99.

    Returns:
        That step as a Python int, or None if ``values`` never reaches ``threshold``.
    """
    reached = (values >= threshold).nonzero()
    if len(reached) == 0:
        return None
    return int(steps[reached[0, 0]])


# Argument contracts (checked by @arguments; not part of the answers)


def _both_sets_non_empty(n: int, train_fraction: float) -> None:
    """``train_test_split``: the split leaves at least one training and one test example."""
    n_train = round(train_fraction * n)
    if not 0 < n_train < n:
        raise ValueError(
            f"train_fraction = {train_fraction} of n = {n} gives {n_train} training and "
            f"{n - n_train} test examples; both sets must be non-empty"
        )
