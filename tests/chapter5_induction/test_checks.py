"""The checks of chapter 5 reject plausible wrong answers with a message that says what is wrong
(the contract every check keeps, reference / stub / strict, is tested in
tests/test_exercise_contract.py)."""

import pytest
import torch

from interp_course.chapter5_induction import checks
from interp_course.core.losses import next_token_losses
from tests.test_exercise_contract import assert_rejected, wrong_answer_cases
from solutions import chapter5_induction as ref

WRONG_ANSWERS: dict = {}
"""{check: [(wrong function, regex its failure message must match), ...]}"""


WRONG_ANSWERS[checks.check_repeated_tokens] = [
    (lambda b, s, v, g: torch.randint(0, v, (b, s), generator=g), "returned only one copy"),
    (lambda b, s, v, g: torch.randint(0, v, (b, 2 * s), generator=g), "the second half must repeat the first"),
    (lambda b, s, v, g: ref.repeated_tokens(b, s, v, torch.Generator().manual_seed(0)), "wrong values"),
]


WRONG_ANSWERS[checks.check_previous_token_score] = [
    (lambda p: p.diagonal(dim1=-2, dim2=-1).mean(dim=(0, -1)), "current-token score"),
    (lambda p: p.diagonal(offset=1, dim1=-2, dim2=-1).mean(dim=(0, -1)), "offset=\\+1 is above the diagonal"),
    (lambda p: p.diagonal(offset=-1, dim1=-2, dim2=-1).mean(dim=-1), "wrong shape"),
]


WRONG_ANSWERS[checks.check_induction_score] = [
    (lambda p, s: p.diagonal(offset=-s, dim1=-2, dim2=-1).mean(dim=(0, -1)), "earlier copy of the \\*same\\* token"),
    (lambda p, s: p.diagonal(offset=-(s - 1), dim1=-2, dim2=-1).mean(dim=(0, -1)), "still in the first copy"),
    (lambda p, s: p.diagonal(offset=-(s + 1), dim1=-2, dim2=-1).mean(dim=(0, -1)), "wrong values"),
]


def ablation_hook_returns_nothing(model, tokens, layer, head, seq_len):
    def zero_head(z, hook):
        z = z.clone()
        z[:, :, head] = 0.0  # modifies a copy and returns nothing: no effect

    with torch.no_grad():
        logits = model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{layer}.attn.hook_z", zero_head)])
    return next_token_losses(logits, tokens)[:, seq_len:].mean().item()


def ablation_over_every_position(model, tokens, layer, head, seq_len):
    def zero_head(z, hook):
        z = z.clone()
        z[:, :, head] = 0.0
        return z

    with torch.no_grad():
        logits = model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{layer}.attn.hook_z", zero_head)])
    return next_token_losses(logits, tokens).mean().item()


def ablation_leaving_a_hook(model, tokens, layer, head, seq_len):
    def zero_head(z, hook):
        z = z.clone()
        z[:, :, head] = 0.0
        return z

    model.hook_dict[f"blocks.{layer}.attn.hook_z"]._hooks.append(zero_head)
    with torch.no_grad():
        return next_token_losses(model(tokens), tokens)[:, seq_len:].mean().item()


WRONG_ANSWERS[checks.check_ablated_repeat_loss] = [
    (ablation_hook_returns_nothing, "the same as without ablation"),
    (ablation_over_every_position, "expected"),
    (ablation_leaving_a_hook, "a hook was left attached"),
]


def k_comp_transposed(model):
    return ref.k_composition_scores(model).T


def k_comp_unnormalised(model):
    a0, a1 = model.blocks[0].attn, model.blocks[1].attn
    composed = (a1.W_Q @ a1.W_K.transpose(-1, -2))[None] @ (a0.W_V @ a0.W_O)[:, None].transpose(-1, -2)
    return composed.norm(dim=(-2, -1)).detach()


def k_comp_q_composition(model):
    a0, a1 = model.blocks[0].attn, model.blocks[1].attn
    W_OV, W_QK = a0.W_V @ a0.W_O, a1.W_Q @ a1.W_K.transpose(-1, -2)
    composed = W_OV[:, None] @ W_QK[None]
    return (composed.norm(dim=(-2, -1)) / (W_OV.norm(dim=(-2, -1))[:, None] * W_QK.norm(dim=(-2, -1))[None])).detach()


WRONG_ANSWERS[checks.check_k_composition_scores] = [
    (k_comp_transposed, "transposed"),
    (k_comp_unnormalised, "divide by"),
    (k_comp_q_composition, "wrong values"),
]


