"""Interactive viewers (ipywidgets). Each has a static counterpart in the chapter for the
website, where no kernel runs to redraw."""

from __future__ import annotations

from typing import Sequence

import ipywidgets as widgets
import matplotlib.pyplot as plt
import torch

from .superposition_plots import features_in_2d


class Viewer:
    """A control panel kept in ``self.widget``; a notebook shows it when the object is the
    value of a cell."""

    widget: widgets.Widget

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)


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
            fig, ax = plt.subplots(figsize=(3.4, 3.4), constrained_layout=True)
            features_in_2d(
                self.W[k : k + 1], self.importance[k],
                [f"S = {self.sparsity.value}, importance {self.decay.value}^i"], axes=[ax],
            )
            plt.show()


class AttentionViewer(Viewer):
    """Pick a layer, a head and a sequence; the attention pattern is redrawn.

    Args:
        patterns: {layer: [batch, head, pos, pos]}, e.g. from ``cache["pattern", layer]``.
        labels: per sequence, a label for each position (or None for no tick labels).
    """

    def __init__(self, patterns: dict[int, torch.Tensor], labels: Sequence[Sequence[str]] | None = None):
        from .attention_plots import attention_heatmap

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


class NeuronExplorer(Viewer):
    """Pick a key frequency and a neuron of its cluster; the neuron's activation over (a, b)
    and the fraction of its variance each frequency explains are redrawn.

    Args:
        neurons: [p, p, d_mlp] activations over the grid of inputs.
        fve_per_frequency: [(p - 1) / 2, d_mlp], row k - 1 the fraction of each neuron's
            variance explained by frequency k.
    """

    def __init__(self, neurons: torch.Tensor, fve_per_frequency: torch.Tensor):
        from .fourier_plots import neuron_view

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


class CheckpointExplorer(Viewer):
    """A slider over a run's checkpoints: the spectrum of W_E at the chosen step is redrawn,
    with a marker on the loss curves.

    Args:
        measures: from :func:`interp_course.progress.measure`.
        key: the key frequencies, drawn in colour.
        phases: from ``detect_phases``, drawn as bands (or None).
    """

    def __init__(self, measures: dict, key: Sequence[int], phases: dict | None = None):
        from .progress_plots import checkpoint_view

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
