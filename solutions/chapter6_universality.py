"""Reference solutions to the exercises of chapter 6, "Many seeds, many moduli".

Shapes: K runs stacked in front of everything; tokens [K, batch, 3]; labels [K, batch];
a grid of logits [p * p, p] has row a * p + b for the input (a, b).
"""

from __future__ import annotations

import math

import torch

from interp_course.core.validation import (
    arguments,
    frequencies_mod,
    matching_state_dicts,
    number,
    require_int,
    require_tensor,
    tensor,
)


@arguments(state_dicts=matching_state_dicts)
def stack_weights(state_dicts: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """K models' weights as one set of weights with a leading run dimension.

    Args:
        state_dicts: K >= 1 state dicts with the same names and shapes
            (e.g. ``[model.state_dict() for model in models]``).

    Returns:
        {name: [K, *shape]}: entry k of each tensor is model k's weight. New tensors: the
        inputs are not changed, and changing the result does not change them.
    """
    names = list(state_dicts[0])
    return {name: torch.stack([state[name] for state in state_dicts]) for name in names}


@arguments(tokens=tensor("K batch pos", int), labels=tensor("K batch", int))
def batched_training_step(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    tokens: torch.Tensor,
    labels: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One full-batch gradient step of K runs at once.

    Args:
        model: a StackedTransformer of K runs; ``model(tokens)`` gives the logits at the final
            position, [K, batch, d_vocab_out].
        optimizer: an optimiser over ``model.parameters()``.
        tokens: [K, batch, pos] long, run k's training set in row k.
        labels: [K, batch] long.

    Returns:
        (losses, accuracies): each [K] float64, detached, run k's mean cross-entropy (computed
        in float64) and accuracy on its batch *before* the update. The update must give each
        run the gradient of its own mean loss: backpropagate the sum of the K losses.
    """
    optimizer.zero_grad(set_to_none=True)
    logits = model(tokens).to(torch.float64)  # [K, batch, d_vocab_out]
    log_probs = logits.log_softmax(dim=-1)
    losses = -log_probs.gather(dim=-1, index=labels[..., None])[..., 0].mean(dim=-1)  # [K]
    losses.sum().backward()  # run k's weights get the gradient of losses[k] only
    optimizer.step()
    accuracies = (logits.argmax(dim=-1) == labels).to(torch.float64).mean(dim=-1)  # [K]
    return losses.detach(), accuracies


@arguments(
    steps=tensor("n", int, non_empty=True),
    restricted_loss=tensor("n", float),
    test_loss=tensor("n", float),
    threshold=number(low=0, low_open=True),
)
def first_steps_below(
    steps: torch.Tensor, restricted_loss: torch.Tensor, test_loss: torch.Tensor, threshold: float
) -> tuple[int | None, int | None]:
    """When the restricted loss and the test loss first fall below ``threshold``.

    Args:
        steps: [n] int, the checkpoint steps, increasing.
        restricted_loss, test_loss: [n] float, the two losses at those steps.
        threshold: a loss level, > 0.

    Returns:
        (first step with restricted_loss < threshold, first step with test_loss < threshold),
        each a Python int, or None where the loss never falls below it.
    """

    def first(values: torch.Tensor) -> int | None:
        below = (values < threshold).nonzero()
        return None if len(below) == 0 else int(steps[below[0, 0]])

    return first(restricted_loss), first(test_loss)


@arguments(
    logits=tensor("inputs p", float),
    labels=lambda logits: tensor((logits.shape[1] ** 2,), int),
    frequencies=lambda logits: frequencies_mod(logits.shape[1]),
    where="_logits_on_the_grid",
)
def idealised_loss(logits: torch.Tensor, labels: torch.Tensor, frequencies: list[int]) -> float:
    """The loss of the idealised algorithm fitted to a model: how much of the model's
    performance the key frequencies' clean waves alone account for.

    Fit ``sum_k c_k cos(w_k (a + b - c))`` (w_k = 2 pi k / p) to the model's logits by least
    squares, after centring the logits of each input over c (a softmax ignores a constant per
    input); return the mean cross-entropy of the fitted logits on the labels, in float64.

    Args:
        logits: [p * p, p] float, the model's logits on every input, row a * p + b.
        labels: [p * p] long, (a + b) mod p.
        frequencies: the key frequencies, each in 1 .. (p - 1) / 2, at least one.

    Returns:
        The loss, a Python float.
    """
    p = logits.shape[1]
    x = torch.arange(p, dtype=torch.float64)
    total = (x[:, None, None] + x[None, :, None] - x[None, None, :]).reshape(p * p, p)  # a + b - c
    waves = torch.stack([torch.cos(2 * math.pi * k / p * total) for k in frequencies], dim=-1)  # [p*p, p, n_freq]
    centred = logits.to(torch.float64) - logits.to(torch.float64).mean(dim=1, keepdim=True)
    coefficients = torch.linalg.lstsq(waves.reshape(-1, len(frequencies)), centred.reshape(-1, 1)).solution
    fitted = (waves @ coefficients)[..., 0]  # [p*p, p]
    return float(torch.nn.functional.cross_entropy(fitted, labels))


@arguments(correct_logits=tensor("p p", float), where="_p_at_least_2_and_a_positive_mean")
def distance_dependence(correct_logits: torch.Tensor) -> float:
    """How much the correct answer's logit depends on the distance (a - b) mod p.

    Average the correct logit over the p inputs with each distance d = (a - b) mod p; return
    the standard deviation (population, over the p distances) of those averages divided by
    the mean correct logit over all inputs. About 0 for the clock algorithm, whose correct
    logit does not depend on a - b; large for the pizza algorithm.

    Args:
        correct_logits: [p, p] float, entry [a, b] the logit of the answer (a + b) mod p;
            its mean must be positive.

    Returns:
        A Python float >= 0.
    """
    p = correct_logits.shape[0]
    values = correct_logits.to(torch.float64)
    mean = values.mean()
    a = torch.arange(p)[:, None]
    b = torch.arange(p)[None, :]
    distance = ((a - b) % p).flatten()  # [p * p]
    per_distance = torch.zeros(p, dtype=torch.float64).index_add_(0, distance, values.flatten()) / p  # [p]
    return float(per_distance.std(correction=0) / mean)


# Argument contracts (checked by @arguments; not part of the answers)


def _logits_on_the_grid(logits: torch.Tensor) -> None:
    """``idealised_loss``: ``logits`` holds a row for every input (a, b), [p * p, p]."""
    p = logits.shape[1]
    require_tensor(logits, "logits", shape=(p * p, p), dtype_kind="float")


def _p_at_least_2_and_a_positive_mean(correct_logits: torch.Tensor) -> None:
    """``distance_dependence``: [p, p] correct logits, p >= 2, of a model that gets the answers right."""
    require_int(correct_logits.shape[0], "correct_logits.shape[0]", minimum=2)
    mean = correct_logits.to(torch.float64).mean()
    if not mean > 0:
        raise ValueError(
            f"correct_logits must have a positive mean (a model that gets the answers right), got {float(mean):.3g}"
        )
