"""The ``arguments`` decorator: a function's argument contracts stated once, at the boundary,
with the errors of the ``require_*`` checks (tested message by message in tests/test_bad_input.py)."""

import inspect

import pytest
import torch

from interp_course.core.transformer import HookedTransformer, TransformerConfig
from interp_course.core.validation import (
    MAX_TENSOR_VALUES,
    arguments,
    attention_pattern,
    fits_in_memory,
    frequency_mod,
    head_index,
    integer,
    layer_index,
    matching_state_dicts,
    prime,
    tensor,
    tokens_for_model,
)


@arguments(logits=tensor("batch pos vocab", float, non_empty=True), labels=tensor("batch", int))
def final_loss(logits, labels):
    """logits: [batch, pos, vocab] float; labels: [batch] int."""
    return -logits[:, -1].log_softmax(-1).gather(-1, labels[:, None]).mean()


def test_a_good_call_runs_the_body_unchanged():
    logits, labels = torch.randn(4, 3, 5), torch.tensor([0, 1, 2, 3])
    assert torch.equal(final_loss(logits, labels), final_loss.__wrapped__(logits, labels))


@pytest.mark.parametrize("logits, labels, error, message", [
    (torch.randn(4, 5), torch.zeros(4, dtype=torch.long), ValueError, r"logits must have 3 dimensions"),
    (torch.randn(4, 3, 5), torch.zeros(3, dtype=torch.long), ValueError, r"labels must have shape \(4,\), got \(3,\)"),
    (torch.randn(4, 3, 5), torch.zeros(4), TypeError, r"labels must hold integers"),
    (torch.zeros(0, 3, 5), torch.zeros(0, dtype=torch.long), ValueError, r"logits is empty"),
    ("logits", torch.zeros(4, dtype=torch.long), TypeError, r"logits must be a torch.Tensor"),
])
def test_a_bad_argument_is_named_with_what_was_expected(logits, labels, error, message):
    with pytest.raises(error, match=message):
        final_loss(logits, labels)


def test_the_body_gets_the_checked_value_and_dependent_and_joint_checks_run():
    seen = []

    def not_zero_and_three(p, k):
        if (p, k) == (7, 3):
            raise ValueError("p = 7 with k = 3 is refused by the joint check")

    @arguments(p=prime, k=lambda p: frequency_mod(p), where=not_zero_and_three)
    def f(p, k):
        seen.append((p, k, type(p)))

    f(torch.tensor(7), 2)
    assert seen == [(7, 2, int)]
    with pytest.raises(ValueError, match="p must be a prime"):
        f(8, 1)
    with pytest.raises(ValueError, match=r"k must be .*1.*3"):
        f(7, 4)
    with pytest.raises(ValueError, match="joint check"):
        f(7, 3)


def test_the_decorated_function_keeps_its_name_signature_and_source():
    assert final_loss.__name__ == "final_loss"
    assert list(inspect.signature(final_loss).parameters) == ["logits", "labels"]
    assert "def final_loss" in inspect.getsource(final_loss.__wrapped__)
    assert set(final_loss.contracts) == {"logits", "labels"}


def test_a_call_with_a_missing_argument_gets_pythons_own_error():
    with pytest.raises(TypeError, match="missing 1 required positional argument"):
        final_loss(torch.randn(2, 2, 2))


def test_a_contract_for_an_argument_the_function_does_not_have_is_refused():
    with pytest.raises(TypeError, match="names 'n', which is not an argument of g"):
        @arguments(n=integer())
        def g(m):
            return m


# --- a dependent contract reads only arguments checked before it --------------------------------


def test_a_dependent_contract_reading_a_later_argument_is_refused_when_the_function_is_defined():
    with pytest.raises(TypeError, match=r"@arguments of h: the contract of 'k' reads 'p', whose own contract "
                                        r"comes after it; list p=\.\.\. before k=\.\.\."):
        @arguments(k=lambda p: frequency_mod(p), p=prime)
        def h(p, k):
            return k


def test_a_dependent_contract_reading_its_own_argument_is_refused():
    with pytest.raises(TypeError, match=r"@arguments of h: the contract of 'k' reads 'k' itself"):
        @arguments(k=lambda k: integer(minimum=k))
        def h(k):
            return k


def test_a_dependent_contract_may_read_an_argument_without_a_contract_and_a_where_check_any():
    def ordered(k, p):  # reads k, whose contract comes after p's
        if k >= p:
            raise ValueError("k must be below p")

    @arguments(k=lambda p: frequency_mod(p), where=ordered)
    def h(p, k):
        return k

    assert h(7, 3) == 3
    with pytest.raises(ValueError, match=r"k must be in 1..3 for p = 7, got 4"):
        h(7, 4)


