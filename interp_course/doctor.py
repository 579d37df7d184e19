"""The room check: is this laptop ready for the course?

Run it after installing, from the course's folder::

    .venv/bin/python -m interp_course.doctor          (Windows: .venv\\Scripts\\python -m interp_course.doctor)

It prints a few lines, each ✓ (fine), ! (works, but worth knowing) or ✗ (fix this first, and
how), then an estimate of each chapter's first run on this machine from a short measurement
(about ten seconds of training), and exits with status 0 when the laptop is ready, 1 when
something must be fixed. ``--no-probe`` skips the measurement.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[1]
REQUIREMENTS = CHECKOUT / "requirements.txt"
MIN_PYTHON = (3, 11, 5)  # the oldest Python the pins of requirements.txt install on (soupsieve 4.1.1 needs 3.11.5)
TESTED_PYTHON = (3, 11)
MAX_PYTHON = (3, 14)  # the newest the pins are resolved for (tests/test_platforms.py)
INTEL_MAC_MAX_PYTHON = (3, 12)  # torch 2.2.2, the last for Intel Macs, has wheels up to 3.12
FREE_DISK_NEEDED_MB = 500  # the full run cache is about 200 MB; a margin for temporaries
SESSION_MINUTES = 20  # a chapter's first run longer than this does not fit a class or hackathon slot

# The loose path (README: machines that cannot install the pins): pyproject.toml's lower bounds,
# which tools/floor_environment.sh tests (a test checks the two agree).
LOOSE_MIN_PYTHON = (3, 10)
NUMPY_2_TORCH = (2, 3)  # the first torch built against NumPy 2 (pytorch/builder#1770); before it (an Intel Mac's 2.2.2) numpy must be 1.x
LOOSE_BOUNDS = {"torch": "2.2", "numpy": "1.24", "matplotlib": "3.7", "tqdm": "4.60", "ipywidgets": "8"}
LOOSE_PATH_ENV_VAR = "INTERP_COURSE_LOOSE_PATH"  # set by tools/floor_environment.sh on Linux


@dataclass
class Finding:
    """One line of the report: ``status`` is "ok", "note" or "fix"."""

    status: str
    what: str
    fix: str = ""

    def line(self) -> str:
        mark = {"ok": "✓", "note": "!", "fix": "✗"}[self.status]
        return f"{mark} {self.what}" + (f"\n    → {self.fix}" if self.fix else "")


def python_command() -> str:
    """How to call this environment's Python, as the learner would type it."""
    exe = Path(sys.executable)
    try:
        return str(exe.relative_to(Path.cwd()))
    except ValueError:
        return str(exe)


def pins_install_here(system: str | None = None, machine: str | None = None, mac_version: str | None = None) -> bool:
    """Whether requirements.txt's pins can install on this machine: not on an Intel Mac (torch
    2.2.2 is its last) nor on macOS 13 or earlier (torch 2.13's Mac wheels need macOS 14), which
    take the loose path; nor where ``INTERP_COURSE_LOOSE_PATH=1`` says this is the loose path."""
    import platform

    if os.environ.get(LOOSE_PATH_ENV_VAR) == "1":
        return False
    system = system or platform.system()
    if system != "Darwin":
        return True
    machine = machine or platform.machine()
    mac_version = mac_version or platform.mac_ver()[0] or "0"
    return machine == "arm64" and int(mac_version.split(".")[0]) >= 14


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version.split("+")[0])[:3])


