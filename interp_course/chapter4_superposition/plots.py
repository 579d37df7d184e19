"""Figures of chapter 4: features as vectors, WᵀW, feature norms, dimensionality, phase diagram."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.cm import ScalarMappable
from matplotlib.colors import ListedColormap, Normalize

from .analysis import superposition_score

STICKY_FRACTIONS = (1.0, 3 / 4, 2 / 3, 1 / 2, 2 / 5, 3 / 8)
"""The feature dimensionalities at which Elhage et al. (2022) find features sticking: a
feature alone (1), in a tetrahedron (3/4), a triangle (2/3), an antipodal pair (1/2), a
pentagon (2/5), a square antiprism (3/8)."""

PAGE_WIDTH = 9.5
"""Inches: the website shows a figure this wide (at 80 dpi, about 760 pixels) at full size;
a wider one is scaled down and its text shrinks with it."""

IMPORTANCE_LABEL = "feature importance $I_i$\n(relative to the largest)"


def _importance_colours(importance: torch.Tensor) -> np.ndarray:
    return plt.cm.viridis(np.asarray(importance / importance.max()))


def _importance_colorbar(fig, axes, **kwargs):
    """One colour bar for the importance colours of the arrows drawn by ``features_in_2d``."""
    mappable = ScalarMappable(norm=Normalize(0, 1), cmap="viridis")
    return fig.colorbar(mappable, ax=axes, label=IMPORTANCE_LABEL, **kwargs)


def _draw_features(ax, w: torch.Tensor, colours: np.ndarray, title: str | None) -> None:
    """The arrows of one instance, w: [2, n_features]; hidden dimensions labelled on the
    outer panels of a grid only."""
    ax.axhline(0, color="0.9", lw=0.6, zorder=0)
    ax.axvline(0, color="0.9", lw=0.6, zorder=0)
    for i in range(w.shape[1]):
        x, y = w[:, i].tolist()
        ax.plot([0, x], [0, y], color=colours[i], lw=1.5)
        ax.scatter([x], [y], color=colours[i], s=18, zorder=3)
    ax.set(xlim=(-1.5, 1.5), ylim=(-1.5, 1.5), aspect="equal", xticks=[-1, 0, 1], yticks=[-1, 0, 1])
    ax.tick_params(labelsize=8, length=2, pad=1)
    if title is not None:
        ax.set_title(title, fontsize=10)
    spec = ax.get_subplotspec()
    if spec is None or spec.is_last_row():
        ax.set_xlabel("hidden dim 1", fontsize=9, labelpad=1)
    else:
        ax.tick_params(labelbottom=False)
    if spec is None or spec.is_first_col():
        ax.set_ylabel("hidden dim 2", fontsize=9, labelpad=1)
    else:
        ax.tick_params(labelleft=False)


def features_in_2d(
    W: torch.Tensor, importance: torch.Tensor, titles: Sequence[str], axes=None, ncols: int = 4, colorbar: bool = True
):
    """Each feature's direction W_i in a 2-D hidden space, one panel per instance.

    W: [instances, 2, n_features]; importance: [n_features] (colour: yellow most important,
    with a colour bar unless ``colorbar=False``). Without ``axes``, the panels are laid out
    ``ncols`` to a row in a figure as wide as the page."""
    if W.shape[1] != 2:
        raise ValueError(f"W must have shape (instances, 2, n_features), got {tuple(W.shape)}")
    n = W.shape[0]
    if axes is None:
        rows = (n + ncols - 1) // ncols
        panel = min(2.3, (PAGE_WIDTH - 1.2) / ncols)  # 1.2 in: colour bar and axis labels
        fig, axes = plt.subplots(
            rows, ncols, figsize=(PAGE_WIDTH, panel * rows + 0.5), squeeze=False, constrained_layout=True
        )
        axes = axes.flatten()
    axes = list(np.ravel(axes))
    fig = axes[0].figure
    colours = _importance_colours(importance)
    for ax, w, title in zip(axes, W, titles):
        _draw_features(ax, w, colours, title)
    for ax in axes[n:]:
        ax.axis("off")
    if colorbar:
        _importance_colorbar(fig, axes[:n], shrink=0.9 if n > 1 else 0.8)
    return fig


def features_grid(W: torch.Tensor, importance: torch.Tensor, sparsities: Sequence[float], decays: Sequence[float]):
    """The whole importance x sparsity grid of 5-into-2 models (what ``GeometryExplorer``
    steps through), one row per importance decay and one column per sparsity, as wide as
    the page, with one colour bar.

    W: [instances, 2, n_features] in the order ``(decay, sparsity)`` for decay in ``decays``
    for sparsity in ``sparsities``; importance: [instances, n_features]."""
    n_rows, n_cols = len(decays), len(sparsities)
    if W.shape[0] != n_rows * n_cols or W.shape[1] != 2:
        raise ValueError(
            f"W must have shape (len(decays) * len(sparsities) = {n_rows * n_cols}, 2, n_features), "
            f"got {tuple(W.shape)}"
        )
    panel = (PAGE_WIDTH - 1.5) / n_cols
    fig, axes = plt.subplots(
        n_rows, n_cols, figsize=(PAGE_WIDTH, panel * n_rows + 0.6), squeeze=False, constrained_layout=True
    )
    fig.get_layout_engine().set(w_pad=0.02, h_pad=0.02, wspace=0.03, hspace=0.03)
    for row, decay in enumerate(decays):
        for col, sparsity in enumerate(sparsities):
            k = row * n_cols + col
            ax = axes[row, col]
            _draw_features(ax, W[k], _importance_colours(importance[k]), f"S = {sparsity}" if row == 0 else None)
            ax.set(xlabel="", ylabel="", xticks=[], yticks=[])
        axes[row, 0].set_ylabel(f"$I_i = {decay}^i$", fontsize=10)
    fig.supxlabel("each panel: the 2-D hidden space, from -1.5 to 1.5 on both axes; columns: sparsity $S$; "
                  "rows: importance $I_i$ of feature $i$", fontsize=9)
    _importance_colorbar(fig, axes, shrink=0.9)
    return fig


def wtw_and_norms(W: torch.Tensor, titles: Sequence[str]):
    """For each instance: the matrix WᵀW [features, features], and the norm of each feature's
    column, coloured by how much the feature shares its dimensions (dark: its own dimension,
    yellow: in superposition)."""
    n = W.shape[0]
    fig, axes = plt.subplots(
        2, n, figsize=(PAGE_WIDTH, 4.6), constrained_layout=True, squeeze=False, height_ratios=(1, 1.15)
    )
    scores = superposition_score(W)
    norms = W.norm(dim=1)
    n_features = W.shape[2]
    for k in range(n):
        wtw = (W[k].T @ W[k]).numpy()
        image = axes[0, k].imshow(wtw, cmap="RdBu", vmin=-1, vmax=1)
        axes[0, k].set(xticks=[], yticks=[])
        axes[0, k].set_title(titles[k], fontsize=10)
        axes[0, k].set_xlabel("feature $j$", fontsize=9, labelpad=2)
        colours = plt.cm.viridis(np.clip(scores[k].numpy(), 0, 1))
        axes[1, k].barh(range(n_features), norms[k].numpy(), color=colours, height=0.8)
        axes[1, k].set_ylim(n_features - 0.5, -0.5)  # feature 0 on top, as in the matrix above
        axes[1, k].axvline(0.5, color="grey", lw=0.8, ls=":")
        axes[1, k].set(xlim=(0, 1.3), xticks=[0, 0.5, 1], yticks=[])
        axes[1, k].set_xlabel(r"$\|W_i\|$", fontsize=10, labelpad=1)
        axes[1, k].tick_params(labelsize=8)
    axes[0, 0].set_ylabel(r"$W^\top W$" + "\nfeature $i$", fontsize=9)
    axes[1, 0].set_ylabel("feature $i$\n(most important on top)", fontsize=9)
    fig.colorbar(image, ax=axes[0, :], label=r"$W_i \cdot W_j$", ticks=[-1, 0, 1], shrink=0.9)
    bar = fig.colorbar(
        ScalarMappable(norm=Normalize(0, 1), cmap="viridis"), ax=axes[1, :], ticks=[0, 0.5, 1], shrink=0.9,
        label="superposition\n" + r"$\Sigma_{j \neq i}\, (\hat W_i \cdot W_j)^2$",
    )
    bar.ax.set_yticklabels(["0", "0.5", r"$\geq 1$"])
    return fig


def dimensionality(inverse_density: torch.Tensor, D: torch.Tensor, dims_per_feature: torch.Tensor, ax=None):
    """Feature dimensionalities D_i (dots) and dimensions per feature m / ||W||_F² (line)
    against 1 / (1 - S), with the paper's sticky values marked (grey lines, labelled on the right;
    2/5 and 3/8 share one label, as they lie close together).

    inverse_density: [instances]; D: [instances, n_features]; dims_per_feature: [instances]."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(PAGE_WIDTH, 4.8), constrained_layout=True)
    fig = ax.figure
    for value in STICKY_FRACTIONS:
        ax.axhline(value, color="lightgrey", lw=0.8, zorder=0)
    x = inverse_density[:, None].expand_as(D)
    jitter = torch.exp(0.04 * torch.randn(D.shape, generator=torch.Generator().manual_seed(0)))
    ax.scatter((x * jitter).flatten(), D.flatten(), s=8, alpha=0.5, color="tab:blue", label=r"$D_i$ of each feature")
    ax.plot(inverse_density, dims_per_feature, color="black", lw=1.5, label=r"$m / \|W\|_F^2$ (average per feature)")
    ax.set(xscale="log", ylim=(-0.05, 1.1))
    ax.set_xlabel(r"$1 / (1 - S)$   (sparser $\rightarrow$)")
    ax.set_ylabel("dimensions per feature")
    sticky = ax.secondary_yaxis("right")
    ticks = [v for v in STICKY_FRACTIONS if v not in (2 / 5, 3 / 8)] + [(2 / 5 + 3 / 8) / 2]
    labels = [_fraction_label(v) for v in STICKY_FRACTIONS if v not in (2 / 5, 3 / 8)] + ["2/5, 3/8"]
    sticky.set_yticks(ticks, labels, fontsize=9, color="dimgrey")
    sticky.tick_params(length=0)
    sticky.set_ylabel("the paper's sticky values (grey lines)", color="dimgrey", fontsize=9)
    # Above the axes, where it covers neither the dots, the line nor the grey guide lines.
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, fontsize=10, frameon=False, markerscale=2)
    return fig


