"""The interactive viewer of chapter 4 (its static counterpart is drawn in the chapter)."""

from __future__ import annotations

from typing import Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch

from ..core.display import Viewer
from .plots import features_in_2d


class GeometryExplorer(Viewer):
    """Sliders for sparsity and importance decay over a grid of trained 5-into-2 toy models;
    the plot of the selected model's feature directions is redrawn on every change.

    Args:
        W: [instances, 2, n_features], the instances of the grid, in the order
            ``(decay, sparsity)`` for decay in ``decays`` for sparsity in ``sparsities``.
        importance: [instances, n_features].
    """

    def __init__(self, W: torch.Tensor, importance: torch.Tensor, sparsities: Sequence[float], decays: Sequence[float]):
        if W.shape[0] != len(sparsities) * len(decays):
            raise ValueError(
                f"W must hold len(decays) * len(sparsities) = {len(decays) * len(sparsities)} "
                f"instances, got {W.shape[0]}"
            )
        self.W, self.importance = W, importance
        self.sparsities, self.decays = list(sparsities), list(decays)
        self.sparsity = widgets.SelectionSlider(options=self.sparsities, value=self.sparsities[0], description="sparsity S")
        self.decay = widgets.SelectionSlider(options=self.decays, value=self.decays[0], description="importance decay")
        self.output = widgets.Output()
        self.sparsity.observe(self.redraw, names="value")
        self.decay.observe(self.redraw, names="value")
        self.widget = widgets.VBox([widgets.HBox([self.sparsity, self.decay]), self.output])
        self.redraw()

    @property
    def index(self) -> int:
        """The instance the sliders select."""
        return self.decays.index(self.decay.value) * len(self.sparsities) + self.sparsities.index(self.sparsity.value)

    def redraw(self, change=None) -> None:
        k = self.index
        with self.output:
            self.output.clear_output(wait=True)
            fig, ax = plt.subplots(figsize=(4.6, 3.6), constrained_layout=True)
            features_in_2d(
                self.W[k : k + 1], self.importance[k],
                [f"S = {self.sparsity.value}, importance $I_i = {self.decay.value}^i$"], axes=[ax],
            )
            plt.show()