def copying_real_abs(model, layer, head):
    attn = model.blocks[layer].attn
    eig = torch.linalg.eigvals((model.W_E @ attn.W_V[head] @ attn.W_O[head] @ model.W_U).detach())
    return (eig.real.sum() / eig.real.abs().sum()).item()


def copying_without_embedding(model, layer, head):
    attn = model.blocks[layer].attn
    eig = torch.linalg.eigvals((attn.W_V[head] @ attn.W_O[head]).detach())
    return (eig.real.sum() / eig.abs().sum()).item()


WRONG_ANSWERS[checks.check_copying_score] = [
    (copying_real_abs, "complex abs"),
    (copying_without_embedding, "the circuit is W_E @ W_V"),
    (lambda model, layer, head: torch.tensor(ref.copying_score(model, layer, head)), "Python float"),
]


def composed_unshifted(model, tokens, previous_head, head):
    return checks._composed_without_shift(model, tokens, previous_head, head)


def composed_without_mask(model, tokens, previous_head, head):
    attn0, attn1 = model.blocks[0].attn, model.blocks[1].attn
    with torch.no_grad():
        resid = model.W_E[tokens] + model.W_pos[: tokens.shape[1]]
        prev = torch.cat([torch.zeros_like(resid[:, :1]), resid[:, :-1]], dim=1)
        keys = prev @ attn0.W_V[previous_head] @ attn0.W_O[previous_head] @ attn1.W_K[head]
        return ((resid @ attn1.W_Q[head]) @ keys.transpose(-1, -2) / keys.shape[-1] ** 0.5).softmax(-1)


def composed_without_scale(model, tokens, previous_head, head):
    attn0, attn1 = model.blocks[0].attn, model.blocks[1].attn
    n = tokens.shape[1]
    with torch.no_grad():
        resid = model.W_E[tokens] + model.W_pos[:n]
        prev = torch.cat([torch.zeros_like(resid[:, :1]), resid[:, :-1]], dim=1)
        keys = prev @ attn0.W_V[previous_head] @ attn0.W_O[previous_head] @ attn1.W_K[head]
        scores = (resid @ attn1.W_Q[head]) @ keys.transpose(-1, -2)
        return scores.masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1), float("-inf")).softmax(-1)


WRONG_ANSWERS[checks.check_composed_attention] = [
    (composed_unshifted, "shift resid by one"),
    (composed_without_mask, "mask the future"),
    (composed_without_scale, "wrong values"),
    (lambda model, tokens, p, h: ref.composed_attention(model, tokens, p, h) * 0.5, "sum to 1"),
]


def icl_off_by_one(model, tokens, early, late):
    with torch.no_grad():
        losses = next_token_losses(model(tokens), tokens)
    return (losses[:, late].mean() - losses[:, early].mean()).item()


def icl_ratio(model, tokens, early, late):
    with torch.no_grad():
        losses = next_token_losses(model(tokens), tokens)
    return (losses[:, late - 1].mean() / losses[:, early - 1].mean()).item()


WRONG_ANSWERS[checks.check_in_context_learning_score] = [
    (icl_ratio, "ratio of the two losses"),
    (lambda model, tokens, early, late: -ref.in_context_learning_score(model, tokens, early, late), "sign is reversed"),
    (icl_off_by_one, "off by one"),
    (lambda model, tokens, early, late: torch.tensor(ref.in_context_learning_score(model, tokens, early, late)), "Python float"),
]


def over_checkpoints_skipping_the_first(run, measure):
    steps = run.checkpoint_steps[1:]
    return torch.tensor(steps), torch.tensor([float(measure(run.model_at(s))) for s in steps], dtype=torch.float64)


def over_checkpoints_float32(run, measure):
    steps = run.checkpoint_steps
    return torch.tensor(steps), torch.tensor([float(measure(run.model_at(s))) for s in steps])


WRONG_ANSWERS[checks.check_scores_over_checkpoints] = [
    (over_checkpoints_skipping_the_first, "load every checkpoint once"),
    (over_checkpoints_float32, "float64|dtype"),
    (lambda run, measure: [measure(run.model_at(s)) for s in run.checkpoint_steps], "tuple"),
]


CASES, CASE_IDS = wrong_answer_cases(WRONG_ANSWERS)


@pytest.mark.parametrize("check, wrong, message", CASES, ids=CASE_IDS)
def test_wrong_answers_are_rejected_with_a_precise_message(check, wrong, message):
    assert_rejected(check, wrong, message)
