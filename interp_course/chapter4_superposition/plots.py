"""Figures of chapter 4: features as vectors, WᵀW, feature norms, dimensionality, phase diagram."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

from .analysis import superposition_score

STICKY_FRACTIONS = (1.0, 3 / 4, 2 / 3, 1 / 2, 2 / 5, 1 / 3, 1 / 4, 1 / 5)


def features_in_2d(W: torch.Tensor, importance: torch.Tensor, titles: Sequence[str], axes=None, ncols: int = 6):
    """Each feature's direction W_i in a 2-D hidden space, one panel per instance.

    W: [instances, 2, n_features]; importance: [n_features] (colour: yellow most important)."""
    if W.shape[1] != 2:
        raise ValueError(f"W must have shape (instances, 2, n_features), got {tuple(W.shape)}")
    n = W.shape[0]
    if axes is None:
        rows = (n + ncols - 1) // ncols
        fig, axes = plt.subplots(rows, ncols, figsize=(2.2 * ncols, 2.3 * rows), squeeze=False, constrained_layout=True)
        axes = axes.flatten()
    fig = axes[0].figure
    colours = plt.cm.viridis(np.asarray(importance / importance.max()))
    for ax, w, title in zip(axes, W, titles):
        for i in range(w.shape[1]):
            x, y = w[:, i].tolist()
            ax.plot([0, x], [0, y], color=colours[i], lw=1.5)
            ax.scatter([x], [y], color=colours[i], s=18, zorder=3)
        ax.set(xlim=(-1.5, 1.5), ylim=(-1.5, 1.5), aspect="equal", xticks=[], yticks=[], title=title)
        ax.title.set_fontsize(9)
    for ax in list(axes)[n:]:
        ax.axis("off")
    return fig


def wtw_and_norms(W: torch.Tensor, titles: Sequence[str]):
    """For each instance: the matrix WᵀW [features, features], and the norm of each feature's
    column, coloured by how much the feature shares its dimensions (dark: its own dimension,
    yellow: in superposition)."""
    n = W.shape[0]
    fig, axes = plt.subplots(2, n, figsize=(2.1 * n, 4.6), constrained_layout=True, squeeze=False)
    scores = superposition_score(W)
    norms = W.norm(dim=1)
    for k in range(n):
        wtw = (W[k].T @ W[k]).numpy()
        axes[0, k].imshow(wtw, cmap="RdBu", vmin=-1, vmax=1)
        axes[0, k].set(xticks=[], yticks=[], title=titles[k])
        axes[0, k].title.set_fontsize(9)
        colours = plt.cm.viridis(np.clip(scores[k].numpy(), 0, 1))
        axes[1, k].barh(range(W.shape[2]), norms[k].numpy(), color=colours)
        axes[1, k].invert_yaxis()
        axes[1, k].axvline(0.5, color="grey", lw=0.8, ls=":")
        axes[1, k].set(xlim=(0, 1.3), yticks=[], xlabel="‖W_i‖")
    axes[0, 0].set_ylabel("WᵀW")
    axes[1, 0].set_ylabel("features (most important on top)")
    return fig


def dimensionality(inverse_density: torch.Tensor, D: torch.Tensor, dims_per_feature: torch.Tensor, ax=None):
    """Feature dimensionalities D_i (dots) and dimensions per feature m / ||W||_F² (line)
    against 1 / (1 - S), with the sticky fractions marked.

    inverse_density: [instances]; D: [instances, n_features]; dims_per_feature: [instances]."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 4), constrained_layout=True)
    fig = ax.figure
    for value in STICKY_FRACTIONS:
        ax.axhline(value, color="lightgrey", lw=0.8, zorder=0)
        ax.text(inverse_density.max() * 1.15, value, _fraction_label(value), va="center", fontsize=8, color="grey")
    x = inverse_density[:, None].expand_as(D)
    jitter = torch.exp(0.04 * torch.randn(D.shape, generator=torch.Generator().manual_seed(0)))
    ax.scatter((x * jitter).flatten(), D.flatten(), s=6, alpha=0.5, color="tab:blue", label="D_i of each feature")
    ax.plot(inverse_density, dims_per_feature, color="black", lw=1.5, label="m / ‖W‖²_F")
    ax.set(xscale="log", xlabel="1 / (1 - S)   (sparser →)", ylabel="dimensions per feature", ylim=(-0.05, 1.1))
    ax.legend(loc="upper right", fontsize=8)
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
    from matplotlib.colors import ListedColormap

    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 4.2), constrained_layout=True)
    fig = ax.figure
    cmap = ListedColormap(["#d9d9d9", "#2b8cbe", "#f03b20"])
    inverse_density = 1 / (1 - sparsity)
    ax.pcolormesh(inverse_density.numpy(), importance.numpy(), phase.numpy(), cmap=cmap, vmin=0, vmax=2, shading="nearest")
    ax.set(xscale="log", yscale="log", xlabel="1 / (1 - S)   (sparser →)", ylabel="relative importance of the extra feature")
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in cmap.colors]
    ax.legend(handles, PHASE_NAMES, loc="upper left", fontsize=8, framealpha=0.9)
    return fig
