"""Checks for the exercises of chapter 5, "Induction heads"."""

from __future__ import annotations

from typing import Callable

import torch

from solutions import chapter5_induction as reference

from ..core.exercise import ExerciseFailed, expect_tensor, exercise, same_values
from ..core.mistakes import agrees, name_the_mistake
from ..core.losses import next_token_losses
from ..core.transformer import HookedTransformer, TransformerConfig


@exercise("5.1", reference.repeated_tokens)
def check_repeated_tokens(fn: Callable, reference_fn: Callable) -> str:
    for batch, seq_len, vocab in [(3, 5, 10), (1, 1, 64), (4, 24, 64)]:
        got = fn(batch, seq_len, vocab, torch.Generator().manual_seed(2))
        want = reference_fn(batch, seq_len, vocab, torch.Generator().manual_seed(2))
        if isinstance(got, torch.Tensor) and got.shape == (batch, seq_len):
            raise ExerciseFailed(f"returned only one copy, shape {tuple(got.shape)}; concatenate the tokens with themselves")
        if isinstance(got, torch.Tensor) and got.shape == (2 * batch, seq_len):
            raise ExerciseFailed(f"shape {tuple(got.shape)}: the copies are joined along dim 0, the batch; "
                                 "join them along the positions, torch.cat([first, first], dim=1)")
        if isinstance(got, torch.Tensor) and got.shape == (batch, 2 * seq_len + 1):
            raise ExerciseFailed(f"shape {tuple(got.shape)}: one position too many; no beginning-of-sequence "
                                 "token here, just the two copies, [batch_size, 2 * seq_len]")
        if isinstance(got, torch.Tensor) and got.shape == want.shape and not got.is_floating_point() \
                and not torch.equal(got, want):
            first = want[:, :seq_len]
            if torch.equal(got, first.repeat_interleave(2, dim=1)):
                raise ExerciseFailed("each token is doubled in place (a a b b ...); the whole sequence must repeat "
                                     "(a b ... a b ...): torch.cat([first, first], dim=1)")
            if not torch.equal(got[:, :seq_len], got[:, seq_len:]):
                raise ExerciseFailed("the second half must repeat the first exactly: torch.cat([first, first], dim=1)")
            narrower = torch.randint(0, vocab - 1, (batch, seq_len), generator=torch.Generator().manual_seed(2))
            if torch.equal(got, torch.cat([narrower, narrower], dim=1)):
                raise ExerciseFailed("token d_vocab - 1 is never drawn: torch.randint's upper bound is already "
                                     "exclusive, so use torch.randint(0, d_vocab, ...)")
            if bool(((got >= 0) & (got < vocab)).all()):
                raise ExerciseFailed(
                    f"for batch={batch}, seq_len={seq_len}: the tokens repeat, but are not the ones `generator` "
                    "gives: draw the first half once, with torch.randint(0, d_vocab, (batch_size, seq_len), "
                    "generator=generator) (another generator, or another shape of draw, gives other tokens)"
                )
        expect_tensor(got, want, f"the tokens for batch={batch}, seq_len={seq_len}")
    return "3 shapes, including seq_len = 1"


def _patterns(seq_len: int = 4) -> list[tuple[str, torch.Tensor]]:
    g = torch.Generator().manual_seed(3)
    n = 2 * seq_len
    scores = torch.randn(2, 3, n, n, generator=g)
    future = torch.ones(n, n, dtype=torch.bool).triu(1)
    random = scores.masked_fill(future, float("-inf")).softmax(-1)
    previous = torch.zeros(1, 1, n, n)
    previous[0, 0, 0, 0] = 1.0
    previous[0, 0, torch.arange(1, n), torch.arange(n - 1)] = 1.0  # a perfect previous-token head
    return [("random causal patterns [2, 3, 8, 8]", random), ("a perfect previous-token head", previous)]


