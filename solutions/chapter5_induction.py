"""Reference solutions to the exercises of chapter 5, "Induction heads".

Shapes: tokens [batch, pos]; pattern [batch, head, query_pos, key_pos]; weights as in
``interp_course.core.transformer`` (W_Q, W_K, W_V [head, d_model, d_head], W_O [head, d_head, d_model]).
"""

from __future__ import annotations

import torch

from interp_course.core.losses import next_token_losses
from interp_course.core.validation import (
    arguments,
    attention_pattern,
    fits_in_memory,
    head_index,
    integer,
    layer_index,
    tensor,
    tokens_for_model,
)


@arguments(
    batch_size=integer(minimum=1),
    seq_len=integer(minimum=1),
    d_vocab=integer(minimum=1),
    where=fits_in_memory(lambda batch_size, seq_len: (batch_size, 2 * seq_len)),
)
def repeated_tokens(batch_size: int, seq_len: int, d_vocab: int, generator: torch.Generator) -> torch.Tensor:
    """Random tokens, then the same tokens again.

    Draw the first half with ``torch.randint(0, d_vocab, (batch_size, seq_len), generator=generator)``.

    Returns:
        [batch_size, 2 * seq_len] long; tokens[:, seq_len + i] == tokens[:, i].
    """
    first = torch.randint(0, d_vocab, (batch_size, seq_len), generator=generator)
    return torch.cat([first, first], dim=1)


@arguments(pattern=attention_pattern(min_positions=2))
def previous_token_score(pattern: torch.Tensor) -> torch.Tensor:
    """How much each head attends from each token to the one just before it.

    Args:
        pattern: [batch, head, pos, pos] attention probabilities.

    Returns:
        [head]: the mean over the batch and over query positions 1..pos-1 of the attention
        from query i to key i - 1.
    """
    return pattern.diagonal(offset=-1, dim1=-2, dim2=-1).mean(dim=(0, -1))


@arguments(pattern=attention_pattern(), seq_len=integer(minimum=1), where="_two_copies")
def induction_score(pattern: torch.Tensor, seq_len: int) -> torch.Tensor:
    """How much each head attends, in the second copy of a repeated sequence, to the token
    *after* the earlier occurrence of the current token.

    Args:
        pattern: [batch, head, 2 * seq_len, 2 * seq_len], on repeated tokens.
        seq_len: the length of each copy.

    Returns:
        [head]: the mean over the batch and over queries i = seq_len .. 2 * seq_len - 1 of the
        attention from query i to key i - seq_len + 1.
    """
    stripe = pattern.diagonal(offset=-(seq_len - 1), dim1=-2, dim2=-1)  # queries seq_len-1 .. 2*seq_len-1
    return stripe[..., 1:].mean(dim=(0, -1))


@arguments(
    layer=layer_index,
    head=head_index,
    seq_len=integer(minimum=1),
    tokens=lambda seq_len: tensor((None, 2 * seq_len), int, non_empty=True),
)
def ablated_repeat_loss(model, tokens: torch.Tensor, layer: int, head: int, seq_len: int) -> float:
    """Loss on the second copy of repeated tokens with one head zero-ablated.

    Zero the head's output by a hook on ``blocks.{layer}.attn.hook_z`` (``z[:, :, head] = 0``),
    and average the next-token loss over the predictions of tokens seq_len + 1 .. 2*seq_len - 1
    (the ones that induction can predict).

    Args:
        tokens: [batch, 2 * seq_len] repeated tokens.

    Returns:
        The mean loss, a Python float.
    """

    def zero_head(z: torch.Tensor, hook) -> torch.Tensor:
        z = z.clone()
        z[:, :, head] = 0.0
        return z

    with torch.no_grad():
        logits = model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{layer}.attn.hook_z", zero_head)])
    losses = next_token_losses(logits, tokens)  # [batch, 2*seq_len - 1]; j predicts token j+1
    return losses[:, seq_len:].mean().item()


def k_composition_scores(model) -> torch.Tensor:
    """How much each layer-1 head's keys read what each layer-0 head writes.

    With W_OV = W_V[h0] @ W_O[h0] and W_QK = W_Q[h1] @ W_K[h1].T (both [d_model, d_model]),
    the score is ||W_QK @ W_OV.T||_F / (||W_QK||_F * ||W_OV||_F).

    Returns:
        [n_heads, n_heads]: entry [h0, h1].
    """
    attn0, attn1 = model.blocks[0].attn, model.blocks[1].attn
    W_OV = attn0.W_V @ attn0.W_O  # [h0, d_model, d_model]
    W_QK = attn1.W_Q @ attn1.W_K.transpose(-1, -2)  # [h1, d_model, d_model]
    composed = W_QK[None] @ W_OV[:, None].transpose(-1, -2)  # [h0, h1, d_model, d_model]
    norms = W_OV.norm(dim=(-2, -1))[:, None] * W_QK.norm(dim=(-2, -1))[None, :]
    return (composed.norm(dim=(-2, -1)) / norms).detach()


