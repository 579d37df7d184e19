"""The checks of chapter 7 reject plausible wrong answers with a message that says what is
wrong (the contract every check keeps is tested in tests/test_exercise_contract.py)."""

import pytest
import torch

from interp_course.chapter7_interventions import checks
from interp_course.core.probes import fit_linear_probe
from solutions import chapter7_interventions as reference
from tests.test_exercise_contract import assert_rejected, wrong_answer_cases

# 7.1 direct logit attribution


def _attribution(model, cache, z_rows, targets):
    per_layer = [torch.einsum("bphe,hed,dbp->bph", cache["z", layer][:, z_rows], block.attn.W_O, model.W_U[:, targets])
                 for layer, block in enumerate(model.blocks)]
    return torch.stack(per_layer, dim=2).detach()


def attributes_to_current_token(model, cache, tokens):
    return _attribution(model, cache, slice(None, -1), tokens[:, :-1])


def outputs_one_position_late(model, cache, tokens):
    return _attribution(model, cache, slice(1, None), tokens[:, 1:])


def every_position(model, cache, tokens):
    full = torch.cat([tokens, tokens[:, -1:]], dim=1)
    return _attribution(model, cache, slice(None), full[:, 1:])


def layers_and_heads_swapped(model, cache, tokens):
    return reference.head_logit_attribution(model, cache, tokens).transpose(2, 3)


def without_W_O(model, cache, tokens):
    directions = model.W_U.T[tokens[:, 1:]]  # [batch, pos - 1, d_model], dotted with z ([..., d_head]) directly
    return torch.stack([torch.einsum("bphe,bpe->bph", cache["z", layer][:, :-1], directions)
                        for layer in range(len(model.blocks))], dim=2)


# 7.2 normalised metric


def wrong_way_round(loss, clean_loss, corrupted_loss):
    return (loss - clean_loss) / (corrupted_loss - clean_loss)


def not_normalised(loss, clean_loss, corrupted_loss):
    return corrupted_loss - loss


def divided_by_clean(loss, clean_loss, corrupted_loss):
    return (corrupted_loss - loss) / clean_loss


def ratio_of_losses(loss, clean_loss, corrupted_loss):
    return clean_loss / loss


def probabilities_compared(loss, clean_loss, corrupted_loss):
    import math
    p, clean, corrupted = torch.exp(-loss), math.exp(-clean_loss), math.exp(-corrupted_loss)
    return (p - corrupted) / (clean - corrupted)


# 7.3 activation patching


def _patch(where_fn):
    def patch_head(model, tokens, source_cache, layer, head, position=None):
        def hook(z, hook_point):
            z = z.clone()
            index = where_fn(position, head)
            z[index] = source_cache["z", layer][index]
            return z
        with torch.no_grad():
            return model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{layer}.attn.hook_z", hook)])
    return patch_head


patch_next_position = _patch(lambda position, head: (slice(None), slice(None) if position is None else min(position + 1, 9), head))
patch_every_position = _patch(lambda position, head: (slice(None), slice(None), head))
patch_every_head = _patch(lambda position, head: (slice(None), slice(None) if position is None else position))


def hook_edits_a_copy_it_does_not_return(model, tokens, source_cache, layer, head, position=None):
    def hook(z, hook_point):
        z = z.clone()
        z[:, position if position is not None else slice(None), head] = source_cache["z", layer][:, position if position is not None else slice(None), head]
    with torch.no_grad():
        return model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{layer}.attn.hook_z", hook)])


def edits_the_source_cache(model, tokens, source_cache, layer, head, position=None):
    source_cache["z", layer][:, :, 1 - head] = 0.0
    return reference.patch_head(model, tokens, source_cache, layer, head, position)


def patch_hook_left_attached(model, tokens, source_cache, layer, head, position=None):
    where = slice(None) if position is None else position

    def hook(z, hook_point):
        z = z.clone()
        z[:, where, head] = source_cache["z", layer][:, where, head]
        return z
    model.blocks[layer].attn.hook_z._hooks.append(hook)
    with torch.no_grad():
        return model(tokens)