def _averaging_mistakes(stripe: torch.Tensor, name: str, queries: str) -> list:
    """The ways of averaging ``stripe`` ([batch, head, query]) wrongly, each with its message."""
    return [
        (lambda: stripe.mean(dim=-1), f"on {name}: the result keeps the batch dimension, [batch, head]; "
                                      "average over the batch (dim 0) too, leaving [head]"),
        (lambda: stripe.mean(dim=(1, -1)), f"on {name}: this averages over the heads (dim 1), leaving [batch]; "
                                           "average over the batch (dim 0) and the queries, leaving [head]"),
        (lambda: stripe.sum(dim=-1).mean(dim=0), f"on {name}: this sums over the {queries}; average them (.mean)"),
    ]


@exercise("5.2", reference.previous_token_score)
def check_previous_token_score(fn: Callable, reference_fn: Callable) -> str:
    for name, pattern in _patterns():
        got = fn(pattern)
        want = reference_fn(pattern)
        if isinstance(got, torch.Tensor) and got.is_floating_point() and not agrees(got, want, atol=1e-6):
            n = pattern.shape[-1]
            stripe = pattern.diagonal(offset=-1, dim1=-2, dim2=-1)  # [batch, head, n - 1]
            name_the_mistake(got, want, [
                (lambda: pattern.diagonal(dim1=-2, dim2=-1).mean(dim=(0, -1)),
                 f"on {name}: this is the current-token score (the diagonal); take offset=-1"),
                (lambda: pattern.diagonal(offset=1, dim1=-2, dim2=-1).mean(dim=(0, -1)),
                 f"on {name}: every score is 0, as the diagonal at offset=+1 is (above the diagonal: keys after "
                 "the query, the future, always 0); the previous token is below it, offset=-1"),
                (lambda: pattern.diagonal(offset=-1).mean(dim=(0, -1)),
                 f"on {name}: pattern.diagonal(offset=-1) without dim1 and dim2 takes the diagonal of dims 0 and 1 "
                 "(batch and head); pass dim1=-2, dim2=-1"),
                (lambda: stripe.sum(dim=-1).mean(dim=0) / n,
                 f"on {name}: this divides by all {n} positions; query 0 has no previous token, so average over "
                 "the n - 1 queries 1 .. n - 1 (.mean of the diagonal)"),
                *_averaging_mistakes(stripe, name, "query positions"),
            ], atol=1e-6)
        expect_tensor(got, want, f"the score on {name}", atol=1e-6)
    return "random causal patterns and a perfect previous-token head (score 1)"


