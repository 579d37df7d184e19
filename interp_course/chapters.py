"""The chapters of the course, in book order, and what each declares in its manifest
(``interp_course/<chapter>/manifest.py``, see :mod:`interp_course.core.manifest`).

Everything that lists chapters or runs reads them from here: the room check
(``python -m interp_course.doctor``), the times the pages quote (``course_times.py``),
``benchmarks/run_times.py``, the slides and the tests. The order is ``_toc.yml``'s; a chapter
is a file ``book/chapterN_topic`` there. A new chapter is picked up from its ``_toc.yml`` line
and its manifest, with no other edit.
"""

from __future__ import annotations

import functools
import importlib
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # reading _toc.yml needs no torch: the manifests are imported when asked for
    from .core.manifest import Manifest
    from .core.runs import RunConfig

CHECKOUT = Path(__file__).resolve().parents[1]
CHAPTER_NAME = re.compile(r"chapter\d+_[a-z0-9_]+")
TOC_CHAPTER_LINE = re.compile(
    r"""^\s*-?\s*file:\s*["']?book/(chapter\d+_[a-z0-9_]+)(?:\.ipynb)?["']?\s*(?:#.*)?$""", re.MULTILINE)


def chapter_names(toc: Path | None = None) -> list[str]:
    """``chapterN_topic`` of each chapter notebook in ``_toc.yml`` (``toc``, default the
    checkout's), in book order. Installed without a checkout, the chapter packages found,
    by number."""
    toc = toc or CHECKOUT / "_toc.yml"
    if toc.is_file():
        return TOC_CHAPTER_LINE.findall(toc.read_text(encoding="utf-8"))
    found = [p.name for p in Path(__file__).parent.iterdir() if CHAPTER_NAME.fullmatch(p.name)]
    return sorted(found, key=lambda name: int(re.match(r"chapter(\d+)", name)[1]))


@functools.lru_cache(maxsize=None)
def manifest(chapter: str) -> "Manifest":
    """The manifest of ``chapter``; a clear error where the chapter has none."""
    from .core.manifest import Manifest

    try:
        module = importlib.import_module(f"interp_course.{chapter}.manifest")
    except ModuleNotFoundError as error:
        if error.name not in (f"interp_course.{chapter}", f"interp_course.{chapter}.manifest"):
            raise
        raise LookupError(
            f"chapter {chapter} (in _toc.yml) has no interp_course/{chapter}/manifest.py: every chapter "
            "declares its title, times and runs there (CONTRIBUTING.md, 'Adding a chapter')") from None
    found = getattr(module, "MANIFEST", None)
    if not isinstance(found, Manifest):
        raise LookupError(f"interp_course/{chapter}/manifest.py must define MANIFEST = Manifest(...)")
    return found


def manifests() -> dict[str, "Manifest"]:
    """{chapter: its manifest}, in book order."""
    return {chapter: manifest(chapter) for chapter in chapter_names()}


def chapter_runs() -> dict[str, dict[str, "RunConfig"]]:
    """{chapter: {run name, as the chapter's code spells it: config}}, in book order.

    A run that several chapters load (chapter 1's canonical run) is listed under each.
    """
    return {chapter: {name: run.config for name, run in m.runs.items()} for chapter, m in manifests().items()}


def distinct_runs() -> dict[str, "RunConfig"]:
    """Every run of the course once, under the name of the first chapter that loads it."""
    runs: dict[str, "RunConfig"] = {}
    for chapter_runs_ in chapter_runs().values():
        for name, config in chapter_runs_.items():
            if config not in runs.values():
                runs[name] = config
    return runs


def run_seconds() -> dict[str, float]:
    """{run name: measured seconds to train it from scratch}, every run once. A run must have
    one name and one time wherever it is listed (take it from the manifest that lists it first)."""
    seconds: dict[str, float] = {}
    named: dict = {}
    for chapter, m in manifests().items():
        for name, run in m.runs.items():
            first = named.setdefault(run.config, name)
            if first != name:
                raise ValueError(f"{chapter}'s manifest lists the run {first} again as {name}: use one name")
            if seconds.setdefault(name, run.seconds) != run.seconds:
                raise ValueError(f"{chapter}'s manifest gives {name} {run.seconds} s, an earlier one {seconds[name]} s: "
                                 "take the earlier chapter's TrainedRun")
    return seconds
