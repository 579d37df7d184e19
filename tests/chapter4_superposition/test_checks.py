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


def batch_above_sparsity(batch_size, probability, generator):
    """Present where the second draw is above the sparsity S = 1 - p: the right rate, other numbers."""
    shape = (batch_size, *probability.shape)
    values = torch.rand(shape, generator=generator)
    return values * (torch.rand(shape, generator=generator) > 1 - probability)


def batch_one_mask(batch_size, probability, generator):
    """One presence mask, [instances, features], for every sample of the batch."""
    values = torch.rand((batch_size, *probability.shape), generator=generator)
    return values * (torch.rand(probability.shape, generator=generator) < probability)


def batch_ignoring_the_generator(batch_size, probability, generator):
    shape = (batch_size, *probability.shape)
    values = torch.rand(shape, generator=generator)
    return values * (torch.rand(shape) < probability)  # the global generator


def batch_last(batch_size, probability, generator):
    shape = (*probability.shape, batch_size)
    values = torch.rand(shape, generator=generator)
    return values * (torch.rand(shape, generator=generator) < probability[..., None])


def batch_float64(batch_size, probability, generator):
    shape = (batch_size, *probability.shape)
    values = torch.rand(shape, generator=generator, dtype=torch.float64)
    return values * (torch.rand(shape, generator=generator, dtype=torch.float64) < probability)


WRONG_ANSWERS[checks.check_generate_batch] = [
    (batch_dense, "every feature is present"),
    (batch_inverted, r"present \d+% of the time; it should be present when rand < feature_probability"),
    (batch_mask_first, "this draws the presence mask first; draw the values first"),
    (batch_gaussian, r"values must lie in \[0, 1\)"),
    (batch_above_sparsity, r"present where the second draw is below feature_probability \(rand < p\), not above 1 - p"),
    (batch_one_mask, "every sample has the same presence mask"),
    (batch_ignoring_the_generator, "two generators seeded alike gave two different batches"),
    (batch_last, "the batch dimension comes first"),
    (batch_float64, "wrong dtype: expected torch.float32, got torch.float64"),
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


def forward_relu_on_hidden(W, b, x):
    hidden = torch.relu(torch.einsum("bif,ihf->bih", x, W))
    return torch.relu(torch.einsum("bih,ihf->bif", hidden, W) + b)


def forward_hidden_only(W, b, x):
    return torch.relu(torch.einsum("bif,ihf->bih", x, W))


def forward_mixing_instances(W, b, x):
    hidden = torch.einsum("bif,ihf->bh", x, W)  # i left out of the output: summed over instances
    return torch.relu(torch.einsum("bh,ihf->bif", hidden, W) + b)


WRONG_ANSWERS[checks.check_toy_forward] = [
    (forward_without_relu, "apply the ReLU last"),
    (forward_without_bias, "the bias b is missing"),
    (forward_bias_after_relu, "add b before the ReLU"),
    (forward_transposed_decoder, "the decoder reads the features in reverse order"),
    (forward_relu_on_hidden, "the ReLU goes on the output, after decoding and adding b, not on the hidden vector"),
    (forward_hidden_only, "the hidden vector W x; decode it with Wᵀ"),
    (forward_mixing_instances, "the instances are mixed"),
]


# --- 4.3 importance_weighted_loss ------------------------------------------------------------


def loss_in_place(out, x, imp):
    out -= x
    return (imp * out**2).mean(dim=(0, 2))


WRONG_ANSWERS[checks.check_importance_weighted_loss] = [
    (lambda out, x, imp: ((out - x) ** 2).mean(dim=(0, 2)), "importance is not applied"),
    (lambda out, x, imp: (imp * (out - x) ** 2).mean(dim=0).sum(-1), "sum over features"),
    (lambda out, x, imp: (imp * (out - x) ** 2).mean(), "return one loss per instance"),
    (lambda out, x, imp: (imp * (out - x).abs()).mean(dim=(0, 2)), "square the errors"),
    (lambda out, x, imp: (imp * (out - x) ** 2).mean(dim=(0, 1)), "averages over the batch and the instances"),
    (lambda out, x, imp: (imp * (out - x) ** 2).mean(dim=0), "averages over the batch only; average over the features too"),
    (lambda out, x, imp: (imp * (out - x) ** 2).sum(dim=0).mean(-1), "the sum over the batch; take the mean"),
    (lambda out, x, imp: ((imp * out - x) ** 2).mean(dim=(0, 2)), "multiply the squared error per feature, not the output"),
    (lambda out, x, imp: ((imp * (out - x)) ** 2).mean(dim=(0, 2)), "squares the importance too"),
    (loss_in_place, "changed its input `output` in place"),
]


# --- 4.4 train_toy_model ---------------------------------------------------------------------


def wrong_training_loop(zero_grad=True, reseed_every_step=False, reduce="sum", seeded=True,
                        optimizer=lambda W, b, lr: torch.optim.Adam([W, b], lr=lr), optimizer_every_step=False):
    """The reference loop with one mistake switched on."""
    make_optimizer = optimizer

    def train(W, b, probability, importance, n_steps, batch_size=1024, lr=5e-3, seed=0):
        generator = torch.Generator().manual_seed(seed) if seeded else torch.Generator()
        optimizer = make_optimizer(W, b, lr)
        losses = []
        for _ in range(n_steps):
            if reseed_every_step:
                generator = torch.Generator().manual_seed(seed)
            if optimizer_every_step:
                optimizer = make_optimizer(W, b, lr)
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
train_unseeded = wrong_training_loop(seeded=False)
train_with_sgd = wrong_training_loop(optimizer=lambda W, b, lr: torch.optim.SGD([W, b], lr=lr))
train_ignoring_lr = wrong_training_loop(optimizer=lambda W, b, lr: torch.optim.Adam([W, b]))
train_only_W = wrong_training_loop(optimizer=lambda W, b, lr: torch.optim.Adam([W], lr=lr))
train_new_optimizer_every_step = wrong_training_loop(optimizer_every_step=True)


def train_a_copy(W, b, *args, **kwargs):
    return ref.train_toy_model(W.detach().clone().requires_grad_(True), b.detach().clone().requires_grad_(True), *args, **kwargs)


def train_returning_tensors(W, b, probability, importance, n_steps, batch_size=1024, lr=5e-3, seed=0):
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam([W, b], lr=lr)
    losses = []
    for _ in range(n_steps):
        x = ref.generate_batch(batch_size, probability, generator)
        loss = ref.importance_weighted_loss(ref.toy_forward(W, b, x), x, importance).sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss)
    return losses


