"""The cost of training under other CPU kernels: the canonical run's step time per setting.

CI's second pass (.ci/run) trains every run again under the settings tools/other_numerics.py
picks; this prints what each candidate setting costs on this machine, beside the machine's
own kernels, as the median over repeats (each a fresh process, so the environment variables
take effect) of the median step time over ``--steps-timed`` steps.

Usage: python benchmarks/numerics.py [--repeats 3] [--steps-timed 20]
Timings depend on the machine and on what else runs on it: report medians, never assert them.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
from other_numerics import CANDIDATES, parse  # noqa: E402

PROBE = """
import statistics, sys, time, torch
from interp_course.chapter1_grokking import runs as grokking
from solutions.chapter1_grokking import training_step
config = grokking.CANONICAL
data, model = config.data(), config.build_model()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1.0, betas=(0.9, 0.98))
for _ in range(3):
    training_step(model, optimizer, data.train_tokens, data.train_labels)
times = []
for _ in range(int(sys.argv[1])):
    start = time.perf_counter()
    training_step(model, optimizer, data.train_tokens, data.train_labels)
    times.append(time.perf_counter() - start)
print(torch.backends.cpu.get_cpu_capability(), statistics.median(times))
"""


def step_time(settings: str, steps: int) -> tuple[str, float]:
    env = {k: v for k, v in os.environ.items() if k not in ("ATEN_CPU_CAPABILITY", "MKL_CBWR")}
    env.update(parse(settings))
    out = subprocess.run([sys.executable, "-c", PROBE, str(steps)], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    return out[0], float(out[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps-timed", type=int, default=20)
    args = parser.parse_args()
    native = None
    for settings in ("", *CANDIDATES):
        results = [step_time(settings, args.steps_timed) for _ in range(args.repeats)]
        ms = 1000 * statistics.median(t for _, t in results)
        native = native or ms
        name = settings or "this machine's own kernels"
        print(f"{name:50} {results[0][0]:>8}  {ms:6.1f} ms a step  ({ms / native:.2f}x; "
              f"all: {', '.join(f'{1000 * t:.1f}' for _, t in results)})")


if __name__ == "__main__":
    main()