def check_loose_packages(installed=None) -> Finding:
    """The loose path: each of pyproject.toml's dependencies installed, at its lower bound or above."""
    installed = installed or installed_version
    fix = f"{python_command()} -m pip install -e \".[lab]\"   (from the course's folder)"
    missing = [name for name in LOOSE_BOUNDS if installed(name) is None]
    old = [(name, installed(name)) for name in LOOSE_BOUNDS if installed(name) is not None
           and _version_tuple(installed(name)) < _version_tuple(LOOSE_BOUNDS[name])]
    if missing or old:
        what = ", ".join([f"{name} missing" for name in missing] + [f"{n} {v}, needs {LOOSE_BOUNDS[n]} or newer" for n, v in old])
        return Finding("fix", f"packages (the loose path): {what}", fix)
    torch_version, numpy_version = installed("torch"), installed("numpy")
    if _version_tuple(torch_version) < NUMPY_2_TORCH and _version_tuple(numpy_version) >= (2,):
        return Finding("fix", f"packages (the loose path): torch {torch_version} was built against NumPy 1 and cannot "
                       f"work with numpy {numpy_version}", f'{python_command()} -m pip install "numpy<2"')
    lab = installed("jupyterlab")
    if lab is None:
        return Finding("fix", "packages (the loose path): jupyterlab missing, so the notebooks cannot be opened", fix)
    versions = ", ".join(f"{name} {installed(name)}" for name in ("torch", "numpy"))
    return Finding("note", f"the loose path ({versions}): the pins of requirements.txt cannot install here, so "
                   "the course runs on other versions than it is tested with; your numbers differ from ours in "
                   "detail, as the README says, and the claims should still hold (if one fails here, please open an "
                   "issue with its output)")


def check_python(version: tuple[int, ...] = tuple(sys.version_info[:3]), loose: bool = False,
                 intel_mac: bool = False) -> Finding:
    shown = ".".join(map(str, version))
    if loose:
        if tuple(version[:2]) < LOOSE_MIN_PYTHON:
            return Finding("fix", f"Python {shown}: the course needs {'.'.join(map(str, LOOSE_MIN_PYTHON))} or newer",
                           "install a newer Python (python.org), then make the .venv again with it")
        if intel_mac and tuple(version[:2]) > INTEL_MAC_MAX_PYTHON:
            return Finding("fix", f"Python {shown}: on an Intel Mac, torch (2.2.2, its last) needs Python 3.10 to 3.12",
                           "make the .venv again with python3.12 (python.org or Homebrew's python@3.12)")
        return Finding("ok", f"Python {shown}")
    if tuple(version[:3]) < MIN_PYTHON:
        return Finding("fix", f"Python {shown}: the course needs {'.'.join(map(str, MIN_PYTHON))} or newer",
                       "install Python 3.11 (python.org, or your package manager), then make the .venv again with it")
    if tuple(version[:2]) > MAX_PYTHON:
        return Finding("note", f"Python {shown}: newer than any the pins are checked for (up to "
                       f"{MAX_PYTHON[0]}.{MAX_PYTHON[1]}); if the install fails, use {MAX_PYTHON[0]}.{MAX_PYTHON[1]}")
    if version[:2] != TESTED_PYTHON:
        return Finding("note", f"Python {shown}: supported; the course is tested with {TESTED_PYTHON[0]}.{TESTED_PYTHON[1]}")
    return Finding("ok", f"Python {shown}")


def pinned_requirements(path: Path = REQUIREMENTS) -> dict[str, str]:
    """{normalised package name: pinned version} from a pip-compile'd requirements file."""
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;#]+)", line.strip())
        if match:
            pins[normalise(match.group(1))] = match.group(3)
    return pins


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def check_packages(pins: dict[str, str] | None = None, installed=installed_version) -> Finding:
    if pins is None:
        if not REQUIREMENTS.is_file():
            return Finding("note", "requirements.txt not found beside the package: pinned versions not checked")
        pins = pinned_requirements()
    fix = f"{python_command()} -m pip install -r requirements.txt   (from the course's folder)"
    missing = [name for name in pins if installed(name) is None]
    wrong = [(name, pins[name], got) for name in pins
             if (got := installed(name)) is not None and got.split("+")[0] != pins[name]]
    if missing or wrong:
        parts = []
        if missing:
            parts.append(f"{len(missing)} missing ({', '.join(missing[:4])}{', ...' if len(missing) > 4 else ''})")
        if wrong:
            parts.append(f"{len(wrong)} at another version ("
                         + ", ".join(f"{n} {g}, pinned {p}" for n, p, g in wrong[:3])
                         + (", ..." if len(wrong) > 3 else "") + ")")
        return Finding("fix", f"pinned packages: {' and '.join(parts)} of {len(pins)}", fix)
    torch_version = installed("torch") or "?"
    return Finding("ok", f"all {len(pins)} pinned packages installed at their versions (torch {torch_version})")


