"""Linear probes: what a linear read-out can decode from activations (chapter 7).

Shapes: features [rows, d]; labels [rows] long.
"""

from __future__ import annotations

import torch

from .validation import arguments, integer, number, tensor


@arguments(features=tensor("rows d", float, non_empty=True), labels=tensor("rows", int),
           n_classes=integer(minimum=2), ridge=number(low=0, low_open=True), where="_labels_in_range")
def fit_linear_probe(features: torch.Tensor, labels: torch.Tensor, n_classes: int, ridge: float = 1e-3):
    """A linear probe, fitted in closed form: standardise the features, then least squares (with
    a small ridge penalty) from them to the labels' one-hot vectors; the predicted label is the
    largest output. Deterministic and fast (a [d + 1, d + 1] solve). Logistic regression, the
    other common linear probe, decoded chapter 7's previous token about as well when we tried
    it, and takes far longer to fit.

    Args:
        features: [rows, d]; labels: [rows] long, in 0 .. n_classes - 1.
        ridge: the penalty per row on the squared weights.

    Returns:
        A function from features [n, d] to predicted labels [n] long.
    """
    x = features.detach().double()
    mean, std = x.mean(dim=0), x.std(dim=0).clamp(min=1e-6)
    design = torch.cat([(x - mean) / std, torch.ones(len(x), 1, dtype=torch.float64)], dim=1)  # [rows, d + 1]
    targets = torch.nn.functional.one_hot(labels, n_classes).double()  # [rows, n_classes]
    penalty = ridge * len(x) * torch.eye(design.shape[1], dtype=torch.float64)
    weights = torch.linalg.solve(design.T @ design + penalty, design.T @ targets)  # [d + 1, n_classes]

    def predict(new: torch.Tensor) -> torch.Tensor:
        return (((new.detach().double() - mean) / std) @ weights[:-1] + weights[-1]).argmax(dim=-1)

    return predict


def _labels_in_range(labels: torch.Tensor, n_classes: int) -> None:
    """``fit_linear_probe``: every label is a class."""
    if len(labels) and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must lie in 0 .. n_classes - 1 = {n_classes - 1}, "
                         f"got {int(labels.min())} .. {int(labels.max())}")