@exercise("5.3", reference.induction_score)
def check_induction_score(fn: Callable, reference_fn: Callable) -> str:
    seq_len = 4
    n = 2 * seq_len
    perfect = torch.zeros(1, 1, n, n)
    perfect[0, 0, :seq_len, 0] = 1.0
    queries = torch.arange(seq_len, n)
    perfect[0, 0, queries, queries - seq_len + 1] = 1.0  # a perfect induction head
    cases = _patterns(seq_len) + [("a perfect induction head", perfect)]
    for name, pattern in cases:
        got = fn(pattern, seq_len)
        want = reference_fn(pattern, seq_len)
        if isinstance(got, torch.Tensor) and got.is_floating_point() and not agrees(got, want, atol=1e-6):
            def at(offset: int) -> torch.Tensor:
                return pattern.diagonal(offset=offset, dim1=-2, dim2=-1)

            stripe = at(-(seq_len - 1))  # queries seq_len - 1 .. 2 * seq_len - 1
            name_the_mistake(got, want, [
                (lambda: at(-seq_len).mean(dim=(0, -1)),
                 f"on {name}: this is attention to the earlier copy of the *same* token (offset -seq_len); "
                 "an induction head attends to the token after it, offset -(seq_len - 1)"),
                (lambda: at(-(seq_len + 1)).mean(dim=(0, -1)),
                 f"on {name}: this is attention to the token *before* the earlier copy of the current token "
                 "(offset -(seq_len + 1)); an induction head attends to the token after it, offset -(seq_len - 1)"),
                (lambda: stripe.mean(dim=(0, -1)),
                 f"on {name}: the stripe at offset -(seq_len - 1) starts at query seq_len - 1, which is "
                 "still in the first copy; average over queries seq_len .. 2*seq_len - 1 only"),
                (lambda: stripe[..., :-1].mean(dim=(0, -1)),
                 f"on {name}: this drops the stripe's last query; drop its first instead (query seq_len - 1, "
                 "in the first copy): stripe[..., 1:]"),
                (lambda: stripe[..., 2:].mean(dim=(0, -1)),
                 f"on {name}: this starts at query seq_len + 1, one too late; the second copy starts at query "
                 "seq_len: stripe[..., 1:]"),
                (lambda: at(seq_len - 1)[..., 1:].mean(dim=(0, -1)),
                 f"on {name}: every score is 0, as a stripe above the diagonal is (a positive offset such as "
                 "+(seq_len - 1): keys after the query, the future, always 0); the stripe is below it, "
                 "offset=-(seq_len - 1)"),
                (lambda: at(seq_len - 1).mean(dim=(0, -1)),
                 f"on {name}: every score is 0, as a stripe above the diagonal is (a positive offset such as "
                 "+(seq_len - 1): keys after the query, the future, always 0); the stripe is below it, "
                 "offset=-(seq_len - 1)"),
                *_averaging_mistakes(stripe[..., 1:], name, "queries"),
            ], atol=1e-6)
        expect_tensor(got, want, f"the score on {name}", atol=1e-6)
    return "random patterns, a previous-token head (score 0) and a perfect induction head (score 1)"


def _tiny_model() -> HookedTransformer:
    cfg = TransformerConfig(d_vocab=12, n_ctx=10, d_model=16, n_layers=2, n_heads=2, d_head=8, attn_only=True)
    return HookedTransformer(cfg, seed=4)


def _losses_with(model, tokens: torch.Tensor, layer: int, change: Callable | None) -> torch.Tensor:
    """next_token_losses with ``change(z)`` (on a copy of z) at ``blocks.{layer}.attn.hook_z``."""
    hooks = [] if change is None else [(f"blocks.{layer}.attn.hook_z", lambda z, hook: change(z.clone()))]
    with torch.no_grad():
        return next_token_losses(model.run_with_hooks(tokens, fwd_hooks=hooks), tokens)


def _zeroed(z: torch.Tensor, index: tuple) -> torch.Tensor:
    z[index] = 0.0
    return z


@exercise("5.4", reference.ablated_repeat_loss)
def check_ablated_repeat_loss(fn: Callable, reference_fn: Callable) -> str:
    model = _tiny_model()
    seq_len = 5
    tokens = reference.repeated_tokens(6, seq_len, 12, torch.Generator().manual_seed(5))
    for layer in (0, 1):
        for head in (0, 1):
            got = fn(model, tokens, layer, head, seq_len)
            want = reference_fn(model, tokens, layer, head, seq_len)
            if not isinstance(got, float):
                raise ExerciseFailed(f"should return a Python float (use .item()), got {type(got).__name__}")
            if any(hp._hooks for hp in model.hook_dict.values()):
                raise ExerciseFailed("a hook was left attached to the model; use model.run_with_hooks")
            if abs(got - want) > 1e-5:
                where = f"layer {layer}, head {head}"
                ablated = _losses_with(model, tokens, layer, lambda z: _zeroed(z, (slice(None), slice(None), head)))
                name_the_mistake(got, want, [
                    (lambda: _losses_with(model, tokens, layer, None)[:, seq_len:].mean().item(),
                     f"{where}: the loss is the same as without ablation; "
                     "return the modified z from the hook (or edit it in place)"),
                    (lambda: ablated.mean().item(),
                     f"{where}: this averages the loss over every position; average over the second copy only, "
                     "next_token_losses(...)[:, seq_len:]"),
                    (lambda: ablated[:, seq_len - 1:].mean().item(),
                     f"{where}: this includes column seq_len - 1, the prediction of token seq_len (the first of "
                     "the second copy, which nothing before predicts); take next_token_losses(...)[:, seq_len:]"),
                    (lambda: ablated[:, seq_len:].sum().item(),
                     f"{where}: this sums the losses; average them (.mean())"),
                    (lambda: _losses_with(model, tokens, layer, lambda z: _zeroed(z, (slice(None), head)))[:, seq_len:].mean().item(),
                     f"{where}: z[:, head] zeroes position {head} of every head; z is [batch, pos, head, d_head]: "
                     "zero z[:, :, head]"),
                    (lambda: _losses_with(model, tokens, layer, torch.zeros_like)[:, seq_len:].mean().item(),
                     f"{where}: this zeroes every head of the layer; zero only z[:, :, head]"),
                ], atol=1e-5)
                raise ExerciseFailed(
                    f"{where}: loss {got:.5f}, expected {want:.5f}: zero z[:, :, head] at "
                    f"blocks.{layer}.attn.hook_z and average the losses of predicting tokens seq_len+1 .. 2*seq_len-1"
                )
    return "every head of a small 2-layer model"


