"""Losses shared by the chapters' training and analysis code."""

from __future__ import annotations

import torch

from .validation import require_tensor


def loss_and_accuracy(logits: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    """Cross-entropy (computed in float64) and accuracy of ``logits`` against ``labels``, as floats.

    logits: [batch, n_classes] float; labels: [batch] long.
    """
    require_tensor(logits, "logits", ndim=2, dtype_kind="float")
    require_tensor(labels, "labels", shape=(logits.shape[0],), dtype_kind="int")
    logits = logits.detach().to(torch.float64)
    loss = torch.nn.functional.cross_entropy(logits, labels).item()
    return loss, (logits.argmax(dim=-1) == labels).double().mean().item()


def next_token_losses(logits: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """Cross-entropy of predicting each token from the ones before it.

    logits [batch, pos, d_vocab], tokens [batch, pos] -> [batch, pos - 1]; entry j is the
    loss of predicting tokens[:, j + 1].
    """
    log_probs = logits[:, :-1].log_softmax(dim=-1)
    return -log_probs.gather(-1, tokens[:, 1:, None])[..., 0]
