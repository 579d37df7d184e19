"""The interactive viewer of chapter 5 (its static counterpart is drawn in the chapter)."""

from __future__ import annotations

from typing import Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch

from ..core.display import Viewer
from .plots import attention_heatmap


class AttentionViewer(Viewer):
    """Pick a layer, a head and a sequence; the attention pattern is redrawn.

    Args:
        patterns: {layer: [batch, head, pos, pos]}, e.g. from ``cache["pattern", layer]``.
        labels: per sequence, a label for each position (or None for no tick labels).
    """

    def __init__(self, patterns: dict[int, torch.Tensor], labels: Sequence[Sequence[str]] | None = None):
        self._draw = attention_heatmap
        self.patterns, self.labels = patterns, labels
        first = next(iter(patterns.values()))
        self.layer = widgets.Dropdown(options=sorted(patterns), description="layer")
        self.head = widgets.IntSlider(min=0, max=first.shape[1] - 1, description="head")
        self.sequence = widgets.IntSlider(min=0, max=first.shape[0] - 1, description="sequence")
        self.output = widgets.Output()
        for control in (self.layer, self.head, self.sequence):
            control.observe(self.redraw, names="value")
        self.widget = widgets.VBox([widgets.HBox([self.layer, self.head, self.sequence]), self.output])
        self.redraw()

    def selected(self) -> torch.Tensor:
        """The pattern on display: [pos, pos]."""
        return self.patterns[self.layer.value][self.sequence.value, self.head.value]

    def redraw(self, change=None) -> None:
        labels = None if self.labels is None else self.labels[self.sequence.value]
        with self.output:
            self.output.clear_output(wait=True)
            self._draw(self.selected(), labels, title=f"layer {self.layer.value}, head {self.head.value}")
            plt.show()