def _k_composition(W_OV: torch.Tensor, W_QK: torch.Tensor, composed: torch.Tensor, pair_norms: bool = True) -> torch.Tensor:
    """composed [h0, h1, d, d] divided by ||W_OV[h0]|| * ||W_QK[h1]|| (or, ``pair_norms`` False,
    by ||W_OV[h1]|| * ||W_QK[h1]||: the norms broadcast without [:, None] and [None, :])."""
    ov, qk = W_OV.norm(dim=(-2, -1)), W_QK.norm(dim=(-2, -1))
    norms = ov[:, None] * qk[None, :] if pair_norms else ov * qk
    return (composed.norm(dim=(-2, -1)) / norms).detach()


@exercise("5.5", reference.k_composition_scores)
def check_k_composition_scores(fn: Callable, reference_fn: Callable) -> str:
    model = _tiny_model()
    got = fn(model)
    want = reference_fn(model)
    if isinstance(got, torch.Tensor) and got.is_floating_point() and not agrees(got, want, atol=1e-5, rtol=1e-4):
        attn0, attn1 = model.blocks[0].attn, model.blocks[1].attn
        with torch.no_grad():
            W_OV, W_QK = attn0.W_V @ attn0.W_O, attn1.W_Q @ attn1.W_K.transpose(-1, -2)
            composed = W_QK[None] @ W_OV[:, None].transpose(-1, -2)  # [h0, h1, d_model, d_model]
            late_OV, early_QK = attn1.W_V @ attn1.W_O, attn0.W_Q @ attn0.W_K.transpose(-1, -2)
        name_the_mistake(got, want, [
            (lambda: want.T, "the result is transposed: entry [h0, h1] is layer-0 head h0 with layer-1 head h1"),
            (lambda: composed.norm(dim=(-2, -1)),
             "divide by ||W_QK||_F * ||W_OV||_F, so that the score does not depend on scale"),
            (lambda: composed.norm() / (W_OV.norm() * W_QK.norm()),
             ".norm() without dim is one norm over every pair of heads: pass dim=(-2, -1), the Frobenius norm "
             "of each [d_model, d_model] matrix"),
            (lambda: _k_composition(W_OV, W_QK, W_OV[:, None] @ W_QK[None]),
             "this is ||W_OV @ W_QK|| (Q-composition, the queries reading head h0; or W_QK built the wrong way "
             "round, W_K @ W_Q.T); K-composition is ||W_QK @ W_OV.T|| with W_QK = W_Q @ W_K.T"),
            (lambda: _k_composition(W_OV, W_QK, W_QK[None] @ W_OV[:, None]),
             "W_OV is not transposed: the score is ||W_QK @ W_OV.T||_F / (||W_QK||_F * ||W_OV||_F)"),
            (lambda: _k_composition(W_OV, W_QK, composed, pair_norms=False),
             "entry [h0, h1] is divided by ||W_OV[h1]|| * ||W_QK[h1]||: pair head h0's W_OV with head h1's "
             "W_QK, W_OV.norm(dim=(-2, -1))[:, None] * W_QK.norm(dim=(-2, -1))[None, :]"),
            (lambda: _k_composition(late_OV, early_QK, early_QK[None] @ late_OV[:, None].transpose(-1, -2)),
             "the layers are swapped: W_OV (W_V @ W_O) is layer 0's, the head that writes; W_QK (W_Q @ W_K.T) "
             "is layer 1's, the head whose keys read it"),
        ], atol=1e-5)
    expect_tensor(got, want, "the K-composition scores", atol=1e-5, rtol=1e-4)
    return "a small 2-layer model, every pair of heads"


