"""Plots shared by the chapters. Each function draws on matplotlib axes and returns the figure,
so a notebook shows it and a test can inspect it."""

from __future__ import annotations

import math
from typing import Mapping

import matplotlib.pyplot as plt
import torch

TRAIN_COLOUR = "tab:blue"
TEST_COLOUR = "tab:red"


def training_curves(
    metrics: Mapping[str, torch.Tensor],
    n_classes: int | None = None,
    title: str = "",
    marks: Mapping[str, int | None] | None = None,
    axes=None,
):
    """Loss (log-log) and accuracy (log x) of a grokking run, train and test.

    Args:
        metrics: a run's record: ``step``, ``train_loss``, ``train_accuracy`` [n_steps] and
            ``eval_step``, ``test_loss``, ``test_accuracy`` [n_evals].
        n_classes: the number of possible answers; if given, the loss of a uniform guess,
            log(n_classes), is drawn for reference.
        marks: optional {label: step} drawn as dashed vertical lines (e.g. the memorisation
            and grokking steps); a None step is skipped.
        axes: two matplotlib axes to draw on; new ones if None.
    """
    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(11, 3.6), constrained_layout=True)
    else:
        fig = axes[0].figure
    # Step 0 cannot go on a log axis: train metrics are drawn from step 1 on.
    steps = metrics["step"][1:]
    loss_ax, acc_ax = axes
    loss_ax.plot(steps, metrics["train_loss"][1:], color=TRAIN_COLOUR, label="train")
    loss_ax.plot(metrics["eval_step"], metrics["test_loss"], color=TEST_COLOUR, label="test")
    if n_classes is not None:
        loss_ax.axhline(math.log(n_classes), color="grey", lw=0.8, ls=":", label="uniform guess")
    loss_ax.set(xscale="log", yscale="log", xlabel="training step", ylabel="loss (cross-entropy)")
    acc_ax.plot(steps, metrics["train_accuracy"][1:], color=TRAIN_COLOUR, label="train")
    acc_ax.plot(metrics["eval_step"], metrics["test_accuracy"], color=TEST_COLOUR, label="test")
    acc_ax.set(xscale="log", xlabel="training step", ylabel="accuracy", ylim=(-0.02, 1.02))
    for (label, step), style in zip((marks or {}).items(), ["--", "-.", ":"]):
        if step is None:
            continue
        for ax in axes:
            ax.axvline(step, color="black", lw=1, ls=style, label=f"{label} (step {step})")
    loss_ax.legend(fontsize=8)
    acc_ax.legend(fontsize=8, loc="center left")
    if title:
        fig.suptitle(title)
    return fig

