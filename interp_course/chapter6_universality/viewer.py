"""The interactive viewer of chapter 6 (its static counterpart is drawn in the chapter)."""

from __future__ import annotations

import ipywidgets as widgets
import matplotlib.pyplot as plt

from ..core.display import Viewer
from .analysis import RunSummary, embedding_spectra
from .plots import run_detail
from .runs import BatchRun


class RunViewer(Viewer):
    """Pick a batch and a run; its curves, losses with phases and spectrum are redrawn.

    Args:
        batches: {name: (batch, summaries)}, e.g. {"p=31, attention": (batch, summarise(batch))}.
    """

    def __init__(self, batches: dict[str, tuple[BatchRun, list[RunSummary]]]):
        self.batches = batches
        self.batch = widgets.Dropdown(options=list(batches), description="batch")
        self.run = widgets.Dropdown(description="run")
        self.output = widgets.Output()
        self.batch.observe(self._batch_changed, names="value")
        self.run.observe(self.redraw, names="value")
        self.widget = widgets.VBox([widgets.HBox([self.batch, self.run]), self.output])
        self._batch_changed()

    def _batch_changed(self, change=None) -> None:
        _, summaries = self.batches[self.batch.value]
        self.run.options = [(f"seed {s.seed}", i) for i, s in enumerate(summaries)]
        self.run.value = 0
        self.redraw()

    def redraw(self, change=None) -> None:
        batch, summaries = self.batches[self.batch.value]
        k = self.run.value
        with self.output:
            self.output.clear_output(wait=True)
            draw(batch, summaries, k)
            plt.show()


def draw(batch: BatchRun, summaries: list[RunSummary], k: int):
    """The figure the viewer shows for run ``k`` of ``batch``."""
    m = batch.metrics
    spectrum = embedding_spectra(batch, batch.final_step)[k]
    return run_detail(summaries[k], spectrum, m["eval_step"], m["train_accuracy"][k], m["test_accuracy"][k])
