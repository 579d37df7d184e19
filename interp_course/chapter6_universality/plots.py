"""Plots of chapter 6: many runs at once (timelines, curves, the universality picture, the
clock-or-pizza signature) and one run in detail (for the viewer and its static version)."""

from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from ..chapter2_fourier.plots import spectrum_bars
from ..chapter3_progress.plots import PHASE_COLOURS, losses
from .analysis import RunSummary, frequency_matrix, pizza_shape


def _label(s: RunSummary) -> str:
    return f"p={s.p} seed {s.seed}"


def phase_timelines(summaries: Sequence[RunSummary], title: str = ""):
    """One row per run: its three phases as coloured bars, a dot where test accuracy reaches
    99% (a cross at the end for a run that never does)."""
    fig, ax = plt.subplots(figsize=(9, 0.38 * len(summaries) + 1.3), constrained_layout=True)
    for row, s in enumerate(summaries):
        for name, span in s.phases.items():
            if span is not None and span[1] > span[0]:
                ax.barh(row, span[1] - span[0], left=span[0], color=PHASE_COLOURS[name], height=0.6)
        end = int(s.measures["step"][-1])
        if s.generalised is None:
            ax.plot(end, row, "x", color="black", ms=7)
        else:
            ax.plot(s.generalised, row, "o", color="black", ms=5)
    ax.set_yticks(range(len(summaries)), [_label(s) for s in summaries], fontsize=8)
    ax.invert_yaxis()
    handles = [Patch(color=c, label=n) for n, c in PHASE_COLOURS.items()]
    handles += [plt.Line2D([], [], marker="o", color="black", ls="", label="test accuracy 99%"),
                plt.Line2D([], [], marker="x", color="black", ls="", label="never 99%")]
    ax.legend(handles=handles, fontsize=7, ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.18 - 0.6 / len(summaries)))
    ax.set(xlabel="training step", title=title)
    return fig


def accuracy_curves(eval_step: torch.Tensor, test_accuracy: torch.Tensor, labels: Sequence[str], title: str = ""):
    """Test accuracy of every run over training: eval_step [m], test_accuracy [K, m]."""
    fig, ax = plt.subplots(figsize=(9, 3.2), constrained_layout=True)
    for k, label in enumerate(labels):
        ax.plot(eval_step, test_accuracy[k], lw=1.2, label=label)
    ax.axhline(0.99, color="grey", ls=":", lw=1)
    ax.set(xlabel="training step", ylabel="test accuracy", ylim=(0, 1.02), title=title)
    ax.legend(fontsize=7, ncol=4, loc="lower right")
    return fig


def frequency_picture(groups: dict[int, Sequence[RunSummary]]):
    """The universality picture: for each prime, runs (rows) × frequencies (columns), a filled
    cell where the run uses that frequency."""
    fig, axes = plt.subplots(1, len(groups), figsize=(3.0 * len(groups) + 1, 3.4), constrained_layout=True,
                             gridspec_kw={"width_ratios": [(p - 1) // 2 for p in groups]})
    cmap = ListedColormap(["#f2f2f2", "tab:orange"])
    for ax, (p, summaries) in zip(axes, groups.items()):
        matrix = frequency_matrix(list(summaries), p).to(torch.float32)
        ax.imshow(matrix, cmap=cmap, vmin=0, vmax=1, aspect="auto")
        ax.set_xticks(range(0, (p - 1) // 2, 2), [str(k) for k in range(1, (p + 1) // 2, 2)], fontsize=7)
        ax.set_yticks(range(len(summaries)), [f"seed {s.seed}" for s in summaries], fontsize=7)
        ax.set(xlabel="frequency k", title=f"p = {p}")
    fig.legend(handles=[Patch(color="tab:orange", label="key frequency of the run")], fontsize=8, loc="outside lower center")
    return fig


def frequency_profiles(groups: dict[str, tuple[list[dict[int, torch.Tensor]], Sequence[float]]]):
    """The clock-or-pizza signature, one key frequency at a time. For each group, {name:
    (profiles, dependences)}: profiles from :func:`analysis.frequency_profiles` (one {frequency:
    [p]} per run), dependences the runs' distance dependence (for the legend). Each line is one
    key frequency of one run, coloured by run, against the angle between a and b on that
    frequency's circle; the dashed line is a pure pizza."""
    fig, axes = plt.subplots(1, len(groups), figsize=(9, 4.4), sharey=True, constrained_layout=True)
    for ax, (name, (profiles, dependences)) in zip(axes, groups.items()):
        for k, by_frequency in enumerate(profiles):
            for i, profile in enumerate(by_frequency.values()):
                p = profile.shape[0]
                degrees = torch.arange(p + 1) * 360 / p  # the profile closes the circle: 360 degrees is 0
                ax.plot(degrees, torch.cat([profile, profile[:1]]), lw=0.9, color=f"C{k % 10}", alpha=0.85,
                        label=f"seed {k}: {dependences[k]:.2f}" if i == 0 else None)
        pizza = pizza_shape(p)
        ax.plot(degrees, torch.cat([pizza, pizza[:1]]), color="black", ls="--", lw=1.6, label="a pure pizza")
        ax.axhline(1.0, color="grey", ls=":", lw=1)
        ax.set(xlabel="angle between a and b on the frequency's circle (°)", title=name, xticks=range(0, 361, 90))
        ax.legend(fontsize=7, ncol=3, title="seed: distance dependence (exercise 6.5)", title_fontsize=7,
                  loc="upper center", bbox_to_anchor=(0.5, -0.2))
    axes[0].set_ylabel("frequency's part of the\ncorrect logit / its mean")
    return fig


def run_detail(summary: RunSummary, spectrum: torch.Tensor, eval_step: torch.Tensor, train_accuracy: torch.Tensor,
               test_accuracy: torch.Tensor):
    """One run: its accuracy curves, chapter 3's losses with the phases, and its embedding
    spectrum. spectrum [(p + 1) / 2]; train_accuracy [n] (every step); test_accuracy [m]."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.2), constrained_layout=True)
    axes[0].plot(torch.arange(len(train_accuracy)), train_accuracy, label="train", color="tab:blue")
    axes[0].plot(eval_step, test_accuracy, label="test", color="tab:red")
    axes[0].set(xlabel="training step", ylabel="accuracy", ylim=(0, 1.02), title=_label(summary))
    axes[0].legend(fontsize=7)
    losses(axes[1], summary.measures, summary.phases, names=("train_loss", "test_loss", "excluded_loss", "restricted_loss"),
           title="losses and phases")
    spectrum_bars(spectrum, summary.key_frequencies, title="embedding spectrum at the end", ax=axes[2])
    return fig
