"""Every time the course quotes, written once.

The README, the landing page, the chapters (their "Time" box and each exercise's minutes) and
the teaching kit show these figures between markers that ``tools/sync_times.py`` fills in:
``<!-- time:KEY -->value<!-- /time -->`` (see :func:`value` for the keys), and a test checks
that every page agrees with this file. The room check (``python -m interp_course.doctor``)
scales the run times by a short measurement to estimate a chapter's first run on a laptop.

Two kinds of figure:

- **measured** (``RUN_SECONDS``, ``WARM_SECONDS``, ``MEASURED.probe_ms``): by the scripts named
  in ``MEASURED``, on the machine it names; re-measure and edit them here, then run
  ``python tools/sync_times.py``.
- **estimated** (reading minutes and each exercise's minutes): the authors' estimates for a
  learner who knows PyTorch, not yet measured with a room.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


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

RUN_SECONDS: dict[str, float] = {
    # Training time of each run of the course, from scratch (benchmarks/run_times.py, one run
    # each, nothing else on the machine), by the name interp_course/chapter_runs.py gives it.
    "grokking.CANONICAL": 55.1,
    "grokking.NO_WEIGHT_DECAY": 53.9,
    "grokking.train_fraction_config(0.4)": 11.7,
    "grokking.train_fraction_config(0.5)": 11.3,
    "grokking.train_fraction_config(0.6)": 10.6,
    "grokking.train_fraction_config(0.7)": 13.6,
    "grokking.OTHER_SEED": 55.0,
    "sp.FIVE_INTO_TWO": 8.6,
    "sp.TWENTY_INTO_FIVE": 7.8,
    "sp.PHASE_DIAGRAM": 18.1,
    "sp.DIMENSIONALITY_SWEEP": 9.8,
    "induction.CANONICAL": 28.5,
    "induction.SEEDS[1]": 27.9,
    "induction.SEEDS[2]": 30.0,
    "universality.SEEDS": 34.1,
    "universality.UNIFORM_ATTENTION": 28.5,
    "universality.PRIMES[23]": 10.6,
    "universality.PRIMES[29]": 14.2,
    "universality.PRIMES[37]": 22.5,
}

WARM_SECONDS: dict[str, float] = {
    # Executing the whole notebook with every run cached (benchmarks/course_speed.py
    # --repeats 3, its warm passes; median of 3).
    "chapter1_grokking": 7.9,
    "chapter2_fourier": 10.5,
    "chapter3_progress": 8.6,
    "chapter4_superposition": 6.8,
    "chapter5_induction": 7.1,
    "chapter6_universality": 8.4,
}


BATCHED_SPEEDUP = 1.65
"""Runs per minute of chapter 6's stacked trainer over the one-run trainer, same runs and
steps (python benchmarks/batched_training.py, median of 3)."""

INTRODUCTION_READING_MIN = 20  # estimated: book/introduction.md


@dataclass(frozen=True)
class ChapterTimes:
    title: str
    reading_min: int  # estimated: reading the chapter through, without the exercises
    exercise_min: dict[str, int]  # estimated: {"1.1": minutes}, as each exercise states

    @property
    def exercises_min(self) -> int:
        return sum(self.exercise_min.values())


CHAPTERS: dict[str, ChapterTimes] = {
    "chapter1_grokking": ChapterTimes(
        "1. Grokking", 20, {"1.1": 10, "1.2": 10, "1.3": 10, "1.4": 15, "1.5": 10}),
    "chapter2_fourier": ChapterTimes(
        "2. Fourier algorithm", 30, {"2.1": 10, "2.2": 10, "2.3": 10, "2.4": 15, "2.5": 10, "2.6": 15}),
    "chapter3_progress": ChapterTimes(
        "3. Progress measures", 25, {"3.1": 10, "3.2": 15, "3.3": 10, "3.4": 10, "3.5": 20}),
    "chapter4_superposition": ChapterTimes(
        "4. Superposition", 30, {"4.1": 10, "4.2": 15, "4.3": 5, "4.4": 15, "4.5": 15}),
    "chapter5_induction": ChapterTimes(
        "5. Induction heads", 40,
        {"5.1": 5, "5.2": 10, "5.3": 15, "5.4": 15, "5.5": 20, "5.6": 10, "5.7": 20, "5.8": 10, "5.9": 10}),
    "chapter6_universality": ChapterTimes(
        "6. Many seeds, many moduli", 35, {"6.1": 10, "6.2": 20, "6.3": 10, "6.4": 15, "6.5": 15}),
}


def _chapter_runs() -> dict[str, list[str]]:
    from interp_course.chapter_runs import chapter_runs

    return {chapter: list(runs) for chapter, runs in chapter_runs().items()}


def training_seconds(chapter: str, in_course_order: bool) -> float:
    """Seconds to train the runs ``chapter`` loads: all of them (an empty run cache), or only
    those no earlier chapter trained (the chapters taken in order)."""
    runs = _chapter_runs()
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
    - ``introduction.reading``: "20 minutes"; ``batched.speedup``: "1.7 times";
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
