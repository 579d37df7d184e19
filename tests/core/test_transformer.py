import pytest
import torch

from interp_course.core.transformer import HookedTransformer, TransformerConfig


def small_config(**changes) -> TransformerConfig:
    base = dict(d_vocab=10, n_ctx=6, d_model=16, n_layers=2, n_heads=2, d_head=8, d_mlp=32)
    base.update(changes)
    return TransformerConfig(**base)


@pytest.fixture
def model() -> HookedTransformer:
    return HookedTransformer(small_config(), seed=0)


@pytest.fixture
def tokens() -> torch.Tensor:
    return torch.randint(0, 10, (4, 6), generator=torch.Generator().manual_seed(1))


def test_weight_shapes_follow_transformer_lens(model):
    cfg = model.cfg
    assert model.W_E.shape == (cfg.d_vocab, cfg.d_model)
    assert model.W_pos.shape == (cfg.n_ctx, cfg.d_model)
    attn = model.blocks[0].attn
    assert attn.W_Q.shape == attn.W_K.shape == attn.W_V.shape == (cfg.n_heads, cfg.d_model, cfg.d_head)
    assert attn.W_O.shape == (cfg.n_heads, cfg.d_head, cfg.d_model)
    assert model.blocks[1].mlp.W_in.shape == (cfg.d_model, cfg.d_mlp)
    assert model.blocks[1].mlp.W_out.shape == (cfg.d_mlp, cfg.d_model)
    assert model.W_U.shape == (cfg.d_model, cfg.d_vocab)


def test_logits_shape_and_separate_output_vocabulary(tokens):
    model = HookedTransformer(small_config(d_vocab_out=7), seed=0)
    assert model(tokens).shape == (4, 6, 7)
    assert model(tokens, final_position_only=True).shape == (4, 1, 7)


def test_attention_matches_an_independent_per_head_loop(model, tokens):
    """Oracle: attention written head by head with explicit loops over positions."""
    _, cache = model.run_with_cache(tokens)
    attn = model.blocks[0].attn
    resid = cache["resid_pre", 0]
    out = torch.zeros_like(resid)
    for h in range(model.cfg.n_heads):
        q, k, v = resid @ attn.W_Q[h], resid @ attn.W_K[h], resid @ attn.W_V[h]
        for i in range(tokens.shape[1]):
            scores = (q[:, i : i + 1] * k[:, : i + 1]).sum(-1) / model.cfg.d_head**0.5
            weights = scores.softmax(-1)  # [batch, i+1]
            out[:, i] += (weights[..., None] * v[:, : i + 1]).sum(1) @ attn.W_O[h]
    torch.testing.assert_close(cache["attn_out", 0], out, rtol=1e-5, atol=1e-5)


def test_causal_mask(model, tokens):
    _, cache = model.run_with_cache(tokens)
    pattern = cache["pattern", 0]  # [batch, head, query, key]
    assert torch.all(pattern.triu(diagonal=1) == 0)
    torch.testing.assert_close(pattern.sum(-1), torch.ones(pattern.shape[:-1]))
    changed = tokens.clone()
    changed[:, -1] = (changed[:, -1] + 1) % 10
    torch.testing.assert_close(model(tokens)[:, :-1], model(changed)[:, :-1])


def test_final_position_only_equals_the_last_position_of_the_full_pass(model, tokens):
    full = model(tokens)
    torch.testing.assert_close(model(tokens, final_position_only=True), full[:, -1:], rtol=1e-5, atol=1e-6)


def test_cache_names_and_shapes(model, tokens):
    logits, cache = model.run_with_cache(tokens)
    torch.testing.assert_close(logits, model(tokens))
    cfg = model.cfg
    assert cache["embed"].shape == cache["pos_embed"].shape == (4, 6, cfg.d_model)
    assert cache["blocks.0.attn.hook_pattern"] is cache["pattern", 0]
    assert cache["pattern", 1].shape == (4, cfg.n_heads, 6, 6)
    assert cache["q", 0].shape == cache["z", 1].shape == (4, 6, cfg.n_heads, cfg.d_head)
    assert cache["post", 1].shape == (4, 6, cfg.d_mlp)
    for name in ["resid_pre", "resid_mid", "resid_post", "attn_out", "mlp_out"]:
        assert cache[name, 1].shape == (4, 6, cfg.d_model)
    torch.testing.assert_close(cache["resid_post", 0], cache["resid_pre", 1])
    torch.testing.assert_close(
        cache["resid_post", 1], cache["resid_mid", 1] + cache["mlp_out", 1]
    )
    with pytest.raises(KeyError, match="not in the cache"):
        cache["pattern", 5]