# 7.4 path patching


def patched_everywhere(model, tokens, sender_head, sender_z, receiver):
    def hook(z, hook_point):
        z = z.clone()
        z[:, :, sender_head] = sender_z
        return z
    with torch.no_grad():
        return model.run_with_hooks(tokens, fwd_hooks=[("blocks.0.attn.hook_z", hook)])


def new_output_without_difference(model, tokens, sender_head, sender_z, receiver):
    attn0, attn1 = model.blocks[0].attn, model.blocks[1].attn
    W = {"q": attn1.W_Q, "k": attn1.W_K, "v": attn1.W_V}[receiver]
    added = sender_z @ attn0.W_O[sender_head]
    with torch.no_grad():
        return model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.1.attn.hook_{receiver}",
                                                        lambda x, hook: x + torch.einsum("bpd,hde->bphe", added, W))])


def always_the_keys(model, tokens, sender_head, sender_z, receiver):
    return reference.path_patch(model, tokens, sender_head, sender_z, "k")


def queries_for_keys(model, tokens, sender_head, sender_z, receiver):
    return reference.path_patch(model, tokens, sender_head, sender_z, {"q": "k", "k": "q", "v": "v"}[receiver])


# 7.5 attribution patching


def sign_reversed(clean_z, corrupted_z, gradient):
    return ((corrupted_z - clean_z) * gradient).sum(dim=(0, 3))


def mean_over_batch(clean_z, corrupted_z, gradient):
    return ((clean_z - corrupted_z) * gradient).mean(dim=0).sum(dim=-1)


def gradient_times_clean(clean_z, corrupted_z, gradient):
    return (clean_z * gradient).sum(dim=(0, 3))


def absolute_products(clean_z, corrupted_z, gradient):
    return ((clean_z - corrupted_z) * gradient).abs().sum(dim=(0, 3))


def head_by_position(clean_z, corrupted_z, gradient):
    return ((clean_z - corrupted_z) * gradient).sum(dim=(0, 3)).T


def d_head_not_summed(clean_z, corrupted_z, gradient):
    return ((clean_z - corrupted_z) * gradient).sum(dim=0)


# 7.6 probes


def fitted_on_every_row(features, labels, n_classes, n_train):
    probe = fit_linear_probe(features, labels, n_classes)
    return (probe(features[n_train:]) == labels[n_train:]).float().mean().item()


def scored_on_training_rows(features, labels, n_classes, n_train):
    probe = fit_linear_probe(features[:n_train], labels[:n_train], n_classes)
    return (probe(features[:n_train]) == labels[:n_train]).float().mean().item()


def accuracy_as_tensor(features, labels, n_classes, n_train):
    probe = fit_linear_probe(features[:n_train], labels[:n_train], n_classes)
    return (probe(features[n_train:]) == labels[n_train:]).float().mean()


def split_one_row_late(features, labels, n_classes, n_train):
    probe = fit_linear_probe(features[: n_train + 1], labels[: n_train + 1], n_classes)
    return (probe(features[n_train + 1:]) == labels[n_train + 1:]).float().mean().item()


# 7.7 resample ablation of everything but a circuit


def _ablate(value, inverse=False):
    def resample_ablate_except(model, tokens, source_tokens, keep):
        keep = {tuple(pair) for pair in keep}
        with torch.no_grad():
            _, source = model.run_with_cache(source_tokens)

        def hook_for(layer):
            def hook(z, hook_point):
                z = z.clone()
                for head in range(z.shape[2]):
                    if ((layer, head) in keep) == inverse:
                        z[:, :, head] = value(source, layer, head, z)
                return z
            return hook
        with torch.no_grad():
            return model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{layer}.attn.hook_z", hook_for(layer)) for layer in (0, 1)])
    return resample_ablate_except


