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


def tokens_with_a_bos(b, s, v, g):
    first = torch.randint(0, v, (b, s), generator=g)
    return torch.cat([torch.zeros(b, 1, dtype=torch.long), first, first], dim=1)  # as another course does


def tokens_joined_along_the_batch(b, s, v, g):
    first = torch.randint(0, v, (b, s), generator=g)
    return torch.cat([first, first])  # dim 0 by default


def tokens_each_doubled(b, s, v, g):
    return torch.randint(0, v, (b, s), generator=g).repeat_interleave(2, dim=1)


def tokens_high_bound_inclusive(b, s, v, g):
    first = torch.randint(0, v - 1, (b, s), generator=g)  # thinking the upper bound is included
    return torch.cat([first, first], dim=1)


def tokens_ignoring_the_generator(b, s, v, g):
    first = torch.randint(0, v, (b, s))  # the global generator
    return torch.cat([first, first], dim=1)


def tokens_drawn_whole_then_copied(b, s, v, g):
    tokens = torch.randint(0, v, (b, 2 * s), generator=g)
    tokens[:, s:] = tokens[:, :s]
    return tokens


WRONG_ANSWERS[checks.check_repeated_tokens] = [
    (lambda b, s, v, g: torch.randint(0, v, (b, s), generator=g), "returned only one copy"),
    (lambda b, s, v, g: torch.randint(0, v, (b, 2 * s), generator=g), "the second half must repeat the first"),
    (lambda b, s, v, g: ref.repeated_tokens(b, s, v, torch.Generator().manual_seed(0)), "not the ones `generator` gives"),
    (tokens_ignoring_the_generator, "not the ones `generator` gives"),
    (tokens_drawn_whole_then_copied, "not the ones `generator` gives"),
    (tokens_with_a_bos, "one position too many; no beginning-of-sequence token"),
    (tokens_joined_along_the_batch, "joined along dim 0, the batch"),
    (tokens_each_doubled, "each token is doubled in place"),
    (tokens_high_bound_inclusive, "upper bound is already exclusive"),
    (lambda b, s, v, g: ref.repeated_tokens(b, s, v, g).int(), "dtype: expected torch.int64, got torch.int32"),
    (lambda b, s, v, g: ref.repeated_tokens(b, s, v, g).float(), "wrong dtype"),
]


def previous_score_over_n(p):
    return p.diagonal(offset=-1, dim1=-2, dim2=-1).sum(-1).mean(0) / p.shape[-1]


def previous_score_by_loop(p):  # query 0 included: p[..., 0, -1] (the last key) is 0
    n = p.shape[-1]
    return sum(p[:, :, i, i - 1] for i in range(n)).mean(0) / n


WRONG_ANSWERS[checks.check_previous_token_score] = [
    (lambda p: p.diagonal(dim1=-2, dim2=-1).mean(dim=(0, -1)), "current-token score"),
    (lambda p: p.diagonal(offset=1, dim1=-2, dim2=-1).mean(dim=(0, -1)), "every score is 0.*offset=\\+1"),
    (lambda p: p.diagonal(offset=-1, dim1=-1, dim2=-2).mean(dim=(0, -1)), "every score is 0.*offset=\\+1"),
    (lambda p: p.diagonal(offset=-1, dim1=-2, dim2=-1).mean(dim=-1), "keeps the batch dimension"),
    (lambda p: p.diagonal(offset=-1, dim1=-2, dim2=-1).mean(dim=(1, -1)), "averages over the heads \\(dim 1\\)"),
    (lambda p: p.diagonal(offset=-1).mean(dim=(0, -1)), "without dim1 and dim2 takes the diagonal of dims 0 and 1"),
    (previous_score_over_n, "divides by all 8 positions; query 0 has no previous token"),
    (previous_score_by_loop, "divides by all 8 positions; query 0 has no previous token"),
    (lambda p: p.diagonal(offset=-1, dim1=-2, dim2=-1).sum(-1).mean(0), "sums over the query positions"),
]


def induction_stripe(p, s):
    return p.diagonal(offset=-(s - 1), dim1=-2, dim2=-1)