def test_a_contract_reading_a_name_that_is_not_an_argument_is_refused():
    with pytest.raises(TypeError, match="a contract of h reads 'q', which is not an argument of it"):
        @arguments(k=lambda q: frequency_mod(q))
        def h(p, k):
            return k


# --- where checks given by name, defined after the function -------------------------------------


@arguments(n=integer(), where="_even_check_defined_below")
def halve(n):
    return n // 2


@arguments(n=integer(), where="_no_such_check")
def halve_with_a_missing_check(n):
    return n // 2


def _even_check_defined_below(n):
    if n % 2:
        raise ValueError(f"n must be even, got {n}")


def test_a_where_check_given_by_name_is_looked_up_in_the_module_at_the_call():
    assert halve(4) == 2
    with pytest.raises(ValueError, match="n must be even, got 3"):
        halve(3)
    with pytest.raises(TypeError, match="n must be an integer"):  # the contracts still come first
        halve("3")


def test_a_where_check_that_names_no_function_is_a_clear_error():
    with pytest.raises(NameError, match=r"@arguments of halve_with_a_missing_check: "
                                         r"where='_no_such_check' names no function"):
        halve_with_a_missing_check(4)


# --- the contracts ---------------------------------------------------------------------------------


@arguments(m=tensor("p p", float))
def trace(m):
    return m.trace()


@arguments(basis=tensor("p p", float), values=tensor("p p *", float))
def project(basis, values):
    return values


def test_a_dimension_name_repeated_in_one_tensor_asks_for_a_square():
    assert trace(torch.eye(3)) == 3
    with pytest.raises(ValueError, match=r"m must have shape \(5, 5\), got \(5, 6\)"):
        trace(torch.zeros(5, 6))
    with pytest.raises(ValueError, match=r"m must have 2 dimensions"):
        trace(torch.zeros(5))
    with pytest.raises(TypeError, match=r"m must hold floating-point numbers"):  # the dtype before the square
        trace(torch.zeros(5, 6, dtype=torch.long))
    project(torch.eye(3), torch.zeros(3, 3, 2))
    with pytest.raises(ValueError, match=r"values must have shape \(3, 3, \*\), got \(3, 4, 2\)"):
        project(torch.eye(3), torch.zeros(3, 4, 2))
    with pytest.raises(ValueError, match=r"basis must have shape \(3, 3\), got \(3, 4\)"):
        project(torch.zeros(3, 4), torch.zeros(3, 3, 2))


@arguments(probability=tensor("instances features", float, probabilities=True))
def sample_mask(probability):
    return probability


def test_probabilities_are_each_in_0_1_and_need_not_sum_to_1():
    sample_mask(torch.tensor([[0.0, 1.0, 0.5], [0.9, 0.9, 0.9]]))
    for bad in (torch.full((2, 3), 1.5), torch.full((2, 3), -0.1), torch.full((2, 3), float("nan"))):
        with pytest.raises(ValueError, match=r"probability must hold probabilities, in \[0, 1\]"):
            sample_mask(bad)


@arguments(
    batch_size=integer(minimum=1),
    where=fits_in_memory(lambda batch_size, probability: (batch_size, *probability.shape)),
)
def batch_of(batch_size, probability):
    return batch_size


@arguments(where=fits_in_memory(lambda batch_size, seq_len: (batch_size, 2 * seq_len)))
def tokens_of(batch_size, seq_len):
    return batch_size


def test_fits_in_memory_names_the_integer_arguments_of_a_shape_too_large():
    assert batch_of(4, torch.zeros(2, 5)) == 4
    with pytest.raises(ValueError, match=r"^batch_size = 1000000000 would make a tensor of shape \(1000000000, 2, 5\)"):
        batch_of(10**9, torch.zeros(2, 5))
    with pytest.raises(ValueError, match=r"^batch_size = 100000 and seq_len = 1001 would make a tensor of shape "
                                         r"\(100000, 2002\).* the course never needs more than"):
        tokens_of(100_000, 1001)
    assert 100_000 * 2 * 1000 <= MAX_TENSOR_VALUES and tokens_of(100_000, 1000) == 100_000


@arguments(pattern=attention_pattern(min_positions=2))
def pattern_of(pattern):
    return pattern


def test_an_attention_pattern_is_4_d_square_and_long_enough():
    pattern_of(torch.rand(2, 3, 4, 4))
    with pytest.raises(ValueError, match=r"pattern must be square in its last two dimensions "
                                         r"\[batch, head, query_pos, key_pos\], got shape \(2, 3, 4, 5\)"):
        pattern_of(torch.rand(2, 3, 4, 5))
    with pytest.raises(ValueError, match=r"pattern must cover at least 2 positions, got shape \(2, 3, 1, 1\)"):
        pattern_of(torch.rand(2, 3, 1, 1))
    with pytest.raises(ValueError, match=r"pattern must have 4 dimensions"):
        pattern_of(torch.rand(3, 4, 4))
    with pytest.raises(ValueError, match=r"pattern is empty"):
        pattern_of(torch.rand(0, 3, 4, 4))