ablates_the_circuit = _ablate(lambda source, layer, head, z: source["z", layer][:, :, head], inverse=True)
zero_ablation = _ablate(lambda source, layer, head, z: torch.zeros_like(z[:, :, head]))
mean_ablation = _ablate(lambda source, layer, head, z: z[:, :, head].mean(dim=0, keepdim=True).expand_as(z[:, :, head]))
another_heads_source = _ablate(lambda source, layer, head, z: source["z", layer][:, :, 1 - head])


WRONG_ANSWERS = {
    checks.check_head_logit_attribution: [
        (attributes_to_current_token, "to the token at that position"),
        (outputs_one_position_late, "one position late"),
        (every_position, "one fewer, pos - 1"),
        (layers_and_heads_swapped, "last two dimensions are swapped"),
        (without_W_O, "multiply by W_O before W_U"),
    ],
    checks.check_normalised_metric: [
        (wrong_way_round, "wrong way round"),
        (not_normalised, "not normalised: divide"),
        (divided_by_clean, "not by the clean loss"),
        (ratio_of_losses, "ratio of losses"),
        (probabilities_compared, "compared probabilities"),
    ],
    checks.check_patch_head: [
        (patch_next_position, "you patched position"),
        (patch_every_position, "you patched every position"),
        (patch_every_head, "you patched every head"),
        (hook_edits_a_copy_it_does_not_return, "unpatched run"),
        (edits_the_source_cache, "changed source_cache"),
        (patch_hook_left_attached, "hook was left attached"),
    ],
    checks.check_path_patch: [
        (patched_everywhere, "every path changed"),
        (new_output_without_difference, "without taking the sender's own output away"),
        (always_the_keys, "you patched layer 1's k"),
        (queries_for_keys, "you patched layer 1's"),
    ],
    checks.check_attribution_patch: [
        (sign_reversed, "sign is reversed"),
        (mean_over_batch, "averaged over the batch"),
        (gradient_times_clean, "not by clean_z"),
        (absolute_products, "keep the sign"),
        (head_by_position, r"\[head, pos\]"),
        (d_head_not_summed, "sum over d_head too"),
    ],
    checks.check_probe_accuracy: [
        (fitted_on_every_row, "fitted on the rows it is scored on"),
        (scored_on_training_rows, "fitted on the rows it is scored on|training rows"),
        (accuracy_as_tensor, "Python float"),
        (split_one_row_late, "off by one"),
    ],
    checks.check_resample_ablate_except: [
        (ablates_the_circuit, "ablated the kept heads"),
        (zero_ablation, "zero ablation"),
        (mean_ablation, "mean ablation"),
        (another_heads_source, "another head's z"),
    ],
}
"""{check: [(wrong function, regex its failure message must match), ...]}: mistakes a learner makes"""


# further mistakes, the way a learner errs


def mean_logit_subtracted(model, cache, tokens):
    right = reference.head_logit_attribution(model, cache, tokens)
    mean = torch.stack([torch.einsum("bphe,hed,dv->bphv", cache["z", layer][:, :-1], block.attn.W_O, model.W_U).mean(-1)
                        for layer, block in enumerate(model.blocks)], dim=2)
    return right - mean


def clamped_metric(loss, clean_loss, corrupted_loss):
    return ((corrupted_loss - loss) / (corrupted_loss - clean_loss)).clamp(0, 1)


def none_used_as_an_index(model, tokens, source_cache, layer, head, position=None):
    def hook(z, hook_point):
        z = z.clone()
        z[:, position, head] = source_cache["z", layer][:, position, head]
        return z
    with torch.no_grad():
        return model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{layer}.attn.hook_z", hook)])


def difference_reversed(model, tokens, sender_head, sender_z, receiver):
    _, cache = model.run_with_cache(tokens)
    own = cache["z", 0][:, :, sender_head]
    return reference.path_patch(model, tokens, sender_head, 2 * own - sender_z, receiver)


