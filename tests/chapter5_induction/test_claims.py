"""Chapter 5's claims hold on the cached induction model, measured with the reference solutions."""

import pytest
import torch

from interp_course.chapter5_induction import claims
from interp_course.chapter5_induction import runs as induction
from interp_course.core.transformer import HookedTransformer
from solutions.chapter5_induction import (
    ablated_repeat_loss, copying_score, induction_score, k_composition_scores, previous_token_score, repeated_tokens,
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
    claims.ablations(repeat_loss, ablated, measured["prev_head"], config.d_vocab).assert_hold()
    wrong_head = (measured["prev_head"] + 1) % config.n_heads
    assert len(claims.ablations(repeat_loss, ablated, wrong_head, config.d_vocab).failed) == 2


def test_the_circuit_in_the_weights(measured):
    model, config = measured["model"], measured["config"]
    fresh = HookedTransformer(config.model_config(), seed=123)
    scores = k_composition_scores(model)
    claims.k_composition(scores, measured["prev_head"], k_composition_scores(fresh).mean().item()).assert_hold()
    assert claims.k_composition(k_composition_scores(fresh), 0, 0.12).failed
    claims.copying([copying_score(model, 1, head) for head in range(config.n_heads)]).assert_hold()
    assert claims.copying([copying_score(model, 0, head) for head in range(config.n_heads)]).failed


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