def test_names_filter(model, tokens):
    _, cache = model.run_with_cache(tokens, names_filter=lambda name: name.endswith("hook_pattern"))
    assert set(cache.keys()) == {"blocks.0.attn.hook_pattern", "blocks.1.attn.hook_pattern"}


def all_hooks_empty(model) -> bool:
    return all(not hp._hooks for hp in model.hook_dict.values())


def test_hooks_are_removed_after_each_call(model, tokens):
    model.run_with_cache(tokens)
    assert all_hooks_empty(model)

    def zero_ablate(pattern, hook):
        return torch.zeros_like(pattern)

    ablated = model.run_with_hooks(tokens, fwd_hooks=[("blocks.0.attn.hook_pattern", zero_ablate)])
    assert all_hooks_empty(model)
    assert not torch.allclose(ablated, model(tokens))

    def broken(x, hook):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        model.run_with_hooks(tokens, fwd_hooks=[("hook_embed", broken)])
    assert all_hooks_empty(model)


def test_a_hook_can_edit_an_activation(model, tokens):
    """Zeroing the last layer's MLP output equals running without that MLP."""
    logits = model.run_with_hooks(tokens, fwd_hooks=[("blocks.1.hook_mlp_out", lambda x, hook: x * 0)])
    _, cache = model.run_with_cache(tokens)
    torch.testing.assert_close(logits, cache["resid_mid", 1] @ model.W_U, rtol=1e-5, atol=1e-5)


def test_unknown_hook_name_is_a_clear_error(model, tokens):
    with pytest.raises(KeyError, match="no hook point named 'blocks.0.hook_patern'"):
        model.run_with_hooks(tokens, fwd_hooks=[("blocks.0.hook_patern", lambda x, hook: x)])


def test_attention_only_model_has_no_mlp():
    model = HookedTransformer(small_config(attn_only=True), seed=0)
    assert not any("mlp" in name for name in model.hook_dict)
    tokens = torch.zeros(2, 6, dtype=torch.long)
    _, cache = model.run_with_cache(tokens)
    torch.testing.assert_close(cache["resid_post", 0], cache["resid_pre", 0] + cache["attn_out", 0])


def test_same_seed_same_weights_and_other_seed_other_weights():
    a = HookedTransformer(small_config(), seed=3)
    b = HookedTransformer(small_config(), seed=3)
    c = HookedTransformer(small_config(), seed=4)
    assert all(torch.equal(x, y) for x, y in zip(a.parameters(), b.parameters()))
    assert not torch.equal(a.W_E, c.W_E)


@pytest.mark.parametrize(
    "bad, message",
    [
        (torch.zeros(4, 6), "tokens must hold integers"),
        (torch.zeros(6, dtype=torch.long), r"tokens must have 2 dimensions, got shape \(6,\)"),
        (torch.zeros(2, 7, dtype=torch.long), "n_ctx=6"),
        (torch.full((2, 3), 10), r"ids in \[0, 10\)"),
        (torch.full((2, 3), -1), r"ids in \[0, 10\)"),
    ],
)
def test_bad_tokens_are_clear_errors(model, bad, message):
    with pytest.raises((TypeError, ValueError), match=message):
        model(bad)


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(d_model=0), "d_model must be at least 1"),
        (dict(n_heads=2.5), "n_heads must be an integer"),
        (dict(act_fn="tanh"), "act_fn must be one of"),
    ],
)
def test_bad_config_is_a_clear_error(changes, message):
    with pytest.raises((TypeError, ValueError), match=message):
        small_config(**changes)


def _plain(model, tokens, **kwargs):
    """The model's output with every first-layer projection a plain multiply: a hook on
    hook_embed that changes nothing turns the embedding look-up off."""
    return model.run_with_hooks(tokens, fwd_hooks=[("hook_embed", lambda x, hook: None)], **kwargs)


@pytest.mark.parametrize("n_layers", [1, 2])
@pytest.mark.parametrize("final_position_only", [False, True])
def test_first_layer_looked_up_from_the_embeddings_equals_the_plain_multiply(final_position_only, n_layers):
    """(With one layer and the final position only, the residual stream is made at that position alone.)"""
    model = HookedTransformer(small_config(n_layers=n_layers), seed=0)
    tokens = torch.randint(0, 10, (64, 6), generator=torch.Generator().manual_seed(2))  # large enough to look up
    from interp_course.core.transformer import EmbeddedTokens
    assert EmbeddedTokens.pays(tokens, model.cfg)
    looked_up = model(tokens, final_position_only=final_position_only)
    plain = _plain(model, tokens, final_position_only=final_position_only)
    assert not torch.equal(looked_up, plain)  # the two routes really differ (in rounding) ...
    torch.testing.assert_close(looked_up, plain, rtol=1e-5, atol=1e-5)  # ... and agree
    grads = []
    for run in (lambda: model(tokens, final_position_only=final_position_only),
                lambda: _plain(model, tokens, final_position_only=final_position_only)):
        model.zero_grad()
        run().pow(2).mean().backward()
        grads.append({n: p.grad.clone() for n, p in model.named_parameters()})
    for name in grads[0]:
        torch.testing.assert_close(grads[0][name], grads[1][name], rtol=1e-4, atol=1e-6, msg=name)