def query_matrix_for_every_receiver(model, tokens, sender_head, sender_z, receiver):
    attn0, attn1 = model.blocks[0].attn, model.blocks[1].attn
    _, cache = model.run_with_cache(tokens)
    delta = (sender_z - cache["z", 0][:, :, sender_head]) @ attn0.W_O[sender_head]
    W = attn1.W_K if receiver == "q" else attn1.W_Q
    with torch.no_grad():
        return model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.1.attn.hook_{receiver}",
                                                        lambda x, hook: x + torch.einsum("bpd,hde->bphe", delta, W))])


def receiver_head_with_the_senders_index(model, tokens, sender_head, sender_z, receiver):
    attn0, attn1 = model.blocks[0].attn, model.blocks[1].attn
    _, cache = model.run_with_cache(tokens)
    delta = (sender_z - cache["z", 0][:, :, sender_head]) @ attn0.W_O[sender_head]
    W = {"q": attn1.W_Q, "k": attn1.W_K, "v": attn1.W_V}[receiver]

    def hook(x, hook_point):
        x = x.clone()
        x[:, :, sender_head] += delta @ W[sender_head]
        return x
    with torch.no_grad():
        return model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.1.attn.hook_{receiver}", hook)])


def gradient_times_corrupted(clean_z, corrupted_z, gradient):
    return (corrupted_z * gradient).sum(dim=(0, 3))


def mean_over_d_head(clean_z, corrupted_z, gradient):
    return ((clean_z - corrupted_z) * gradient).sum(dim=0).mean(dim=-1)


def split_the_wrong_way_round(features, labels, n_classes, n_train):
    probe = fit_linear_probe(features[n_train:], labels[n_train:], n_classes)
    return (probe(features[:n_train]) == labels[:n_train]).float().mean().item()


def error_rate(features, labels, n_classes, n_train):
    return 1 - reference.probe_accuracy(features, labels, n_classes, n_train)


def as_a_percentage(features, labels, n_classes, n_train):
    return 100 * reference.probe_accuracy(features, labels, n_classes, n_train)


def scored_on_every_row(features, labels, n_classes, n_train):
    probe = fit_linear_probe(features[:n_train], labels[:n_train], n_classes)
    return (probe(features) == labels).float().mean().item()


source_mean = _ablate(lambda source, layer, head, z: source["z", layer][:, :, head].mean(dim=0, keepdim=True).expand_as(z[:, :, head]))


def only_layer_0_hooked(model, tokens, source_tokens, keep):
    keep = {tuple(pair) for pair in keep}
    with torch.no_grad():
        _, source = model.run_with_cache(source_tokens)

    def hook(z, hook_point):
        z = z.clone()
        for head in range(z.shape[2]):
            if (0, head) not in keep:
                z[:, :, head] = source["z", 0][:, :, head]
        return z
    with torch.no_grad():
        return model.run_with_hooks(tokens, fwd_hooks=[("blocks.0.attn.hook_z", hook)])


WRONG_ANSWERS[checks.check_head_logit_attribution].append((mean_logit_subtracted, "mean logit over the vocabulary"))
WRONG_ANSWERS[checks.check_normalised_metric].append((clamped_metric, "clamped the metric"))
WRONG_ANSWERS[checks.check_patch_head].append((none_used_as_an_index, r"z\[:, head\] \(or z\[:, None, head\]\) indexes the positions"))
WRONG_ANSWERS[checks.check_path_patch] += [(difference_reversed, "wrong sign"),
                                           (query_matrix_for_every_receiver, "wrong layer-1 matrix"),
                                           (receiver_head_with_the_senders_index, "of layer-1 head")]
WRONG_ANSWERS[checks.check_attribution_patch] += [(gradient_times_corrupted, "not by corrupted_z"),
                                                  (mean_over_d_head, "not a mean")]
WRONG_ANSWERS[checks.check_probe_accuracy] += [(split_the_wrong_way_round, "wrong way round"),
                                               (error_rate, "error rate"), (as_a_percentage, "percentage"),
                                               (scored_on_every_row, "on every row|fitted on the rows")]