def _eigenvalue_ratio(circuit: torch.Tensor) -> float:
    eig = torch.linalg.eigvals(circuit.detach())
    return (eig.real.sum() / eig.abs().sum()).item()


@exercise("5.6", reference.copying_score)
def check_copying_score(fn: Callable, reference_fn: Callable) -> str:
    model = _tiny_model()
    for layer, head in [(0, 0), (1, 1)]:
        got = fn(model, layer, head)
        want = reference_fn(model, layer, head)
        if not isinstance(got, float):
            raise ExerciseFailed(f"should return a Python float (use .item()), got {type(got).__name__}")
        if abs(got - want) > 1e-4:
            attn = model.blocks[layer].attn
            with torch.no_grad():
                circuit = model.W_E @ attn.W_V[head] @ attn.W_O[head] @ model.W_U
                every_head = model.W_E @ attn.W_V @ attn.W_O @ model.W_U  # [head, d_vocab, d_vocab]
                qk = model.W_E @ attn.W_Q[head] @ attn.W_K[head].T @ model.W_E.T
            eig = torch.linalg.eigvals(circuit)
            name_the_mistake(got, want, [
                (lambda: (eig.real.sum() / eig.real.abs().sum()).item(),
                 f"layer {layer}, head {head}: divide by the sum of the eigenvalues' magnitudes |λ| (complex abs), "
                 "not |Re λ|"),
                (lambda: eig.real.sum().item(),
                 f"layer {layer}, head {head}: this is Σ Re(λ) alone; divide it by Σ |λ|"),
                (1.0, f"layer {layer}, head {head}: this is exactly 1, as if every eigenvalue were real and positive "
                      "(singular values, or |λ| in the numerator, always give 1): take Σ Re(λ) / Σ |λ| of the "
                      "eigenvalues from torch.linalg.eigvals"),
                (lambda: (lambda e: (e.sum() / e.abs().sum()).item())(torch.linalg.eigvalsh(circuit)),
                 "torch.linalg.eigvalsh is for symmetric matrices (it reads only one triangle); the circuit is "
                 "not symmetric: use torch.linalg.eigvals"),
                (lambda: _eigenvalue_ratio(attn.W_V[head] @ attn.W_O[head]),
                 f"layer {layer}, head {head}: this is W_V @ W_O alone; the full OV circuit is "
                 "W_E @ W_V[head] @ W_O[head] @ W_U ([d_vocab, d_vocab])"),
                (lambda: _eigenvalue_ratio(every_head),
                 f"layer {layer}, head {head}: this uses every head's circuit (W_V @ W_O without [head]); "
                 "take W_V[head] @ W_O[head]"),
                (lambda: _eigenvalue_ratio(qk),
                 f"layer {layer}, head {head}: this is the QK circuit; the copying score is about the OV circuit, "
                 "W_E @ W_V[head] @ W_O[head] @ W_U"),
            ], atol=1e-6)
            raise ExerciseFailed(
                f"layer {layer}, head {head}: got {got:.5f}, expected {want:.5f}: the circuit is "
                "W_E @ W_V[head] @ W_O[head] @ W_U, and the score Σ Re(λ) / Σ |λ|"
            )
    # A circuit that is exactly the identity copies perfectly: score 1.
    identity_model = _tiny_model()
    with torch.no_grad():
        attn = identity_model.blocks[0].attn
        identity_model.embed.W_E.copy_(torch.eye(12, 16))
        attn.W_V.zero_()
        attn.W_O.zero_()
        attn.W_V[0].copy_(torch.eye(16, 8))
        attn.W_O[0].copy_(torch.eye(8, 16))
        identity_model.unembed.W_U.copy_(torch.eye(16, 12))
    got = fn(identity_model, 0, 0)
    if not isinstance(got, float) or abs(got - reference_fn(identity_model, 0, 0)) > 1e-4:
        raise ExerciseFailed(f"on a head whose circuit is a pure copier, got {got!r}, expected "
                             f"{reference_fn(identity_model, 0, 0):.3f}: take the eigenvalues λ of the full OV "
                             "circuit W_E W_V[head] W_O[head] W_U and return Σ Re(λ) / Σ |λ| as a Python float")
    return "two heads of a small model and a pure copying head"


