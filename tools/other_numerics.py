"""Environment settings under which this machine trains the course's runs with other numerics.

A learner's laptop rounds the last bit of some sums differently from ours (another vector
instruction set, another matrix-multiply kernel), and training amplifies that into a slightly
different run. CI checks that the course's claims survive it by training every run a second
time with other CPU kernels, in a separate run cache, and running the claims tests and the
notebooks on those runs (see .ci/run). This script picks the kernels:

    python tools/other_numerics.py            # prints e.g. "ATEN_CPU_CAPABILITY=avx2 MKL_CBWR=AVX2"

It tries, cheapest first, settings of PyTorch's vector kernels (ATEN_CPU_CAPABILITY) and of
MKL's matrix products (MKL_CBWR), trains the first 30 steps of the canonical run under each
in a fresh process, and prints the first whose training losses differ from this machine's
own. If none differs it exits with status 1: a second pass would test nothing.

    ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE   the slowest and most different (2.9x here)

is what a one-off check by hand can use: `--settings "ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE"`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

# Step times on our AVX-512 machine against its own kernels (python benchmarks/numerics.py):
CANDIDATES = (
    "ATEN_CPU_CAPABILITY=avx2 MKL_CBWR=AVX2",  # 1.3x; the same as native on an AVX2 machine
    "ATEN_CPU_CAPABILITY=default MKL_CBWR=AVX2",  # 1.5x
    "ATEN_CPU_CAPABILITY=default",  # 1.3x
    "ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE",  # 2.9x
)

PROBE = """
import torch
from interp_course.chapter1_grokking import runs as grokking
from solutions.chapter1_grokking import training_step
config = grokking.CANONICAL
data, model = config.data(), config.build_model()
optimizer = torch.optim.AdamW(model.parameters(), lr=config.training.lr, weight_decay=config.training.weight_decay,
                              betas=(config.training.beta1, config.training.beta2))
losses = [training_step(model, optimizer, data.train_tokens, data.train_labels)[0] for _ in range(30)]
print(torch.backends.cpu.get_cpu_capability(), " ".join(repr(loss) for loss in losses))
"""


def parse(settings: str) -> dict[str, str]:
    """"A=1 B=2" -> {"A": "1", "B": "2"}."""
    pairs = dict(item.split("=", 1) for item in settings.split())
    unknown = set(pairs) - {"ATEN_CPU_CAPABILITY", "MKL_CBWR"}
    if unknown:
        raise SystemExit(f"settings may set ATEN_CPU_CAPABILITY and MKL_CBWR only, got {sorted(unknown)}")
    return pairs


def probe(settings: dict[str, str]) -> tuple[str, str]:
    """(the vector kernels PyTorch chose, the 30 training losses) in a fresh process."""
    env = {k: v for k, v in os.environ.items() if k not in ("ATEN_CPU_CAPABILITY", "MKL_CBWR")}
    env.update(settings)
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True).stdout
    capability, losses = out.strip().split(" ", 1)
    return capability, losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--settings", help='check these settings only, e.g. "ATEN_CPU_CAPABILITY=default"')
    args = parser.parse_args()
    native_capability, native = probe({})
    print(f"this machine: {native_capability}", file=sys.stderr)
    for settings in [args.settings] if args.settings else CANDIDATES:
        capability, losses = probe(parse(settings))
        differs = losses != native
        print(f"{settings}: kernels {capability}, training {'differs' if differs else 'is identical'}", file=sys.stderr)
        if differs:
            print(settings)
            return
    raise SystemExit("no setting trains differently from this machine's own: a second pass would test nothing")


if __name__ == "__main__":
    main()
