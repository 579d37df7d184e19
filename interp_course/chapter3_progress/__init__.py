"""Chapter 3, "Progress measures" (book/chapter3_progress.ipynb).

- ``measures``: every progress measure at every checkpoint of a grokking run.
- ``plots``: the overview with phase bands, small multiples. ``viewer``: ``CheckpointExplorer``.
- ``checks``: the checks of exercises 3.1-3.5 (reference: ``solutions/chapter3_progress.py``).
"""
