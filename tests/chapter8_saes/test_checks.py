"""The checks of chapter 8 reject plausible wrong answers with a message that says what is
wrong (the contract every check keeps is tested in tests/test_exercise_contract.py)."""

import pytest
import torch

from interp_course.chapter8_saes import checks
from solutions import chapter8_saes as reference
from tests.test_exercise_contract import assert_rejected, wrong_answer_cases


def no_decoder_bias_subtracted(h, W_enc, b_enc, b_dec):
    return torch.relu(torch.einsum("bid,idm->bim", h, W_enc) + b_enc)


def no_relu(h, W_enc, b_enc, b_dec):
    return torch.einsum("bid,idm->bim", h - b_dec, W_enc) + b_enc


def relu_before_bias(h, W_enc, b_enc, b_dec):
    return torch.relu(torch.einsum("bid,idm->bim", h - b_dec, W_enc)) + b_enc


def decoder_bias_added(h, W_enc, b_enc, b_dec):
    return torch.relu(torch.einsum("bid,idm->bim", h + b_dec, W_enc) + b_enc)


def decode_without_bias(latents, W_dec, b_dec):
    return torch.einsum("bim,imd->bid", latents, W_dec)


def decode_with_columns(latents, W_dec, b_dec):
    return torch.einsum("bim,idm->bid", latents, W_dec) + b_dec


def l1_on_reconstruction(h, reconstruction, latents, l1_coefficient):
    return (reconstruction - h).pow(2).sum(-1).mean(0) + l1_coefficient * reconstruction.abs().sum(-1).mean(0)


def l2_penalty(h, reconstruction, latents, l1_coefficient):
    return (reconstruction - h).pow(2).sum(-1).mean(0) + l1_coefficient * latents.pow(2).sum(-1).mean(0)


def error_averaged_over_d(h, reconstruction, latents, l1_coefficient):
    return (reconstruction - h).pow(2).mean(-1).mean(0) + l1_coefficient * latents.abs().sum(-1).mean(0)


def one_number(h, reconstruction, latents, l1_coefficient):
    return reference.sae_loss(h, reconstruction, latents, l1_coefficient).sum()


def coefficient_forgotten(h, reconstruction, latents, l1_coefficient):
    return (reconstruction - h).pow(2).sum(-1).mean(0) + latents.abs().sum(-1).mean(0)


def summed_over_batch(h, reconstruction, latents, l1_coefficient):
    return (reconstruction - h).pow(2).sum(-1).sum(0) + l1_coefficient * latents.abs().sum(-1).sum(0)


def k_smallest(latents, k):
    values, indices = latents.topk(k, dim=-1, largest=False)
    return torch.zeros_like(latents).scatter(-1, indices, values)


def only_values(latents, k):
    return latents.topk(k, dim=-1).values


def k_plus_one(latents, k):
    return reference.keep_top_k(latents, min(k + 1, latents.shape[-1]))


def top_k_over_batch(latents, k):
    values, indices = latents.topk(k, dim=0)
    return torch.zeros_like(latents).scatter(0, indices, values)


def threshold_at_mean(latents, k):
    return latents * (latents > latents.mean(dim=-1, keepdim=True))


