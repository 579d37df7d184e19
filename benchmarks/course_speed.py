"""How fast the whole course runs on this machine, and the canonical run against an earlier
implementation of the course.

1. Notebooks. Every chapter notebook is executed top to bottom in book order with a new, empty
   run cache that the chapters share (cold: each chapter trains the runs no earlier chapter
   trained, as in a room where the chapters are taken in order, and in CI), then all of them
   again with that cache full (warm: every run loads). Prints each chapter's time and the
   totals, and the median of the totals over the repeats.
2. The canonical run (chapter 1). Its time to 99% test accuracy, trained from scratch, and the
   median time of one training step, for this checkout and for an earlier one (``--baseline``,
   any git revision; by default the course before issue 17's speed work), measured turn about
   in the same run, each in a fresh process. Prints the medians and the ratios.

3. With ``--against REV``: part 1 for this checkout and for revision REV side by side, turn
   about in each repeat (alternating which goes first, so that drift in the machine hits both), with each chapter's ratio of
   cold times (this checkout's / REV's) and the ratio of the totals, medians of the repeats.

Usage:
    python benchmarks/course_speed.py                     # both parts, 3 repeats each
    python benchmarks/course_speed.py --against REV --skip-canonical --baseline REV   # this change against REV
    python benchmarks/course_speed.py --skip-notebooks    # part 2 only (a few minutes)
    python benchmarks/course_speed.py --skip-canonical --repeats 1
    python benchmarks/course_speed.py --checkout REV      # part 1 for another revision

Timings depend on the machine and on what else runs on it: report medians, never assert them.
Nothing is written to the checkout; the committed notebooks are not modified.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
BASELINE = "daf0c71"
"""The course as it was before issue 17 (chapter 6 landed; no speed work yet)."""


def export_revision(revision: str, into: pathlib.Path) -> pathlib.Path:
    """The files of ``revision`` of this repository, unpacked into ``into`` (no git metadata)."""
    archive = into / "revision.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(ROOT), "archive", revision], stdout=out, check=True)
    tree = into / "tree"
    tree.mkdir()
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    archive.unlink()
    return tree


def environment(tree: pathlib.Path, cache: str | None = None) -> dict[str, str]:
    """The environment for a process that must import the course from ``tree`` (its notebooks'
    kernels inherit it), with the run cache at ``cache``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(tree) + os.pathsep + env.get("PYTHONPATH", "")
    if cache is not None:
        env["INTERP_COURSE_CACHE"] = cache
    return env


# ---------------------------------------------------------------------------------------------
# Part 1: every notebook, cold then warm
# ---------------------------------------------------------------------------------------------

NOTEBOOK_TIMER = r"""
import json, sys, time
import nbformat
from nbclient import NotebookClient
times = {}
for path in sys.argv[1:]:
    notebook = nbformat.read(path, as_version=4)
    # No cell of the course takes 10 minutes here; a kernel that stalls (issue 33) fails the
    # measurement within 10 minutes instead of 30.
    client = NotebookClient(notebook, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": path.rsplit("/", 1)[0]}})
    start = time.perf_counter()
    client.execute()
    times[path] = time.perf_counter() - start
    print(json.dumps({path: times[path]}), flush=True)
"""


def chapter_notebooks(tree: pathlib.Path) -> list[pathlib.Path]:
    """Every chapter notebook of ``tree``, in book order (``book/chapterN_*.ipynb``)."""
    notebooks = sorted((tree / "book").glob("chapter*.ipynb"),
                       key=lambda p: int(p.name[len("chapter"):].split("_")[0]))
    if not notebooks:
        raise SystemExit(f"no chapter notebooks in {tree / 'book'}")
    return notebooks


def execute_in_order(tree: pathlib.Path, notebooks: list[pathlib.Path], cache: str) -> dict[str, float]:
    """{notebook name: seconds}, executing them in order in one process, one kernel each."""
    result = subprocess.run([sys.executable, "-c", NOTEBOOK_TIMER, *map(str, notebooks)],
                            env=environment(tree, cache), cwd=tree, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"executing the notebooks failed:\n{result.stderr[-4000:]}")
    times = {}
    for line in result.stdout.splitlines():
        if line.startswith("{"):
            times.update({pathlib.Path(k).stem: v for k, v in json.loads(line).items()})
    return times