@pytest.fixture(scope="module")
def model():
    """2 layers of 3 heads, a vocabulary of 10 tokens, a context of 6."""
    cfg = TransformerConfig(d_vocab=10, n_ctx=6, d_model=8, n_layers=2, n_heads=3, d_head=4, d_mlp=16)
    return HookedTransformer(cfg, seed=0)


@arguments(layer=layer_index, head=head_index)
def head_at(model, layer, head):
    return layer, head


@arguments(head=lambda model: head_index(model, layer=1))
def head_of_layer_1(model, head):
    return head


@arguments(head=head_index)
def head_in_an_unchecked_layer(model, layer, head):
    return head


def test_layer_and_head_indices_are_in_range_and_never_negative(model):
    assert head_at(model, torch.tensor(1), 2) == (1, 2)
    for layer, head, error, message in [
        (-1, 0, ValueError, r"layer must be in 0..1 \(there are 2 layers\), got -1"),
        (2, 0, ValueError, r"layer must be in 0..1"),
        ("1", 0, TypeError, r"layer must be an integer, got str '1'"),
        (1, -1, ValueError, r"head must be in 0..2 \(there are 3 heads\), got -1"),
        (1, 3, ValueError, r"head must be in 0..2"),
    ]:
        with pytest.raises(error, match=message):
            head_at(model, layer, head)
    assert head_of_layer_1(model, 0) == 0
    with pytest.raises(ValueError, match=r"head must be in 0..2"):
        head_of_layer_1(model, 3)
    with pytest.raises(ValueError, match=r"layer must be in 0..1 \(there are 2 layers\), got 5"):
        head_in_an_unchecked_layer(model, 5, 0)


@arguments(tokens=tokens_for_model)
def read(model, tokens):
    return tokens


@pytest.mark.parametrize("tokens, error, message", [
    (torch.zeros(2, 7, dtype=torch.long), ValueError,
     r"tokens has 7 positions but the model's context is n_ctx=6; expected shape \(batch, pos\) with pos <= 6"),
    (torch.full((2, 3), 10), ValueError, r"tokens must be ids in \[0, 10\) \(d_vocab=10\), got values from 10 to 10"),
    (torch.full((2, 3), -1), ValueError, r"tokens must be ids in \[0, 10\)"),
    (torch.zeros(2, 3), TypeError, r"tokens must hold integers"),
    (torch.zeros(3, dtype=torch.long), ValueError, r"tokens must have 2 dimensions"),
])
def test_tokens_for_a_model_fit_its_vocabulary_and_context_as_the_model_itself_says(model, tokens, error, message):
    with pytest.raises(error, match=message):
        read(model, tokens)
    with pytest.raises(error, match=message):  # the model's own check, word for word
        model(tokens)
    assert read(model, torch.zeros(2, 6, dtype=torch.long)).shape == (2, 6)


@arguments(state_dicts=matching_state_dicts)
def count(state_dicts):
    return len(state_dicts)


def test_matching_state_dicts_have_the_same_names_in_order_and_shapes():
    first = {"W": torch.zeros(2, 3), "b": torch.zeros(3)}
    assert count([first, {"W": torch.ones(2, 3), "b": torch.ones(3)}]) == 2
    for state_dicts, error, message in [
        ([], ValueError, r"state_dicts must be a non-empty list of state dicts, got \[\]"),
        (first, ValueError, r"state_dicts must be a non-empty list of state dicts"),
        ([first, {"W": torch.zeros(2, 3)}], ValueError,
         r"state_dicts\[1\] must have the weights \['W', 'b'\] of state_dicts\[0\]"),
        ([first, {"b": torch.zeros(3), "W": torch.zeros(2, 3)}], ValueError,  # the same names, in another order
         r"state_dicts\[1\] must have the weights"),
        ([first, 3], ValueError, r"state_dicts\[1\] must have the weights"),
        ([first, {"W": torch.zeros(2, 4), "b": torch.zeros(3)}], ValueError,
         r"state_dicts\[1\]\['W'\] must have shape \(2, 3\), got \(2, 4\)"),
        ([first, {"W": 1, "b": torch.zeros(3)}], TypeError, r"state_dicts\[1\]\['W'\] must be a torch.Tensor"),
    ]:
        with pytest.raises(error, match=message):
            count(state_dicts)
