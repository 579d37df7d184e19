"""What every chapter uses, and nothing chapter-specific.

- ``transformer``, ``hooks``: a small transformer with TransformerLens names and shapes.
- ``training``: the one training loop (``train_loop``: full batch or minibatch, one run or a
  stack; progress bar, checkpoints, NaN guard); the caller passes the step function.
- ``losses``: loss and accuracy, per-token next-token losses.
- ``runs``, ``run_cache``: configs that train themselves, one ``Run`` type and one
  ``load_or_train``, and the run cache on disk (keyed by config and code fingerprint).
- ``exercise``: how an exercise is checked (the ``exercise`` decorator, the fallback, the
  strict switch).
- ``validation``: argument checks whose errors name the argument and what was expected.
- ``display``: the base of the interactive viewers.
- ``cpu``: the one process-wide setting made on import, named here: denormal floats flushed
  to zero (measured: twice as fast a canonical run; see ``cpu.py`` for why on import).
- ``fingerprint``: the hash of the code behind a run (the source of the modules it imports).
- ``stacked``: K transformers of one shape trained as one module.

The dependency rule: ``core`` imports nothing else of the course, neither a chapter package
nor ``solutions``. A trainer takes the step or loss function as an argument.
"""

from .cpu import flush_denormals

# The course's one side effect on import, process-wide and deliberate: denormal floats are
# flushed to zero, before torch starts its threads (they copy the setting). Measured worth
# about 40% of chapter 1's cold time; see interp_course/core/cpu.py.
DENORMALS_FLUSHED = flush_denormals()
