"""Chapter 5, "Induction heads" (book/chapter5_induction.ipynb).

- ``runs``: data with repeated segments, the two-layer attention-only run and
  ``load_or_train``, a named vocabulary for typing sequences as words.
- ``plots``: attention heatmaps. ``viewer``: ``AttentionViewer``.
- ``checks``: the checks of exercises 5.1-5.6 (reference: ``solutions/chapter5_induction.py``).
"""
