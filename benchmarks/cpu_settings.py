"""What the CPU settings the course makes on import (``interp_course/core/cpu.py``) are worth:
the canonical run trained for its 1,500 steps as the course does it, with denormals not flushed,
and with glibc's allocator left to return freed memory, each in a fresh process. Prints the median time of a training step
(evaluations included) over each stretch of 100 steps, so that the slowdown late in the run,
when denormal numbers appear, shows.

Usage: python benchmarks/cpu_settings.py [--steps 1500] [--only "denormals kept"]
Timings depend on the machine and on what else runs on it: report them, never assert them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

TIMER = r"""
import json, sys, time
setting = sys.argv[1]
if setting == "freed memory returned":  # the course cannot reach glibc, so its setting does not apply
    import ctypes, torch  # torch loads its libraries first (it starts no threads on import)
    def no_library(*args, **kwargs):
        raise OSError("left out by benchmarks/cpu_settings.py")
    ctypes.CDLL = no_library
import interp_course.core  # makes the settings
import torch
if setting == "freed memory returned":
    assert not interp_course.core.FREED_MEMORY_KEPT
if setting == "denormals kept":
    torch.set_flush_denormal(False)  # before torch starts its threads, which copy the setting
from interp_course.chapter1_grokking import runs as grokking
from interp_course.core import training
from solutions.chapter1_grokking import training_step
config = grokking.CANONICAL.replace(n_steps=int(sys.argv[2]))
data = config.data()
model = config.build_model()
optimizer, scheduler = training.adamw_with_warmup(model, config.training)
times, start = [], time.perf_counter()
for step in range(config.training.n_steps):
    training_step(model, optimizer, data.train_tokens, data.train_labels)
    scheduler.step()
    if (step + 1) % config.training.eval_every == 0:
        training.evaluate(model, data.test_tokens, data.test_labels)
    if (step + 1) % 100 == 0:
        now = time.perf_counter()
        times.append(1000 * (now - start) / 100)
        start = now
print(json.dumps(times))
"""

SETTINGS = ("the course (both settings)", "denormals kept", "freed memory returned")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--only", choices=SETTINGS, action="append", help="measure only this setting (repeatable)")
    args = parser.parse_args()
    for setting in args.only or SETTINGS:
        result = subprocess.run([sys.executable, "-c", TIMER, setting, str(args.steps)],
                                capture_output=True, text=True, check=True)
        per_hundred = json.loads(result.stdout.strip().splitlines()[-1])
        total = sum(per_hundred) / 10
        print(f"{setting:28s} {total:6.1f} s in all; ms a step, each 100 steps: "
              + " ".join(f"{t:.0f}" for t in per_hundred), flush=True)


if __name__ == "__main__":
    main()
