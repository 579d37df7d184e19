"""Chapter 5's claims hold on the cached induction model, measured with the reference solutions."""

import pytest
import torch

from interp_course.chapter5_induction import analysis, claims
from interp_course.chapter5_induction import runs as induction
from interp_course.core.transformer import HookedTransformer
from solutions.chapter5_induction import (
    ablated_repeat_loss, composed_attention, copying_score, in_context_learning_score, induction_score,
    k_composition_scores, previous_token_score, repeated_tokens, scores_over_checkpoints,
)
from tests.course_runs import load

pytestmark = pytest.mark.course_runs
SEQ_LEN = 24  # the notebook's test sequences: 200 of them, seed 1


@pytest.fixture(scope="module")
def measured():
    run = load(induction.load_or_train, induction.CANONICAL)
    model, config = run.model, run.config
    tokens = repeated_tokens(200, SEQ_LEN, config.d_vocab, torch.Generator().manual_seed(1))
    with torch.no_grad():
        losses = induction.next_token_losses(model(tokens), tokens).mean(0)
    _, cache = model.run_with_cache(tokens)
    previous = previous_token_score(cache["pattern", 0])
    return dict(run=run, model=model, config=config, tokens=tokens, losses=losses, previous=previous,
                induction=induction_score(cache["pattern", 1], SEQ_LEN),
                prev_head=claims.previous_token_head(previous))


def test_training_and_the_two_copies(measured):
    m, config = measured["run"].metrics, measured["config"]
    claims.training(m["eval_step"], m["eval_loss_repeated"], config.n_steps, config.d_vocab).assert_hold()
    losses = measured["losses"]
    claims.copies(losses[: SEQ_LEN - 1].mean().item(), losses[SEQ_LEN:].mean().item(), config.d_vocab).assert_hold()


def test_the_heads_and_their_ablations(measured):
    claims.heads(measured["previous"], measured["induction"]).assert_hold()
    model, config, tokens = measured["model"], measured["config"], measured["tokens"]
    ablated = torch.tensor([[ablated_repeat_loss(model, tokens, layer, head, SEQ_LEN) for head in range(config.n_heads)]
                            for layer in (0, 1)])
    repeat_loss = measured["losses"][SEQ_LEN:].mean().item()
    with torch.no_grad():
        logits = model.run_with_hooks(tokens, fwd_hooks=[("blocks.1.attn.hook_z", lambda z, hook: torch.zeros_like(z))])
    both = induction.next_token_losses(logits, tokens)[:, SEQ_LEN:].mean().item()
    claims.ablations(repeat_loss, ablated, both, measured["prev_head"], config.d_vocab).assert_hold()
    wrong_head = (measured["prev_head"] + 1) % config.n_heads
    assert len(claims.ablations(repeat_loss, ablated, both, wrong_head, config.d_vocab).failed) == 2
    assert claims.ablations(repeat_loss, ablated, repeat_loss, measured["prev_head"], config.d_vocab).failed


def test_induction_at_every_distance(measured):
    distance = torch.arange(2, measured["config"].n_ctx - 1)
    first, second = analysis.loss_by_distance(measured["model"], distance.tolist())
    claims.distances(distance, first, second, measured["config"].d_vocab).assert_hold()
    untrained = HookedTransformer(measured["config"].model_config(), seed=123)
    assert claims.distances(distance, *analysis.loss_by_distance(untrained, distance.tolist()), 256).failed


def test_the_circuit_in_the_weights(measured):
    model, config = measured["model"], measured["config"]
    fresh = HookedTransformer(config.model_config(), seed=123)
    scores = k_composition_scores(model)
    claims.k_composition(scores, measured["prev_head"], k_composition_scores(fresh).mean().item()).assert_hold()
    other = (measured["prev_head"] + 1) % config.n_heads
    assert claims.k_composition(scores, other, k_composition_scores(fresh).mean().item()).failed
    claims.copying([copying_score(model, 1, head) for head in range(config.n_heads)]).assert_hold()
    assert claims.copying([copying_score(model, 0, head) for head in range(config.n_heads)]).failed
    tokens, prev = measured["tokens"], measured["prev_head"]
    composed = [induction_score(composed_attention(model, tokens, prev, h)[:, None], SEQ_LEN).item() for h in range(config.n_heads)]
    claims.composed(composed, measured["induction"].tolist()).assert_hold()
    other = (prev + 1) % config.n_heads  # composed with the wrong layer-0 head: no stripe
    wrong = [induction_score(composed_attention(model, tokens, other, h)[:, None], SEQ_LEN).item() for h in range(config.n_heads)]
    assert claims.composed(wrong, measured["induction"].tolist()).failed


def test_the_phase_change_and_the_seeds(measured):
    run, config, tokens = measured["run"], measured["config"], measured["tokens"][:50]
    text, _ = induction.text_with_repeats(500, config, torch.Generator().manual_seed(99))

    def head_scores(m):
        _, c = m.run_with_cache(tokens)
        return previous_token_score(c["pattern", 0]), induction_score(c["pattern", 1], SEQ_LEN)

    measures = {
        "previous-token score": lambda m: head_scores(m)[0].max(),
        "induction score": lambda m: head_scores(m)[1].max(),
        "in-context learning": lambda m: in_context_learning_score(m, text, 2, 45),
        "test loss": lambda m: induction.next_token_losses(m(tokens), tokens)[:, SEQ_LEN:].mean(),
    }
    with torch.no_grad():
        halfway = {name: analysis.halfway_step(*scores_over_checkpoints(run, f)) for name, f in measures.items()}
    claims.phase_change(halfway, config.checkpoint_every).assert_hold()
    assert claims.phase_change({**halfway, "late": max(halfway.values()) + 1000}, config.checkpoint_every).failed
    formed, changes = {}, {}
    for seed, seed_config in induction.SEEDS.items():
        seed_run = run if seed == 0 else load(induction.load_or_train, seed_config)
        with torch.no_grad():
            steps, curve = scores_over_checkpoints(seed_run, measures["induction score"])
            previous, induction_scores = head_scores(seed_run.model)
        formed[seed] = claims.circuit_formed(previous.max().item(), induction_scores.max().item())
        changes[seed] = analysis.halfway_step(steps, curve)
    claims.seeds(formed, changes, config.n_steps).assert_hold()
    assert claims.seeds({**formed, 3: False}, changes, config.n_steps).failed


def test_it_completes_a_repeated_name(measured):
    text = "Ada wrote of the Neel Nanda circuit and a red apple was on the tree . Neel"
    top = measured["model"](induction.encode(text))[0, -1].softmax(-1).topk(1)
    claims.prediction(induction.VOCABULARY[top.indices[0]], top.values[0].item(), expected="Nanda").assert_hold()


def test_the_claims_can_fail(measured):
    """An untrained model: no previous-token head, no induction."""
    config = measured["config"]
    fresh = HookedTransformer(config.model_config(), seed=123)
    _, cache = fresh.run_with_cache(measured["tokens"])
    assert len(claims.heads(previous_token_score(cache["pattern", 0]),
                            induction_score(cache["pattern", 1], SEQ_LEN)).failed) == 2
