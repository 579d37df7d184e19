"""Chapter 1, "The grokking phenomenon" (book/chapter1_grokking.ipynb).

- ``runs``: modular-addition data, the run configs (``CANONICAL``, ``NO_WEIGHT_DECAY``,
  ``OTHER_SEED``, the train fractions) and ``load_or_train``; chapters 2, 3 load these runs.
- ``plots``: training curves.
- ``checks``: the checks of exercises 1.1-1.5 (reference: ``solutions/chapter1_grokking.py``).
"""
