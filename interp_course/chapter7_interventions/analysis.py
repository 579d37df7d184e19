"""The experiments of chapter 7 on chapter 5's induction model: a clean and a corrupted run,
patching every head, position and path, ablations compared, attribution patching's gradient,
probes on the residual stream, and how much of the loss a circuit keeps.

Every function that patches takes the patching function to use as an argument (the
learner's, after its check, or the reference), so that the notebook's figures come from the
learner's code.

Shapes: tokens [batch, pos]; z [batch, pos, head, d_head]; a metric per head [layer, head],
per head and position [layer, head, pos], per residual-stream site and position [site, pos].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch

from solutions.chapter5_induction import induction_score, previous_token_score, repeated_tokens

from ..core.losses import next_token_losses
from ..core.validation import require_int


def first_copy_resampled(tokens: torch.Tensor, seq_len: int, d_vocab: int, generator: torch.Generator) -> torch.Tensor:
    """The corruption: repeated tokens [batch, 2 * seq_len] with the first copy replaced by
    fresh random tokens. The second copy is unchanged, but nothing earlier predicts it."""
    seq_len = require_int(seq_len, "seq_len", minimum=1)
    corrupted = tokens.clone()
    corrupted[:, :seq_len] = torch.randint(0, d_vocab, (tokens.shape[0], seq_len), generator=generator)
    return corrupted


def second_copy_loss(logits: torch.Tensor, tokens: torch.Tensor, seq_len: int) -> torch.Tensor:
    """The mean next-token loss over the second copy's predictions from its second token on
    (positions seq_len .. 2 * seq_len - 2 predict tokens seq_len + 1 ..), a 0-d tensor that
    keeps its gradient."""
    return next_token_losses(logits, tokens)[:, seq_len:].mean()


def replace_heads(replacements: dict) -> list:
    """Hooks (for ``model.hooks`` or ``run_with_hooks``) that replace the z of each head:
    ``replacements`` {(layer, head): its new z, [batch, pos, d_head] or broadcastable to it}."""
    def hook_for(layer: int):
        def hook(z, hook_point):
            z = z.clone()
            for (patched_layer, head), value in replacements.items():
                if patched_layer == layer:
                    z[:, :, head] = value
            return z
        return hook

    layers = sorted({layer for layer, _ in replacements})
    return [(f"blocks.{layer}.attn.hook_z", hook_for(layer)) for layer in layers]


@dataclass
class Patching:
    """A clean and a corrupted run of ``model`` and their losses on the second copy.

    clean, corrupted: tokens [batch, 2 * seq_len]; the caches hold every activation.
    """

    model: object
    seq_len: int
    clean: torch.Tensor
    corrupted: torch.Tensor
    clean_cache: object
    corrupted_cache: object
    clean_loss: float
    corrupted_loss: float

    def loss(self, logits: torch.Tensor) -> float:
        """The second copy's loss of a patched run's logits (the clean tokens are the targets)."""
        return second_copy_loss(logits, self.clean, self.seq_len).item()


def patching_setup(model, clean: torch.Tensor, corrupted: torch.Tensor, seq_len: int) -> Patching:
    """Run ``model`` on both token sets and keep everything :class:`Patching` needs."""
    with torch.no_grad():
        clean_logits, clean_cache = model.run_with_cache(clean)
        corrupted_logits, corrupted_cache = model.run_with_cache(corrupted)
    return Patching(model, seq_len, clean, corrupted, clean_cache, corrupted_cache,
                    second_copy_loss(clean_logits, clean, seq_len).item(),
                    second_copy_loss(corrupted_logits, clean, seq_len).item())


def circuit_heads(model, tokens: torch.Tensor, seq_len: int, threshold: float = 0.3) -> tuple[int, list[int]]:
    """Chapter 5's circuit found from the scores, never assumed: (the layer-0 head with the
    highest previous-token score, the layer-1 heads whose induction score is above
    ``threshold``), on repeated tokens [batch, 2 * seq_len]."""
    with torch.no_grad():
        _, cache = model.run_with_cache(tokens, names_filter=lambda n: n.endswith("hook_pattern"))
    previous = int(previous_token_score(cache["pattern", 0]).argmax())
    induction = (induction_score(cache["pattern", 1], seq_len) > threshold).nonzero().flatten().tolist()
    return previous, induction


def patch_every_head(setup: Patching, patch_head: Callable, normalised_metric: Callable, *,
                     by_position: bool = False, noising: bool = False) -> torch.Tensor:
    """Patch each head (at each position, with ``by_position``) and measure the normalised
    metric. Denoising (the default) runs the corrupted tokens with clean activations patched in;
    ``noising`` runs the clean tokens with corrupted ones.

    Returns:
        [layer, head] or [layer, head, pos], float64.
    """
    model = setup.model
    tokens, source = (setup.clean, setup.corrupted_cache) if noising else (setup.corrupted, setup.clean_cache)
    positions = range(tokens.shape[1]) if by_position else [None]
    losses = torch.tensor([[[setup.loss(patch_head(model, tokens, source, layer, head, position)) for position in positions]
                            for head in range(model.cfg.n_heads)] for layer in range(model.cfg.n_layers)],
                          dtype=torch.float64)
    metric = normalised_metric(losses, setup.clean_loss, setup.corrupted_loss)
    return metric if by_position else metric[..., 0]


def patch_residual_stream(setup: Patching, normalised_metric: Callable) -> tuple[torch.Tensor, list[str]]:
    """Denoising the residual stream: at each site (before layer 0, between the layers, after
    layer 1) and each position, the clean value patched into the corrupted run.

    Returns:
        ([site, pos] float64, the sites' hook names).
    """
    model = setup.model
    sites = [f"blocks.{layer}.hook_resid_pre" for layer in range(model.cfg.n_layers)]
    sites.append(f"blocks.{model.cfg.n_layers - 1}.hook_resid_post")
    losses = torch.zeros(len(sites), setup.clean.shape[1], dtype=torch.float64)
    for i, site in enumerate(sites):
        for position in range(setup.clean.shape[1]):
            def patch(resid, hook, site=site, position=position):
                resid = resid.clone()
                resid[:, position] = setup.clean_cache[site][:, position]
                return resid
            with torch.no_grad():
                losses[i, position] = setup.loss(model.run_with_hooks(setup.corrupted, fwd_hooks=[(site, patch)]))
    return normalised_metric(losses, setup.clean_loss, setup.corrupted_loss), sites


HEAD_INPUTS = ("q", "k", "v", "pattern")


def patch_head_inputs(setup: Patching, normalised_metric: Callable, layer: int, head: int,
                      noising: bool = False) -> dict[str, float]:
    """Patching one head's queries, keys, values or attention pattern alone (at every
    position): {"q" | "k" | "v" | "pattern": normalised metric}. Denoising (clean values into
    the corrupted run) by default; ``noising``, corrupted values into the clean run."""
    results = {}
    tokens = setup.clean if noising else setup.corrupted
    for name in HEAD_INPUTS:
        site = f"blocks.{layer}.attn.hook_{name}"
        clean = (setup.corrupted_cache if noising else setup.clean_cache)[site]

        def patch(x, hook, clean=clean):
            x = x.clone()
            if name == "pattern":
                x[:, head] = clean[:, head]  # pattern [batch, head, query, key]
            else:
                x[:, :, head] = clean[:, :, head]  # q, k, v [batch, pos, head, d_head]
            return x

        with torch.no_grad():
            loss = setup.loss(setup.model.run_with_hooks(tokens, fwd_hooks=[(site, patch)]))
        results[name] = float(normalised_metric(torch.tensor([loss], dtype=torch.float64), setup.clean_loss,
                                                setup.corrupted_loss))
    return results


def patch_heads_together(setup: Patching, normalised_metric: Callable, heads) -> float:
    """Denoising several heads at once, at every position: ``heads`` a collection of (layer,
    head); the normalised metric."""
    hooks = replace_heads({(layer, head): setup.clean_cache["z", layer][:, :, head] for layer, head in heads})
    with torch.no_grad():
        loss = setup.loss(setup.model.run_with_hooks(setup.corrupted, fwd_hooks=hooks))
    return float(normalised_metric(torch.tensor([loss], dtype=torch.float64), setup.clean_loss, setup.corrupted_loss))


def logit_lens(model, tokens: torch.Tensor, seq_len: int) -> dict[str, float]:
    """The second copy's loss if the model stopped at each point of the residual stream and
    unembedded what is there: {site: loss}. With no LayerNorm, the last site is the model's
    own loss."""
    sites = ["blocks.0.hook_resid_pre"] + [f"blocks.{layer}.hook_resid_post" for layer in range(model.cfg.n_layers)]
    with torch.no_grad():
        _, cache = model.run_with_cache(tokens, names_filter=sites)
    return {site: second_copy_loss(cache[site] @ model.W_U, tokens, seq_len).item() for site in sites}


PATHS = ("q", "k", "v", "direct", "all")


def path_effects(setup: Patching, path_patch: Callable, normalised_metric: Callable, sender: int,
                 replacement: torch.Tensor) -> dict[str, float]:
    """Noising a layer-0 head one path at a time: its z replaced by ``replacement`` ([batch,
    pos, d_head], e.g. the corrupted run's) in the clean run as seen by layer 1's queries, keys
    or values (``path_patch``), by the unembedding alone ("direct"), or everywhere ("all").

    Returns:
        {path: the share of the clean run's performance lost, 1 - normalised metric}.
    """
    model, tokens = setup.model, setup.clean
    W_O = model.blocks[0].attn.W_O[sender]
    results = {}
    for path in PATHS:
        with torch.no_grad():
            if path in ("q", "k", "v"):
                logits = path_patch(model, tokens, sender, replacement, path)
            elif path == "direct":
                delta = (replacement - setup.clean_cache["z", 0][:, :, sender]) @ W_O  # [batch, pos, d_model]
                logits = model(tokens) + delta @ model.W_U
            else:
                logits = model.run_with_hooks(tokens, fwd_hooks=replace_heads({(0, sender): replacement}))
        metric = normalised_metric(torch.tensor([setup.loss(logits)], dtype=torch.float64), setup.clean_loss,
                                   setup.corrupted_loss)
        results[path] = 1 - float(metric)
    return results


def metric_gradient(setup: Patching, normalised_metric: Callable) -> list[torch.Tensor]:
    """d(normalised metric)/dz of every layer in the corrupted run, from one backward pass
    (``torch.autograd.grad``: the gradient with respect to the activations only, no parameter's
    ``.grad`` is touched): [layer] of [batch, pos, head, d_head]."""
    saved = {}

    def keep(z, hook):
        saved[hook.name] = z
        return z

    model = setup.model
    names = [f"blocks.{layer}.attn.hook_z" for layer in range(model.cfg.n_layers)]
    with torch.enable_grad():
        logits = model.run_with_hooks(setup.corrupted, fwd_hooks=[(name, keep) for name in names])
        loss = second_copy_loss(logits, setup.clean, setup.seq_len)
        metric = normalised_metric(loss.reshape(1), setup.clean_loss, setup.corrupted_loss).sum()
        gradients = torch.autograd.grad(metric, [saved[name] for name in names])
    return [g.detach() for g in gradients]


def induction_attention(setup: Patching, previous_head: int, induction_heads: list[int]) -> tuple[float, float]:
    """The induction heads' mean induction score (attention from each second-copy token to the
    token after its earlier occurrence, chapter 5's measure) in the corrupted run, and in the
    corrupted run with the previous-token head's clean output patched in at every position."""
    scores = []
    for hooks in ((), replace_heads({(0, previous_head): setup.clean_cache["z", 0][:, :, previous_head]})):
        with torch.no_grad(), setup.model.hooks(hooks):
            _, cache = setup.model.run_with_cache(setup.corrupted, names_filter="blocks.1.attn.hook_pattern")
        scores.append(float(induction_score(cache["pattern", 1], setup.seq_len)[induction_heads].mean()))
    return scores[0], scores[1]


def correlation(a: torch.Tensor, b: torch.Tensor) -> float:
    """Pearson's correlation of two tensors' entries."""
    return float(torch.corrcoef(torch.stack([a.flatten().double(), b.flatten().double()]))[0, 1])


ABLATIONS = ("zero", "mean", "resample")


def ablation_losses(model, tokens: torch.Tensor, source_tokens: torch.Tensor, seq_len: int) -> torch.Tensor:
    """Each head ablated three ways on repeated tokens: its z set to zero, to its mean over the
    batch (at each position), or to its z on ``source_tokens`` (other repeated tokens: resample).

    Returns:
        [ablation, layer, head] second-copy losses (ablations in ABLATIONS' order), float64.
    """
    with torch.no_grad():
        _, cache = model.run_with_cache(tokens, names_filter=lambda n: n.endswith("hook_z"))
        _, source = model.run_with_cache(source_tokens, names_filter=lambda n: n.endswith("hook_z"))
    out = torch.zeros(len(ABLATIONS), model.cfg.n_layers, model.cfg.n_heads, dtype=torch.float64)
    for layer in range(model.cfg.n_layers):
        z = cache["z", layer]
        for head in range(model.cfg.n_heads):
            replacements = (torch.zeros_like(z[:, :, head]), z[:, :, head].mean(dim=0, keepdim=True).expand_as(z[:, :, head]),
                            source["z", layer][:, :, head])
            for i, value in enumerate(replacements):
                with torch.no_grad():
                    logits = model.run_with_hooks(tokens, fwd_hooks=replace_heads({(layer, head): value}))
                out[i, layer, head] = second_copy_loss(logits, tokens, seq_len).item()
    return out


def logit_attribution_on_second_copy(model, tokens: torch.Tensor, seq_len: int,
                                     head_logit_attribution: Callable) -> tuple[torch.Tensor, float]:
    """The mean direct logit attribution of each head to the right next token on the second
    copy (positions seq_len .. 2 * seq_len - 2), and that of the embeddings' direct path.

    Returns:
        ([layer, head] float64, the embeddings' share as a float).
    """
    with torch.no_grad():
        _, cache = model.run_with_cache(tokens)
        heads = head_logit_attribution(model, cache, tokens)[:, seq_len:]  # [batch, seq_len - 1, layer, head]
        embedded = cache["hook_embed"] + cache["hook_pos_embed"]  # [batch, pos, d_model]
        direct = torch.einsum("bpd,bpd->bp", embedded[:, :-1], model.W_U.T[tokens[:, 1:]])[:, seq_len:]
    return heads.mean(dim=(0, 1)).double(), direct.mean().item()


def residual_after(model, tokens: torch.Tensor, site: str, fwd_hooks=()) -> torch.Tensor:
    """The residual stream at hook ``site`` on ``tokens``: [batch, pos, d_model]."""
    with torch.no_grad(), model.hooks(fwd_hooks):
        _, cache = model.run_with_cache(tokens, names_filter=site)
    return cache[site]


def previous_token_rows(resid: torch.Tensor, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """A probe's data set: the residual stream at positions 1 .. pos - 1, each labelled with
    the token before it. Returns (features [batch * (pos - 1), d_model], labels [batch * (pos - 1)])."""
    return resid[:, 1:].reshape(-1, resid.shape[-1]), tokens[:, :-1].reshape(-1)


def zero_head(head: int) -> Callable:
    """A hook on hook_z that zeroes one head (of whichever layer it is attached to)."""
    return replace_heads({(0, head): 0.0})[0][1]


def recovered(loss: float, clean_loss: float, ablated_loss: float) -> float:
    """The share of the loss gap a partly ablated model recovers: 1 at the clean loss, 0 at the
    loss with everything ablated."""
    return (ablated_loss - loss) / (ablated_loss - clean_loss)


def repeated_and_corrupted(batch: int, seq_len: int, d_vocab: int, seed: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Clean repeated tokens, the same with the first copy resampled, and other repeated
    tokens for resample ablation: three [batch, 2 * seq_len], from one seed."""
    generator = torch.Generator().manual_seed(seed)
    clean = repeated_tokens(batch, seq_len, d_vocab, generator)
    corrupted = first_copy_resampled(clean, seq_len, d_vocab, generator)
    source = repeated_tokens(batch, seq_len, d_vocab, generator)
    return clean, corrupted, source
