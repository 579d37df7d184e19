"""Chapter 2, "The Fourier multiplication algorithm" (book/chapter2_fourier.ipynb).

- ``analysis``: spectra, key frequencies, activations over the (a, b) grid, the idealised
  algorithm's fit, ablations.
- ``plots``: spectra, heatmaps, a neuron's view. ``viewer``: ``NeuronExplorer``.
- ``checks``: the checks of exercises 2.1-2.6 (reference: ``solutions/chapter2_fourier.py``).
"""