def notebooks_part(tree: pathlib.Path, repeats: int) -> None:
    notebooks = chapter_notebooks(tree)
    cold_totals, warm_totals = [], []
    for repeat in range(repeats):
        with tempfile.TemporaryDirectory(prefix="run-cache-") as cache:
            cold = execute_in_order(tree, notebooks, cache)
            warm = execute_in_order(tree, notebooks, cache)
        print(f"repeat {repeat + 1} of {repeats}:")
        for name in cold:
            print(f"  {name:28s} cold {cold[name]:6.1f} s   warm {warm[name]:5.1f} s", flush=True)
        cold_totals.append(sum(cold.values()))
        warm_totals.append(sum(warm.values()))
        print(f"  {'all chapters':28s} cold {cold_totals[-1]:6.1f} s   warm {warm_totals[-1]:5.1f} s", flush=True)
    print(f"all chapters cold, in book order from an empty run cache: {statistics.median(cold_totals):.1f} s "
          f"(median of {repeats}: {', '.join(f'{t:.1f}' for t in cold_totals)})")
    print(f"all chapters warm (every run cached): {statistics.median(warm_totals):.1f} s "
          f"(median of {repeats}: {', '.join(f'{t:.1f}' for t in warm_totals)})")


def notebooks_against(tree: pathlib.Path, other: pathlib.Path, label: str, repeats: int) -> None:
    """Part 1 for ``tree`` and ``other`` turn about; per-chapter ratios of cold times."""
    trees = {"this checkout": tree, label: other}
    cold = {name: [] for name in trees}
    warm = {name: [] for name in trees}
    for repeat in range(repeats):
        order = list(trees.items()) if repeat % 2 == 0 else list(trees.items())[::-1]  # turn about, first first in turn
        for name, where in order:
            with tempfile.TemporaryDirectory(prefix="run-cache-") as cache:
                cold[name].append(execute_in_order(where, chapter_notebooks(where), cache))
                warm[name].append(execute_in_order(where, chapter_notebooks(where), cache))
            print(f"repeat {repeat + 1} of {repeats}, {name}: cold "
                  + ", ".join(f"{chapter} {t:.1f}" for chapter, t in cold[name][-1].items())
                  + f"; all {sum(cold[name][-1].values()):.1f} s, warm {sum(warm[name][-1].values()):.1f} s", flush=True)
    new, old = trees
    print(f"cold time ratios, this checkout / {label} (median of {repeats}; above 1 is slower):")
    for chapter in cold[new][0]:
        ratios = [n[chapter] / o[chapter] for n, o in zip(cold[new], cold[old]) if chapter in o]
        if ratios:
            print(f"  {chapter:28s} {statistics.median(ratios):.3f} ({', '.join(f'{r:.3f}' for r in ratios)}); "
                  f"median {statistics.median(n[chapter] for n in cold[new]):.1f} s against "
                  f"{statistics.median(o[chapter] for o in cold[old] if chapter in o):.1f} s")
    for what, times in (("cold", cold), ("warm", warm)):
        ratios = [sum(n.values()) / sum(o.values()) for n, o in zip(times[new], times[old])]
        print(f"  all chapters {what}: {statistics.median(ratios):.3f} ({', '.join(f'{r:.3f}' for r in ratios)}); "
              f"median {statistics.median(sum(n.values()) for n in times[new]):.1f} s against "
              f"{statistics.median(sum(o.values()) for o in times[old]):.1f} s")


# ---------------------------------------------------------------------------------------------
# Part 2: the canonical run, this checkout against an earlier one
# ---------------------------------------------------------------------------------------------