def test_an_edited_residual_stream_is_not_looked_up_from_the_embeddings():
    """A hook that edits the first layer's input must reach its queries, keys and values."""
    model = HookedTransformer(small_config(), seed=0)
    tokens = torch.randint(0, 10, (64, 6), generator=torch.Generator().manual_seed(2))
    doubled = model.run_with_hooks(tokens, fwd_hooks=[("blocks.0.hook_resid_pre", lambda x, hook: 2 * x)])
    with torch.no_grad():
        model.W_E.mul_(2)
        model.W_pos.mul_(2)
    torch.testing.assert_close(doubled, _plain(model, tokens), rtol=1e-5, atol=1e-5)


def test_attention_over_few_positions_equals_the_matrix_multiply(model, tokens, monkeypatch):
    from interp_course.core import transformer
    broadcast = model.run_with_cache(tokens)
    monkeypatch.setattr(transformer, "FEW_POSITIONS", 0)
    multiplied = model.run_with_cache(tokens)
    torch.testing.assert_close(broadcast[0], multiplied[0], rtol=1e-5, atol=1e-6)
    for name in ("pattern", "z"):
        torch.testing.assert_close(broadcast[1][name, 0], multiplied[1][name, 0], rtol=1e-5, atol=1e-6)


def _gradients(model, run) -> dict:
    model.zero_grad()
    run().pow(2).mean().backward()
    return {n: p.grad.clone() for n, p in model.named_parameters()}


@pytest.mark.parametrize("final_position_only", [False, True])
def test_fused_attention_when_nothing_reads_the_pattern_equals_the_pattern_route(tokens, monkeypatch, final_position_only):
    """Over more than FEW_POSITIONS positions with no hook on the scores or the pattern, z comes
    from PyTorch's fused attention; a hook that changes nothing on hook_pattern forces the
    route through the scores and the pattern. Outputs and gradients agree."""
    from interp_course.core import transformer
    monkeypatch.setattr(transformer, "FEW_POSITIONS", 0)
    model = HookedTransformer(small_config(), seed=0)
    fused = lambda: model(tokens, final_position_only=final_position_only)
    through_pattern = lambda: model.run_with_hooks(
        tokens, final_position_only=final_position_only, fwd_hooks=[(lambda name: name.endswith("hook_pattern"), lambda x, hook: None)]
    )
    assert not torch.equal(fused(), through_pattern())  # the two routes really differ (in rounding) ...
    torch.testing.assert_close(fused(), through_pattern(), rtol=1e-5, atol=1e-6)  # ... and agree
    fused_grads, pattern_grads = _gradients(model, fused), _gradients(model, through_pattern)
    for name in fused_grads:
        torch.testing.assert_close(fused_grads[name], pattern_grads[name], rtol=1e-4, atol=1e-6, msg=name)


def test_a_hook_on_the_pattern_or_on_q_still_takes_effect_over_many_positions(tokens, monkeypatch):
    from interp_course.core import transformer
    monkeypatch.setattr(transformer, "FEW_POSITIONS", 0)
    model = HookedTransformer(small_config(), seed=0)
    # No attention at all in layer 0: the same as a zero W_O there.
    silenced = model.run_with_hooks(tokens, fwd_hooks=[("blocks.0.attn.hook_pattern", lambda x, hook: torch.zeros_like(x))])
    doubled_q = model.run_with_hooks(tokens, fwd_hooks=[("blocks.1.attn.hook_q", lambda x, hook: 2 * x)])
    with torch.no_grad():
        model.blocks[1].attn.W_Q.mul_(2)
    torch.testing.assert_close(doubled_q, model(tokens), rtol=1e-5, atol=1e-5)
    with torch.no_grad():
        model.blocks[1].attn.W_Q.div_(2)
        model.blocks[0].attn.W_O.zero_()
    torch.testing.assert_close(silenced, model(tokens), rtol=1e-5, atol=1e-5)
    assert not torch.allclose(silenced, doubled_q)
