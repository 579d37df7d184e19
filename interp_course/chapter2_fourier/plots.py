"""Plots of chapter 2: spectra, functions of (a, b) and their 2-D Fourier coefficients."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import torch

KEY_COLOUR = "tab:orange"
OTHER_COLOUR = "tab:grey"


def spectrum_bars(spectrum: torch.Tensor, key: Sequence[int] = (), title: str = "", ax=None, ylabel: str = "squared norm"):
    """Bars of a spectrum [(p + 1) / 2] (entry 0 the constant term), key frequencies in colour."""
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 2.6), constrained_layout=True)
    colours = [KEY_COLOUR if k in key else OTHER_COLOUR for k in range(len(spectrum))]
    ax.bar(range(len(spectrum)), spectrum.tolist(), color=colours, width=0.8)
    for k in key:
        ax.annotate(str(k), (k, float(spectrum[k])), ha="center", va="bottom", fontsize=8)
    ax.set(xlabel="frequency k (0 = constant)", ylabel=ylabel, title=title, xlim=(-1, len(spectrum)))
    return ax.figure


def grid_heatmaps(values: torch.Tensor, titles: Sequence[str], ncols: int = 4, size: float = 2.4, cmap: str = "RdBu_r"):
    """One heatmap per function of (a, b): values [p, p, n], a down, b across."""
    n = values.shape[-1]
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.3), constrained_layout=True, squeeze=False)
    for i, ax in enumerate(axes.flat):
        if i >= n:
            ax.axis("off")
            continue
        v = values[..., i].detach().numpy()
        limit = float(abs(v).max()) or 1.0
        centred = {"vmin": -limit, "vmax": limit} if cmap == "RdBu_r" else {}  # zero in white
        image = ax.imshow(v, cmap=cmap, **centred)
        bar = fig.colorbar(image, ax=ax, shrink=0.75, pad=0.02)  # each panel has its own scale
        bar.ax.tick_params(labelsize=7)
        bar.locator = plt.MaxNLocator(3)
        bar.update_ticks()
        ax.set_title(titles[i], fontsize=9)
        ax.set(xlabel="b", ylabel="a", xticks=[], yticks=[])
    return fig


def coefficient_heatmap(coefficients: torch.Tensor, ax=None, title: str = "", max_frequency: int | None = None):
    """|2-D Fourier coefficients| [p, p] of one function of (a, b), rows the basis of a,
    columns that of b, cut to the first ``max_frequency`` frequencies."""
    if ax is None:
        _, ax = plt.subplots(figsize=(3.6, 3.2), constrained_layout=True)
    p = coefficients.shape[0]
    top = p if max_frequency is None else 2 * max_frequency + 1
    image = ax.imshow(coefficients[:top, :top].abs().detach().numpy(), cmap="Greys")
    ticks = list(range(0, top, 10 if top > 40 else 2))
    ax.set(xticks=ticks, yticks=ticks, title=title, xlabel="basis row of b (2k-1: cos k, 2k: sin k)", ylabel="basis row of a")
    ax.figure.colorbar(image, ax=ax, shrink=0.8, label="|coefficient|")
    return ax.figure


def neuron_view(activation: torch.Tensor, fve_per_frequency: torch.Tensor, title: str, axes=None):
    """A neuron's activation over (a, b) [p, p] beside the fraction of its variance each
    frequency explains [(p - 1) / 2] (entry k - 1 for frequency k)."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(8, 2.8), constrained_layout=True, width_ratios=[1, 1.6])
    image = axes[0].imshow(activation.detach().numpy(), cmap="viridis")
    axes[0].figure.colorbar(image, ax=axes[0], label="activation", shrink=0.9)
    axes[0].set(title=title, xlabel="b", ylabel="a")
    frequencies = range(1, len(fve_per_frequency) + 1)
    axes[1].bar(frequencies, fve_per_frequency.tolist(), color=KEY_COLOUR)
    axes[1].set(xlabel="frequency k", ylabel="fraction of variance", ylim=(0, 1), title="explained by each frequency")
    return axes[0].figure


def embedding_circles(W_E: torch.Tensor, basis: torch.Tensor, frequencies: Sequence[int]):
    """Each number's embedding drawn on the plane of one frequency, a panel per frequency.

    The plane is spanned by the frequency's cos and sin directions in the residual stream,
    ``basis[2k - 1] @ W_E`` and ``basis[2k] @ W_E`` (made orthonormal); each number ``a``
    is its centred embedding projected onto it, coloured by ``a``, with 0, 1 and 2 labelled.
    An embedding that stores cos(w_k a) and sin(w_k a) there draws a circle (an ellipse where
    the two directions differ in length), with ``a`` and ``a + 1`` an angle 2πk/p apart.

    W_E: [p, d_model], the number tokens' embeddings; basis: [p, p], the Fourier basis.
    """
    W = (W_E - W_E.mean(dim=0)).detach().to(torch.float64)  # [p, d_model]
    p = W.shape[0]
    fig, axes = plt.subplots(1, len(frequencies), figsize=(9.5, 9.5 / len(frequencies) + 0.4),
                             constrained_layout=True, squeeze=False)
    for ax, k in zip(axes[0], frequencies):
        directions = basis[[2 * k - 1, 2 * k]].to(torch.float64) @ W  # [2, d_model]
        plane, _ = torch.linalg.qr(directions.T)  # [d_model, 2], orthonormal columns
        xy = W @ plane  # [p, 2]
        points = ax.scatter(xy[:, 0], xy[:, 1], c=torch.arange(p), cmap="twilight", s=14)
        for a in (0, 1, 2):
            ax.annotate(str(a), xy[a].tolist(), textcoords="offset points", xytext=(4, 4), fontsize=10)
        ax.set_aspect("equal", adjustable="datalim")
        ax.set(title=f"frequency {k}", xlabel=f"along cos({k}·2πa/{p})", ylabel=f"along sin({k}·2πa/{p})")
    fig.colorbar(points, ax=axes[0], label="the number a", shrink=0.8)
    return fig