def training_loop(normalise=lambda W: W / W.norm(dim=-1, keepdim=True), after_step=True, same_batch=True,
                  zero_grad=True, seed_once=True, total=torch.sum, top_k=True, one_optimiser=True, in_place=True,
                  item=True, loss_before_the_step=True):
    """A learner's train_sae, with one of the mistakes switched on."""
    def train(W_enc, b_enc, W_dec, b_dec, sample, l1_coefficient, n_steps, batch_size=1024, lr=3e-3, seed=0, k=0):
        generator = torch.Generator().manual_seed(seed)
        optimizer = torch.optim.Adam([W_enc, b_enc, W_dec, b_dec], lr=lr)
        losses = []
        for _ in range(n_steps):
            if not seed_once:
                generator = torch.Generator().manual_seed(seed)
            if not one_optimiser:
                optimizer = torch.optim.Adam([W_enc, b_enc, W_dec, b_dec], lr=lr)
            if same_batch:
                h = sample(batch_size, generator)[:, None, :].expand(-1, W_enc.shape[0], -1)
            else:
                h = torch.stack([sample(batch_size, generator) for _ in range(W_enc.shape[0])], dim=1)
            if not after_step:
                with torch.no_grad():
                    W_dec.copy_(normalise(W_dec))
            latents = reference.encode(h, W_enc, b_enc, b_dec)
            if k and top_k:
                latents = reference.keep_top_k(latents, k)
            loss = total(reference.sae_loss(h, reference.decode(latents, W_dec, b_dec), latents, l1_coefficient))
            if zero_grad:
                optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if after_step:
                with torch.no_grad():
                    if in_place:
                        W_dec.copy_(normalise(W_dec))
                    else:
                        W_dec = normalise(W_dec)
            if not loss_before_the_step:  # the loss recomputed after the update, and recorded
                with torch.no_grad():
                    latents = reference.encode(h, W_enc, b_enc, b_dec)
                    if k and top_k:
                        latents = reference.keep_top_k(latents, k)
                    loss = total(reference.sae_loss(h, reference.decode(latents, W_dec, b_dec), latents, l1_coefficient))
            losses.append(loss.item() if item else loss.detach())
        return losses
    return train


def mmcs_wrong_axis(W_dec, true_directions):
    cos = torch.einsum("imd,td->imt", W_dec / W_dec.norm(dim=-1, keepdim=True),
                       true_directions / true_directions.norm(dim=-1, keepdim=True))
    return cos.max(dim=2).values.mean(dim=-1)


def mmcs_absolute(W_dec, true_directions):
    cos = torch.einsum("imd,td->imt", W_dec / W_dec.norm(dim=-1, keepdim=True),
                       true_directions / true_directions.norm(dim=-1, keepdim=True))
    return cos.abs().max(dim=1).values.mean(dim=-1)


def mmcs_truth_not_normalised(W_dec, true_directions):
    cos = torch.einsum("imd,td->imt", W_dec / W_dec.norm(dim=-1, keepdim=True), true_directions)
    return cos.max(dim=1).values.mean(dim=-1)


def mmcs_latents_not_normalised(W_dec, true_directions):
    cos = torch.einsum("imd,td->imt", W_dec, true_directions / true_directions.norm(dim=-1, keepdim=True))
    return cos.max(dim=1).values.mean(dim=-1)


def mmcs_truth_normalised_over_columns(W_dec, true_directions):
    cos = torch.einsum("imd,td->imt", W_dec / W_dec.norm(dim=-1, keepdim=True),
                       true_directions / true_directions.norm(dim=0, keepdim=True))
    return cos.max(dim=1).values.mean(dim=-1)


def dead_by_stacking(latent_batches):
    return ~(torch.stack(latent_batches) > 0).any(dim=0).any(dim=0)


def fvu_not_centred(h, reconstruction):
    return (h - reconstruction).pow(2).sum((0, 2)) / h.pow(2).sum((0, 2))


def fraction_explained(h, reconstruction):
    return 1 - reference.fraction_of_variance_unexplained(h, reconstruction)


def fvu_per_dimension(h, reconstruction):
    return ((h - reconstruction).pow(2).sum(0) / (h - h.mean(0)).pow(2).sum(0)).mean(-1)


def fvu_one_scalar_mean(h, reconstruction):
    return (h - reconstruction).pow(2).sum((0, 2)) / (h - h.mean((0, 2), keepdim=True)).pow(2).sum((0, 2))


def dead_on_first_batch(latent_batches):
    return ~(latent_batches[0] > 0).any(dim=0)


def dead_on_last_batch(latent_batches):
    return ~(latent_batches[-1] > 0).any(dim=0)


def live_latents(latent_batches):
    return ~reference.dead_latents(latent_batches)


def fired_at_zero(latent_batches):
    return ~torch.stack([(b >= 0).any(dim=0) for b in latent_batches]).any(dim=0)


