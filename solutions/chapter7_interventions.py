"""Reference solutions to the exercises of chapter 7, "Causal interventions".

Shapes: tokens [batch, pos]; z [batch, pos, head, d_head] (``blocks.{l}.attn.hook_z``); logits
[batch, pos, d_vocab]; weights as in ``interp_course.core.transformer`` (W_Q, W_K, W_V [head,
d_model, d_head], W_O [head, d_head, d_model], W_U [d_model, d_vocab]).
"""

from __future__ import annotations

import torch

from interp_course.core.probes import fit_linear_probe
from interp_course.core.validation import (
    arguments,
    head_index,
    integer,
    layer_index,
    number,
    tensor,
    tokens_for_model,
)


@arguments(tokens=tokens_for_model)
def head_logit_attribution(model, cache, tokens: torch.Tensor) -> torch.Tensor:
    """Direct logit attribution: what each head adds, through its direct path to the
    unembedding, to the logit of the token that comes next.

    Head h of layer l writes z[:, :, h] @ W_O[h] ([batch, pos, d_model]) into the residual
    stream; with no LayerNorm, the logits are W_U applied to the sum of everything written, so
    that head's share of the logit of token t at position i is its output at i dotted with
    column t of W_U. Position i predicts token i + 1.

    Args:
        cache: the model's activations on ``tokens`` (``cache["z", l]`` is [batch, pos, head, d_head]).
        tokens: [batch, pos].

    Returns:
        [batch, pos - 1, n_layers, n_heads]: entry [b, i, l, h] is head l.h's direct contribution
        to the logit of tokens[b, i + 1] at position i.
    """
    next_tokens = tokens[:, 1:]  # [batch, pos - 1]
    directions = model.W_U.T[next_tokens]  # [batch, pos - 1, d_model]: each position's right answer
    per_layer = []
    for layer, block in enumerate(model.blocks):
        z = cache["z", layer][:, :-1]  # [batch, pos - 1, head, d_head]
        outputs = torch.einsum("bphe,hed->bphd", z, block.attn.W_O)  # [batch, pos - 1, head, d_model]
        per_layer.append(torch.einsum("bphd,bpd->bph", outputs, directions))
    return torch.stack(per_layer, dim=2).detach()


@arguments(loss=tensor(None, float), clean_loss=number(), corrupted_loss=number(), where="_losses_differ")
def normalised_metric(loss: torch.Tensor, clean_loss: float, corrupted_loss: float) -> torch.Tensor:
    """Where a patched run's loss lies between the corrupted run's and the clean run's.

    Args:
        loss: a tensor of losses (any shape, e.g. one per patched head), from patched runs.
        clean_loss, corrupted_loss: the losses of the runs without patching.

    Returns:
        A tensor of ``loss``'s shape: 0 where the loss is the corrupted run's, 1 where it is the
        clean run's (below 0 or above 1 where the patch makes things worse or better than either).
    """
    return (corrupted_loss - loss) / (corrupted_loss - clean_loss)


@arguments(
    tokens=tokens_for_model,
    layer=layer_index,
    head=head_index,
    where="_position_within_tokens",
)
def patch_head(model, tokens: torch.Tensor, source_cache, layer: int, head: int,
               position: int | None = None) -> torch.Tensor:
    """Activation patching of one head: run the model on ``tokens`` with head ``layer.head``'s
    z taken from ``source_cache`` (a cache of another run, on other tokens of the same shape),
    at ``position`` only, or at every position when ``position`` is None.

    Use a hook on ``blocks.{layer}.attn.hook_z`` that returns an edited copy of z.

    Args:
        tokens: [batch, pos].
        source_cache: activations of the model on other tokens, [batch, pos] too.

    Returns:
        logits [batch, pos, d_vocab], computed without gradients.
    """
    source = source_cache["z", layer]  # [batch, pos, head, d_head]
    where = slice(None) if position is None else position

    def patch(z: torch.Tensor, hook) -> torch.Tensor:
        z = z.clone()
        z[:, where, head] = source[:, where, head]
        return z

    with torch.no_grad():
        return model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{layer}.attn.hook_z", patch)])


