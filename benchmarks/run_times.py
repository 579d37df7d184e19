"""How long each of the course's runs takes to train on this machine, from scratch.

Every run the chapters load (the chapters' manifests, ``interp_course/chapters.py``) is trained in a new, empty
run cache, with all of torch's threads, as a notebook trains it. A run built on other runs (chapter 8's
autoencoders) is timed alone: the runs it requires are trained into that cache first, untimed. Prints one line per run, the
time of the room check's probe (``interp_course.doctor.probe_step_ms``). These are the
figures the manifests record (each run's ``seconds``) and ``interp_course/course_times.py`` (``MEASURED.probe_ms``); it
derives each chapter's first run from them.

Usage: python benchmarks/run_times.py [--repeats 1] [--runs NAME ...]   (--runs: only these)
Timings depend on the machine and on what else runs on it: report medians, never assert them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import torch

from interp_course import doctor
from interp_course.chapters import distinct_runs
from interp_course.core.runs import load_or_train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--runs", nargs="*", help="only these runs, by the names the manifests give them")
    args = parser.parse_args()
    unknown = set(args.runs or []) - set(distinct_runs())
    if unknown:
        parser.error(f"unknown runs {sorted(unknown)}; the runs are {list(distinct_runs())}")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"probe step: {doctor.probe_step_ms():.1f} ms")
    for name, config in distinct_runs().items():
        if args.runs and name not in args.runs:
            continue
        times = []
        for _ in range(args.repeats):
            with tempfile.TemporaryDirectory(prefix="run-cache-") as cache:
                os.environ["INTERP_COURSE_CACHE"] = cache
                for upstream in config.requires():  # a run built on runs: those are timed on their own lines
                    load_or_train(upstream, progress=False, verbose=False)
                start = time.perf_counter()
                load_or_train(config, progress=False, verbose=False)
                times.append(time.perf_counter() - start)
        print(f"{name}: {statistics.median(times):.1f} s (median of {len(times)})", flush=True)


if __name__ == "__main__":
    main()
