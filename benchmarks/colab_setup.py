"""What the Colab set-up cell downloads and how long it takes, in an environment made like Colab's.

Colab cannot be reached from CI, so this builds a stand-in: a fresh virtual environment on
Python 3.12 with another torch already installed, and numpy, matplotlib, tqdm and ipywidgets 7
(Colab's own choice), as on Colab. Then, each with an empty pip cache, it times two installs:

- before: what the cell did until 2026-12-05, ``pip install -c requirements.txt -e <course>``
  (which replaced Colab's torch with the pinned one, CUDA libraries and all);
- after: the cell itself (``tools/set_repository.py``'s source, run in the stand-in with a
  stand-in ``google.colab`` module, cloning this checkout instead of GitHub): it installs the
  packages missing or older than pyproject.toml's lower bounds, at their pins, and keeps
  Colab's torch.

Downloaded size: the files pip's dry-run report says it would fetch (for the cell, its own pip
command run with ``PIP_DRY_RUN`` and ``PIP_REPORT`` set), their sizes asked of the index (or
read from this disk, for a wheel pip finds here, which Colab would download). The clone of the
course is not counted in the size; the cell's time includes its clone of this checkout (a
local clone, under a second). Usage (minutes, several GB):

    python benchmarks/colab_setup.py [--python python3.12] [--colab-torch 2.9.1] [--repeats 1] [--skip-before]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from tools.set_repository import colab_setup_source  # noqa: E402


def folder_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6


def colab_like(python: str, torch_version: str, where: Path) -> Path:
    venv = where / "colab"
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", f"torch=={torch_version}", "numpy", "matplotlib",
                    "tqdm", "ipywidgets==7.7.1"], check=True)
    return venv


def report_mb(report: Path) -> tuple[float, list[str]]:
    """MB that a pip install whose dry-run ``report`` this is downloads, and what it installs:
    the report lists each file pip would fetch; their sizes are asked of the index."""
    installs = json.loads(report.read_text())["install"] if report.exists() else []
    total = 0
    for item in installs:
        url = (item.get("download_info") or {}).get("url", "")
        if url.startswith("file://") and url.endswith(".whl"):  # a wheel pip found on this disk: Colab downloads it
            total += Path(urllib.parse.unquote(url[len("file://"):])).stat().st_size
        elif url.startswith("http"):
            request = urllib.request.Request(url, method="HEAD")
            with urllib.request.urlopen(request, timeout=60) as response:
                total += int(response.headers.get("Content-Length", 0))
    names = [f"{item['metadata']['name']}=={item['metadata']['version']}" for item in installs]
    return total / 1e6, names


def timed_install(venv: Path, packages: list[str], where: Path) -> tuple[float, float, list[str]]:
    """(seconds, MB downloaded, what it installs) of ``pip install packages`` into a copy of
    ``venv``, with an empty pip cache."""
    copy = where / f"copy-{time.monotonic_ns()}"
    shutil.copytree(venv, copy, symlinks=True)
    report = where / f"report-{time.monotonic_ns()}.json"
    subprocess.run([str(copy / "bin" / "python"), "-m", "pip", "install", "-q", "--dry-run", "--report", str(report),
                    *packages], check=True)
    mb, names = report_mb(report)
    cache = where / f"cache-{time.monotonic_ns()}"
    start = time.perf_counter()
    subprocess.run([str(copy / "bin" / "python"), "-m", "pip", "install", "-q", "--cache-dir", str(cache), *packages],
                   check=True)
    seconds = time.perf_counter() - start
    shutil.rmtree(copy)
    shutil.rmtree(cache, ignore_errors=True)
    return seconds, mb, names


STAND_IN_COLAB = """import sys, types
colab = types.ModuleType("google.colab")
colab.output = types.SimpleNamespace(enable_custom_widget_manager=lambda: None)
google = types.ModuleType("google")
google.colab = colab
sys.modules.update({"google": google, "google.colab": colab})
"""
"""Run before the cell: ``google.colab`` imported, as in Colab, with the one call the cell makes."""


def timed_cell(venv: Path, where: Path) -> tuple[float, float, list[str]]:
    """(seconds, MB downloaded, what it installs) of the Colab set-up cell, run in a copy of
    ``venv`` as Colab runs it (cloning this checkout), with an empty pip cache."""
    placeholder = "https://github.com/stand-in/course"
    copy = where / f"copy-{time.monotonic_ns()}"
    shutil.copytree(venv, copy, symlinks=True)
    checkout = where / f"content-{time.monotonic_ns()}" / "interp-course"
    checkout.parent.mkdir()
    source = (colab_setup_source(placeholder).replace(repr(placeholder), repr(str(ROOT)))
              .replace("/content/interp-course", str(checkout)))
    script = where / f"cell-{time.monotonic_ns()}.py"
    script.write_text(STAND_IN_COLAB + source + "\n")
    report = where / f"report-{time.monotonic_ns()}.json"
    subprocess.run([str(copy / "bin" / "python"), str(script)], check=True,
                   env={**os.environ, "PIP_DRY_RUN": "1", "PIP_REPORT": str(report)})
    mb, names = report_mb(report)
    shutil.rmtree(checkout)
    cache = where / f"cache-{time.monotonic_ns()}"
    start = time.perf_counter()
    subprocess.run([str(copy / "bin" / "python"), str(script)], check=True, env={**os.environ, "PIP_CACHE_DIR": str(cache)})
    seconds = time.perf_counter() - start
    shutil.rmtree(copy)
    shutil.rmtree(cache, ignore_errors=True)
    return seconds, mb, names


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default="python3.12")
    parser.add_argument("--colab-torch", default="2.9.1", help="the torch the stand-in has installed")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--skip-before", action="store_true", help="measure only the cell as it is now")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp)
        venv = colab_like(args.python, args.colab_torch, where)
        constraints = where / "constraints.txt"
        constraints.write_text("".join(line + "\n" for line in (ROOT / "requirements.txt").read_text().splitlines()
                                       if not line.startswith("-e")))
        before = ([timed_install(venv, ["-c", str(constraints), "-e", str(ROOT)], where) for _ in range(args.repeats)]
                  if not args.skip_before else [])
        after = [timed_cell(venv, where) for _ in range(args.repeats)]
    version = subprocess.run([args.python, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"stand-in for Colab: {version}, torch {args.colab_torch}, ipywidgets 7.7.1 preinstalled; "
          f"medians of {args.repeats}")
    for name, runs in (("before (pins as constraints)", before), ("after (the cell: only what is lacking)", after)):
        if not runs:
            continue
        installed = runs[0][2]
        print(f"{name}: {statistics.median(r[0] for r in runs):.0f} s, "
              f"{statistics.median(r[1] for r in runs):.0f} MB downloaded, {len(installed)} packages installed"
              + (f" ({', '.join(n for n in installed if n.split('==')[0] in ('torch', 'numpy', 'matplotlib', 'ipywidgets'))}, ...)"
                 if installed else ""))


if __name__ == "__main__":
    main()
