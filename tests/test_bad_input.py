"""Bad input to the course's functions gets a clear error that names the argument and says
what was expected: not a silent NaN or empty result, not a negative index counted from the
end, not a traceback from deep inside einsum, not an allocation that exhausts memory.

Each case was a probe of the issue "clear errors for bad input"; before the fix, each of them
returned something or failed with an unrelated message.
"""

import pytest
import torch

from interp_course.chapter1_grokking.runs import GrokkingConfig
from interp_course.chapter2_fourier import analysis as fourier_analysis
from interp_course.chapter5_induction.runs import InductionConfig
from interp_course.core.training import TrainingConfig
from solutions import chapter1_grokking as s1
from solutions import chapter2_fourier as s2
from solutions import chapter3_progress as s3
from solutions import chapter4_superposition as s4
from solutions import chapter5_induction as s5


def generator():
    return torch.Generator().manual_seed(0)


def toy(instances=2, n_hidden=2, n_features=5, trainable=False):
    """W [instances, n_hidden, n_features], b [instances, n_features], features [3, instances, n_features]."""
    W = torch.randn(instances, n_hidden, n_features, generator=generator())
    b = torch.zeros(instances, n_features)
    if trainable:
        W.requires_grad_()
        b.requires_grad_()
    return W, b, torch.rand(3, instances, n_features, generator=generator())


PROBABILITY = torch.full((2, 5), 0.1)
IMPORTANCE = torch.ones(2, 5)
PATTERN = torch.rand(2, 4, 10, 10, generator=generator()).softmax(dim=-1)  # [batch, head, 2 * 5, 2 * 5]
SPECTRUM = torch.rand(57, dtype=torch.float64, generator=generator())  # p = 113


@pytest.fixture(scope="module")
def model():
    """An untrained induction model: 2 layers of 4 heads."""
    return InductionConfig().build_model()


@pytest.fixture(scope="module")
def tokens():
    return s5.repeated_tokens(2, 5, 64, generator())