def dead_as_count(latent_batches):
    return reference.dead_latents(latent_batches).sum(dim=-1)


WRONG_ANSWERS: dict = {
    checks.check_encode: [
        (no_decoder_bias_subtracted, "subtract the decoder's bias"),
        (no_relu, "negative: apply a ReLU"),
        (relu_before_bias, "add b_enc before the ReLU"),
        (decoder_bias_added, "b_dec is added to h; subtract it"),
    ],
    checks.check_decode: [
        (decode_without_bias, "add the decoder's bias"),
        (decode_with_columns, "row j of W_dec"),
    ],
    checks.check_sae_loss: [
        (l1_on_reconstruction, "on the reconstruction; put it on the latents"),
        (l2_penalty, "L2 penalty"),
        (error_averaged_over_d, "averaged over d; sum"),
        (one_number, "one loss per instance"),
        (coefficient_forgotten, "not multiplied by l1_coefficient"),
        (summed_over_batch, "summed over the batch"),
    ],
    checks.check_keep_top_k: [
        (k_smallest, "k smallest"),
        (only_values, "only the k values"),
        (k_plus_one, "k \\+ 1"),
        (top_k_over_batch, r"over the batch \(dim 0\)"),
        (threshold_at_mean, "above their mean"),
    ],
    checks.check_train_sae: [
        (training_loop(normalise=lambda W: W), "rows of W_dec are not unit length"),
        (training_loop(normalise=lambda W: W / W.norm(dim=1, keepdim=True)), "columns have unit length"),
        (training_loop(after_step=False), "before optimizer.step"),
        (training_loop(same_batch=False), "each instance got its own batch"),
    ],
    checks.check_mean_max_cosine_similarity: [
        (mmcs_wrong_axis, "for each true feature its best latent"),
        (mmcs_absolute, "absolute value"),
        (mmcs_truth_not_normalised, "normalise the true directions"),
        (mmcs_latents_not_normalised, "normalise the latent directions"),
        (mmcs_truth_normalised_over_columns, "over the wrong axis"),
    ],
    checks.check_fraction_of_variance_unexplained: [
        (fvu_not_centred, "squared length of h"),
        (fraction_explained, "fraction explained"),
        (fvu_per_dimension, "one ratio per dimension"),
        (fvu_one_scalar_mean, "one mean over the batch and d"),
    ],
    checks.check_dead_latents: [
        (dead_on_first_batch, "first batch only"),
        (dead_on_last_batch, "last batch only"),
        (live_latents, "these are the live ones"),
        (fired_at_zero, "if you compared with >= 0, count activations > 0"),
        (dead_as_count, "counted the dead latents of each instance"),
        (dead_by_stacking, "differ in size"),
    ],
}
"""{check: [(wrong function, regex its failure message must match), ...]}: mistakes a learner makes"""



# more mistakes, one of each kind: `@` broadcasting the batch against the instances, a transposed
# matrix, a bias of the wrong sign, an input edited in place, a dtype, the wrong axis, a norm not
# squared, a forgotten normalisation or one too many, a loop that resets what it must keep


def matmul_broadcasts(h, W_enc, b_enc, b_dec):
    return torch.relu((h - b_dec) @ W_enc + b_enc)


def encoder_transposed(h, W_enc, b_enc, b_dec):
    return torch.relu(torch.einsum("bid,imd->bim", h - b_dec, W_enc) + b_enc)


def centres_h_in_place(h, W_enc, b_enc, b_dec):
    h -= b_dec
    return torch.relu(torch.einsum("bid,idm->bim", h, W_enc) + b_enc)


def latents_in_float32(h, W_enc, b_enc, b_dec):
    latents = torch.zeros(h.shape[0], h.shape[1], W_enc.shape[-1])  # float32, whatever h is
    for i in range(h.shape[1]):
        latents[:, i] = torch.relu((h[:, i] - b_dec[i]) @ W_enc[i] + b_enc[i])
    return latents


