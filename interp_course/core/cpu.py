"""The two process-wide settings the course makes when ``interp_course.core`` is imported, each
named, each measured to be worth more than the 5% of a chapter's cold time that a side effect on
import must earn (``benchmarks/cpu_settings.py`` and ``benchmarks/grokking_run.py``; the README's
performance table). Neither changes a result beyond rounding; ``interp_course.core`` records
whether each applied (``DENORMALS_FLUSHED``, ``FREED_MEMORY_KEPT``).

**Denormal floats are flushed to zero** (:func:`flush_denormals`). Floats smaller than a normal
float32 can hold (below about 1.2e-38) are "denormal" (or "subnormal"), and a CPU computes on
them many times more slowly than on normal numbers. Late in a grokking run, once the model is
confident, the probabilities of the wrong answers, their gradients and Adam's running averages
of them fall into that range: on our 2-core machine the canonical run took 127.6 s with
denormals kept against 62.1 s flushed (its steps went from about 42 ms to 122 ms over its last
800 steps), about 40% of chapter 1's cold time.

Why on import. The setting belongs to each CPU thread, and the threads torch computes on copy it
from the thread that starts them, the first time torch works in parallel: so it must be made
before they start, and importing the course is the one moment the course is sure to be first.
Import the course before doing anything else with torch in a process (where the threads started
earlier, nothing is wrong, only slower). The training loop sets it again in its own thread.

**Freed memory is kept for reuse** (:func:`keep_freed_memory`, Linux with glibc only). Every
training step allocates and frees the same tensors of a few megabytes. By default glibc's
allocator hands blocks that large back to the operating system when they are freed, and the next
step pays to get fresh pages again. Issue 29 removed this setting as not worth its side effect
and measured the course side by side with the code before it: one canonical training step took
a median 42.0 ms without it against 39.5 ms with it (five fresh processes each, turn about, on a
2-core AMD EPYC), and the chapters' cold times were 1.13 times the earlier code's in one sample
of two, so it is back. The process keeps up to 1 GB of freed memory it could have returned; on
macOS and Windows the allocators already reuse memory and nothing changes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import platform

import torch

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
MMAP_THRESHOLD = 32 * 1024 * 1024
"""Blocks up to this size come from the heap, which keeps them when freed (glibc's maximum)."""
TRIM_THRESHOLD = 1024 * 1024 * 1024
"""The heap gives memory back to the operating system only when this much is free at its top."""


def flush_denormals() -> bool:
    """Flush denormal floats to zero in this thread, and in torch's threads started after it.

    Returns whether this CPU supports it (x86 with SSE3 and ARM64 do; elsewhere nothing changes).
    """
    return torch.set_flush_denormal(True)


def keep_freed_memory() -> bool:
    """Make glibc's allocator keep freed blocks of up to 32 MB for reuse instead of returning
    them to the operating system. Returns whether it applied (Linux with glibc; elsewhere it
    does nothing: macOS's and Windows' allocators already reuse memory)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(
            libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    except (OSError, AttributeError):
        return False