CASES = {
    # --- degenerate inputs that gave NaN or an empty result -----------------------------------
    "split with no training example": (lambda: s1.train_test_split(2, 0.1, 0), ValueError,
                                       r"train_fraction = 0.1 of n = 2 gives 0 training and 2 test examples"),
    "split with no test example": (lambda: s1.train_test_split(2, 0.9, 0), ValueError, r"2 training and 0 test"),
    "run with no training pair": (lambda: GrokkingConfig(p=5, train_fraction=0.01), ValueError,
                                  r"GrokkingConfig.train_fraction = 0.01 .* gives 0 training and 25 test pairs"),
    "loss of an empty batch": (lambda: s1.final_position_loss(torch.zeros(0, 3, 5), torch.zeros(0, dtype=torch.long)),
                               ValueError, r"logits is empty \(shape \(0, 3, 5\)\)"),
    "first step of an empty history": (lambda: s1.first_step_reaching(torch.zeros(0), torch.zeros(0), 0.5),
                                       ValueError, r"steps is empty"),
    "gini of zeros": (lambda: s3.gini(torch.zeros(5)), ValueError, r"values must not be all zero"),
    "gini of a row of zeros": (lambda: s3.gini(torch.tensor([[1.0, 2.0], [0.0, 0.0]])), ValueError, r"not be all zero"),
    "non-square pattern (previous token)": (lambda: s5.previous_token_score(torch.rand(2, 4, 5, 6)), ValueError,
                                            r"pattern must be square .* got shape \(2, 4, 5, 6\)"),
    "non-square pattern (induction)": (lambda: s5.induction_score(torch.rand(2, 4, 9, 10), 5), ValueError,
                                       r"pattern must be square"),
    "seq_len 0": (lambda: s5.induction_score(PATTERN, 0), ValueError, r"seq_len must be at least 1, got 0"),
    "seq_len negative": (lambda: s5.induction_score(PATTERN, -2), ValueError, r"seq_len must be at least 1, got -2"),
    "toy batch of none": (lambda: s4.toy_forward(*toy()[:2], torch.rand(0, 2, 5)), ValueError, r"features is empty"),
    "toy loss of an empty batch": (lambda: s4.importance_weighted_loss(torch.rand(0, 2, 5), torch.rand(0, 2, 5), IMPORTANCE),
                                   ValueError, r"output is empty"),
    "repeated tokens, batch of none": (lambda: s5.repeated_tokens(0, 5, 10, generator()), ValueError,
                                       r"batch_size must be at least 1, got 0"),
    "ablation on an empty batch": ("model_tokens", lambda m, t: s5.ablated_repeat_loss(m, t[:0], 1, 0, 5), ValueError,
                                   r"tokens is empty"),
    "no frequency": (lambda: s3.sum_directions(7, []), ValueError, r"frequencies must name at least one frequency"),
    # --- negative indices that wrapped to the last one ----------------------------------------
    "head -1 (ablation)": ("model_tokens", lambda m, t: s5.ablated_repeat_loss(m, t, 1, -1, 5), ValueError,
                           r"head must be in 0..1 \(there are 2 heads\), got -1"),
    "layer -1 (ablation)": ("model_tokens", lambda m, t: s5.ablated_repeat_loss(m, t, -1, 0, 5), ValueError,
                            r"layer must be in 0..1 \(there are 2 layers\), got -1"),
    "head 99 (ablation)": ("model_tokens", lambda m, t: s5.ablated_repeat_loss(m, t, 1, 99, 5), ValueError,
                           r"head must be in 0..1"),
    "head -1 (copying)": ("model_tokens", lambda m, t: s5.copying_score(m, 1, -1), ValueError, r"head must be in 0..1"),
    "head 2 (composed attention)": ("model_tokens", lambda m, t: s5.composed_attention(m, t, 0, 2), ValueError,
                                    r"head must be in 0..1 \(there are 2 heads\), got 2"),
    "previous head -1 (composed attention)": ("model_tokens", lambda m, t: s5.composed_attention(m, t, -1, 0), ValueError,
                                              r"head must be in 0..1"),
    "late beyond the context (in-context learning)": ("model_tokens", lambda m, t: s5.in_context_learning_score(m, t, 1, 10),
                                                      ValueError, r"late must be a position of tokens, below pos = 10, got 10"),
    "early 0 (in-context learning)": ("model_tokens", lambda m, t: s5.in_context_learning_score(m, t, 0, 5), ValueError,
                                      r"early must be at least 1, got 0"),
    "late before early (in-context learning)": ("model_tokens", lambda m, t: s5.in_context_learning_score(m, t, 5, 3),
                                                ValueError, r"late must be at least 6, got 3"),
    "frequency -1 (share of spectrum)": (lambda: fourier_analysis.share_of_spectrum(SPECTRUM, [-1]), ValueError,
                                         r"frequencies must lie in 1..56 for p = 113, got \[-1\]"),
    "frequency -1 (product terms)": (lambda: fourier_analysis.product_terms(torch.rand(7, 7, 7, dtype=torch.float64), -1),
                                     ValueError, r"frequency must be in 1..3 for p = 7, got -1"),
    "frequency 0 (wave fit)": (lambda: fourier_analysis.fit_wave(torch.rand(7, dtype=torch.float64), 0), ValueError,
                               r"frequency must be in 1..3"),
    "frequency -1 (fraction of variance)": (lambda: s2.frequency_fve(torch.rand(7, 7, 3, dtype=torch.float64), -1),
                                            ValueError, r"frequency must be in 1..3 for p = 7, got -1"),
    "top -1 frequencies": (lambda: fourier_analysis.top_frequencies(SPECTRUM, -1), ValueError, r"n must be at least 0"),
    # --- duplicate frequencies, counted twice ---------------------------------------------------
    "duplicate frequencies (idealised logits)": (lambda: s2.idealised_logits(7, [1, 1], torch.ones(2, dtype=torch.float64)),
                                                 ValueError, r"frequencies must not repeat a frequency .* got \[1, 1\]"),
    "duplicate frequencies (keep)": (lambda: s2.keep_frequencies(torch.rand(7, 7, dtype=torch.float64), s2.fourier_basis(7), [2, 2]),
                                     ValueError, r"must not repeat"),
    "duplicate frequencies (directions)": (lambda: s3.sum_directions(7, [2, 2]), ValueError, r"must not repeat"),
    # --- chapter 4 and 5 exercises: a named argument, not einsum's or torch's traceback --------
    "bias of the wrong length": (lambda: s4.toy_forward(toy()[0], torch.zeros(2, 3), toy()[2]), ValueError,
                                 r"b must have shape \(2, 5\), got \(2, 3\)"),
    "bias that would broadcast": (lambda: s4.toy_forward(toy()[0], torch.zeros(2, 1), toy()[2]), ValueError,
                                  r"b must have shape \(2, 5\), got \(2, 1\)"),
    "W without the instance dimension": (lambda: s4.toy_forward(torch.randn(2, 5), torch.zeros(5), torch.rand(3, 5)),
                                         ValueError, r"W must have 3 dimensions, got shape \(2, 5\)"),
    "features of another width": (lambda: s4.toy_forward(*toy()[:2], torch.rand(3, 2, 4)), ValueError,
                                  r"features must have shape \(\*, 2, 5\), got \(3, 2, 4\)"),
    "float64 features, float32 weights": (lambda: s4.toy_forward(*toy()[:2], torch.rand(3, 2, 5, dtype=torch.float64)),
                                          TypeError, r"W and features must have the same dtype"),
    "integer features": (lambda: s4.toy_forward(*toy()[:2], torch.ones(3, 2, 5, dtype=torch.long)), TypeError,
                         r"features must hold floating-point numbers"),
    "loss of mismatched shapes": (lambda: s4.importance_weighted_loss(torch.rand(3, 2, 5), torch.rand(3, 2, 4), IMPORTANCE),
                                  ValueError, r"features must have shape \(3, 2, 5\), got \(3, 2, 4\)"),
    "float64 importance": (lambda: s4.importance_weighted_loss(torch.rand(3, 2, 5), torch.rand(3, 2, 5), IMPORTANCE.double()),
                           TypeError, r"importance is torch.float64"),
    "NaN importance": (lambda: s4.importance_weighted_loss(torch.rand(3, 2, 5), torch.rand(3, 2, 5), torch.full((2, 5), float("nan"))),
                       ValueError, r"importance holds NaN or inf"),
    "dimensionality of a 2-d W": (lambda: s4.feature_dimensionality(torch.randn(2, 5)), ValueError,
                                  r"W must have 3 dimensions"),
    "training, no steps": (lambda: s4.train_toy_model(*toy(trainable=True)[:2], PROBABILITY, IMPORTANCE, -1), ValueError,
                           r"n_steps must be at least 1, got -1"),
    "training, infinite lr": (lambda: s4.train_toy_model(*toy(trainable=True)[:2], PROBABILITY, IMPORTANCE, 2, lr=float("inf")),
                              ValueError, r"lr must be a finite number"),
    "training, NaN importance": (lambda: s4.train_toy_model(*toy(trainable=True)[:2], PROBABILITY, torch.full((2, 5), float("nan")), 2),
                                 ValueError, r"importance holds NaN"),
    "training weights without gradients": (lambda: s4.train_toy_model(*toy()[:2], PROBABILITY, IMPORTANCE, 2), ValueError,
                                           r"W must be a leaf tensor with requires_grad=True"),
    "probabilities above 1": (lambda: s4.generate_batch(4, torch.full((2, 5), 1.5), generator()), ValueError,
                              r"feature_probability must hold probabilities, in \[0, 1\]"),
    "repeated tokens, negative batch": (lambda: s5.repeated_tokens(-1, 5, 10, generator()), ValueError,
                                        r"batch_size must be at least 1, got -1"),
    "tokens of another length": ("model_tokens", lambda m, t: s5.ablated_repeat_loss(m, t, 1, 0, 7), ValueError,
                                 r"tokens must have shape \(\*, 14\), got \(2, 10\)"),
    # --- wrong types, with a message about the type --------------------------------------------
    "seq_len as a string": (lambda: s5.induction_score(PATTERN, "3"), TypeError, r"seq_len must be an integer, got str '3'"),
    "layer as a string": ("model_tokens", lambda m, t: s5.copying_score(m, "1", 0), TypeError,
                          r"layer must be an integer, got str '1'"),
    "beta1 as a string": (lambda: TrainingConfig(n_steps=5, beta1="0.9"), TypeError,
                          r"TrainingConfig.beta1 must be a number, got str '0.9'"),
    "infinite learning rate": (lambda: TrainingConfig(n_steps=5, lr=float("inf")), ValueError,
                               r"TrainingConfig.lr must be a finite number"),
    "NaN learning rate": (lambda: TrainingConfig(n_steps=5, lr=float("nan")), ValueError,
                          r"TrainingConfig.lr must be a finite number"),
    "frequencies as a string": (lambda: s3.sum_directions(7, "12"), TypeError, r"frequencies must be a list of integers"),
    # --- sizes that cannot fit in memory are refused before anything is allocated --------------
    "a billion toy samples": (lambda: s4.generate_batch(10**9, PROBABILITY, generator()), ValueError,
                              r"batch_size = 1000000000 would make a tensor of shape \(1000000000, 2, 5\).*Use a smaller size"),
    "a billion repeated sequences": (lambda: s5.repeated_tokens(10**9, 1000, 10, generator()), ValueError,
                                     r"would make a tensor .* the course never needs more than"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_a_clear_error(case, request):
    entry = CASES[case]
    if entry[0] == "model_tokens":
        _, call, error, message = entry
        run = lambda: call(request.getfixturevalue("model"), request.getfixturevalue("tokens"))  # noqa: E731
    else:
        run, error, message = entry
    with pytest.raises(error, match=message):
        run()


def test_good_input_still_works(model, tokens):
    """The same functions, given what their docstrings ask for."""
    W, b, features = toy(trainable=True)
    assert s4.toy_forward(W, b, features).shape == (3, 2, 5)
    assert len(s4.train_toy_model(W, b, PROBABILITY, IMPORTANCE, 2)) == 2
    assert s4.generate_batch(4, PROBABILITY, generator()).shape == (4, 2, 5)
    assert s5.induction_score(PATTERN, 5).shape == (4,)
    assert isinstance(s5.ablated_repeat_loss(model, tokens, 1, 1, 5), float)
    assert s2.idealised_logits(7, [1, 3], torch.ones(2, dtype=torch.float64)).shape == (49, 7)
    assert fourier_analysis.top_frequencies(SPECTRUM, 56) == list(range(1, 57))
    # a run that found no key frequency (one that did not grok) still gets its numbers
    assert fourier_analysis.share_of_spectrum(SPECTRUM, []) == 0.0
    assert fourier_analysis.top_frequencies(SPECTRUM, 0) == []