def _composition_model() -> HookedTransformer:
    """The small model with layer-1 head 1's queries scaled up, so that its attention is far
    from uniform and a wrong pattern (no shift, no mask) differs clearly from the right one."""
    model = _tiny_model()
    with torch.no_grad():
        model.blocks[1].attn.W_Q[1].mul_(3.0)
    return model


def _composed(model, tokens, previous_head, head, *, shift: int | str = 1, positions: bool = True,
              scale: str = "sqrt", ov_layer: int = 0, shift_queries: bool = False,
              mask_after: bool = False) -> torch.Tensor:
    """composed_attention, or (the arguments) one of the ways of getting it wrong: ``shift`` 0
    (keys read their own position), -1 (the next one) or "roll" (torch.roll: the last position
    wraps round to position 0); no W_pos; ``scale`` "none", "d_head" or "d_model";
    W_V and W_O from layer ``ov_layer``; the queries shifted instead of the keys; the future
    masked after the softmax."""
    attn_ov, attn1 = model.blocks[ov_layer].attn, model.blocks[1].attn
    n = tokens.shape[1]
    with torch.no_grad():
        resid = model.W_E[tokens] + (model.W_pos[:n] if positions else 0.0)
        zeros = torch.zeros_like(resid[:, :1])
        moved = {1: torch.cat([zeros, resid[:, :-1]], dim=1), 0: resid, -1: torch.cat([resid[:, 1:], zeros], dim=1),
                 "roll": torch.roll(resid, 1, dims=1)}[shift]
        query_side, key_side = (moved, resid) if shift_queries else (resid, moved)
        keys = key_side @ attn_ov.W_V[previous_head] @ attn_ov.W_O[previous_head] @ attn1.W_K[head]
        scores = (query_side @ attn1.W_Q[head]) @ keys.transpose(-1, -2)
        scores = scores / {"sqrt": keys.shape[-1] ** 0.5, "none": 1.0, "d_head": keys.shape[-1],
                           "d_model": resid.shape[-1] ** 0.5}[scale]
        future = torch.ones(n, n, dtype=torch.bool).triu(1)
        if mask_after:
            return scores.softmax(-1).masked_fill(future, 0.0)
        return scores.masked_fill(future, float("-inf")).softmax(-1)


