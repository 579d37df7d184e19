"""Attention patterns drawn as heatmaps (chapter 5).

A pattern is indexed ``[destination, source]`` (TransformerLens's convention,
``cache["pattern", layer][batch, head, dest, src]``): row i is the distribution over the
positions that position i (the query) attends to."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.ticker import MaxNLocator

PAGE_WIDTH = 9.5
"""Inches: the website shows a figure this wide (at 80 dpi, about 760 pixels) at full size;
a wider one is scaled down and its text shrinks with it."""

CMAP = "Blues"
SOURCE_LABEL = "source position (attended to)"
DESTINATION_LABEL = "destination position (query)"
COLORBAR_LABEL = "attention probability"


def attention_colorbar(fig, axes, **kwargs):
    """One colour bar, 0 to 1, for every heatmap in ``axes``."""
    mappable = ScalarMappable(norm=Normalize(0, 1), cmap=CMAP)
    return fig.colorbar(mappable, ax=axes, label=COLORBAR_LABEL, ticks=[0, 0.25, 0.5, 0.75, 1], **kwargs)


def attention_heatmap(
    pattern: torch.Tensor,
    labels: Sequence[str] | None = None,
    title: str = "",
    ax=None,
    colorbar: bool = True,
    axis_labels: bool = True,
    first_position: int = 0,
    diagonal: bool = False,
):
    """One head's attention pattern [dest_pos, src_pos]: row i is where position i looks.

    labels: a word per position as tick labels, or None for position numbers (counted from
    ``first_position``, for a pattern cropped from a longer one). With ``colorbar`` (the
    default) the heatmap gets its own colour bar; leave it out where one colour bar serves
    several heatmaps (see ``attention_colorbar``). ``diagonal`` draws the diagonal (each
    position attending to itself) as a dotted line, so that a stripe just below it (the
    previous token) is told from one on it (the current token)."""
    if pattern.ndim != 2:
        raise ValueError(f"pattern must have shape (dest_pos, src_pos), got {tuple(pattern.shape)}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.4, 4.6), constrained_layout=True)
    fig = ax.figure
    n = pattern.shape[0]
    low, high = first_position - 0.5, first_position + n - 0.5
    ax.imshow(np.asarray(pattern.detach().cpu()), cmap=CMAP, vmin=0, vmax=1, extent=(low, high, high, low))
    if diagonal:
        ax.plot([low, high], [low, high], color="tab:red", lw=1, ls=":")
    if labels is not None:
        if len(labels) != pattern.shape[0]:
            raise ValueError(f"labels must hold one label per position ({pattern.shape[0]}), got {len(labels)}")
        ticks = range(first_position, first_position + len(labels))
        ax.set_xticks(ticks, labels, rotation=90, fontsize=9)
        ax.set_yticks(ticks, labels, fontsize=9)
    else:
        for axis in (ax.xaxis, ax.yaxis):
            axis.set_major_locator(MaxNLocator(nbins=5, integer=True))
        ax.tick_params(labelsize=8)
    if axis_labels:
        ax.set_xlabel(SOURCE_LABEL)
        ax.set_ylabel(DESTINATION_LABEL)
    ax.set_title(title, fontsize=11)
    if colorbar:
        attention_colorbar(fig, ax, shrink=0.9)
    return fig


def all_heads(
    patterns: Sequence[torch.Tensor],
    titles: Sequence[str],
    ncols: int = 4,
    labels: Sequence[str] | None = None,
    positions: tuple[int, int] | None = None,
):
    """A grid of heatmaps, one per head, as wide as the page, with one shared colour bar:
    patterns is a list of [dest_pos, src_pos]; labels (optional) a word per position.
    ``positions=(start, stop)`` zooms in on those positions (destinations and sources alike),
    numbered as in the whole sequence, with the diagonal drawn dotted."""
    if positions is not None:
        start, stop = positions
        if not 0 <= start < stop <= patterns[0].shape[0]:
            raise ValueError(f"positions must be (start, stop) with 0 <= start < stop <= {patterns[0].shape[0]}, "
                             f"got {positions}")
        patterns = [pattern[start:stop, start:stop] for pattern in patterns]
        labels = None if labels is None else labels[start:stop]
    rows = (len(patterns) + ncols - 1) // ncols
    # Room for the colour bar, the axis labels and, with labels, the words as tick labels.
    panel = (PAGE_WIDTH - 1.6 - (0.6 * ncols if labels is not None else 0)) / ncols
    extra = 1.3 if labels is not None else 0.8
    fig, axes = plt.subplots(
        rows, ncols, figsize=(PAGE_WIDTH, panel * rows + extra), constrained_layout=True, squeeze=False
    )
    fig.get_layout_engine().set(wspace=0.1)
    for ax, pattern, title in zip(axes.flat, patterns, titles):
        attention_heatmap(pattern, labels, title=title, ax=ax, colorbar=False, axis_labels=False,
                          first_position=positions[0] if positions else 0, diagonal=positions is not None)
        if labels is None:
            ax.label_outer()  # position numbers on the outer panels only
    for ax in list(axes.flat)[len(patterns):]:
        ax.axis("off")
    fig.supxlabel(SOURCE_LABEL, fontsize=10)
    fig.supylabel(DESTINATION_LABEL, fontsize=10)
    attention_colorbar(fig, axes, shrink=0.9 if rows > 1 else 0.8)
    return fig
