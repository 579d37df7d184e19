"""The two CPU settings the course makes on import (interp_course/core/cpu.py)."""

import platform
import subprocess
import sys

import pytest

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


STATE = r"""
import importlib, json, os, pkgutil, signal, sys, warnings
import matplotlib, torch
import IPython.core.completer  # IPython 8 adds a warning filter when imported: its doing, not the course's

def state():
    return {"threads": torch.get_num_threads(), "dtype": str(torch.get_default_dtype()),
            "grad": torch.is_grad_enabled(), "deterministic": torch.are_deterministic_algorithms_enabled(),
            "seed": torch.initial_seed(), "sigint": repr(signal.getsignal(signal.SIGINT)),
            "warning filters": len(warnings.filters), "environment": sorted(os.environ),
            "matplotlib": {k: repr(v) for k, v in matplotlib.rcParams.items()}}

before = state()
import interp_course
for module in pkgutil.walk_packages(interp_course.__path__, "interp_course."):
    if module.name != "interp_course.doctor":
        importlib.import_module(module.name)
after = state()
x = torch.full((1 << 22,), 1e-39)  # denormal in float32
print(json.dumps({"changed": sorted(k for k in before if before[k] != after[k]),
                  "denormals left": int(x.mul(1.0).count_nonzero())}))
"""


def test_importing_the_course_changes_nothing_of_the_process_but_the_denormals():
    """Every module of the course imported after torch: threads, dtype, autograd, determinism,
    the random seed, the SIGINT handler, warning filters, the environment and matplotlib's
    settings are as they were; denormals are flushed (one of the two named side effects; the
    other, the allocator's, is tested below)."""
    import json

    out = subprocess.run([sys.executable, "-c", STATE], capture_output=True, text=True, check=True).stdout
    found = json.loads(out.strip().splitlines()[-1])
    assert found["changed"] == []
    assert found["denormals left"] == 0


HEAP = r"""
import sys
if sys.argv[1] == "course":
    import interp_course.core
import torch
ptr = torch.empty(5 << 20).data_ptr()  # 20 MB, float32
heap = [line for line in open("/proc/self/maps") if line.rstrip().endswith("[heap]")]
low, high = (int(v, 16) for v in heap[0].split()[0].split("-")) if heap else (0, 0)
print(low <= ptr < high)
"""


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only")
@pytest.mark.parametrize("importing, from_the_heap", [("course", "True"), ("torch only", "False")])
def test_importing_the_course_makes_glibc_keep_blocks_of_megabytes_on_its_heap(importing, from_the_heap):
    """With the course imported, a 20 MB tensor comes from glibc's heap, which keeps it for reuse
    when freed; with torch alone (glibc's defaults), from a fresh mapping returned on free."""
    out = subprocess.run([sys.executable, "-c", HEAP, importing], capture_output=True, text=True, check=True)
    assert out.stdout.split()[-1] == from_the_heap
    if importing == "course":
        from interp_course import core
        assert core.FREED_MEMORY_KEPT