@exercise("5.7", reference.composed_attention)
def check_composed_attention(fn: Callable, reference_fn: Callable) -> str:
    model = _composition_model()
    tokens = reference.repeated_tokens(3, 5, 12, torch.Generator().manual_seed(6))
    for previous_head, head in [(0, 1), (1, 0)]:
        got = fn(model, tokens, previous_head, head)
        want = reference_fn(model, tokens, previous_head, head)
        if isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point() \
                and not agrees(got, want, atol=1e-5, rtol=1e-4):
            def wrong(**mistake) -> Callable[[], torch.Tensor]:
                return lambda: _composed(model, tokens, previous_head, head, **mistake)

            name_the_mistake(got, want, [
                (wrong(shift=0), "the keys read the token at their own position; they should read the previous "
                                 "position's (a previous-token head moves it one step forward): shift resid by one"),
                (wrong(shift=-1), "resid is shifted the wrong way: position j of the shifted copy must hold "
                                  "resid[:, j - 1] (zeros at position 0), torch.cat([zeros, resid[:, :-1]], dim=1)"),
                (wrong(shift_queries=True), "the queries are shifted instead of the keys: the queries read the "
                                            "current position, the keys the previous one"),
                (wrong(positions=False), "resid lacks the positional embeddings: resid = W_E[tokens] + W_pos[:pos]"),
                (wrong(scale="none"), "the scores are not scaled: divide queries @ keys.T by sqrt(d_head) before "
                                      "the softmax"),
                (wrong(scale="d_head"), "the scores are divided by d_head; divide by its square root, sqrt(d_head)"),
                (wrong(scale="d_model"), "the scores are divided by sqrt(d_model); divide by sqrt(d_head), the size "
                                         "of a head's queries and keys"),
                (wrong(shift="roll"), "torch.roll wraps the last position round to position 0; position 0 has no "
                                      "previous token and must read zeros: torch.cat([zeros, resid[:, :-1]], dim=1)"),
                (wrong(ov_layer=1), "W_V and W_O come from layer 0 (the previous-token head, model.blocks[0]); "
                                    "only W_Q and W_K are layer 1's"),
                (wrong(mask_after=True), "the future is masked after the softmax, so each query's attention no longer "
                                         "sums to 1: fill the future scores with -inf before the softmax"),
            ], atol=1e-5)
            if got.isnan().any():
                raise ExerciseFailed("some attention is NaN: a query with every key masked (the diagonal too) has "
                                     "nothing to attend to; mask only the keys after the query, triu(1) "
                                     "(diagonal=1)")
            if (got.triu(1).abs() > 1e-6).any():
                raise ExerciseFailed("a query attends to later keys: mask the future (keys after the query) with -inf before the softmax")
            if not torch.allclose(got.sum(-1), torch.ones(()), atol=1e-4):
                raise ExerciseFailed("each query's attention should sum to 1 over keys: softmax over the last dimension")
        expect_tensor(got, want, f"the pattern of head 1.{head} composed with head 0.{previous_head}", atol=1e-5, rtol=1e-4)
    return "two pairs of heads of a small model on repeated tokens"


