"""Checks for the exercises of chapter 5, "Induction heads"."""

from __future__ import annotations

from typing import Callable

import torch

from solutions import chapter5_induction as reference

from ..core.exercise import ExerciseFailed, expect_tensor, exercise
from ..core.losses import next_token_losses
from ..core.transformer import HookedTransformer, TransformerConfig


@exercise("5.1", reference.repeated_tokens)
def check_repeated_tokens(fn: Callable, reference_fn: Callable) -> str:
    for batch, seq_len, vocab in [(3, 5, 10), (1, 1, 64), (4, 24, 64)]:
        got = fn(batch, seq_len, vocab, torch.Generator().manual_seed(2))
        want = reference_fn(batch, seq_len, vocab, torch.Generator().manual_seed(2))
        if isinstance(got, torch.Tensor) and got.shape == (batch, seq_len):
            raise ExerciseFailed(f"returned only one copy, shape {tuple(got.shape)}; concatenate the tokens with themselves")
        if isinstance(got, torch.Tensor) and got.shape == want.shape and not torch.equal(got[:, :seq_len], got[:, seq_len:]):
            raise ExerciseFailed("the second half must repeat the first exactly: torch.cat([first, first], dim=1)")
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


@exercise("5.2", reference.previous_token_score)
def check_previous_token_score(fn: Callable, reference_fn: Callable) -> str:
    for name, pattern in _patterns():
        got = fn(pattern)
        want = reference_fn(pattern)
        if isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point():
            current = pattern.diagonal(dim1=-2, dim2=-1).mean(dim=(0, -1))
            if torch.allclose(got, current) and not torch.allclose(current, want):
                raise ExerciseFailed(f"on {name}: this is the current-token score (the diagonal); take offset=-1")
            above = pattern.diagonal(offset=1, dim1=-2, dim2=-1).mean(dim=(0, -1))
            if torch.allclose(got, above) and not torch.allclose(above, want):
                raise ExerciseFailed(f"on {name}: offset=+1 is above the diagonal (the future, always 0); use offset=-1")
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
        if isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point():
            same_token = pattern.diagonal(offset=-seq_len, dim1=-2, dim2=-1).mean(dim=(0, -1))
            if torch.allclose(got, same_token) and not torch.allclose(same_token, want):
                raise ExerciseFailed(
                    f"on {name}: this is attention to the earlier copy of the *same* token (offset -seq_len); "
                    "an induction head attends to the token after it, offset -(seq_len - 1)"
                )
            whole = pattern.diagonal(offset=-(seq_len - 1), dim1=-2, dim2=-1).mean(dim=(0, -1))
            if torch.allclose(got, whole) and not torch.allclose(whole, want):
                raise ExerciseFailed(
                    f"on {name}: the stripe at offset -(seq_len - 1) starts at query seq_len - 1, which is "
                    "still in the first copy; average over queries seq_len .. 2*seq_len - 1 only"
                )
        expect_tensor(got, want, f"the score on {name}", atol=1e-6)
    return "random patterns, a previous-token head (score 0) and a perfect induction head (score 1)"


def _tiny_model() -> HookedTransformer:
    cfg = TransformerConfig(d_vocab=12, n_ctx=10, d_model=16, n_layers=2, n_heads=2, d_head=8, attn_only=True)
    return HookedTransformer(cfg, seed=4)


