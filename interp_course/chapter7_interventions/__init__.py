"""Chapter 7, "Causal interventions" (book/chapter7_interventions.ipynb).

- ``analysis``: the clean and corrupted runs, patching every head, position and path,
  ablations, attribution patching's gradient, probes, how much of the loss a circuit keeps.
- ``plots``: the patching heatmaps and comparisons. ``claims``: what the chapter concludes.
- ``checks``: the checks of exercises 7.1-7.7 (reference: ``solutions/chapter7_interventions.py``).
"""
