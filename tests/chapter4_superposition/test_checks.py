"""The checks of chapter 4 reject plausible wrong answers with a message that says what is wrong
(the contract every check keeps, reference / stub / strict, is tested in
tests/test_exercise_contract.py)."""

import pytest
import torch

from interp_course.chapter4_superposition import checks
from tests.test_exercise_contract import assert_rejected, wrong_answer_cases
from solutions import chapter4_superposition as ref

WRONG_ANSWERS: dict = {}
"""{check: [(wrong function, regex its failure message must match), ...]}"""


# --- 4.1 generate_batch ----------------------------------------------------------------------


def batch_dense(batch_size, probability, generator):
    return torch.rand((batch_size, *probability.shape), generator=generator)


def batch_inverted(batch_size, probability, generator):
    shape = (batch_size, *probability.shape)
    values = torch.rand(shape, generator=generator)
    return values * (torch.rand(shape, generator=generator) > probability)


def batch_mask_first(batch_size, probability, generator):
    shape = (batch_size, *probability.shape)
    present = torch.rand(shape, generator=generator) < probability
    return torch.rand(shape, generator=generator) * present


def batch_gaussian(batch_size, probability, generator):
    shape = (batch_size, *probability.shape)
    values = torch.randn(shape, generator=generator)
    return values * (torch.rand(shape, generator=generator) < probability)


WRONG_ANSWERS[checks.check_generate_batch] = [
    (batch_dense, "every feature is present"),
    (batch_inverted, r"present \d+% of the time; it should be present when rand < feature_probability"),
    (batch_mask_first, "draw the values first and then the presence mask"),
    (batch_gaussian, r"values must lie in \[0, 1\)"),
]


# --- 4.2 toy_forward -------------------------------------------------------------------------


def forward_without_relu(W, b, x):
    return torch.einsum("bih,ihf->bif", torch.einsum("bif,ihf->bih", x, W), W) + b


def forward_without_bias(W, b, x):
    return ref.toy_forward(W, torch.zeros_like(b), x)


def forward_bias_after_relu(W, b, x):
    return ref.toy_forward(W, torch.zeros_like(b), x) + b


def forward_transposed_decoder(W, b, x):
    hidden = torch.einsum("bif,ihf->bih", x, W)
    return torch.relu(torch.einsum("bih,ihf->bif", hidden, W.flip(-1)) + b)


WRONG_ANSWERS[checks.check_toy_forward] = [
    (forward_without_relu, "apply the ReLU last"),
    (forward_without_bias, "the bias b is missing"),
    (forward_bias_after_relu, "add b before the ReLU"),
    (forward_transposed_decoder, "wrong values"),
]


# --- 4.3 importance_weighted_loss ------------------------------------------------------------


WRONG_ANSWERS[checks.check_importance_weighted_loss] = [
    (lambda out, x, imp: ((out - x) ** 2).mean(dim=(0, 2)), "importance is not applied"),
    (lambda out, x, imp: (imp * (out - x) ** 2).mean(dim=0).sum(-1), "sum over features"),
    (lambda out, x, imp: (imp * (out - x) ** 2).mean(), "return one loss per instance"),
    (lambda out, x, imp: (imp * (out - x).abs()).mean(dim=(0, 2)), "square the errors"),
]


# --- 4.4 train_toy_model ---------------------------------------------------------------------


def wrong_training_loop(zero_grad=True, reseed_every_step=False, reduce="sum"):
    """The reference loop with one mistake switched on."""

    def train(W, b, probability, importance, n_steps, batch_size=1024, lr=5e-3, seed=0):
        generator = torch.Generator().manual_seed(seed)
        optimizer = torch.optim.Adam([W, b], lr=lr)
        losses = []
        for _ in range(n_steps):
            if reseed_every_step:
                generator = torch.Generator().manual_seed(seed)
            x = ref.generate_batch(batch_size, probability, generator)
            loss = getattr(ref.importance_weighted_loss(ref.toy_forward(W, b, x), x, importance), reduce)()
            if zero_grad:
                optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        return losses

    return train


train_without_zero_grad = wrong_training_loop(zero_grad=False)
train_reseeding_every_step = wrong_training_loop(reseed_every_step=True)
train_mean_over_instances = wrong_training_loop(reduce="mean")


def train_without_step(W, b, probability, importance, n_steps, batch_size=1024, lr=5e-3, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return [
        ref.importance_weighted_loss(ref.toy_forward(W, b, x := ref.generate_batch(batch_size, probability, generator)), x, importance).sum().item()
        for _ in range(n_steps)
    ]


WRONG_ANSWERS[checks.check_train_toy_model] = [
    (train_without_zero_grad, r"agree until step \d+, then differ"),
    (train_reseeding_every_step, r"agree until step 1, then differ"),
    (train_mean_over_instances, r"the first loss is .* sum the per-instance losses"),
    (train_without_step, r"W did not change"),
]


# --- 4.5 feature_dimensionality --------------------------------------------------------------


def dimensionality_excluding_self(W):
    norms = W.norm(dim=1, keepdim=True)
    overlaps = torch.einsum("ihf,ihg->ifg", W / norms.clamp(min=1e-12), W) ** 2
    others = overlaps.sum(-1) - overlaps.diagonal(dim1=1, dim2=2)
    return norms[:, 0] ** 2 / others.clamp(min=1e-12)


def dimensionality_unnormalised(W):
    overlaps = torch.einsum("ihf,ihg->ifg", W, W) ** 2
    return (W**2).sum(1) / overlaps.sum(-1).clamp(min=1e-12)


def dimensionality_unclamped(W):
    norms = W.norm(dim=1, keepdim=True)
    overlaps = torch.einsum("ihf,ihg->ifg", W / norms, W) ** 2
    return norms[:, 0] ** 2 / overlaps.sum(-1)


WRONG_ANSWERS[checks.check_feature_dimensionality] = [
    (dimensionality_unclamped, "got nan or inf"),
    (dimensionality_unnormalised, "normalise W_i in the overlaps"),
    (dimensionality_excluding_self, "the sum over j must include j = i"),
]


CASES, CASE_IDS = wrong_answer_cases(WRONG_ANSWERS)


@pytest.mark.parametrize("check, wrong, message", CASES, ids=CASE_IDS)
def test_wrong_answers_are_rejected_with_a_precise_message(check, wrong, message):
    assert_rejected(check, wrong, message)