CANONICAL_TIMER = r"""
import json, sys, time
from interp_course.chapter1_grokking import runs as grokking
from solutions.chapter1_grokking import training_step

what, n_steps = sys.argv[1], int(sys.argv[2])
config = grokking.CANONICAL
if what == "step":  # the tree's own benchmarks/grokking_run.py times it
    from benchmarks.grokking_run import median_step_time
    print(json.dumps({"step_ms": 1000 * median_step_time(training_step, n_steps)}))
else:
    start = time.perf_counter()
    metrics, _ = config.replace(stop_at_test_accuracy=0.99).train(progress=False)
    seconds = time.perf_counter() - start
    accuracy = float(metrics["test_accuracy"][-1])
    print(json.dumps({"seconds": seconds, "step": int(metrics["eval_step"][-1]), "accuracy": accuracy}))
"""


def time_canonical(tree: pathlib.Path, what: str, n_steps: int) -> dict:
    result = subprocess.run([sys.executable, "-c", CANONICAL_TIMER, what, str(n_steps)],
                            env=environment(tree), cwd=tree, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"timing the canonical run in {tree} failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def canonical_part(tree: pathlib.Path, baseline: pathlib.Path, label: str, repeats: int, n_steps: int) -> None:
    trees = {"this checkout": tree, f"baseline {label}": baseline}
    steps = {name: [] for name in trees}
    runs = {name: [] for name in trees}
    for _ in range(repeats):
        for name, where in trees.items():  # turn about, so that drift in the machine hits both
            steps[name].append(time_canonical(where, "step", n_steps)["step_ms"])
            run = time_canonical(where, "run", 0)
            if run["accuracy"] < 0.99:
                raise SystemExit(f"{name}: the canonical run did not reach 99% test accuracy")
            runs[name].append(run)
    for name in trees:
        seconds = [r["seconds"] for r in runs[name]]
        print(f"{name}: one training step {statistics.median(steps[name]):.1f} ms "
              f"(median of {repeats} medians of {n_steps} steps: {', '.join(f'{t:.1f}' for t in steps[name])}); "
              f"time to 99% test accuracy {statistics.median(seconds):.1f} s "
              f"(median of {repeats}: {', '.join(f'{s:.1f}' for s in seconds)}; "
              f"reached at step {', '.join(str(r['step']) for r in runs[name])})")
    new, old = trees
    step_ratios = [o / n for n, o in zip(steps[new], steps[old])]
    run_ratios = [o["seconds"] / n["seconds"] for n, o in zip(runs[new], runs[old])]
    print(f"speed-up over the baseline: step time {statistics.median(step_ratios):.2f}x, time to 99% "
          f"{statistics.median(run_ratios):.2f}x (medians of {repeats} ratios, baseline time / this checkout's)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--steps-timed", type=int, default=40, help="training steps per step-time median")
    parser.add_argument("--baseline", default=BASELINE, help="git revision to compare the canonical run with")
    parser.add_argument("--checkout", help="measure the notebooks of this git revision instead of the working tree")
    parser.add_argument("--against", help="part 1 side by side with this git revision, with ratios")
    parser.add_argument("--skip-notebooks", action="store_true")
    parser.add_argument("--skip-canonical", action="store_true")
    args = parser.parse_args()
    if args.against and args.skip_notebooks:
        parser.error("--against measures the notebooks: drop --skip-notebooks")
    import torch

    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="course-speed-") as scratch:
        tree = ROOT
        if args.checkout:
            (pathlib.Path(scratch) / "checkout").mkdir()
            tree = export_revision(args.checkout, pathlib.Path(scratch) / "checkout")
        if not args.skip_canonical:
            (pathlib.Path(scratch) / "baseline").mkdir()
            baseline = export_revision(args.baseline, pathlib.Path(scratch) / "baseline")
            canonical_part(tree, baseline, args.baseline, args.repeats, args.steps_timed)
        if args.against:
            (pathlib.Path(scratch) / "against").mkdir()
            other = export_revision(args.against, pathlib.Path(scratch) / "against")
            notebooks_against(tree, other, args.against, args.repeats)
        elif not args.skip_notebooks:
            notebooks_part(tree, args.repeats)


if __name__ == "__main__":
    main()