def decode_matmul_broadcasts(latents, W_dec, b_dec):
    return latents @ W_dec + b_dec


def decoder_bias_subtracted(latents, W_dec, b_dec):
    return torch.einsum("bim,imd->bid", latents, W_dec) - b_dec


def decode_with_relu(latents, W_dec, b_dec):
    return torch.relu(torch.einsum("bim,imd->bid", latents, W_dec) + b_dec)


def decode_normalises_rows(latents, W_dec, b_dec):
    return torch.einsum("bim,imd->bid", latents, W_dec / W_dec.norm(dim=-1, keepdim=True)) + b_dec


def decode_averages_latents(latents, W_dec, b_dec):
    return (latents[..., None] * W_dec).mean(dim=-2) + b_dec


def averaged_over_instances(h, reconstruction, latents, l1_coefficient):
    return (reconstruction - h).pow(2).sum(-1).mean(1) + l1_coefficient * latents.abs().sum(-1).mean(1)


def norm_not_squared(h, reconstruction, latents, l1_coefficient):
    return (reconstruction - h).norm(dim=-1).mean(0) + l1_coefficient * latents.abs().sum(-1).mean(0)


def mean_over_d_and_latents(h, reconstruction, latents, l1_coefficient):
    return (reconstruction - h).pow(2).mean(-1).mean(0) + l1_coefficient * latents.abs().mean(-1).mean(0)


def penalty_without_abs(h, reconstruction, latents, l1_coefficient):  # right only while no latent is negative
    return (reconstruction - h).pow(2).sum(-1).mean(0) + l1_coefficient * latents.sum(-1).mean(0)


def strictly_above_kth(latents, k):
    kth = latents.topk(k, dim=-1).values[..., -1:]
    return latents * (latents > kth)


def mask_of_ones(latents, k):
    return torch.zeros_like(latents).scatter(-1, latents.topk(k, dim=-1).indices, 1.0)


def values_at_the_front(latents, k):
    out = torch.zeros_like(latents)
    out[..., :k] = latents.topk(k, dim=-1).values
    return out


def zeroes_the_rest_in_place(latents, k):
    kth = latents.topk(k, dim=-1).values[..., -1:]
    latents[latents < kth] = 0
    return latents


def top_k_over_instances(latents, k):
    values, indices = latents.topk(min(k, latents.shape[1]), dim=1)
    return torch.zeros_like(latents).scatter(1, indices, values)


def mmcs_latents_normalised_over_columns(W_dec, true_directions):
    cos = torch.einsum("imd,td->imt", W_dec / W_dec.norm(dim=1, keepdim=True),
                       true_directions / true_directions.norm(dim=-1, keepdim=True))
    return cos.max(dim=1).values.mean(dim=-1)


def mmcs_summed(W_dec, true_directions):
    cos = torch.einsum("imd,td->imt", W_dec / W_dec.norm(dim=-1, keepdim=True),
                       true_directions / true_directions.norm(dim=-1, keepdim=True))
    return cos.max(dim=1).values.sum(dim=-1)


def mmcs_no_mean(W_dec, true_directions):
    cos = torch.einsum("imd,td->imt", W_dec / W_dec.norm(dim=-1, keepdim=True),
                       true_directions / true_directions.norm(dim=-1, keepdim=True))
    return cos.max(dim=1).values


def mmcs_one_number(W_dec, true_directions):
    return reference.mean_max_cosine_similarity(W_dec, true_directions).mean()


def mmcs_normalises_in_place(W_dec, true_directions):
    W_dec /= W_dec.norm(dim=-1, keepdim=True)
    return reference.mean_max_cosine_similarity(W_dec, true_directions)


def fvu_mean_over_instances(h, reconstruction):
    return (h - reconstruction).pow(2).sum((0, 2)) / (h - h.mean(1, keepdim=True)).pow(2).sum((0, 2))


def fvu_unbiased_variance(h, reconstruction):
    return (h - reconstruction).pow(2).mean(0).sum(-1) / h.var(dim=0).sum(-1)


