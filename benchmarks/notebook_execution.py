"""Wall time to execute chapter notebooks top to bottom, with a cold and with a warm run cache.

Cold: a new, empty run cache, so every run the notebook needs is trained. Warm: the same cache
again, so every run loads. The committed notebook is not modified.

Usage: python benchmarks/notebook_execution.py [book/chapter1_grokking.ipynb ...] [--warm-repeats 3] [--skip-cold]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import tempfile
import time

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parent.parent


def execute(path: pathlib.Path, cache: str) -> float:
    notebook = nbformat.read(path, as_version=4)
    os.environ["INTERP_COURSE_CACHE"] = cache  # inherited by the kernel
    client = NotebookClient(notebook, timeout=1800, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", default=[str(ROOT / "book" / "chapter1_grokking.ipynb")])
    parser.add_argument("--warm-repeats", type=int, default=3)
    parser.add_argument("--skip-cold", action="store_true")
    args = parser.parse_args()
    for name in args.notebooks:
        path = pathlib.Path(name).resolve()
        with tempfile.TemporaryDirectory(prefix="run-cache-") as cache:
            if not args.skip_cold:
                cold = execute(path, cache)
                print(f"{path.name}: cold cache {cold:.1f} s")
            else:
                cache = os.environ.get("INTERP_COURSE_CACHE", str(ROOT / ".run_cache"))
            warm = [execute(path, cache) for _ in range(args.warm_repeats)]
            print(f"{path.name}: warm cache {statistics.median(warm):.1f} s "
                  f"(median of {len(warm)}: {', '.join(f'{t:.1f}' for t in warm)})")


if __name__ == "__main__":
    main()