WRONG_ANSWERS[checks.check_induction_score] = [
    (lambda p, s: p.diagonal(offset=-s, dim1=-2, dim2=-1).mean(dim=(0, -1)), "earlier copy of the \\*same\\* token"),
    (lambda p, s: induction_stripe(p, s).mean(dim=(0, -1)), "still in the first copy"),
    (lambda p, s: p.diagonal(offset=-(s + 1), dim1=-2, dim2=-1).mean(dim=(0, -1)), "token \\*before\\* the earlier copy"),
    (lambda p, s: induction_stripe(p, s)[..., :-1].mean(dim=(0, -1)), "drops the stripe's last query"),
    (lambda p, s: induction_stripe(p, s)[..., 2:].mean(dim=(0, -1)), "starts at query seq_len \\+ 1, one too late"),
    (lambda p, s: p.diagonal(offset=s - 1, dim1=-2, dim2=-1)[..., 1:].mean(dim=(0, -1)),
     "every score is 0.*offset such as \\+\\(seq_len - 1\\)"),
    (lambda p, s: induction_stripe(p, s)[..., 1:].mean(dim=(1, -1)), "averages over the heads"),
    (lambda p, s: induction_stripe(p, s)[..., 1:].mean(dim=-1), "keeps the batch dimension"),
    (lambda p, s: induction_stripe(p, s)[..., 1:].sum(dim=-1).mean(dim=0), "sums over the queries"),
]


def ablation_with(zero, columns=lambda losses, seq_len: losses[:, seq_len:].mean()):
    """ablated_repeat_loss with ``zero(z, head)`` as the hook's edit and ``columns`` the reduction."""
    def ablated(model, tokens, layer, head, seq_len):
        def hook(z, hook):
            z = z.clone()
            zero(z, head)
            return z

        with torch.no_grad():
            logits = model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{layer}.attn.hook_z", hook)])
        return columns(next_token_losses(logits, tokens), seq_len).item()
    return ablated


def zero_the_head(z, head):
    z[:, :, head] = 0.0


def zero_the_position(z, head):
    z[:, head] = 0.0  # the wrong axis: z is [batch, pos, head, d_head]


def zero_the_layer(z, head):
    z.zero_()


def ablation_hook_returns_nothing(model, tokens, layer, head, seq_len):
    def zero_head(z, hook):
        z = z.clone()
        z[:, :, head] = 0.0  # modifies a copy and returns nothing: no effect

    with torch.no_grad():
        logits = model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{layer}.attn.hook_z", zero_head)])
    return next_token_losses(logits, tokens)[:, seq_len:].mean().item()


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
    (ablation_with(zero_the_head, lambda losses, s: losses.mean()), "averages the loss over every position"),
    (ablation_leaving_a_hook, "a hook was left attached"),
    (ablation_with(zero_the_head, lambda losses, s: losses[:, s - 1:].mean()), "includes column seq_len - 1"),
    (ablation_with(zero_the_head, lambda losses, s: losses[:, s:].sum()), "sums the losses; average them"),
    (ablation_with(zero_the_position), "z\\[:, head\\] zeroes position 0 of every head"),
    (ablation_with(zero_the_layer), "zeroes every head of the layer"),
    (lambda *args: torch.tensor(ref.ablated_repeat_loss(*args)), "Python float"),
]


def k_comp(model, *, qk_first=True, transpose_ov=True, pair_norms=True, swap_layers=False, dims=(-2, -1)):
    """k_composition_scores as a learner might write it, with one slip."""
    a0, a1 = model.blocks[0].attn, model.blocks[1].attn
    if swap_layers:
        a0, a1 = a1, a0
    W_OV, W_QK = a0.W_V @ a0.W_O, a1.W_Q @ a1.W_K.transpose(-1, -2)
    ov = W_OV[:, None].transpose(-1, -2) if transpose_ov else W_OV[:, None]
    composed = W_QK[None] @ ov if qk_first else W_OV[:, None] @ W_QK[None]
    if dims is None:  # .norm() without dim
        return (composed.norm() / (W_OV.norm() * W_QK.norm())).detach()
    ov_norm, qk_norm = W_OV.norm(dim=dims), W_QK.norm(dim=dims)
    norms = ov_norm[:, None] * qk_norm[None, :] if pair_norms else ov_norm * qk_norm
    return (composed.norm(dim=dims) / norms).detach()