@exercise("5.4", reference.ablated_repeat_loss)
def check_ablated_repeat_loss(fn: Callable, reference_fn: Callable) -> str:
    model = _tiny_model()
    tokens = reference.repeated_tokens(6, 5, 12, torch.Generator().manual_seed(5))
    for layer in (0, 1):
        for head in (0, 1):
            got = fn(model, tokens, layer, head, 5)
            want = reference_fn(model, tokens, layer, head, 5)
            if not isinstance(got, float):
                raise ExerciseFailed(f"should return a Python float (use .item()), got {type(got).__name__}")
            if any(hp._hooks for hp in model.hook_dict.values()):
                raise ExerciseFailed("a hook was left attached to the model; use model.run_with_hooks")
            if abs(got - want) > 1e-5:
                with torch.no_grad():
                    plain = next_token_losses(model(tokens), tokens)[:, 5:].mean().item()
                if abs(got - plain) < 1e-5:
                    raise ExerciseFailed(
                        f"layer {layer}, head {head}: the loss is the same as without ablation; "
                        "return the modified z from the hook (or edit it in place)"
                    )
                raise ExerciseFailed(
                    f"layer {layer}, head {head}: loss {got:.5f}, expected {want:.5f}: zero z[:, :, head] at "
                    "blocks.{layer}.attn.hook_z and average the losses of predicting tokens seq_len+1 .. 2*seq_len-1"
                )
    return "every head of a small 2-layer model"


@exercise("5.5", reference.k_composition_scores)
def check_k_composition_scores(fn: Callable, reference_fn: Callable) -> str:
    model = _tiny_model()
    got = fn(model)
    want = reference_fn(model)
    if isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point():
        if torch.allclose(got, want.T, atol=1e-5) and not torch.allclose(want, want.T, atol=1e-5):
            raise ExerciseFailed("the result is transposed: entry [h0, h1] is layer-0 head h0 with layer-1 head h1")
        attn0, attn1 = model.blocks[0].attn, model.blocks[1].attn
        unnormalised = (attn1.W_Q @ attn1.W_K.transpose(-1, -2))[None] @ (attn0.W_V @ attn0.W_O)[:, None].transpose(-1, -2)
        if torch.allclose(got, unnormalised.norm(dim=(-2, -1)).detach(), atol=1e-5) and not torch.allclose(want, unnormalised.norm(dim=(-2, -1)).detach(), atol=1e-5):
            raise ExerciseFailed("divide by ||W_QK||_F * ||W_OV||_F, so that the score does not depend on scale")
    expect_tensor(got, want, "the K-composition scores", atol=1e-5, rtol=1e-4)
    return "a small 2-layer model, every pair of heads"


@exercise("5.6", reference.copying_score)
def check_copying_score(fn: Callable, reference_fn: Callable) -> str:
    model = _tiny_model()
    for layer, head in [(0, 0), (1, 1)]:
        got = fn(model, layer, head)
        want = reference_fn(model, layer, head)
        if not isinstance(got, float):
            raise ExerciseFailed(f"should return a Python float (use .item()), got {type(got).__name__}")
        attn = model.blocks[layer].attn
        circuit = (model.W_E @ attn.W_V[head] @ attn.W_O[head] @ model.W_U).detach()
        eig = torch.linalg.eigvals(circuit)
        if abs(got - (eig.real.sum() / eig.real.abs().sum()).item()) < 1e-6 and abs(got - want) > 1e-6:
            raise ExerciseFailed("divide by the sum of the eigenvalues' magnitudes |λ| (complex abs), not |Re λ|")
        if abs(got - want) > 1e-4:
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
                             f"{reference_fn(identity_model, 0, 0):.3f}")
    return "two heads of a small model and a pure copying head"


def _composition_model() -> HookedTransformer:
    """The small model with layer-1 head 1's queries scaled up, so that its attention is far
    from uniform and a wrong pattern (no shift, no mask) differs clearly from the right one."""
    model = _tiny_model()
    with torch.no_grad():
        model.blocks[1].attn.W_Q[1].mul_(3.0)
    return model