@arguments(layer=layer_index, head=head_index)
def copying_score(model, layer: int, head: int) -> float:
    """How much a head's full OV circuit copies tokens: of the eigenvalues λ of
    W_E @ W_V[head] @ W_O[head] @ W_U ([d_vocab, d_vocab]), the fraction Σ Re(λ) / Σ |λ|.
    Near 1: attending to a token raises that same token's logit."""
    attn = model.blocks[layer].attn
    circuit = model.W_E @ attn.W_V[head] @ attn.W_O[head] @ model.W_U  # [d_vocab, d_vocab]
    eigenvalues = torch.linalg.eigvals(circuit.detach())
    return (eigenvalues.real.sum() / eigenvalues.abs().sum()).item()


@arguments(
    previous_head=lambda model: head_index(model, layer=0),
    head=lambda model: head_index(model, layer=1),
    tokens=tokens_for_model,
)
def composed_attention(model, tokens: torch.Tensor, previous_head: int, head: int) -> torch.Tensor:
    """The attention pattern of layer-1 head ``head`` computed from the weights alone, as if
    its keys read only what the previous-token head wrote (K-composition) and its queries
    only the current token and position.

    With resid = W_E[tokens] + W_pos[:pos] (the residual stream before layer 0) and prev the
    same shifted one position right (position j holds resid at j - 1, position 0 zeros: what a
    perfect previous-token head attends to):
    queries = resid @ W_Q[head], keys = prev @ W_V[previous_head] @ W_O[previous_head] @ W_K[head]
    (layer-0 weights for W_V and W_O, layer-1 for W_Q and W_K), scores = queries @ keys.T /
    sqrt(d_head), future keys masked, softmax over keys.

    Args:
        tokens: [batch, pos].

    Returns:
        [batch, pos, pos]: the pattern, indexed [batch, query_pos, key_pos].
    """
    attn0, attn1 = model.blocks[0].attn, model.blocks[1].attn
    n = tokens.shape[1]
    with torch.no_grad():
        resid = model.W_E[tokens] + model.W_pos[:n]  # [batch, pos, d_model]
        prev = torch.cat([torch.zeros_like(resid[:, :1]), resid[:, :-1]], dim=1)
        queries = resid @ attn1.W_Q[head]  # [batch, pos, d_head]
        keys = prev @ attn0.W_V[previous_head] @ attn0.W_O[previous_head] @ attn1.W_K[head]
        scores = queries @ keys.transpose(-1, -2) / keys.shape[-1] ** 0.5  # [batch, query, key]
        future = torch.ones(n, n, dtype=torch.bool).triu(1)
        return scores.masked_fill(future, float("-inf")).softmax(dim=-1)


@arguments(
    tokens=tensor("batch pos", int, non_empty=True),
    early=integer(minimum=1),
    late=lambda early: integer(minimum=early + 1),
    where="_late_within_tokens",
)
def in_context_learning_score(model, tokens: torch.Tensor, early: int, late: int) -> float:
    """How much better the model predicts a late token of a context than an early one.

    Args:
        tokens: [batch, pos].
        early, late: positions of predicted tokens, 1 <= early < late < pos.

    Returns:
        The mean loss of predicting tokens[:, late] minus that of predicting tokens[:, early],
        a Python float: negative when the model uses its context.
    """
    with torch.no_grad():
        losses = next_token_losses(model(tokens), tokens)  # [batch, pos - 1]; j predicts token j+1
    return (losses[:, late - 1].mean() - losses[:, early - 1].mean()).item()


def scores_over_checkpoints(run, measure) -> tuple[torch.Tensor, torch.Tensor]:
    """``measure(model)`` at every saved checkpoint of ``run``.

    Args:
        run: a run with ``checkpoint_steps`` (increasing) and ``model_at(step)``.
        measure: a function from a model to a number (a float, or a one-element tensor).

    Returns:
        steps: [n_checkpoints] long; values: [n_checkpoints] float64.
    """
    steps = list(run.checkpoint_steps)
    values = [float(measure(run.model_at(step))) for step in steps]
    return torch.tensor(steps, dtype=torch.long), torch.tensor(values, dtype=torch.float64)


# Argument contracts (checked by @arguments; not part of the answers)


def _two_copies(pattern: torch.Tensor, seq_len: int) -> None:
    """``induction_score``: the pattern covers two copies of ``seq_len`` tokens."""
    if pattern.shape[-1] != 2 * seq_len:
        raise ValueError(f"pattern must have 2 * seq_len = {2 * seq_len} positions, got {pattern.shape[-1]}")


def _late_within_tokens(tokens: torch.Tensor, late: int) -> None:
    """``in_context_learning_score``: ``late`` is a position of ``tokens``."""
    if late >= tokens.shape[1]:
        raise ValueError(f"late must be a position of tokens, below pos = {tokens.shape[1]}, got {late}")
