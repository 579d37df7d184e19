"""The one CPU setting the course makes on import (interp_course/core/cpu.py)."""

import subprocess
import sys

from interp_course.core import cpu


def test_importing_the_course_flushes_denormals_in_every_thread_torch_computes_on():
    """In a fresh process: import the course, then work on denormal floats in parallel (a tensor
    large enough for torch to split it between its threads): every result is flushed to zero."""
    code = (
        "import interp_course.core, torch\n"
        "x = torch.full((1 << 22,), 1e-39)\n"  # denormal in float32
        "print(int(x.mul(1.0).count_nonzero()), torch.get_num_threads())\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == "0"


def test_without_the_setting_denormals_survive():
    """The check above can fail: without the course, the same product keeps its denormals."""
    code = (
        "import torch\n"
        "x = torch.full((1 << 22,), 1e-39)\n"
        "print(int(x.mul(1.0).count_nonzero()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == str(1 << 22)


def test_importing_the_course_changes_nothing_else_of_the_process():
    """The only setting made on import is named in interp_course.core: no allocator tuning."""
    import interp_course.core as core

    assert core.DENORMALS_FLUSHED in (True, False)
    assert not hasattr(cpu, "keep_freed_memory")