@arguments(
    tokens=tokens_for_model,
    sender_head=lambda model: head_index(model, layer=0),
    sender_z=lambda tokens: tensor((tokens.shape[0], tokens.shape[1], None), float),
    where="_receiver_of_layer_1",
)
def path_patch(model, tokens: torch.Tensor, sender_head: int, sender_z: torch.Tensor, receiver: str) -> torch.Tensor:
    """Path patching from a layer-0 head into one input of layer 1: run the model on
    ``tokens`` as it is, except that layer 1's ``receiver`` ("q", "k" or "v", for every
    layer-1 head) is computed as if layer-0 head ``sender_head`` had written the output of
    ``sender_z`` instead of its own. Everything else (the other inputs of layer 1, the
    residual stream the logits read, the sender's own output) is unchanged.

    With no LayerNorm and no biases, layer 1's keys are the residual stream times W_K; so
    changing the sender's output by delta = (sender_z - z) @ W_O[sender_head] changes the keys
    of layer-1 head h by delta @ W_K[h] ([batch, pos, d_head]), and the queries and values
    likewise.

    Args:
        tokens: [batch, pos].
        sender_z: [batch, pos, d_head]: the z the sender should seem to have (e.g. from a
            corrupted run's cache, ``cache["z", 0][:, :, sender_head]``).
        receiver: "q", "k" or "v".

    Returns:
        logits [batch, pos, d_vocab], computed without gradients.
    """
    attn0, attn1 = model.blocks[0].attn, model.blocks[1].attn
    with torch.no_grad():
        _, cache = model.run_with_cache(tokens, names_filter="blocks.0.attn.hook_z")
        delta = (sender_z - cache["z", 0][:, :, sender_head]) @ attn0.W_O[sender_head]  # [batch, pos, d_model]
        W = {"q": attn1.W_Q, "k": attn1.W_K, "v": attn1.W_V}[receiver]  # [head, d_model, d_head]

        def patch(x: torch.Tensor, hook) -> torch.Tensor:  # x [batch, pos, head, d_head]
            return x + torch.einsum("bpd,hde->bphe", delta, W)

        return model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.1.attn.hook_{receiver}", patch)])


@arguments(
    clean_z=tensor("batch pos head d_head", float),
    corrupted_z=tensor("batch pos head d_head", float, same_dtype_as="clean_z"),
    gradient=tensor("batch pos head d_head", float, same_dtype_as="clean_z"),
)
def attribution_patch(clean_z: torch.Tensor, corrupted_z: torch.Tensor, gradient: torch.Tensor) -> torch.Tensor:
    """Attribution patching: the first-order estimate of what patching each head's clean z
    into the corrupted run, at each position, does to the metric.

    Patching changes z by (clean_z - corrupted_z); to first order the metric changes by that
    change dotted with the metric's gradient with respect to z in the corrupted run. The
    metric is a mean over the batch (so ``gradient`` already holds the 1/batch), and a
    patch at one position of one head is made in every sequence at once: sum over the batch.

    Args:
        clean_z, corrupted_z: [batch, pos, head, d_head] from the clean and corrupted runs.
        gradient: [batch, pos, head, d_head], d metric / d z in the corrupted run.

    Returns:
        [pos, head]: the estimated change of the metric.
    """
    return ((clean_z - corrupted_z) * gradient).sum(dim=(0, 3))


