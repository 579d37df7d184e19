"""Every time the course quotes, written once.

The README, the landing page, the chapters (their "Time" box and each exercise's minutes) and
the teaching kit show these figures between markers that ``tools/sync_times.py`` fills in:
``<!-- time:KEY -->value<!-- /time -->`` (see :func:`value` for the keys), and a test checks
that every page agrees with this file. The room check (``python -m interp_course.doctor``)
scales the run times by a short measurement to estimate a chapter's first run on a laptop.

Two kinds of figure:

- **measured** (each run's seconds and each chapter's warm seconds, in the chapters' manifests,
  ``interp_course/<chapter>/manifest.py``; ``MEASURED.probe_ms`` here): by the scripts named in
  ``MEASURED``, on the machine it names; re-measure and edit them, then run
  ``python tools/sync_times.py``.
- **estimated** (reading minutes and each exercise's minutes, in the manifests): the authors'
  estimates for a learner who knows PyTorch, not yet measured with a room.

Nothing here lists chapters or runs: they come from the manifests, in ``_toc.yml`` order
(:mod:`interp_course.chapters`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import chapters
from .core.manifest import Manifest


@dataclass(frozen=True)
class Measurement:
    date: str
    machine: str
    commands: tuple[str, ...]
    probe_ms: float  # interp_course.doctor.probe_step_ms() on that machine, same day


MEASURED = Measurement(
    date="2026-11-22",
    machine="a 2-core Intel Xeon (AVX-512) cloud machine, 2 torch threads, torch 2.13.0, no GPU",
    commands=("python benchmarks/run_times.py",
              "python benchmarks/course_speed.py --repeats 3"),
    probe_ms=36.5,  # after issue 17's speed work (the probe is a canonical training step)
)

RUN_SECONDS: dict[str, float] = chapters.run_seconds()
"""Training time of each run of the course, from scratch (``benchmarks/run_times.py``, one run
each, nothing else on the machine), by the name its chapter's manifest gives it."""

CHAPTERS: dict[str, Manifest] = chapters.manifests()
"""{chapter: its manifest} in book order: title, reading and exercise minutes (estimated),
warm seconds and runs (measured)."""

WARM_SECONDS: dict[str, float] = {chapter: m.warm_seconds for chapter, m in CHAPTERS.items()}
"""Executing each whole notebook with every run cached (``benchmarks/course_speed.py
--repeats 3``, its warm passes; median of 3)."""


BATCHED_SPEEDUP = 1.65
"""Runs per minute of chapter 6's stacked trainer over the one-run trainer, same runs and
steps (python benchmarks/batched_training.py, median of 3)."""

INTRODUCTION_READING_MIN = 20  # estimated: book/introduction.md


def training_seconds(chapter: str, in_course_order: bool) -> float:
    """Seconds to train the runs ``chapter`` loads: all of them (an empty run cache), or only
    those no earlier chapter trained (the chapters taken in order)."""
    runs = {c: list(m.runs) for c, m in CHAPTERS.items()}
    names = runs[chapter]
    if in_course_order:
        earlier = {n for c in list(runs)[: list(runs).index(chapter)] for n in runs[c]}
        names = [n for n in names if n not in earlier]
    return sum(RUN_SECONDS[n] for n in names)


def first_run_seconds(chapter: str, in_course_order: bool = True) -> float:
    """The chapter's first execution: training what it needs, then the notebook itself."""
    return training_seconds(chapter, in_course_order) + WARM_SECONDS[chapter]


def total_hours(chapter: str) -> float:
    """Reading, exercises and the first run (in course order), to the nearest five minutes,
    then rounded up to a half hour."""
    times = CHAPTERS[chapter]
    minutes = times.reading_min + times.exercises_min + first_run_seconds(chapter) / 60
    return math.ceil(round(minutes / 5) * 5 / 30) / 2


NUMBER_WORDS = ["no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
                "eleven", "twelve", "thirteen", "fourteen", "fifteen"]


def minutes_words(seconds: float) -> str:
    """``"about two minutes"``, ``"under a minute"``, ``"about 25 minutes"``."""
    if seconds < 45:
        return "under a minute"
    minutes = round(seconds / 60)
    if minutes == 1:
        return "about a minute"
    return f"about {NUMBER_WORDS[minutes] if minutes < len(NUMBER_WORDS) else minutes} minutes"


def hours_text(hours: float) -> str:
    return f"{hours:g} h"


def hours_words(hours: float) -> str:
    """``"about 90 minutes"`` below two hours, ``"about 2 hours"`` from two."""
    return f"about {round(hours * 60)} minutes" if hours < 2 else f"about {hours:g} hours"


def value(key: str) -> str:
    """The text a ``<!-- time:KEY -->`` marker holds. Keys:

    - ``CHAPTER.total``: "1.5 h" (:func:`total_hours`); ``CHAPTER.total_words``: "about 90 minutes";
    - ``CHAPTER.exercises``: "5, 55 min"; ``CHAPTER.exercise_minutes``: "55";
      ``CHAPTER.reading``: "20 min";
    - ``CHAPTER.first_run``: "about six minutes" (in course order, the notebook included);
      ``CHAPTER.training``: the same, training only; ``CHAPTER.cold``: "386 s"
      (an empty run cache); ``CHAPTER.warm``: "14 s"; ``CHAPTER.in_order``: "241 s";
    - ``run.NAME``: "about two minutes", the training time of one run of ``RUN_SECONDS``;
      ``run.NAME+NAME``: of several together;
    - ``introduction.reading``: "20 minutes"; ``batched.speedup``: "1.6 times";
    - ``measured``: the date and machine of the measured figures.
    """
    if key == "measured":
        return f"{MEASURED.date}, on {MEASURED.machine}"
    if key == "batched.speedup":
        return f"{BATCHED_SPEEDUP:.1f} times"
    if key == "introduction.reading":
        return f"{INTRODUCTION_READING_MIN} minutes"
    if key.startswith("run."):
        names = key[len("run."):].split("+")
        for name in names:
            if name not in RUN_SECONDS:
                raise KeyError(f"no run {name!r} in RUN_SECONDS (key {key!r})")
        return minutes_words(sum(RUN_SECONDS[name] for name in names))
    chapter, _, what = key.partition(".")
    if chapter not in CHAPTERS:
        raise KeyError(f"no chapter {chapter!r} in CHAPTERS (key {key!r})")
    times = CHAPTERS[chapter]
    values = {
        "total": lambda: hours_text(total_hours(chapter)),
        "total_words": lambda: hours_words(total_hours(chapter)),
        "exercises": lambda: f"{len(times.exercise_min)}, {times.exercises_min} min",
        "exercise_minutes": lambda: f"{times.exercises_min}",
        "reading": lambda: f"{times.reading_min} min",
        "first_run": lambda: minutes_words(first_run_seconds(chapter)),
        "training": lambda: minutes_words(training_seconds(chapter, in_course_order=True)),
        "cold": lambda: f"{first_run_seconds(chapter, in_course_order=False):.0f} s",
        "in_order": lambda: f"{first_run_seconds(chapter):.0f} s",
        "warm": lambda: f"{WARM_SECONDS[chapter]:.0f} s",
    }
    if what not in values:
        raise KeyError(f"unknown time key {key!r}: after the chapter, one of {sorted(values)}")
    return values[what]()


def exercise_minutes(number: str) -> int:
    """The minutes exercise ``number`` ("1.1") states."""
    for times in CHAPTERS.values():
        if number in times.exercise_min:
            return times.exercise_min[number]
    raise KeyError(f"no exercise {number!r} in CHAPTERS")
