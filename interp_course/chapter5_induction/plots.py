"""Attention patterns drawn as heatmaps (chapter 5)."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import torch


def attention_heatmap(pattern: torch.Tensor, labels: Sequence[str] | None = None, title: str = "", ax=None):
    """One head's attention pattern [query_pos, key_pos]: row i is where position i looks."""
    if pattern.ndim != 2:
        raise ValueError(f"pattern must have shape (query_pos, key_pos), got {tuple(pattern.shape)}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(4, 4), constrained_layout=True)
    fig = ax.figure
    ax.imshow(pattern.numpy(), cmap="Blues", vmin=0, vmax=1)
    if labels is not None:
        ticks = range(len(labels))
        ax.set_xticks(ticks, labels, rotation=90, fontsize=7)
        ax.set_yticks(ticks, labels, fontsize=7)
    else:
        ax.set(xticks=[], yticks=[])
    ax.set(xlabel="key (attended to)", ylabel="query (attending)", title=title)
    ax.title.set_fontsize(9)
    return fig


def all_heads(patterns: Sequence[torch.Tensor], titles: Sequence[str], ncols: int = 4):
    """A grid of heatmaps, one per head: patterns is a list of [query_pos, key_pos]."""
    rows = (len(patterns) + ncols - 1) // ncols
    fig, axes = plt.subplots(rows, ncols, figsize=(2.6 * ncols, 2.7 * rows), constrained_layout=True, squeeze=False)
    for ax, pattern, title in zip(axes.flat, patterns, titles):
        attention_heatmap(pattern, title=title, ax=ax)
        ax.set(xlabel="", ylabel="")
    for ax in list(axes.flat)[len(patterns):]:
        ax.axis("off")
    return fig
