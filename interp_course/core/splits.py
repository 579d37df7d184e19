"""A data set split into a training set and a test set, as the grokking chapters use it.

The data set holds every input (``tokens`` [n, pos], ``labels`` [n]) and the indices of a split
(``train_indices``, ``test_indices``: [n_train] and [n_test], or [K, n_train] and [K, n_test]
with one split per run of a stack, chapter 6). The sets are looked up, never stored twice.
"""

from __future__ import annotations

import torch


class TrainTestSets:
    """Mixed into a (frozen) dataclass with the four fields below: its train and test sets."""

    tokens: torch.Tensor
    labels: torch.Tensor
    train_indices: torch.Tensor
    test_indices: torch.Tensor

    train_tokens = property(lambda self: self.tokens[self.train_indices])  # [(K,) n_train, pos]
    train_labels = property(lambda self: self.labels[self.train_indices])  # [(K,) n_train]
    test_tokens = property(lambda self: self.tokens[self.test_indices])  # [(K,) n_test, pos]
    test_labels = property(lambda self: self.labels[self.test_indices])  # [(K,) n_test]
