"""Speed of the canonical grokking run on this machine.

Prints, as medians over repeats, the time of one training step of the canonical run as the
course does it (only the final position is computed past attention), beside a straightforward
step that computes every position and then takes the last one's logits, at the same config.
(The canonical run's time to 99% test accuracy, against an earlier implementation:
``benchmarks/course_speed.py``.)

Usage: python benchmarks/grokking_run.py [--repeats 3] [--steps-timed 40]
Timings depend on the machine and on what else runs on it: report medians, never assert them.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from interp_course.chapter1_grokking import runs as grokking
from solutions.chapter1_grokking import final_position_loss, training_step


def every_position_step(model, optimizer, tokens, labels) -> tuple[float, float]:
    """The straightforward step: compute logits at every position, use the last."""
    optimizer.zero_grad(set_to_none=True)
    logits = model(tokens)  # [batch, pos, d_vocab_out]
    loss = final_position_loss(logits, labels)
    loss.backward()
    optimizer.step()
    return loss.item(), (logits[:, -1].argmax(-1) == labels).double().mean().item()


def median_step_time(step_fn, n_steps: int) -> float:
    config = grokking.CANONICAL
    data = config.data()
    model = config.build_model()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1.0, betas=(0.9, 0.98))
    for _ in range(3):  # warm-up
        step_fn(model, optimizer, data.train_tokens, data.train_labels)
    times = []
    for _ in range(n_steps):
        start = time.perf_counter()
        step_fn(model, optimizer, data.train_tokens, data.train_labels)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps-timed", type=int, default=40)
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")

    fast, slow = [], []
    for _ in range(args.repeats):
        fast.append(median_step_time(training_step, args.steps_timed))
        slow.append(median_step_time(every_position_step, args.steps_timed))
    fast_ms, slow_ms = 1000 * statistics.median(fast), 1000 * statistics.median(slow)
    print(f"step time, final position only: {fast_ms:.1f} ms (median of {args.repeats} medians of "
          f"{args.steps_timed} steps; all: {', '.join(f'{1000 * t:.1f}' for t in fast)})")
    print(f"step time, every position:      {slow_ms:.1f} ms (all: {', '.join(f'{1000 * t:.1f}' for t in slow)})")
    print(f"speed-up: {slow_ms / fast_ms:.2f}x")


if __name__ == "__main__":
    main()