@exercise("5.7", reference.composed_attention)
def check_composed_attention(fn: Callable, reference_fn: Callable) -> str:
    model = _composition_model()
    tokens = reference.repeated_tokens(3, 5, 12, torch.Generator().manual_seed(6))
    for previous_head, head in [(0, 1), (1, 0)]:
        got = fn(model, tokens, previous_head, head)
        want = reference_fn(model, tokens, previous_head, head)
        if isinstance(got, torch.Tensor) and got.shape == want.shape and got.is_floating_point():
            if (got.triu(1).abs() > 1e-6).any():
                raise ExerciseFailed("a query attends to later keys: mask the future (keys after the query) with -inf before the softmax")
            if not torch.allclose(got.sum(-1), torch.ones(()), atol=1e-4):
                raise ExerciseFailed("each query's attention should sum to 1 over keys: softmax over the last dimension")
            unshifted = _composed_without_shift(model, tokens, previous_head, head)
            if torch.allclose(got, unshifted, atol=1e-5):
                raise ExerciseFailed(
                    "the keys read the token at their own position; they should read the previous "
                    "position's (a previous-token head moves it one step forward): shift resid by one"
                )
        expect_tensor(got, want, f"the pattern of head 1.{head} composed with head 0.{previous_head}", atol=1e-5, rtol=1e-4)
    return "two pairs of heads of a small model on repeated tokens"


def _composed_without_shift(model, tokens, previous_head, head):
    """The common mistake: keys from the current position instead of the previous one."""
    attn0, attn1 = model.blocks[0].attn, model.blocks[1].attn
    n = tokens.shape[1]
    with torch.no_grad():
        resid = model.W_E[tokens] + model.W_pos[:n]
        keys = resid @ attn0.W_V[previous_head] @ attn0.W_O[previous_head] @ attn1.W_K[head]
        scores = (resid @ attn1.W_Q[head]) @ keys.transpose(-1, -2) / keys.shape[-1] ** 0.5
        return scores.masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1), float("-inf")).softmax(-1)


@exercise("5.8", reference.in_context_learning_score)
def check_in_context_learning_score(fn: Callable, reference_fn: Callable) -> str:
    model = _tiny_model()
    tokens = reference.repeated_tokens(4, 5, 12, torch.Generator().manual_seed(7))
    with torch.no_grad():
        losses = next_token_losses(model(tokens), tokens)  # [batch, 9]; column j predicts token j + 1
    for early, late in [(1, 8), (2, 9), (3, 4)]:
        got = fn(model, tokens, early, late)
        want = reference_fn(model, tokens, early, late)
        if not isinstance(got, float):
            raise ExerciseFailed(f"should return a Python float (use .item()), got {type(got).__name__}")
        if abs(got + want) < 1e-6 and abs(want) > 1e-6:
            raise ExerciseFailed("the sign is reversed: the score is the late loss minus the early loss")
        off_by_one = (losses[:, late].mean() - losses[:, early].mean()).item() if late < losses.shape[1] else None
        if off_by_one is not None and abs(got - off_by_one) < 1e-6 and abs(got - want) > 1e-6:
            raise ExerciseFailed(
                "off by one: next_token_losses(...)[:, j] is the loss of predicting token j + 1, "
                "so the loss of predicting token `late` is column late - 1"
            )
        late_loss, early_loss = losses[:, late - 1].mean().item(), losses[:, early - 1].mean().item()
        if abs(got - late_loss / early_loss) < 1e-6 and abs(got - want) > 1e-5:
            raise ExerciseFailed(f"early={early}, late={late}: this is the ratio of the two losses; the score is "
                                 "their difference, late minus early")
        if abs(got - want) > 1e-5:
            raise ExerciseFailed(f"early={early}, late={late}: got {got:.5f}, expected {want:.5f}")
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
    if sorted(run.loaded) != run.checkpoint_steps:
        raise ExerciseFailed(f"load every checkpoint once with run.model_at(step); loaded {run.loaded}")
    expect_tensor(steps, torch.tensor([0, 100, 200, 400]), "steps")
    expect_tensor(values, torch.tensor([0.0, 1.0, 2.0, 4.0], dtype=torch.float64), "values (float64)")
    single = _FakeRun([5])
    expect_tensor(fn(single, lambda model: 0.5)[1], torch.tensor([0.5], dtype=torch.float64), "values for one checkpoint, a measure returning a float")
    return "a run with four checkpoints (a measure returning tensors) and one with one (returning a float)"
