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


STATE = r"""
import importlib, json, os, pkgutil, signal, sys, warnings
import matplotlib, torch

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
    settings are as they were; only denormals are flushed (the one named side effect)."""
    import json

    out = subprocess.run([sys.executable, "-c", STATE], capture_output=True, text=True, check=True).stdout
    found = json.loads(out.strip().splitlines()[-1])
    assert found["changed"] == []
    assert found["denormals left"] == 0
