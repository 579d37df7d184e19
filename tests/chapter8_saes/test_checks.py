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


def training_loop(normalise=lambda W: W / W.norm(dim=-1, keepdim=True), after_step=True, same_batch=True):
    """A learner's train_sae, with one of the mistakes switched on."""
    def train(W_enc, b_enc, W_dec, b_dec, sample, l1_coefficient, n_steps, batch_size=1024, lr=3e-3, seed=0, k=0):
        generator = torch.Generator().manual_seed(seed)
        optimizer = torch.optim.Adam([W_enc, b_enc, W_dec, b_dec], lr=lr)
        losses = []
        for _ in range(n_steps):
            if same_batch:
                h = sample(batch_size, generator)[:, None, :].expand(-1, W_enc.shape[0], -1)
            else:
                h = torch.stack([sample(batch_size, generator) for _ in range(W_enc.shape[0])], dim=1)
            if not after_step:
                with torch.no_grad():
                    W_dec.copy_(normalise(W_dec))
            latents = reference.encode(h, W_enc, b_enc, b_dec)
            if k:
                latents = reference.keep_top_k(latents, k)
            loss = reference.sae_loss(h, reference.decode(latents, W_dec, b_dec), latents, l1_coefficient).sum()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if after_step:
                with torch.no_grad():
                    W_dec.copy_(normalise(W_dec))
            losses.append(loss.item())
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
        (top_k_over_batch, "more than k latents"),
        (threshold_at_mean, "more than k latents"),
    ],
    checks.check_train_sae: [
        (training_loop(normalise=lambda W: W), "rows of W_dec are not unit length"),
        (training_loop(normalise=lambda W: W / W.norm(dim=1, keepdim=True)), "columns have unit length"),
        (training_loop(after_step=False), "renormalise W_dec's rows after|not unit length"),
        (training_loop(same_batch=False), "first loss|same batch"),
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
        (fired_at_zero, "not >= 0"),
        (dead_as_count, "shape|dtype"),
        (dead_by_stacking, "raised|size"),
    ],
}
"""{check: [(wrong function, regex its failure message must match), ...]}: mistakes a learner makes"""

CASES, IDS = wrong_answer_cases(WRONG_ANSWERS)


@pytest.mark.parametrize("check, wrong, message", CASES, ids=IDS)
def test_a_wrong_answer_is_rejected_with_a_message_that_names_it(check, wrong, message):
    assert_rejected(check, wrong, message)
