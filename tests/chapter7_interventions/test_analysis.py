"""Chapter 7's measurements against independent oracles, on a small random model: exact
decompositions that must add up, patches that must change nothing, and effects that must add."""

import pytest
import torch

from interp_course.chapter7_interventions import analysis
from interp_course.core.losses import next_token_losses
from interp_course.core.probes import fit_linear_probe
from interp_course.core.transformer import HookedTransformer, TransformerConfig
from solutions import chapter7_interventions as S7

SEQ_LEN = 5


@pytest.fixture(scope="module")
def model():
    cfg = TransformerConfig(d_vocab=12, n_ctx=10, d_model=16, n_layers=2, n_heads=2, d_head=8, attn_only=True)
    return HookedTransformer(cfg, seed=3)


@pytest.fixture(scope="module")
def setup(model):
    clean, corrupted, _ = analysis.repeated_and_corrupted(6, SEQ_LEN, 12, seed=0)
    return analysis.patching_setup(model, clean, corrupted, SEQ_LEN)


def test_the_corruption_keeps_the_second_copy_and_changes_the_first():
    clean, corrupted, source = analysis.repeated_and_corrupted(50, SEQ_LEN, 12, seed=0)
    assert torch.equal(clean[:, SEQ_LEN:], corrupted[:, SEQ_LEN:])
    assert torch.equal(clean[:, :SEQ_LEN], clean[:, SEQ_LEN:])
    assert (clean[:, :SEQ_LEN] != corrupted[:, :SEQ_LEN]).float().mean() > 0.8
    assert not torch.equal(source, clean)


def test_direct_logit_attribution_adds_up_to_the_logit(model, setup):
    with torch.no_grad():
        logits, cache = model.run_with_cache(setup.clean)
    heads = S7.head_logit_attribution(model, cache, setup.clean)
    embedded = (cache["embed"] + cache["pos_embed"])[:, :-1]
    direct = torch.einsum("bpd,bpd->bp", embedded, model.W_U.T[setup.clean[:, 1:]])
    right = logits[:, :-1].gather(-1, setup.clean[:, 1:, None])[..., 0]
    assert torch.allclose(direct + heads.sum(dim=(2, 3)), right, atol=1e-5)


def test_the_logit_lens_ends_at_the_models_own_loss(model, setup):
    with torch.no_grad():
        own = analysis.second_copy_loss(model(setup.clean), setup.clean, SEQ_LEN).item()
    assert analysis.logit_lens(model, setup.clean, SEQ_LEN)["blocks.1.hook_resid_post"] == pytest.approx(own, abs=1e-5)


def test_the_metric_is_0_at_the_corrupted_run_and_1_at_the_clean_run(setup):
    assert float(S7.normalised_metric(torch.tensor([setup.corrupted_loss]), setup.clean_loss, setup.corrupted_loss)) == pytest.approx(0)
    assert float(S7.normalised_metric(torch.tensor([setup.clean_loss]), setup.clean_loss, setup.corrupted_loss)) == pytest.approx(1)
    with pytest.raises(ValueError, match="must differ"):
        S7.normalised_metric(torch.tensor([1.0]), 2.0, 2.0)


def test_patching_every_head_restores_the_clean_run(setup):
    # On the second copy the embeddings are the clean run's (the same tokens); with every head's
    # output patched too, the residual stream there is the clean run's: the metric is exactly 1.
    every = [(layer, head) for layer in (0, 1) for head in (0, 1)]
    assert analysis.patch_heads_together(setup, S7.normalised_metric, every) == pytest.approx(1.0, abs=1e-4)
    assert analysis.patch_heads_together(setup, S7.normalised_metric, []) == pytest.approx(0.0, abs=1e-4)


def test_layer1_patches_at_each_position_add_up_to_the_patch_at_every_position(setup):
    by_position = analysis.patch_every_head(setup, S7.patch_head, S7.normalised_metric, by_position=True)
    whole = analysis.patch_every_head(setup, S7.patch_head, S7.normalised_metric)
    # A layer-1 head at position p changes only the prediction at p: the effects add exactly.
    assert torch.allclose(by_position[1].sum(dim=-1), whole[1], atol=1e-4)