@arguments(
    features=tensor("rows d", float, non_empty=True),
    labels=tensor("rows", int),
    n_classes=integer(minimum=2),
    n_train=integer(minimum=1),
    where="_train_and_test_rows",
)
def probe_accuracy(features: torch.Tensor, labels: torch.Tensor, n_classes: int, n_train: int) -> float:
    """How well a linear probe decodes ``labels`` from ``features`` on rows it never saw.

    Fit a probe on the first ``n_train`` rows with ``fit_linear_probe(features, labels,
    n_classes)`` (it returns a function from features [rows, d] to predicted labels [rows]),
    then score it on the remaining rows.

    Args:
        features: [rows, d]; labels: [rows] long, in 0 .. n_classes - 1.

    Returns:
        The fraction of the rows from n_train on that the probe labels right, a Python float.
    """
    probe = fit_linear_probe(features[:n_train], labels[:n_train], n_classes)
    return (probe(features[n_train:]) == labels[n_train:]).float().mean().item()


@arguments(
    tokens=tokens_for_model,
    source_tokens=lambda tokens: tensor(tuple(tokens.shape), int),
    where="_heads_of_model",
)
def resample_ablate_except(model, tokens: torch.Tensor, source_tokens: torch.Tensor, keep) -> torch.Tensor:
    """Keep a circuit, resample-ablate everything else: run the model on ``tokens`` with the z
    of every head not in ``keep`` replaced by that head's z on ``source_tokens`` (from a plain
    run of the model on them), at every position.

    Args:
        tokens, source_tokens: [batch, pos].
        keep: a collection of (layer, head) pairs: the circuit.

    Returns:
        logits [batch, pos, d_vocab], computed without gradients.
    """
    keep = {tuple(pair) for pair in keep}
    with torch.no_grad():
        _, source = model.run_with_cache(source_tokens, names_filter=lambda name: name.endswith("hook_z"))

        def ablate(layer: int):
            def hook(z: torch.Tensor, hook) -> torch.Tensor:
                z = z.clone()
                for head in range(z.shape[2]):
                    if (layer, head) not in keep:
                        z[:, :, head] = source["z", layer][:, :, head]
                return z
            return hook

        hooks = [(f"blocks.{layer}.attn.hook_z", ablate(layer)) for layer in range(len(model.blocks))]
        return model.run_with_hooks(tokens, fwd_hooks=hooks)


# Argument contracts (checked by @arguments; not part of the answers)


def _receiver_of_layer_1(model, receiver) -> None:
    """``path_patch``: ``receiver`` is an input of layer-1 attention, in a model with a layer 1."""
    if receiver not in ("q", "k", "v"):
        raise ValueError(f"receiver must be 'q', 'k' or 'v', got {receiver!r}")
    if len(model.blocks) < 2:
        raise ValueError("path_patch needs a model with at least two layers")


def _losses_differ(clean_loss: float, corrupted_loss: float) -> None:
    """``normalised_metric``: the clean and corrupted losses differ (else nothing to normalise by)."""
    if clean_loss == corrupted_loss:
        raise ValueError(f"clean_loss and corrupted_loss must differ, both are {clean_loss}: the corruption changed nothing")


def _position_within_tokens(tokens: torch.Tensor, position) -> None:
    """``patch_head``: ``position`` is None or a position of ``tokens``."""
    if position is None:
        return
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position < tokens.shape[1]:
        raise ValueError(f"position must be None or below pos = {tokens.shape[1]}, got {position}")


def _train_and_test_rows(features: torch.Tensor, n_train: int) -> None:
    """``probe_accuracy``: rows are left to test on."""
    if n_train >= features.shape[0]:
        raise ValueError(f"n_train must leave rows to test on: below {features.shape[0]}, got {n_train}")


def _heads_of_model(model, keep) -> None:
    """``resample_ablate_except``: ``keep`` names heads of the model."""
    pairs = list(keep)
    for pair in pairs:
        if (len(tuple(pair)) != 2 or not 0 <= pair[0] < len(model.blocks)
                or not 0 <= pair[1] < model.cfg.n_heads):
            raise ValueError(f"keep must hold (layer, head) pairs of the model, got {pair!r}")
