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

- ``cpu``: the one process-wide setting made on import, named here: denormal floats flushed
  to zero (measured: twice as fast a canonical run; see ``cpu.py`` for why on import).

The dependency rule: ``core`` imports nothing else of the course, neither a chapter package
nor ``solutions``. A trainer takes the step or loss function as an argument.
"""

from .cpu import flush_denormals

# The course's one side effect on import, process-wide and deliberate: denormal floats are
# flushed to zero, before torch starts its threads (they copy the setting). Measured worth
# about 40% of chapter 1's cold time; see interp_course/core/cpu.py.
DENORMALS_FLUSHED = flush_denormals()