def k_comp_unnormalised(model):
    a0, a1 = model.blocks[0].attn, model.blocks[1].attn
    composed = (a1.W_Q @ a1.W_K.transpose(-1, -2))[None] @ (a0.W_V @ a0.W_O)[:, None].transpose(-1, -2)
    return composed.norm(dim=(-2, -1)).detach()


def k_comp_qk_built_backwards(model):
    a0, a1 = model.blocks[0].attn, model.blocks[1].attn
    W_OV, W_QK = a0.W_V @ a0.W_O, a1.W_K @ a1.W_Q.transpose(-1, -2)  # W_K W_Q^T: W_QK transposed
    composed = W_QK[None] @ W_OV[:, None].transpose(-1, -2)
    return (composed.norm(dim=(-2, -1)) / (W_OV.norm(dim=(-2, -1))[:, None] * W_QK.norm(dim=(-2, -1))[None])).detach()


WRONG_ANSWERS[checks.check_k_composition_scores] = [
    (lambda model: ref.k_composition_scores(model).T, "transposed"),
    (k_comp_unnormalised, "divide by"),
    (lambda model: k_comp(model, qk_first=False, transpose_ov=False), "Q-composition"),
    (k_comp_qk_built_backwards, "W_QK built the wrong way round"),
    (lambda model: k_comp(model, transpose_ov=False), "W_OV is not transposed"),
    (lambda model: k_comp(model, pair_norms=False), "pair head h0's W_OV with head h1's W_QK"),
    (lambda model: k_comp(model, swap_layers=True), "the layers are swapped"),
    (lambda model: k_comp(model, dims=None), "\\.norm\\(\\) without dim"),
]


def copying_with(circuit_of, ratio=lambda eig: eig.real.sum() / eig.abs().sum(), eigenvalues=torch.linalg.eigvals):
    def copying(model, layer, head):
        attn = model.blocks[layer].attn
        return ratio(eigenvalues(circuit_of(model, attn, head).detach())).item()
    return copying


def ov_circuit(model, attn, head):
    return model.W_E @ attn.W_V[head] @ attn.W_O[head] @ model.W_U


WRONG_ANSWERS[checks.check_copying_score] = [
    (copying_with(ov_circuit, lambda eig: eig.real.sum() / eig.real.abs().sum()), "complex abs"),
    (copying_with(lambda model, attn, head: attn.W_V[head] @ attn.W_O[head]), "this is W_V @ W_O alone"),
    (lambda model, layer, head: torch.tensor(ref.copying_score(model, layer, head)), "Python float"),
    (copying_with(ov_circuit, lambda eig: eig.real.sum()), "Σ Re\\(λ\\) alone; divide it by Σ \\|λ\\|"),
    (copying_with(ov_circuit, lambda s: s.sum() / s.abs().sum(), torch.linalg.svdvals), "this is exactly 1"),
    (copying_with(ov_circuit, lambda e: e.sum() / e.abs().sum(), torch.linalg.eigvalsh), "eigvalsh is for symmetric"),
    (copying_with(lambda model, attn, head: model.W_E @ attn.W_V @ attn.W_O @ model.W_U), "every head's circuit"),
    (copying_with(lambda model, attn, head: model.W_E @ attn.W_Q[head] @ attn.W_K[head].T @ model.W_E.T),
     "this is the QK circuit"),
]


def composed_with(**mistake):
    return lambda model, tokens, previous_head, head: checks._composed(model, tokens, previous_head, head, **mistake)