def test_path_patching_q_k_v_and_the_direct_path_together_is_patching_the_head(model, setup):
    sender, other_z = 1, setup.corrupted_cache["z", 0][:, :, 1]
    attn0, attn1 = model.blocks[0].attn, model.blocks[1].attn
    delta = (other_z - setup.clean_cache["z", 0][:, :, sender]) @ attn0.W_O[sender]
    hooks = [(f"blocks.1.attn.hook_{name}", lambda x, hook, W=W: x + torch.einsum("bpd,hde->bphe", delta, W))
             for name, W in (("q", attn1.W_Q), ("k", attn1.W_K), ("v", attn1.W_V))]
    with torch.no_grad():
        by_paths = model.run_with_hooks(setup.clean, fwd_hooks=hooks) + delta @ model.W_U
        whole = S7.patch_head(model, setup.clean, setup.corrupted_cache, 0, sender)
        unchanged = S7.path_patch(model, setup.clean, sender, setup.clean_cache["z", 0][:, :, sender], "k")
    assert torch.allclose(by_paths, whole, atol=1e-4)
    assert torch.allclose(unchanged, model(setup.clean), atol=1e-5)


def test_the_metric_gradient_matches_a_finite_difference(model, setup):
    gradients = analysis.metric_gradient(setup, S7.normalised_metric)
    step = 1e-2
    direction = torch.zeros_like(setup.corrupted_cache["z", 1])
    direction[:, SEQ_LEN + 1, 0] = torch.randn(direction.shape[0], direction.shape[-1], generator=torch.Generator().manual_seed(0))

    def metric(shift):
        def hook(z, hook):
            return z + shift * direction
        with torch.no_grad():
            loss = setup.loss(model.run_with_hooks(setup.corrupted, fwd_hooks=[("blocks.1.attn.hook_z", hook)]))
        return (setup.corrupted_loss - loss) / (setup.corrupted_loss - setup.clean_loss)

    finite = (metric(step) - metric(-step)) / (2 * step)
    assert (gradients[1] * direction).sum().item() == pytest.approx(finite, rel=0.05, abs=1e-5)
    assert any(hp._hooks for hp in model.hook_dict.values()) is False


def test_ablations_that_change_nothing(model, setup):
    losses = analysis.ablation_losses(model, setup.clean, setup.clean, SEQ_LEN)  # resample from the same tokens
    assert torch.allclose(losses[2], torch.full_like(losses[2], setup.clean_loss), atol=1e-5)
    one = setup.clean[:1]
    single = analysis.ablation_losses(model, one, one, SEQ_LEN)  # the mean of one sequence is itself
    with torch.no_grad():
        own = analysis.second_copy_loss(model(one), one, SEQ_LEN).item()
    assert torch.allclose(single[1], torch.full_like(single[1], own), atol=1e-5)


def test_keeping_every_head_or_resampling_from_the_same_tokens_changes_nothing(model, setup):
    every = [(layer, head) for layer in (0, 1) for head in (0, 1)]
    with torch.no_grad():
        plain = model(setup.clean)
    assert torch.allclose(S7.resample_ablate_except(model, setup.clean, setup.corrupted, every), plain, atol=1e-5)
    assert torch.allclose(S7.resample_ablate_except(model, setup.clean, setup.clean, []), plain, atol=1e-5)
    assert analysis.recovered(setup.clean_loss, setup.clean_loss, 4.0) == pytest.approx(1)
    assert analysis.recovered(4.0, setup.clean_loss, 4.0) == pytest.approx(0)


def test_a_probe_decodes_a_linear_label_and_not_noise():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(600, 8, generator=g)
    separable = (x @ torch.randn(8, 3, generator=g)).argmax(dim=1)
    assert S7.probe_accuracy(x, separable, 3, 400) > 0.8
    noise = torch.randint(0, 3, (600,), generator=g)
    assert S7.probe_accuracy(x, noise, 3, 400) < 0.5
    with pytest.raises(ValueError, match="labels must lie in"):
        fit_linear_probe(x, separable + 5, 3)
    with pytest.raises(ValueError, match="n_train must leave rows"):
        S7.probe_accuracy(x, separable, 3, 600)


def test_previous_token_rows_label_each_position_with_the_token_before_it():
    tokens = torch.arange(12).reshape(2, 6)
    resid = tokens[..., None].float().expand(2, 6, 3)
    features, labels = analysis.previous_token_rows(resid, tokens)
    assert torch.equal(features[:, 0].long(), labels + 1)


def test_bad_arguments_are_named(model, setup):
    with pytest.raises(ValueError, match="receiver"):
        S7.path_patch(model, setup.clean, 0, setup.clean_cache["z", 0][:, :, 0], "o")
    with pytest.raises(ValueError, match="position"):
        S7.patch_head(model, setup.clean, setup.clean_cache, 0, 0, 99)
    with pytest.raises(ValueError, match="keep"):
        S7.resample_ablate_except(model, setup.clean, setup.corrupted, [(2, 0)])
