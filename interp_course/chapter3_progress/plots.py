"""Plots of chapter 3: progress measures over training, with the phases as bands."""

from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import torch

from ..chapter2_fourier.plots import spectrum_bars

PHASE_COLOURS = {"memorisation": "tab:blue", "circuit formation": "tab:orange", "clean-up": "tab:green"}
LOSS_STYLES = {
    "train_loss": ("train", "tab:blue", "-"),
    "test_loss": ("test", "tab:red", "-"),
    "excluded_loss": ("excluded", "tab:purple", "--"),
    "restricted_loss": ("restricted", "tab:green", "--"),
}


def phase_bands(ax, phases: Mapping[str, tuple[int, int] | None], labels: bool = True) -> None:
    """Shade each phase's steps on ``ax``; phases that did not happen are skipped."""
    for name, span in phases.items():
        if span is None:
            continue
        ax.axvspan(*span, color=PHASE_COLOURS[name], alpha=0.12, lw=0, label=name if labels else None)


def losses(ax, measures: Mapping[str, torch.Tensor], phases=None, names: Sequence[str] = tuple(LOSS_STYLES), title: str = ""):
    """The losses of ``names`` over training, log scale, with the phases as bands."""
    for name in names:
        label, colour, style = LOSS_STYLES[name]
        ax.plot(measures["step"], measures[name], style, color=colour, label=label)
    if phases:
        phase_bands(ax, phases)
    ax.set(yscale="log", xlabel="training step", ylabel="loss", title=title)
    ax.legend(fontsize=7, ncol=2)


def progress_overview(measures: Mapping[str, torch.Tensor], phases=None, title: str = ""):
    """Three panels: the losses, the sum of squared weights, the Gini coefficients."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4), constrained_layout=True)
    losses(axes[0], measures, phases)
    axes[1].plot(measures["step"], measures["weight_norm"], color="black")
    axes[1].set(xlabel="training step", ylabel="sum of squared weights")
    axes[2].plot(measures["step"], measures["gini_embedding"], label="W_E")
    axes[2].plot(measures["step"], measures["gini_neuron_logit"], label="W_L = W_out W_U")
    axes[2].set(xlabel="training step", ylabel="Gini of the spectrum", ylim=(0, 1))
    axes[2].legend(fontsize=7)
    if phases:
        for ax in axes[1:]:
            phase_bands(ax, phases, labels=False)
    if title:
        fig.suptitle(title)
    return fig


def checkpoint_view(measures: Mapping[str, torch.Tensor], index: int, key: Sequence[int], phases=None, axes=None):
    """The spectrum of W_E at checkpoint ``index`` beside the losses with a marker there."""
    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(12, 3.2), constrained_layout=True, width_ratios=[1.4, 1])
    step = int(measures["step"][index])
    spectrum_bars(measures["embedding_spectrum"][index], key, title=f"W_E at step {step}", ax=axes[0])
    losses(axes[1], measures, phases, names=("train_loss", "test_loss", "restricted_loss"))
    axes[1].axvline(step, color="black", lw=1.5)
    return axes[0].figure


def spectra_small_multiples(measures: Mapping[str, torch.Tensor], steps: Sequence[int], key: Sequence[int], phases=None, ncols: int = 3):
    """The spectrum of W_E at several checkpoints, one small panel each, titled with the phase."""
    nrows = -(-len(steps) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(4.2 * ncols, 2.3 * nrows), constrained_layout=True, squeeze=False)
    all_steps = measures["step"].tolist()
    for ax, step in zip(axes.flat, steps):
        index = all_steps.index(step)
        phase = next((name for name, span in (phases or {}).items() if span and span[0] <= step <= span[1]), "")
        spectrum_bars(measures["embedding_spectrum"][index], key, ax=ax, ylabel="")
        ax.set_title(f"step {step}" + (f" ({phase})" if phase else ""), fontsize=9, color=PHASE_COLOURS.get(phase, "black"))
        ax.set_xlabel("")
    for ax in list(axes.flat)[len(steps):]:
        ax.axis("off")
    return fig
