"""The figures of chapter 7: direct logit attribution, patching maps, attribution patching
against activation patching, ablations compared. Each fits the website's width."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.colors import TwoSlopeNorm

from ..chapter5_induction.plots import PAGE_WIDTH

METRIC_LABEL = "normalised metric (0 corrupted, 1 clean)"


def head_names(n_layers: int, n_heads: int) -> list[str]:
    return [f"{layer}.{head}" for layer in range(n_layers) for head in range(n_heads)]


def logit_attribution_bars(by_step: dict[int, torch.Tensor], embeddings: dict[int, float]):
    """Grouped bars: for each checkpoint step, each head's direct logit attribution [layer,
    head] to the right token on the second copy, and the embeddings'."""
    steps = list(by_step)
    first = by_step[steps[0]]
    names = ["embeddings"] + [f"head {n}" for n in head_names(*first.shape)]
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 3.4), constrained_layout=True)
    width = 0.8 / len(steps)
    x = np.arange(len(names))
    for i, step in enumerate(steps):
        values = [embeddings[step]] + by_step[step].flatten().tolist()
        ax.bar(x + (i - (len(steps) - 1) / 2) * width, values, width, label=f"step {step}")
    ax.axhline(0, color="black", lw=0.6)
    ax.set_xticks(x, names)
    ax.set_ylabel("logit added to the right token")
    ax.set_title("Direct logit attribution on the second copy, before and after the phase change")
    ax.legend(title="checkpoint")
    return fig


def patching_map(values: torch.Tensor, row_labels: Sequence[str], seq_len: int, title: str, ax=None,
                 colorbar: bool = True):
    """A heatmap of a normalised metric, [row, pos], diverging at 0, the second copy marked."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 0.5 * len(row_labels) + 1.6), constrained_layout=True)
    data = values.detach().double().numpy()
    bound = max(abs(data.min()), abs(data.max()), 1e-6)
    image = ax.imshow(data, aspect="auto", cmap="RdBu", norm=TwoSlopeNorm(0, -bound, bound), interpolation="nearest")
    ax.axvline(seq_len - 0.5, color="black", lw=1, ls="--")
    ax.set_yticks(range(len(row_labels)), row_labels)
    ax.set_xlabel(f"position (first copy 0 to {seq_len - 1}, second copy from {seq_len}, after the dashed line)")
    ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label="normalised metric", fraction=0.04)
    return ax.figure


def attribution_against_patching(exact: torch.Tensor, estimate: torch.Tensor, groups: dict[str, tuple[int, int]]):
    """Scatter of attribution patching's estimate against activation patching, one point per
    head and position. exact, estimate: [layer, head, pos]; groups: {label: (layer, head)}."""
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH * 0.6, 4.2), constrained_layout=True)
    for (label, (layer, head)), marker in zip(groups.items(), "o^sD"):
        ax.scatter(exact[layer, head].numpy(), estimate[layer, head].numpy(), s=18, marker=marker, label=label, alpha=0.8)
    low = float(min(exact.min(), estimate.min()))
    high = float(max(exact.max(), estimate.max()))
    ax.plot([low, high], [low, high], color="grey", lw=0.8, ls="--", label="estimate = exact")
    ax.set_xlabel("activation patching (exact), " + "normalised metric")
    ax.set_ylabel("attribution patching (estimate)")
    ax.set_title("One point per head and position")
    ax.legend(fontsize=8)
    return fig


def ablations_compared(losses: torch.Tensor, kinds: Sequence[str], clean_loss: float):
    """Grouped bars of second-copy losses [kind, layer, head], with the clean loss marked."""
    names = head_names(losses.shape[1], losses.shape[2])
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH * 0.75, 3.2), constrained_layout=True)
    width = 0.8 / len(kinds)
    x = np.arange(len(names))
    for i, kind in enumerate(kinds):
        ax.bar(x + (i - (len(kinds) - 1) / 2) * width, losses[i].flatten().numpy(), width, label=f"{kind} ablation")
    ax.axhline(clean_loss, color="black", lw=0.8, ls="--", label="no ablation")
    ax.set_xticks(x, [f"head {n}" for n in names])
    ax.set_ylabel("loss on the second copy (nats)")
    ax.set_title("One head ablated at a time, three ways")
    ax.legend(fontsize=8, ncols=2)
    return fig