def check_threads(busy_share: float | None = None) -> Finding:
    """Torch's threads against the cores, and against the cores other programs leave free
    (``busy_share``: the share of all cores in use, measured over a second if not given)."""
    import torch

    threads, cores = torch.get_num_threads(), os.cpu_count() or 1
    if threads == 1 and cores > 1:
        return Finding("note", f"torch uses 1 thread of {cores} CPUs: training will be slower than it could be",
                       "unset OMP_NUM_THREADS / MKL_NUM_THREADS (or set them to the number of cores)")
    if busy_share is None:
        busy_share = _busy_share()
    if busy_share is not None:
        busy = cores * busy_share
        if busy >= 1 and threads > cores - busy + 0.5:  # at least a whole core taken, and torch's threads will wait
            return Finding("note", f"torch uses {threads} threads, but other programs keep {busy:.1f} of {cores} CPUs "
                           "busy: training is slower while they run (the estimates below are measured under this load)",
                           "close what is using the CPU (another notebook's kernel, a video call, a build), then run "
                           "this again for the unloaded speed")
    return Finding("ok", f"torch uses {threads} threads ({cores} CPUs)")


def _busy_share() -> float | None:
    """The share of all cores in use over the next two seconds, by other programs (None if unknown)."""
    try:
        import psutil
    except ImportError:
        return None
    return psutil.cpu_percent(interval=2.0) / 100


def cache_status(runs_by_chapter: dict[str, dict]) -> dict[str, tuple[list[str], list[str]]]:
    """{chapter: (names of runs cached and valid, names of runs missing or unusable)}."""
    from interp_course.core import run_cache

    valid: dict[str, bool] = {}  # by run name: a run several chapters load is loaded once
    status = {}
    for chapter, runs in runs_by_chapter.items():
        cached, missing = [], []
        for name, config in runs.items():
            if name not in valid:
                path = run_cache.run_path(config.kind, config.cache_key())
                try:
                    config.validate_record(run_cache.load_run(path, config.kind, config.cache_key()))
                    valid[name] = True
                except (OSError, run_cache.InvalidRunFile):
                    valid[name] = False
            (cached if valid[name] else missing).append(name)
        status[chapter] = (cached, missing)
    return status


def check_cache(status: dict[str, tuple[list[str], list[str]]]) -> list[Finding]:
    from interp_course.core import run_cache

    folder = run_cache.cache_dir()
    findings = []
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-", suffix=".tmp"):
            pass
        writable = True
    except OSError:
        writable = False
    n_runs = len({n for cached, _ in status.values() for n in cached})
    n_all = len({n for cached, missing in status.values() for n in cached + missing})
    where = f"run cache {folder}"
    unpack_hint = ("if your teacher handed out run-cache.tar.gz, unpack it in the course's folder (it holds .run_cache/)"
                   if folder.name == ".run_cache" else
                   f"if your teacher handed out run-cache.tar.gz, unpack it and move the files of its .run_cache/ into {folder}")
    if n_runs == n_all:
        findings.append(Finding("ok", f"{where}: all {n_all} runs of the course present and valid"))
    elif n_runs:
        findings.append(Finding("note", f"{where}: {n_runs} of {n_all} runs present and valid; the others train the first time a chapter needs them",
                                unpack_hint))
    else:
        findings.append(Finding("note", f"{where}: no trained runs yet; each chapter trains its runs the first time (estimates below)",
                                unpack_hint))
    if not writable:
        findings.append(Finding("note", f"{where} cannot be written: runs will be trained again in every session",
                                "set INTERP_COURSE_CACHE to a folder you can write, e.g. in your home folder"))
    free_mb = shutil.disk_usage(folder if folder.exists() else CHECKOUT).free / 1e6
    if free_mb < FREE_DISK_NEEDED_MB:
        findings.append(Finding("fix", f"free disk {free_mb:.0f} MB: the run cache needs about {FREE_DISK_NEEDED_MB} MB",
                                "free some disk, or point INTERP_COURSE_CACHE at a disk with room"))
    else:
        findings.append(Finding("ok", f"free disk {free_mb / 1000:.1f} GB"))
    return findings


