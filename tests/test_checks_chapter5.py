"""Every check of chapter 5 passes the reference, falls back (or fails, in strict mode) on the
stub, and rejects plausible wrong answers with a message that says what is wrong."""

import pytest
import torch

from interp_course.checks import chapter5_induction as checks
from interp_course.induction import next_token_losses
from tests.check_contract import assert_rejected, contract_tests
from solutions import chapter5_induction as ref

CHECKS = {
    "repeated_tokens": (checks.check_repeated_tokens, ref.repeated_tokens),
    "previous_token_score": (checks.check_previous_token_score, ref.previous_token_score),
    "induction_score": (checks.check_induction_score, ref.induction_score),
    "ablated_repeat_loss": (checks.check_ablated_repeat_loss, ref.ablated_repeat_loss),
    "k_composition_scores": (checks.check_k_composition_scores, ref.k_composition_scores),
    "copying_score": (checks.check_copying_score, ref.copying_score),
}

(
    test_the_reference_passes,
    test_the_stub_falls_back_to_the_reference,
    test_strict_mode_rejects_the_stub,
) = contract_tests(CHECKS, "solutions/chapter5_induction.py")


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda b, s, v, g: torch.randint(0, v, (b, s), generator=g), "returned only one copy"),
        (lambda b, s, v, g: torch.randint(0, v, (b, 2 * s), generator=g), "the second half must repeat the first"),
        (lambda b, s, v, g: ref.repeated_tokens(b, s, v, torch.Generator().manual_seed(0)), "wrong values"),
    ],
)
def test_repeated_tokens_rejects(wrong, message):
    assert_rejected(checks.check_repeated_tokens, wrong, message)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda p: p.diagonal(dim1=-2, dim2=-1).mean(dim=(0, -1)), "current-token score"),
        (lambda p: p.diagonal(offset=1, dim1=-2, dim2=-1).mean(dim=(0, -1)), "offset=\\+1 is above the diagonal"),
        (lambda p: p.diagonal(offset=-1, dim1=-2, dim2=-1).mean(dim=-1), "wrong shape"),
    ],
)
def test_previous_token_score_rejects(wrong, message):
    assert_rejected(checks.check_previous_token_score, wrong, message)


@pytest.mark.parametrize(
    "wrong, message",
    [
        (lambda p, s: p.diagonal(offset=-s, dim1=-2, dim2=-1).mean(dim=(0, -1)), "earlier copy of the \\*same\\* token"),
        (lambda p, s: p.diagonal(offset=-(s - 1), dim1=-2, dim2=-1).mean(dim=(0, -1)), "still in the first copy"),
        (lambda p, s: p.diagonal(offset=-(s + 1), dim1=-2, dim2=-1).mean(dim=(0, -1)), "wrong values"),
    ],
)
def test_induction_score_rejects(wrong, message):
    assert_rejected(checks.check_induction_score, wrong, message)


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


@pytest.mark.parametrize(
    "wrong, message",
    [
        (ablation_hook_returns_nothing, "the same as without ablation"),
        (ablation_over_every_position, "expected"),
        (ablation_leaving_a_hook, "a hook was left attached"),
    ],
)
def test_ablated_repeat_loss_rejects(wrong, message):
    assert_rejected(checks.check_ablated_repeat_loss, wrong, message)


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


@pytest.mark.parametrize(
    "wrong, message",
    [
        (k_comp_transposed, "transposed"),
        (k_comp_unnormalised, "divide by"),
        (k_comp_q_composition, "wrong values"),
    ],
)
def test_k_composition_scores_rejects(wrong, message):
    assert_rejected(checks.check_k_composition_scores, wrong, message)


def copying_real_abs(model, layer, head):
    attn = model.blocks[layer].attn
    eig = torch.linalg.eigvals((model.W_E @ attn.W_V[head] @ attn.W_O[head] @ model.W_U).detach())
    return (eig.real.sum() / eig.real.abs().sum()).item()


def copying_without_embedding(model, layer, head):
    attn = model.blocks[layer].attn
    eig = torch.linalg.eigvals((attn.W_V[head] @ attn.W_O[head]).detach())
    return (eig.real.sum() / eig.abs().sum()).item()


@pytest.mark.parametrize(
    "wrong, message",
    [
        (copying_real_abs, "complex abs"),
        (copying_without_embedding, "the circuit is W_E @ W_V"),
        (lambda model, layer, head: torch.tensor(ref.copying_score(model, layer, head)), "Python float"),
    ],
)
def test_copying_score_rejects(wrong, message):
    assert_rejected(checks.check_copying_score, wrong, message)