def composed_without_mask(model, tokens, previous_head, head):
    attn0, attn1 = model.blocks[0].attn, model.blocks[1].attn
    with torch.no_grad():
        resid = model.W_E[tokens] + model.W_pos[: tokens.shape[1]]
        prev = torch.cat([torch.zeros_like(resid[:, :1]), resid[:, :-1]], dim=1)
        keys = prev @ attn0.W_V[previous_head] @ attn0.W_O[previous_head] @ attn1.W_K[head]
        return ((resid @ attn1.W_Q[head]) @ keys.transpose(-1, -2) / keys.shape[-1] ** 0.5).softmax(-1)


def composed_pattern(model, tokens, previous_head, head, shift, mask, scale):
    """composed_attention as a learner writes it, with ``shift(resid)``, ``mask`` [n, n] True
    where a score is dropped, and the scores divided by ``scale(d_head, d_model)``."""
    attn0, attn1 = model.blocks[0].attn, model.blocks[1].attn
    n = tokens.shape[1]
    with torch.no_grad():
        resid = model.W_E[tokens] + model.W_pos[:n]
        keys = shift(resid) @ attn0.W_V[previous_head] @ attn0.W_O[previous_head] @ attn1.W_K[head]
        scores = (resid @ attn1.W_Q[head]) @ keys.transpose(-1, -2) / scale(keys.shape[-1], resid.shape[-1])
        return scores.masked_fill(mask(n), float("-inf")).softmax(-1)


def shifted(resid):
    return torch.cat([torch.zeros_like(resid[:, :1]), resid[:, :-1]], dim=1)


def future(n):
    return torch.ones(n, n, dtype=torch.bool).triu(1)


def composed_without_scale(model, tokens, previous_head, head):
    return composed_pattern(model, tokens, previous_head, head, shifted, future, lambda d_head, d_model: 1.0)


def composed_rolled(model, tokens, previous_head, head):
    return composed_pattern(model, tokens, previous_head, head, lambda r: torch.roll(r, 1, dims=1), future,
                            lambda d_head, d_model: d_head ** 0.5)


def composed_scaled_by_d_model(model, tokens, previous_head, head):
    return composed_pattern(model, tokens, previous_head, head, shifted, future, lambda d_head, d_model: d_model ** 0.5)


def composed_masking_the_diagonal(model, tokens, previous_head, head):
    return composed_pattern(model, tokens, previous_head, head, shifted,
                            lambda n: torch.ones(n, n, dtype=torch.bool).triu(), lambda d_head, d_model: d_head ** 0.5)


def composed_softmax_over_queries(model, tokens, previous_head, head):
    attn0, attn1 = model.blocks[0].attn, model.blocks[1].attn
    n = tokens.shape[1]
    with torch.no_grad():
        resid = model.W_E[tokens] + model.W_pos[:n]
        prev = torch.cat([torch.zeros_like(resid[:, :1]), resid[:, :-1]], dim=1)
        keys = prev @ attn0.W_V[previous_head] @ attn0.W_O[previous_head] @ attn1.W_K[head]
        scores = (resid @ attn1.W_Q[head]) @ keys.transpose(-1, -2) / keys.shape[-1] ** 0.5
        return scores.masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1), float("-inf")).softmax(1)


WRONG_ANSWERS[checks.check_composed_attention] = [
    (composed_rolled, "torch.roll wraps the last position round to position 0"),
    (composed_scaled_by_d_model, r"divided by sqrt\(d_model\); divide by sqrt\(d_head\)"),
    (composed_masking_the_diagonal, r"some attention is NaN: .*triu\(1\)"),
    (composed_with(shift=0), "shift resid by one"),
    (composed_without_mask, "mask the future"),
    (composed_without_scale, "the scores are not scaled"),
    (lambda model, tokens, p, h: ref.composed_attention(model, tokens, p, h) * 0.5, "sum to 1"),
    (composed_with(shift=-1), "shifted the wrong way"),
    (composed_with(shift_queries=True), "the queries are shifted instead of the keys"),
    (composed_with(positions=False), "lacks the positional embeddings"),
    (composed_with(scale="d_head"), "divided by d_head; divide by its square root"),
    (composed_with(ov_layer=1), "W_V and W_O come from layer 0"),
    (composed_with(mask_after=True), "masked after the softmax"),
    (composed_softmax_over_queries, "softmax over the last dimension"),
]


