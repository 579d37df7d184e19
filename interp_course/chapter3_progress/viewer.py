"""The interactive viewer of chapter 3 (its static counterpart is drawn in the chapter)."""

from __future__ import annotations

from typing import Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt

from ..core.display import Viewer
from .plots import checkpoint_view


class CheckpointExplorer(Viewer):
    """A slider over a run's checkpoints: the spectrum of W_E at the chosen step is redrawn,
    with a marker on the loss curves.

    Args:
        measures: from :func:`interp_course.chapter3_progress.measures.measure`.
        key: the key frequencies, drawn in colour.
        phases: from ``detect_phases``, drawn as bands (or None).
    """

    def __init__(self, measures: dict, key: Sequence[int], phases: dict | None = None):
        self._draw = checkpoint_view
        self.measures, self.key, self.phases = measures, list(key), phases
        self.step = widgets.SelectionSlider(options=measures["step"].tolist(), description="step")
        self.output = widgets.Output()
        self.step.observe(self.redraw, names="value")
        self.widget = widgets.VBox([self.step, self.output])
        self.redraw()

    def index(self) -> int:
        return self.measures["step"].tolist().index(self.step.value)

    def redraw(self, change=None) -> None:
        with self.output:
            self.output.clear_output(wait=True)
            self._draw(self.measures, self.index(), self.key, self.phases)
            plt.show()
