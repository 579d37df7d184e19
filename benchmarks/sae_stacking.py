"""How much faster chapter 8 trains its autoencoders stacked (many in one tensor) than one at a
time: the L1 sweep on the pentagon, ``saes.FIVE_INTO_TWO_L1`` (30 autoencoders), trained as one
stack and as 30 stacks of one, for the same number of steps, with the toy model trained first.

Usage: python benchmarks/sae_stacking.py [--repeats 3] [--steps 500]
Prints each repeat's seconds and the median ratio (one at a time / stacked). Timings depend on
the machine and on what else runs on it: report medians, never assert them.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import time

import torch

from interp_course.chapter4_superposition import runs as sp
from interp_course.chapter8_saes import runs as saes


def train_seconds(configs: list, toy) -> float:
    start = time.perf_counter()
    for config in configs:
        config.train(progress=False, inputs=(toy,))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps", type=int, default=500)
    args = parser.parse_args()
    stacked = dataclasses.replace(saes.FIVE_INTO_TWO_L1, n_steps=args.steps)
    one_at_a_time = [dataclasses.replace(stacked, l1_coefficients=(c,), seeds=(s,)) for c, s in stacked.settings]
    toy = sp.load_or_train(sp.FIVE_INTO_TWO, progress=False, verbose=False)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {stacked.n_instances} autoencoders, "
          f"{args.steps} steps each")
    ratios = []
    for repeat in range(args.repeats):
        together = train_seconds([stacked], toy)
        apart = train_seconds(one_at_a_time, toy)
        ratios.append(apart / together)
        print(f"repeat {repeat + 1}: stacked {together:.1f} s, one at a time {apart:.1f} s, ratio {ratios[-1]:.1f}", flush=True)
    print(f"median ratio (one at a time / stacked): {statistics.median(ratios):.1f} of {len(ratios)}")


if __name__ == "__main__":
    main()
