"""The interactive viewer of chapter 2 (its static counterpart is drawn in the chapter)."""

from __future__ import annotations


import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch

from ..core.display import Viewer
from .plots import neuron_view


class NeuronExplorer(Viewer):
    """Pick a key frequency and a neuron of its cluster; the neuron's activation over (a, b)
    and the fraction of its variance each frequency explains are redrawn.

    Args:
        neurons: [p, p, d_mlp] activations over the grid of inputs.
        fve_per_frequency: [(p - 1) / 2, d_mlp], row k - 1 the fraction of each neuron's
            variance explained by frequency k.
    """

    def __init__(self, neurons: torch.Tensor, fve_per_frequency: torch.Tensor):
        self._draw = neuron_view
        self.neurons, self.fve_per_frequency = neurons, fve_per_frequency
        self.fve, best = fve_per_frequency.max(dim=0)
        self.best_frequency = best + 1  # [d_mlp]
        frequencies = sorted(set(self.best_frequency.tolist()))
        self.frequency = widgets.Dropdown(options=frequencies, description="frequency")
        self.rank = widgets.IntSlider(min=0, max=0, description="neuron #")
        self.output = widgets.Output()
        self.frequency.observe(self._new_cluster, names="value")
        self.rank.observe(self.redraw, names="value")
        self.widget = widgets.VBox([widgets.HBox([self.frequency, self.rank]), self.output])
        self._new_cluster()

    def cluster(self) -> torch.Tensor:
        """The neurons of the selected frequency, best explained first: [n] long."""
        members = (self.best_frequency == self.frequency.value).nonzero().flatten()
        return members[self.fve[members].argsort(descending=True)]

    def selected(self) -> int:
        return int(self.cluster()[self.rank.value])

    def _new_cluster(self, change=None) -> None:
        self.rank.max = len(self.cluster()) - 1
        self.rank.value = 0
        self.redraw()

    def redraw(self, change=None) -> None:
        n = self.selected()
        with self.output:
            self.output.clear_output(wait=True)
            title = f"neuron {n}: frequency {self.frequency.value}, explains {self.fve[n]:.0%}"
            self._draw(self.neurons[..., n], self.fve_per_frequency[:, n], title)
            plt.show()
