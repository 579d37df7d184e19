"""Figures of chapter 8: dictionaries against the true features, the L1 sweep, sparsity against
reconstruction, dead latents by dictionary size, and the grokked MLP's latents by frequency."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import torch

from ..chapter4_superposition.plots import PAGE_WIDTH


def dictionaries_in_2d(true_W: torch.Tensor, dictionaries: dict[str, torch.Tensor]):
    """One panel per dictionary: the toy model's features (grey arrows, W's columns, [2, n_features])
    and the dictionary's latent directions (coloured, W_dec's rows [n_latents, 2], unit length)."""
    fig, axes = plt.subplots(1, len(dictionaries), figsize=(PAGE_WIDTH, PAGE_WIDTH / len(dictionaries) + 0.6))
    for ax, (title, W_dec) in zip(np.atleast_1d(axes), dictionaries.items()):
        for i in range(true_W.shape[1]):
            x, y = true_W[:, i].tolist()
            ax.annotate("", xy=(x, y), xytext=(0, 0), arrowprops=dict(arrowstyle="-|>", color="0.6", lw=2.5))
        for j, (x, y) in enumerate(W_dec.tolist()):
            ax.plot([0, x], [0, y], color=plt.cm.tab10(j % 10), lw=1.4)
            ax.scatter([x], [y], color=plt.cm.tab10(j % 10), s=14, zorder=3)
        ax.set(xlim=(-1.3, 1.3), ylim=(-1.3, 1.3), aspect="equal", xticks=[-1, 0, 1], yticks=[-1, 0, 1])
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("hidden dim 1", fontsize=9)
    np.atleast_1d(axes)[0].set_ylabel("hidden dim 2", fontsize=9)
    handles = [plt.Line2D([], [], color="0.6", lw=2.5, label="true features (toy model's W)"),
               plt.Line2D([], [], color=plt.cm.tab10(0), lw=1.4, marker="o", ms=4, label="latent directions (rows of W_dec)")]
    fig.legend(handles=handles, loc="lower center", ncol=2, fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0.08, 1, 1))
    return fig


def l1_sweep(coefficients: tuple[float, ...], mmcs: torch.Tensor, fvu: torch.Tensor, band: tuple[float, ...],
             recovered: float):
    """Mean max cosine similarity and FVU against λ, one dot per seed. mmcs, fvu: [coefficients, seeds]."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(PAGE_WIDTH, 3.4))
    x = np.repeat(np.array(coefficients)[:, None], mmcs.shape[1], axis=1)
    for ax, values, label in ((left, mmcs, "mean max cosine similarity\n(1 = every true feature found)"),
                              (right, fvu, "fraction of variance unexplained")):
        ax.axvspan(min(band) / 1.4, max(band) * 1.4, color="tab:green", alpha=0.12, label="the working band")
        ax.scatter(x.ravel(), values.numpy().ravel(), s=16, color="tab:blue", alpha=0.7, label="one seed")
        ax.plot(coefficients, values.mean(dim=1).numpy(), color="tab:blue", lw=1, label="mean over seeds")
        ax.set(xscale="log", xlabel="L1 coefficient λ", ylabel=label)
    left.axhline(recovered, color="0.3", ls="--", lw=1, label=f"{recovered}")
    left.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def sparsity_against_reconstruction(l0: torch.Tensor, fvu: torch.Tensor, coefficients: list[float],
                                    topk_l0: torch.Tensor, topk_fvu: torch.Tensor):
    """The trade-off every autoencoder sits on: L0 (latents active per input) against FVU, one
    point per autoencoder, L1 coloured by λ, TopK as stars. l0, fvu: [instances]; coefficients:
    each instance's λ."""
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH * 0.7, 3.8))
    points = ax.scatter(l0.numpy(), fvu.numpy(), c=np.log10(coefficients), cmap="viridis", s=22, label="L1 autoencoders")
    ax.scatter(topk_l0.numpy(), topk_fvu.numpy(), marker="*", s=120, color="tab:red", label="TopK, k = 1")
    fig.colorbar(points, ax=ax, label="log₁₀ λ")
    ax.set(xlabel="L0: latents active per input (mean)", ylabel="fraction of variance unexplained")
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def dead_by_size(sizes: tuple[int, ...], dead: torch.Tensor, represented: int):
    """Dead latents against dictionary size, one dot per seed. dead: [sizes, seeds]."""
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH * 0.6, 3.4))
    x = np.repeat(np.array(sizes)[:, None], dead.shape[1], axis=1)
    ax.scatter(x.ravel(), dead.numpy().ravel(), s=18, alpha=0.7, label="one seed")
    ax.plot(sizes, dead.float().mean(dim=1).numpy(), lw=1, label="mean over seeds")
    ax.axvline(represented, color="0.3", ls="--", lw=1, label=f"{represented} represented features")
    ax.set(xlabel="dictionary size (latents)", ylabel="dead latents")
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig


def best_frequency_shares(neuron_best: torch.Tensor, latent_best: torch.Tensor):
    """Histograms of the largest fraction of variance one frequency explains, for the neurons and
    for the autoencoder's latents ([n] each)."""
    fig, ax = plt.subplots(figsize=(PAGE_WIDTH * 0.7, 3.4))
    bins = np.linspace(0, 1, 21)
    ax.hist(neuron_best.numpy(), bins=bins, density=True, alpha=0.5, label=f"MLP neurons ({len(neuron_best)})")
    ax.hist(latent_best.numpy(), bins=bins, density=True, alpha=0.5, label=f"autoencoder latents ({len(latent_best)})")
    ax.axvline(0.5, color="0.3", ls="--", lw=1, label="half the variance")
    ax.set(xlabel="share of a unit's variance explained by its best frequency", ylabel="density")
    ax.legend(fontsize=9)
    fig.tight_layout()
    return fig
