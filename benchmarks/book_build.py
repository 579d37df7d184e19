"""Time to build the website with a warm Jupyter Book cache (nothing changed since the last
build), and the size of the built site, with and without the bundled MathJax.

Builds once first to warm the cache (not timed). Usage: python benchmarks/book_build.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
JUPYTER_BOOK = pathlib.Path(sys.executable).parent / "jupyter-book"


def build() -> float:
    start = time.perf_counter()
    subprocess.run([str(JUPYTER_BOOK), "build", str(ROOT), "-W", "-q"], check=True, capture_output=True)
    return time.perf_counter() - start


def size_mb(folder: pathlib.Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    build()  # warm the cache
    times = [build() for _ in range(args.repeats)]
    site = ROOT / "_build" / "html"
    total, mathjax = size_mb(site), size_mb(site / "_static" / "mathjax")
    pages = len([p for p in site.rglob("*.html") if "_static" not in p.parts])
    print(f"book build, warm cache: {statistics.median(times):.1f} s (median of {len(times)}: "
          f"{', '.join(f'{t:.1f}' for t in times)})")
    print(f"built site: {total:.1f} MB, {pages} pages; MathJax {mathjax:.1f} MB of it, the rest {total - mathjax:.1f} MB")


if __name__ == "__main__":
    main()