def icl_with(columns):
    """in_context_learning_score with ``columns(losses, early, late)`` in place of the difference."""
    def score(model, tokens, early, late):
        with torch.no_grad():
            losses = next_token_losses(model(tokens), tokens)
        return columns(losses, early, late).item()
    return score


def icl_same_position(model, tokens, early, late):
    with torch.no_grad():
        logits = model(tokens)
    ce = torch.nn.functional.cross_entropy
    return (ce(logits[:, late], tokens[:, late]) - ce(logits[:, early], tokens[:, early])).item()


WRONG_ANSWERS[checks.check_in_context_learning_score] = [
    (icl_with(lambda losses, e, l: losses[:, l - 1].mean() / losses[:, e - 1].mean()), "ratio of the two losses"),
    (lambda model, tokens, early, late: -ref.in_context_learning_score(model, tokens, early, late), "sign is reversed"),
    (icl_with(lambda losses, e, l: losses[:, l].mean() - losses[:, e].mean()), "off by one"),
    (lambda model, tokens, early, late: torch.tensor(ref.in_context_learning_score(model, tokens, early, late)), "Python float"),
    (icl_same_position, "compares the logits at position `late` with tokens\\[:, late\\]"),
    (icl_with(lambda losses, e, l: losses[l - 1].mean() - losses[e - 1].mean()), "losses\\[late - 1\\] is sequence late - 1"),
    (icl_with(lambda losses, e, l: losses[:, l - 1].sum() - losses[:, e - 1].sum()), "sums the losses over the batch"),
]


def over_checkpoints_skipping_the_first(run, measure):
    steps = run.checkpoint_steps[1:]
    return torch.tensor(steps), torch.tensor([float(measure(run.model_at(s))) for s in steps], dtype=torch.float64)


def over_checkpoints_float32(run, measure):
    steps = run.checkpoint_steps
    return torch.tensor(steps), torch.tensor([float(measure(run.model_at(s))) for s in steps])


def over_checkpoints_by_position(run, measure):
    values = [float(measure(run.model_at(i))) for i in range(len(run.checkpoint_steps))]
    return torch.tensor(run.checkpoint_steps), torch.tensor(values, dtype=torch.float64)


def over_checkpoints_stacked(run, measure):
    values = [torch.as_tensor(measure(run.model_at(s)), dtype=torch.float64) for s in run.checkpoint_steps]
    return torch.tensor(run.checkpoint_steps), torch.stack(values)


def over_checkpoints_squeezed(run, measure):
    values = [torch.as_tensor(measure(run.model_at(s)), dtype=torch.float64) for s in run.checkpoint_steps]
    return torch.tensor(run.checkpoint_steps), torch.stack(values).squeeze()


def over_checkpoints_float_steps(run, measure):
    values = [float(measure(run.model_at(s))) for s in run.checkpoint_steps]
    return torch.tensor(run.checkpoint_steps, dtype=torch.float64), torch.tensor(values, dtype=torch.float64)


WRONG_ANSWERS[checks.check_scores_over_checkpoints] = [
    (over_checkpoints_skipping_the_first, "load every checkpoint once"),
    (over_checkpoints_float32, "float64|dtype"),
    (lambda run, measure: [measure(run.model_at(s)) for s in run.checkpoint_steps], "tuple"),
    (lambda run, measure: ref.scores_over_checkpoints(run, measure)[::-1], "the tuple is \\(values, steps\\)"),
    (over_checkpoints_by_position, "run.model_at takes a step"),
    (over_checkpoints_stacked, "values has shape \\[4, 1\\]"),
    (over_checkpoints_squeezed, "\\.squeeze\\(\\) removes the checkpoint dimension"),
    (over_checkpoints_float_steps, "steps are integers"),
]


CASES, CASE_IDS = wrong_answer_cases(WRONG_ANSWERS)


@pytest.mark.parametrize("check, wrong, message", CASES, ids=CASE_IDS)
def test_wrong_answers_are_rejected_with_a_precise_message(check, wrong, message):
    assert_rejected(check, wrong, message)
