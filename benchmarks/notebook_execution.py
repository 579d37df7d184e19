"""Wall time to execute chapter notebooks top to bottom, with a cold and with a warm run cache.

Cold: a new, empty run cache, so every run the notebook needs is trained. Warm: the same cache
again, so every run loads. The committed notebook is not modified.

Usage: python benchmarks/notebook_execution.py [book/chapter1_grokking.ipynb ...]
           [--cold-repeats 1] [--warm-repeats 3] [--skip-cold]
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
    parser.add_argument("--cold-repeats", type=int, default=1)
    parser.add_argument("--warm-repeats", type=int, default=3)
    parser.add_argument("--skip-cold", action="store_true")
    args = parser.parse_args()
    for name in args.notebooks:
        path = pathlib.Path(name).resolve()
        if not args.skip_cold:
            cold = []
            for _ in range(args.cold_repeats):
                with tempfile.TemporaryDirectory(prefix="run-cache-") as cache:
                    cold.append(execute(path, cache))
            print(f"{path.name}: cold cache {statistics.median(cold):.1f} s "
                  f"(median of {len(cold)}: {', '.join(f'{t:.1f}' for t in cold)})")
        with tempfile.TemporaryDirectory(prefix="run-cache-") as fresh:
            cache = fresh
            if args.skip_cold:
                cache = os.environ.get("INTERP_COURSE_CACHE", str(ROOT / ".run_cache"))
            else:
                execute(path, cache)  # fill the cache
            warm = [execute(path, cache) for _ in range(args.warm_repeats)]
        print(f"{path.name}: warm cache {statistics.median(warm):.1f} s "
              f"(median of {len(warm)}: {', '.join(f'{t:.1f}' for t in warm)})")

if __name__ == "__main__":
    main()
