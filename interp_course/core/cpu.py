"""The one process-wide setting the course makes when ``interp_course.core`` is imported:
**denormal floats are flushed to zero** (:func:`flush_denormals`). It changes no result beyond
rounding, and it is made on import because it only works there (below).

Why it is worth a side effect. Floats smaller than a normal float32 can hold (below about
1.2e-38) are "denormal" (or "subnormal"), and a CPU computes on them many times more slowly than
on normal numbers. Late in a grokking run, once the model is confident, the probabilities of the
wrong answers, their gradients and Adam's running averages of them fall into that range: on our
2-core machine the canonical run took 127.6 s with denormals kept against 62.1 s flushed (its
steps went from about 42 ms to 122 ms over its last 800 steps), about 40% of chapter 1's cold
time (``benchmarks/cpu_settings.py``; the README's performance table).

Why on import. The setting belongs to each CPU thread, and the threads torch computes on copy it
from the thread that starts them, the first time torch works in parallel: so it must be made
before they start, and importing the course is the one moment the course is sure to be first.
Import the course before doing anything else with torch in a process (where the threads started
earlier, nothing is wrong, only slower). The training loop sets it again in its own thread.

The course made a second setting on import until issue 29 (glibc's allocator told to keep freed
memory through ``mallopt``): it was worth about 2% of the canonical run (62.1 s against 63.2 s,
one run each, within the noise), under the 5% a process-wide side effect must earn, so it is gone.
"""

from __future__ import annotations

import torch


def flush_denormals() -> bool:
    """Flush denormal floats to zero in this thread, and in torch's threads started after it.

    Returns whether this CPU supports it (x86 with SSE3 and ARM64 do; elsewhere nothing changes).
    """
    return torch.set_flush_denormal(True)
