"""Time to compute every progress measure of chapter 3 over every checkpoint of the canonical
run (excluded and restricted loss, train and test loss, weight norm, Gini of W_E and W_L).

The run is loaded from the run cache (trained first if absent; that is not timed).

Usage: python benchmarks/progress_measures.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from interp_course.chapter1_grokking import runs as grokking
from interp_course.chapter2_fourier import analysis as fourier
from interp_course.chapter3_progress import measures as progress


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    run = grokking.load_or_train(grokking.CANONICAL)
    key = fourier.key_frequencies(fourier.embedding_spectrum(run.model, run.config.p))
    times = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        progress.measure(run, key)
        times.append(time.perf_counter() - start)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"{len(run.checkpoint_steps)} checkpoints, key frequencies {key}")
    print(f"all measures over all checkpoints: {statistics.median(times):.1f} s "
          f"(median of {len(times)}: {', '.join(f'{t:.1f}' for t in times)})")


if __name__ == "__main__":
    main()