def fvu_upside_down(h, reconstruction):
    return (h - h.mean(0)).pow(2).sum((0, 2)) / (h - reconstruction).pow(2).sum((0, 2))


def fvu_one_number(h, reconstruction):
    return (h - reconstruction).pow(2).sum() / (h - h.mean(0)).pow(2).sum()


def dead_on_any_batch(latent_batches):
    return torch.stack([~(b > 0).any(dim=0) for b in latent_batches]).any(dim=0)


def reduced_over_instances(latent_batches):
    return ~(torch.cat(latent_batches) > 0).any(dim=1)


def dead_as_floats(latent_batches):
    return (torch.cat(latent_batches) == 0).all(dim=0).float()


WRONG_ANSWERS[checks.check_encode] += [(matmul_broadcasts, "broadcast the batch against the instances"),
                                       (encoder_transposed, "middle dimension"),
                                       (centres_h_in_place, "changed its input `h` in place"),
                                       (latents_in_float32, "wrong dtype: expected torch.float64")]
WRONG_ANSWERS[checks.check_decode] += [(decode_matmul_broadcasts, "broadcast the batch against the instances"),
                                       (decoder_bias_subtracted, "b_dec is subtracted"),
                                       (decode_with_relu, "no ReLU"), (decode_normalises_rows, "do not normalise"),
                                       (decode_averages_latents, "averaged over the latents")]
WRONG_ANSWERS[checks.check_sae_loss] += [(averaged_over_instances, r"averaged over the instances \(dim 1\)"),
                                         (norm_not_squared, "square it"),
                                         (mean_over_d_and_latents, "averaged over d and over the latents"),
                                         (penalty_without_abs, "absolute values")]
WRONG_ANSWERS[checks.check_keep_top_k] += [(strictly_above_kth, "k - 1 latents"), (mask_of_ones, "kept a 1"),
                                           (values_at_the_front, "first k places"),
                                           (zeroes_the_rest_in_place, "changed its input `latents` in place"),
                                           (top_k_over_instances, r"over the instances \(dim 1\)")]
WRONG_ANSWERS[checks.check_train_sae] += [
    (training_loop(zero_grad=False), "zero_grad"),
    (training_loop(seed_once=False), "the same batch: make and seed the generator once"),
    (training_loop(total=torch.mean), "sum of the instances' sae_loss, not their mean"),
    (training_loop(top_k=False), "keep_top_k"),
    (training_loop(one_optimiser=False), "make the optimiser once"),
    (training_loop(in_place=False), "change W_dec in place"),
    (training_loop(item=False), r"one Python float per step \(loss.item\(\)\)"),
    (training_loop(loss_before_the_step=False), r"losses after each step's update; .*before optimizer.step\(\)"),
]
WRONG_ANSWERS[checks.check_mean_max_cosine_similarity] += [
    (mmcs_latents_normalised_over_columns, "normalised W_dec over the wrong axis"),
    (mmcs_summed, "summed over the true features"), (mmcs_no_mean, "average them over the true features"),
    (mmcs_one_number, "one score per instance"), (mmcs_normalises_in_place, "changed its input `W_dec` in place"),
]
WRONG_ANSWERS[checks.check_fraction_of_variance_unexplained] += [
    (fvu_mean_over_instances, "mean over the instances"), (fvu_unbiased_variance, "Bessel"),
    (fvu_upside_down, "upside down"), (fvu_one_number, "summed over the instances too"),
]
WRONG_ANSWERS[checks.check_dead_latents] += [(dead_on_any_batch, "not any"),
                                             (reduced_over_instances, r"reduced over the instances \(dim 1\)"),
                                             (dead_as_floats, "wrong dtype: expected torch.bool")]

CASES, IDS = wrong_answer_cases(WRONG_ANSWERS)


@pytest.mark.parametrize("check, wrong, message", CASES, ids=IDS)
def test_a_wrong_answer_is_rejected_with_a_message_that_names_it(check, wrong, message):
    assert_rejected(check, wrong, message)
