"""Speed of chapter 5's induction run on this machine.

Prints the median time, over repeats, to train the canonical run from scratch (no cache) up
to its phase change: the first evaluation at which the loss on the repeated half of repeated
random tokens falls below 3.0 (log 256 = 5.55 before it), and the step at which that happens.
The chapter's execution time, cold and warm: python benchmarks/notebook_execution.py book/chapter5_induction.ipynb

Usage: python benchmarks/induction_run.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

import torch

from interp_course.chapter5_induction import runs as induction


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    # Find the step of the phase change once (the run is deterministic), then time training up to it.
    full = induction.load_or_train(induction.CANONICAL, progress=False, verbose=False)
    below = (full.metrics["eval_loss_repeated"] < 3.0).nonzero()
    if len(below) == 0:
        raise RuntimeError("the canonical run never reaches a repeated-half loss below 3.0")
    change_step = int(full.metrics["eval_step"][below[0, 0]])
    config = dataclasses.replace(induction.CANONICAL, n_steps=change_step)
    seconds = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        metrics, _ = config.train(progress=False)
        seconds.append(time.perf_counter() - start)
        assert metrics["eval_loss_repeated"][-1] < 3.0, "training up to the phase change did not reproduce it"
    print(f"time to the phase change (step {change_step}): {statistics.median(seconds):.1f} s "
          f"(median of {args.repeats}: {', '.join(f'{s:.1f}' for s in seconds)})")


if __name__ == "__main__":
    main()