WRONG_ANSWERS[checks.check_resample_ablate_except] += [(source_mean, "mean over the source batch"),
                                                       (only_layer_0_hooked, "only layer 0")]



# more mistakes, one of each kind: the wrong target, a reduced or flattened axis, a sign, brackets,
# an input edited in place, a dtype, the wrong tensor hooked, an off-by-one split, a wrong count


def predicted_token(model, cache, tokens):
    with torch.no_grad():
        predicted = model(tokens).argmax(dim=-1)
    return _attribution(model, cache, slice(None, -1), predicted[:, :-1])


def summed_over_heads(model, cache, tokens):
    return reference.head_logit_attribution(model, cache, tokens).sum(dim=-1)


def layers_and_heads_flattened(model, cache, tokens):
    return reference.head_logit_attribution(model, cache, tokens).flatten(2)


def gap_reversed(loss, clean_loss, corrupted_loss):
    return (corrupted_loss - loss) / (clean_loss - corrupted_loss)


def missing_brackets(loss, clean_loss, corrupted_loss):
    return corrupted_loss - loss / (corrupted_loss - clean_loss)


def averaged_over_the_losses(loss, clean_loss, corrupted_loss):
    return ((corrupted_loss - loss) / (corrupted_loss - clean_loss)).mean()


def edits_the_loss_in_place(loss, clean_loss, corrupted_loss):
    loss -= corrupted_loss
    loss /= clean_loss - corrupted_loss
    return loss


def metric_in_float32(loss, clean_loss, corrupted_loss):
    return ((corrupted_loss - loss) / (corrupted_loss - clean_loss)).float()


patch_previous_position = _patch(lambda position, head: (slice(None), slice(None) if position is None else position - 1, head))
zero_position_taken_for_none = _patch(lambda position, head: (slice(None), position or slice(None), head))


def patch_the_values(model, tokens, source_cache, layer, head, position=None):
    where = slice(None) if position is None else position

    def hook(v, hook_point):
        v = v.clone()
        v[:, where, head] = source_cache["v", layer][:, where, head]
        return v
    with torch.no_grad():
        return model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.{layer}.attn.hook_v", hook)])


def _sender_change(model, tokens, sender_head, sender_z):
    _, cache = model.run_with_cache(tokens)
    return (sender_z - cache["z", 0][:, :, sender_head]) @ model.blocks[0].attn.W_O[sender_head]


def change_in_the_residual_stream(model, tokens, sender_head, sender_z, receiver):
    delta = _sender_change(model, tokens, sender_head, sender_z)
    with torch.no_grad():
        return model.run_with_hooks(tokens, fwd_hooks=[("blocks.1.hook_resid_pre", lambda x, hook: x + delta)])


def every_receiver(model, tokens, sender_head, sender_z, receiver):
    delta = _sender_change(model, tokens, sender_head, sender_z)
    attn1 = model.blocks[1].attn

    def through(W):
        return lambda x, hook: x + torch.einsum("bpd,hde->bphe", delta, W)
    with torch.no_grad():
        return model.run_with_hooks(tokens, fwd_hooks=[("blocks.1.attn.hook_q", through(attn1.W_Q)),
                                                       ("blocks.1.attn.hook_k", through(attn1.W_K)),
                                                       ("blocks.1.attn.hook_v", through(attn1.W_V))])


def change_without_W_O(model, tokens, sender_head, sender_z, receiver):
    _, cache = model.run_with_cache(tokens)
    delta = sender_z - cache["z", 0][:, :, sender_head]  # [batch, pos, d_head]: W_O forgotten
    W = {"q": model.blocks[1].attn.W_Q, "k": model.blocks[1].attn.W_K, "v": model.blocks[1].attn.W_V}[receiver]
    with torch.no_grad():
        return model.run_with_hooks(tokens, fwd_hooks=[(f"blocks.1.attn.hook_{receiver}",
                                                        lambda x, hook: x + torch.einsum("bpd,hde->bphe", delta, W))])


