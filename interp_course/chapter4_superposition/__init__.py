"""Chapter 4, "A toy model of superposition" (book/chapter4_superposition.ipynb).

- ``runs``: sweep configs (``FIVE_INTO_TWO``, ``TWENTY_INTO_FIVE``, ``PHASE_DIAGRAM``,
  ``DIMENSIONALITY_SWEEP``) and ``load_or_train``.
- ``analysis``: per-instance loss, best of several initialisations, superposition score,
  the phase of a 2-into-1 model.
- ``plots``: features in 2-D, WᵀW, dimensionality, the phase diagram. ``viewer``:
  ``GeometryExplorer``.
- ``checks``: the checks of exercises 4.1-4.5 (reference: ``solutions/chapter4_superposition.py``).
"""