def _fraction_label(value: float) -> str:
    for den in range(1, 9):
        num = round(value * den)
        if abs(num / den - value) < 1e-9:
            return f"{num}/{den}" if den > 1 else "1"
    return f"{value:.2f}"


PHASE_NAMES = ("not represented", "its own dimension", "superposition")


def phase_diagram(phase: torch.Tensor, importance: torch.Tensor, sparsity: torch.Tensor, ax=None):
    """The phase of the extra feature over a grid.

    phase: [n_importance, n_sparsity] int in {0, 1, 2} (see PHASE_NAMES);
    importance: [n_importance] relative importance of the extra feature;
    sparsity: [n_sparsity]."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4.8), constrained_layout=True)
    fig = ax.figure
    cmap = ListedColormap(["#d9d9d9", "#2b8cbe", "#f03b20"])
    inverse_density = 1 / (1 - sparsity)
    ax.pcolormesh(inverse_density.numpy(), importance.numpy(), phase.numpy(), cmap=cmap, vmin=0, vmax=2, shading="nearest")
    ax.set(xscale="log", yscale="log")
    ax.set_xlabel(r"$1 / (1 - S)$   (sparser $\rightarrow$)")
    ax.set_ylabel("relative importance $r$ of the extra feature")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in cmap.colors]
    # Above the axes: inside, every corner holds data.
    ax.legend(
        handles, PHASE_NAMES, title="phase of the extra feature", loc="lower center", bbox_to_anchor=(0.5, 1.0),
        ncol=3, fontsize=9, title_fontsize=9, frameon=False,
    )
    return fig
