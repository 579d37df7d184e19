"""Two settings for training on a CPU, made for the whole process when ``interp_course.core`` is
imported. What each is worth is measured by ``benchmarks/cpu_settings.py`` (the README's
performance table quotes it); neither changes a result beyond rounding.

**Denormal floats are flushed to zero** (:func:`flush_denormals`). Floats smaller than a normal
float32 can hold (below about 1.2e-38) are "denormal" (or "subnormal"), and a CPU computes on
them many times more slowly than on normal numbers. Late in a grokking run, once the model is
confident, the probabilities of the wrong answers, their gradients and Adam's running averages
of them fall into that range: on our machine the canonical run's steps went from about 42 ms to
122 ms over its last 800 steps, and the run took twice as long; flushed, they stay near 40 ms. The setting belongs to each CPU thread, and the
threads torch computes on copy it from the thread that starts them, the first time torch works
in parallel: so it is set on import, before they start. Import the course before doing anything
else with torch in a process (where the threads started earlier, nothing is wrong, only slower).

**Freed memory is kept for reuse** (:func:`keep_freed_memory`, Linux with glibc only). Every
training step allocates and frees the same tensors of a few megabytes. By default glibc's
allocator hands blocks that large back to the operating system when they are freed, and the
next step pays to get fresh pages from it again. glibc raises that size as a program runs, so
the gain is largest early: the first steps of the canonical run were 15% faster, the whole run
about 2% (62.1 s against 63.2 s, one run each: within the noise). The process keeps up to 1 GB
of freed memory that it could have returned.
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
