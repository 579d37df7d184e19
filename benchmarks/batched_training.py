"""Throughput of chapter 6's stacked trainer against the one-run trainer, same runs, same steps.

Trains the runs of a batch (by default ``universality.SEEDS``: eight seeds at p = 31) for
``--steps`` steps two ways, with the same TrainingConfig (evaluation every 10 steps,
checkpoints every 100):

- stacked: ``train_stacked_full_batch`` with the reference ``batched_training_step``;
- one after another: chapter 1's ``train_full_batch`` with the reference ``training_step``,
  each run built as a HookedTransformer with its own seed and split.

Prints runs per minute for each (median of ``--repeats``) and their ratio. ``--d-model``
changes the width (d_head, d_mlp follow) to see how the gain depends on the model's size.
The chapter's execution time, cold and warm: python benchmarks/notebook_execution.py book/chapter6_universality.ipynb

Usage: python benchmarks/batched_training.py [--steps 300] [--repeats 3] [--d-model 64]
Timings depend on the machine and on what else runs on it: report medians, never assert them.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

import torch

from solutions.chapter1_grokking import training_step
from interp_course.chapter6_universality import runs as universality
from interp_course.core.training import train_full_batch
from interp_course.core.transformer import HookedTransformer


def stacked(config: universality.BatchConfig) -> float:
    start = time.perf_counter()
    config.train(progress=False)
    return time.perf_counter() - start


def one_after_another(config: universality.BatchConfig) -> float:
    data = config.data()
    start = time.perf_counter()
    for k, seed in enumerate(config.seeds):
        model = HookedTransformer(config.model_config(), seed=seed)
        train_full_batch(model, data.train_tokens[k], data.train_labels[k], data.test_tokens[k],
                         data.test_labels[k], config.training, training_step, progress=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--d-model", type=int, default=universality.SEEDS.d_model)
    args = parser.parse_args()
    base = universality.SEEDS
    config = base.replace(n_steps=args.steps, d_model=args.d_model, d_head=args.d_model // base.n_heads,
                          d_mlp=4 * args.d_model)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {config.n_runs} runs at p = {config.p}, "
          f"d_model {config.d_model}, {args.steps} steps")
    times = {"stacked": [], "one after another": []}
    for _ in range(args.repeats):  # interleaved, so that a slow spell of a shared machine hits both
        times["stacked"].append(stacked(config))
        times["one after another"].append(one_after_another(config))
    per_minute = {}
    for name, seconds in times.items():
        median = statistics.median(seconds)
        per_minute[name] = config.n_runs * 60 / median
        print(f"{name:>18}: {median:6.1f} s, {per_minute[name]:5.1f} runs per minute "
              f"(median of {args.repeats}: {', '.join(f'{s:.1f}' for s in seconds)} s)")
    print(f"ratio: {per_minute['stacked'] / per_minute['one after another']:.2f} times the runs per minute stacked")


if __name__ == "__main__":
    main()
