"""What every chapter uses, and nothing chapter-specific.

- ``transformer``, ``hooks``: a small transformer with TransformerLens names and shapes.
- ``training``: full-batch AdamW training; the caller passes the step function.
- ``losses``: loss and accuracy, per-token next-token losses.
- ``runs``, ``run_cache``: configs that train themselves, one ``Run`` type and one
  ``load_or_train``, and the run cache on disk (keyed by config and code fingerprint).
- ``exercise``: how an exercise is checked (the ``exercise`` decorator, the fallback, the
  strict switch).
- ``validation``: argument checks whose errors name the argument and what was expected.
- ``display``: the base of the interactive viewers.
- ``cpu``: two settings for training on a CPU, made on import: denormal floats flushed to
  zero, freed memory kept for reuse.
- ``stacked``: K transformers of one shape trained as one module.

The dependency rule: ``core`` imports nothing else of the course, neither a chapter package
nor ``solutions``. A trainer takes the step or loss function as an argument.
"""

from .cpu import flush_denormals, keep_freed_memory

flush_denormals()  # before torch starts its threads: see interp_course/core/cpu.py
keep_freed_memory()
