"""The modular-addition data: the reference solutions of exercises 1.1 and 1.2, and the data
container the runs use."""

import pytest
import torch

from interp_course.chapter1_grokking.runs import ModularAdditionData
from solutions.chapter1_grokking import all_pairs, train_test_split


@pytest.mark.parametrize("p", [2, 5, 113])
def test_all_pairs_against_a_loop(p):
    tokens, labels = all_pairs(p)
    assert tokens.shape == (p * p, 3) and labels.shape == (p * p,)
    assert tokens.dtype == labels.dtype == torch.long
    for a in range(p):
        for b in range(p):
            row = a * p + b
            assert tokens[row].tolist() == [a, b, p]
            assert labels[row].item() == (a + b) % p


def test_split_is_a_seeded_partition():
    n = 113 * 113
    train, test = train_test_split(n, 0.3, seed=0)
    assert len(train) == round(0.3 * n) and len(train) + len(test) == n
    assert torch.equal(torch.cat([train, test]).sort().values, torch.arange(n))
    again, _ = train_test_split(n, 0.3, seed=0)
    other, _ = train_test_split(n, 0.3, seed=1)
    assert torch.equal(train, again)
    assert not torch.equal(train, other)


def test_split_rounds_the_training_count():
    train, test = train_test_split(10, 0.35, seed=0)  # 3.5 rounds to 4
    assert (len(train), len(test)) == (4, 6)


def test_data_container_views():
    data = ModularAdditionData.build(7, 0.5, seed=2)
    assert torch.equal(data.train_tokens, data.tokens[data.train_indices])
    assert torch.equal(data.test_labels, (data.test_tokens[:, 0] + data.test_tokens[:, 1]) % 7)
    assert len(data.train_labels) + len(data.test_labels) == 49


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: all_pairs(12), ValueError, "p must be a prime number.*got 12"),
        (lambda: all_pairs(1), ValueError, "p must be at least 2"),
        (lambda: all_pairs(7.0), TypeError, "p must be an integer"),
        (lambda: train_test_split(100, 1.2, 0), ValueError, "train_fraction must be strictly between 0 and 1, got 1.2"),
        (lambda: train_test_split(100, 0.0, 0), ValueError, "train_fraction must be strictly between 0 and 1"),
        (lambda: train_test_split(100, "0.3", 0), TypeError, "train_fraction must be a number"),
        (lambda: train_test_split(100, 0.3, 0.5), TypeError, "seed must be an integer"),
    ],
)
def test_bad_input_is_a_clear_error(call, error, message):
    with pytest.raises(error, match=message):
        call()
