"""The stacked model is K HookedTransformers run as one, and the batched trainer trains each
run as the one-run trainer would."""

import pytest
import torch

from interp_course.core.stacked import StackedTransformer
from interp_course.core.training import TrainingConfig, train_full_batch, train_stacked_full_batch
from interp_course.core.transformer import HookedTransformer, TransformerConfig
from solutions.chapter1_grokking import all_pairs, train_test_split, training_step
from solutions.chapter6_universality import batched_training_step

GROKKING = TransformerConfig(d_vocab=8, d_vocab_out=7, n_ctx=3, d_model=16, n_heads=2, d_head=8, d_mlp=32)
TWO_LAYERS = TransformerConfig(d_vocab=10, n_ctx=6, d_model=16, n_layers=2, n_heads=2, d_head=8, attn_only=True)


@pytest.mark.parametrize("cfg", [GROKKING, TWO_LAYERS], ids=["one layer with MLP", "two layers, attention only"])
def test_each_run_gives_the_logits_of_its_own_hooked_transformer(cfg):
    seeds = [3, 1, 4]
    stacked = StackedTransformer(cfg, seeds)
    tokens = torch.randint(0, cfg.d_vocab, (3, 5, cfg.n_ctx), generator=torch.Generator().manual_seed(0))
    logits = stacked(tokens)
    assert logits.shape == (3, 5, cfg.vocab_out)
    for k, seed in enumerate(seeds):
        model = HookedTransformer(cfg, seed=seed)
        assert torch.equal(stacked.member_state_dict(k)["embed.W_E"], model.W_E.detach())
        torch.testing.assert_close(logits[k], model(tokens[k])[:, -1], atol=1e-5, rtol=1e-5)


def test_uniform_attention_is_the_model_with_its_pattern_replaced_by_uniform():
    stacked = StackedTransformer(GROKKING, [0, 1], uniform_attention=True)
    tokens = torch.randint(0, 7, (2, 4, 3), generator=torch.Generator().manual_seed(1))

    def uniform(pattern, hook):
        causal = torch.ones_like(pattern).tril()
        return causal / causal.sum(-1, keepdim=True)

    for k in range(2):
        model = HookedTransformer(GROKKING, seed=k)
        want = model.run_with_hooks(tokens[k], fwd_hooks=[("blocks.0.attn.hook_pattern", uniform)])[:, -1]
        torch.testing.assert_close(stacked(tokens)[k], want, atol=1e-5, rtol=1e-5)


def test_the_batched_trainer_trains_each_run_as_the_one_run_trainer_does():
    p, fraction, seeds = 7, 0.5, [0, 1]
    tokens, labels = all_pairs(p)
    splits = [train_test_split(p * p, fraction, seed) for seed in seeds]
    train = torch.stack([s[0] for s in splits])
    test = torch.stack([s[1] for s in splits])
    config = TrainingConfig(n_steps=30, lr=1e-2, eval_every=10, checkpoint_every=10)
    stacked = StackedTransformer(GROKKING, seeds)
    record = train_stacked_full_batch(stacked, tokens[train], labels[train], tokens[test], labels[test], config,
                                      batched_training_step, progress=False)
    assert record.metrics["train_loss"].shape == (2, 30) and record.metrics["test_accuracy"].shape == (2, 3)
    assert sorted(record.checkpoints) == [0, 10, 20, 30]
    for k, seed in enumerate(seeds):
        single = train_full_batch(HookedTransformer(GROKKING, seed=seed), tokens[train[k]], labels[train[k]],
                                  tokens[test[k]], labels[test[k]], config, training_step, progress=False)
        torch.testing.assert_close(record.metrics["train_loss"][k], single.metrics["train_loss"], atol=1e-4, rtol=1e-4)
        torch.testing.assert_close(record.metrics["test_loss"][k], single.metrics["test_loss"], atol=1e-4, rtol=1e-4)
        for name, weight in single.checkpoints[30].items():
            torch.testing.assert_close(record.checkpoints[30][name][k], weight, atol=1e-4, rtol=1e-4)


def test_the_stacked_weights_load_back():
    a, b = StackedTransformer(GROKKING, [0, 1]), StackedTransformer(GROKKING, [5, 6])
    b.load_stacked_state_dict(a.stacked_state_dict())
    tokens = torch.randint(0, 7, (2, 3, 3), generator=torch.Generator().manual_seed(2))
    assert torch.equal(a(tokens), b(tokens))


def test_bad_input_is_named():
    stacked = StackedTransformer(GROKKING, [0, 1])
    with pytest.raises(ValueError, match="one batch per run"):
        stacked(torch.zeros(3, 4, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="tokens must be ids"):
        stacked(torch.full((2, 4, 3), 8))
    with pytest.raises(TypeError, match="tokens"):
        stacked(torch.zeros(2, 4, 3))
    with pytest.raises(ValueError, match="seeds"):
        StackedTransformer(GROKKING, [])
    with pytest.raises(ValueError, match="run must be in"):
        stacked.member_state_dict(2)
    with pytest.raises(ValueError, match="stacked must have the weights"):
        stacked.load_stacked_state_dict({})