def batch_not_summed(clean_z, corrupted_z, gradient):
    return ((clean_z - corrupted_z) * gradient).sum(dim=-1)


def summed_over_positions(clean_z, corrupted_z, gradient):
    return ((clean_z - corrupted_z) * gradient).sum(dim=(1, 3))


def difference_in_place(clean_z, corrupted_z, gradient):
    change = clean_z
    change -= corrupted_z
    return (change * gradient).sum(dim=(0, 3))


def split_one_row_early(features, labels, n_classes, n_train):
    probe = fit_linear_probe(features[: n_train - 1], labels[: n_train - 1], n_classes)
    return (probe(features[n_train - 1:]) == labels[n_train - 1:]).float().mean().item()


def number_right(features, labels, n_classes, n_train):
    probe = fit_linear_probe(features[:n_train], labels[:n_train], n_classes)
    return (probe(features[n_train:]) == labels[n_train:]).sum().item()


def divided_by_every_row(features, labels, n_classes, n_train):
    probe = fit_linear_probe(features[:n_train], labels[:n_train], n_classes)
    return (probe(features[n_train:]) == labels[n_train:]).sum().item() / len(features)


def cached_the_wrong_tokens(model, tokens, source_tokens, keep):
    return reference.resample_ablate_except(model, tokens, tokens, keep)


only_layer_1_hooked = _ablate(lambda source, layer, head, z: source["z", layer][:, :, head] if layer == 1 else z[:, :, head])


def kept_heads_ablated_too(model, tokens, source_tokens, keep):  # the test against keep forgotten
    return _ablate(lambda source, layer, head, z: source["z", layer][:, :, head])(model, tokens, source_tokens, [])


def pairs_read_as_head_layer(model, tokens, source_tokens, keep):
    return reference.resample_ablate_except(model, tokens, source_tokens, [(head, layer) for layer, head in keep])


WRONG_ANSWERS[checks.check_head_logit_attribution] += [(predicted_token, "the token the model predicts"),
                                                       (summed_over_heads, "summed over the heads"),
                                                       (layers_and_heads_flattened, "flattened")]
WRONG_ANSWERS[checks.check_normalised_metric] += [(gap_reversed, "sign is reversed"), (missing_brackets, "brackets"),
                                                  (averaged_over_the_losses, "one value per loss"),
                                                  (edits_the_loss_in_place, "changed its input `loss` in place"),
                                                  (metric_in_float32, "wrong dtype: expected torch.float64")]
WRONG_ANSWERS[checks.check_patch_head] += [(patch_previous_position, "you patched position 2"),
                                           (zero_position_taken_for_none, "position 0 was taken for None"),
                                           (patch_the_values, "values v")]
WRONG_ANSWERS[checks.check_path_patch] += [(change_in_the_residual_stream, "every path changed"),
                                           (every_receiver, "changed layer 1's q, k and v"),
                                           (change_without_W_O, r"z @ W_O\[sender\]")]
WRONG_ANSWERS[checks.check_attribution_patch] += [(batch_not_summed, "sum over the batch too"),
                                                  (summed_over_positions, "summed over the positions"),
                                                  (difference_in_place, "changed its input `clean_z` in place")]
WRONG_ANSWERS[checks.check_probe_accuracy] += [(split_one_row_early, "off by one"), (number_right, "how many test rows"),
                                               (divided_by_every_row, "divided by every row")]
WRONG_ANSWERS[checks.check_resample_ablate_except] += [(cached_the_wrong_tokens, "source_tokens, not on tokens"),
                                                       (only_layer_1_hooked, "only layer 1"),
                                                       (kept_heads_ablated_too, "the kept ones too"),
                                                       (pairs_read_as_head_layer, r"\(head, layer\)")]

CASES, IDS = wrong_answer_cases(WRONG_ANSWERS)


@pytest.mark.parametrize("check, wrong, message", CASES, ids=IDS)
def test_a_wrong_answer_is_rejected_with_a_message_that_names_it(check, wrong, message):
    assert_rejected(check, wrong, message)