def probe_step_ms(steps: int = 20, repeats: int = 3) -> float:
    """Milliseconds per training step of the canonical grokking run on this machine, median of
    ``repeats`` short trainings of ``steps`` steps (evaluations included, as in a real run)."""
    from interp_course.chapter1_grokking import runs as grokking

    config = grokking.CANONICAL.replace(n_steps=steps)
    config.replace(n_steps=2).train(progress=False)  # warm-up: first calls allocate
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        config.train(progress=False)
        times.append((time.perf_counter() - start) / steps * 1000)
    return statistics.median(times)


def first_run_estimates(status, probe_ms: float) -> tuple[list[str], list[str]]:
    """One line per chapter (cached, or how long its missing runs should take to train here),
    and the titles of the chapters whose first run is longer than a session can afford."""
    from interp_course import course_times

    ratio = probe_ms / course_times.MEASURED.probe_ms
    lines = [f"  this machine trains at {1 / ratio:.2f}x the speed of ours "
             f"(probe step {probe_ms:.0f} ms, ours {course_times.MEASURED.probe_ms:.0f} ms)"]
    too_long: list[str] = []
    trained: set[str] = set()
    for chapter, (cached, missing) in status.items():
        title = course_times.CHAPTERS[chapter].title
        todo = [name for name in missing if name not in trained]
        trained.update(missing)
        if not todo:
            lines.append(f"  {title}: ready, every run it loads is cached" if not missing
                         else f"  {title}: its runs are trained by an earlier chapter")
            continue
        seconds = sum(course_times.RUN_SECONDS[name] for name in todo) * ratio
        over = seconds > SESSION_MINUTES * 60
        if over:
            too_long.append(title)
        lines.append(f"  {title}: first run trains {len(todo)} run{'s' * (len(todo) > 1)}, "
                     f"{course_times.minutes_words(seconds)}" + ("  (!)" if over else ""))
    return lines, too_long


def too_slow(too_long: list[str]) -> Finding:
    """The note for chapters whose first run would take more than a session can afford."""
    return Finding("note", f"training would take longer than {SESSION_MINUTES} minutes for: {'; '.join(too_long)}",
                   "in a class, ask for the course's trained runs (run-cache.tar.gz, made by tools/offline_bundle.sh: "
                   "unpack it in the course's folder); on your own, let each chapter train once before you sit down "
                   "to it (it is cached after that), or open those chapters in Colab; close other programs and run "
                   "this again to re-measure")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-probe", action="store_true", help="skip the ten-second speed measurement")
    args = parser.parse_args(argv)
    print("Is this laptop ready for the course?")
    import platform

    loose = not pins_install_here()
    intel_mac = platform.system() == "Darwin" and platform.machine() == "x86_64"
    findings = [check_python(loose=loose, intel_mac=intel_mac), check_loose_packages() if loose else check_packages()]
    if any(f.status == "fix" for f in findings):  # torch may be missing or broken: stop here
        print("\n".join(f.line() for f in findings))
        print("Not ready: fix the ✗ lines, then run this again.")
        return 1
    from interp_course.chapters import chapter_runs

    findings.append(check_threads())
    status = cache_status(chapter_runs())
    findings += check_cache(status)
    print("\n".join(f.line() for f in findings))
    if not args.no_probe:
        print("First run of each chapter on this machine (estimated from a short measurement):")
        lines, too_long = first_run_estimates(status, probe_step_ms())
        print("\n".join(lines))
        if too_long:
            findings.append(too_slow(too_long))
            print(findings[-1].line())
    print(verdict(findings))
    return 1 if any(f.status == "fix" for f in findings) else 0


def verdict(findings: list[Finding]) -> str:
    if any(f.status == "fix" for f in findings):
        return "Not ready: fix the ✗ lines, then run this again."
    if any(f.status == "note" for f in findings):
        return "Ready. (The ! lines are worth reading; none must be fixed.)"
    return "Ready."


if __name__ == "__main__":
    sys.exit(main())
