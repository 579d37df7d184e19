"""What every chapter uses, and nothing chapter-specific.

Models and training:

- ``transformer``, ``hooks``: a small transformer with TransformerLens names and shapes.
- ``stacked``: K transformers of one shape trained as one module.
- ``training``: the one training loop (``train_loop``: full batch or minibatch, one run or a
  stack; progress bar, checkpoints, NaN guard); the caller passes the step function.
- ``losses``: loss and accuracy, per-token next-token losses.
- ``splits``: a data set's train and test sets, looked up from a split's indices.

Runs on disk:

- ``runs``: configs that train themselves (and name the runs they are built from), one ``Run``
  type and one ``load_or_train``.
- ``fingerprint``: the code behind a run (the source of the modules it imports).
- ``run_cache``: the run cache on disk (keyed by config and code fingerprint).
- ``manifest``: what a chapter declares about itself (title, times, runs).

Exercises and the chapters' claims:

- ``exercise``: how an exercise is checked (the ``exercise`` decorator, the fallback, the
  strict switch), with ``learner_call`` (calling the learner's function: stubs, errors, inputs
  changed in place), ``reference_results`` (the reference, once per case), ``result_diagnosis``
  (NaN, wrong types), ``time_limit``, ``exercise_failures`` and ``tensor_comparison``.
- ``validation``: argument checks whose errors name the argument and what was expected, and
  the ``arguments`` decorator that states a function's contract at its boundary.
- ``claims``: how a chapter states a conclusion and checks it on the learner's run.
- ``display``: the base of the interactive viewers.

The process:

- ``cpu``: the two process-wide settings made on import, named here: denormal floats flushed
  to zero (measured: twice as fast a canonical run; see ``cpu.py`` for why on import), and
  glibc's allocator told to keep freed memory for reuse (measured: a training step about 6%
  faster).

The dependency rule: ``core`` imports nothing else of the course, neither a chapter package
nor ``solutions``. A trainer takes the step or loss function as an argument.
"""

from .cpu import flush_denormals, keep_freed_memory

# The course's two side effects on import, process-wide and deliberate; see
# interp_course/core/cpu.py for what each is measured to be worth.
# Denormal floats flushed to zero, before torch starts its threads (they copy the setting):
DENORMALS_FLUSHED = flush_denormals()
# Freed blocks of up to 32 MB kept for reuse by glibc's allocator (Linux only):
FREED_MEMORY_KEPT = keep_freed_memory()