def train_without_step(W, b, probability, importance, n_steps, batch_size=1024, lr=5e-3, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return [
        ref.importance_weighted_loss(ref.toy_forward(W, b, x := ref.generate_batch(batch_size, probability, generator)), x, importance).sum().item()
        for _ in range(n_steps)
    ]


def train_recording_the_loss_after_the_step(W, b, probability, importance, n_steps, batch_size=1024, lr=5e-3, seed=0):
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam([W, b], lr=lr)
    losses = []
    for _ in range(n_steps):
        x = ref.generate_batch(batch_size, probability, generator)
        optimizer.zero_grad()
        ref.importance_weighted_loss(ref.toy_forward(W, b, x), x, importance).sum().backward()
        optimizer.step()
        losses.append(ref.importance_weighted_loss(ref.toy_forward(W, b, x), x, importance).sum().item())  # after
    return losses


WRONG_ANSWERS[checks.check_train_toy_model] = [
    (train_without_zero_grad, r"the gradients add up from step to step: call optimizer.zero_grad\(\)"),
    (train_reseeding_every_step, r"every step draws the same batch: seed the generator once"),
    (train_mean_over_instances, r"averages the per-instance losses; sum them"),
    (train_without_step, r"W did not change: call loss.backward\(\) and optimizer.step\(\)"),
    (train_unseeded, "seed the generator with seed"),
    (train_with_sgd, "plain gradient descent; use torch.optim.Adam"),
    (train_ignoring_lr, "the learning rate is not lr"),
    (train_only_W, r"b did not change: train it with W"),
    (train_new_optimizer_every_step, "create the optimizer once, before the loop"),
    (train_a_copy, "the losses are right but W did not change: train W and b themselves"),
    (train_returning_tensors, r"one Python float per step \(loss.item\(\)\)"),
    (train_recording_the_loss_after_the_step, r"losses after each step's update; .*before optimizer.step\(\)"),
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


def dimensionality_with(numerator=lambda norms: norms**2, overlap=lambda W_hat, W: torch.einsum("ihf,ihg->ifg", W_hat, W) ** 2,
                        dim=1):
    """D_i written out, with one mistake switched on."""

    def D(W):
        norms = W.norm(dim=dim, keepdim=True)
        W_hat = W / norms.clamp(min=1e-12)
        numerator_ = numerator(norms[:, 0])
        return numerator_ / overlap(W_hat, W).sum(-1).clamp(min=1e-12)

    return D


def dimensionality_in_place(W):
    norms = W.norm(dim=1, keepdim=True)
    squared_norms = norms[:, 0] ** 2
    W /= norms.clamp(min=1e-12)  # W_hat, in the caller's tensor
    overlaps = torch.einsum("ihf,ihg->ifg", W, W * norms)
    return squared_norms / (overlaps**2).sum(-1).clamp(min=1e-12)


WRONG_ANSWERS[checks.check_feature_dimensionality] = [
    (dimensionality_unclamped, "got nan or inf"),
    (dimensionality_unnormalised, "normalise W_i in the overlaps"),
    (dimensionality_excluding_self, "the sum over j must include j = i"),
    (dimensionality_with(numerator=lambda norms: norms), "square the norm in the numerator"),
    (dimensionality_with(overlap=lambda W_hat, W: torch.einsum("ihf,ihg->ifg", W_hat, W).abs()), "square each overlap before summing"),
    (dimensionality_with(dim=2), r"these norms are over the features \(dim=2\); W_i is a column of W"),
    (dimensionality_with(overlap=lambda W_hat, W: torch.einsum("ihf,ihg->ifg", W, W_hat) ** 2), "this normalises W_j; normalise W_i"),
    (dimensionality_with(overlap=lambda W_hat, W: torch.einsum("ihf,ihg->ifg", W_hat, W_hat) ** 2), r"not \(Ŵ_i · Ŵ_j\)"),
    (dimensionality_in_place, "changed its input `W` in place"),
]


CASES, CASE_IDS = wrong_answer_cases(WRONG_ANSWERS)


@pytest.mark.parametrize("check, wrong, message", CASES, ids=CASE_IDS)
def test_wrong_answers_are_rejected_with_a_precise_message(check, wrong, message):
    assert_rejected(check, wrong, message)