@exercise("5.8", reference.in_context_learning_score)
def check_in_context_learning_score(fn: Callable, reference_fn: Callable) -> str:
    model = _tiny_model()
    # 10 sequences, more than positions: losses[late - 1] (a sequence, not a column) is a wrong answer, not an error.
    tokens = reference.repeated_tokens(10, 5, 12, torch.Generator().manual_seed(7))
    with torch.no_grad():
        logits = model(tokens)
        losses = next_token_losses(logits, tokens)  # [batch, 9]; column j predicts token j + 1
    for early, late in [(1, 8), (2, 9), (3, 4)]:
        got = fn(model, tokens, early, late)
        want = reference_fn(model, tokens, early, late)
        if not isinstance(got, float):
            raise ExerciseFailed(f"should return a Python float (use .item()), got {type(got).__name__}")
        if abs(got - want) > 1e-5:
            def same_position(j: int) -> torch.Tensor:
                return torch.nn.functional.cross_entropy(logits[:, j], tokens[:, j])

            where = f"early={early}, late={late}"
            name_the_mistake(got, want, [
                (-want, f"{where}: the sign is reversed: the score is the late loss minus the early loss"),
                (lambda: (losses[:, late].mean() - losses[:, early].mean()).item() if late < losses.shape[1] else None,
                 f"{where}: off by one: next_token_losses(...)[:, j] is the loss of predicting token j + 1, "
                 "so the loss of predicting token `late` is column late - 1"),
                (lambda: (same_position(late) - same_position(early)).item(),
                 f"{where}: this compares the logits at position `late` with tokens[:, late]; the logits at "
                 "position j predict token j + 1, so token `late` is predicted by logits[:, late - 1]"),
                (lambda: losses[:, late - 1].mean().item() / losses[:, early - 1].mean().item(),
                 f"{where}: this is the ratio of the two losses; the score is their difference, late minus early"),
                (lambda: (losses[late - 1].mean() - losses[early - 1].mean()).item(),
                 f"{where}: losses[late - 1] is sequence late - 1 of the batch (dim 0); the loss of predicting "
                 "token `late` is the column losses[:, late - 1], averaged over the batch"),
                (lambda: (losses[:, late - 1].sum() - losses[:, early - 1].sum()).item(),
                 f"{where}: this sums the losses over the batch; average them (.mean())"),
            ], atol=1e-5)
            raise ExerciseFailed(f"{where}: got {got:.5f}, expected {want:.5f}")
    return "three pairs of positions on a small model"


class _FakeRun:
    """Checkpoints whose 'model' is just its step, so that a check can see which were used."""

    def __init__(self, steps):
        self.checkpoint_steps = list(steps)
        self.loaded = []

    def model_at(self, step):
        self.loaded.append(step)
        return step


@exercise("5.9", reference.scores_over_checkpoints)
def check_scores_over_checkpoints(fn: Callable, reference_fn: Callable) -> str:
    run = _FakeRun([0, 100, 200, 400])
    got = fn(run, lambda model: torch.tensor([model / 100.0]))
    if not (isinstance(got, tuple) and len(got) == 2):
        raise ExerciseFailed(f"should return a tuple (steps, values), got {type(got).__name__}")
    steps, values = got
    if run.loaded == list(range(len(run.checkpoint_steps))):
        raise ExerciseFailed(f"loaded {run.loaded}: run.model_at takes a step, run.checkpoint_steps[i], "
                             "not the position i")
    if sorted(run.loaded) != run.checkpoint_steps:
        raise ExerciseFailed(f"load every checkpoint once with run.model_at(step); loaded {run.loaded}")
    want_steps, want_values = torch.tensor([0, 100, 200, 400]), torch.tensor([0.0, 1.0, 2.0, 4.0], dtype=torch.float64)
    if same_values(steps, want_values) and same_values(values, want_steps):
        raise ExerciseFailed("the tuple is (values, steps); return (steps, values)")
    if isinstance(steps, torch.Tensor) and steps.is_floating_point():
        raise ExerciseFailed(f"steps has dtype {steps.dtype}; steps are integers: torch.tensor(steps, dtype=torch.long)")
    if isinstance(values, torch.Tensor) and values.shape == (4, 1):
        raise ExerciseFailed("values has shape [4, 1]: each measure here returns a one-element tensor, and stacking "
                             "them keeps its dimension; turn each into a number with float(...)")
    expect_tensor(steps, want_steps, "steps")
    expect_tensor(values, want_values, "values (float64)")
    single = _FakeRun([5])
    values = fn(single, lambda model: 0.5)[1]
    if isinstance(values, torch.Tensor) and values.shape == ():
        raise ExerciseFailed("with one checkpoint, values has shape [] instead of [1]: .squeeze() removes the "
                             "checkpoint dimension too; build values from a list of floats, one per checkpoint")
    expect_tensor(values, torch.tensor([0.5], dtype=torch.float64), "values for one checkpoint, a measure returning a float")
    return "a run with four checkpoints (a measure returning tensors) and one with one (returning a float)"
