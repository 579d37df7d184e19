"""What a chapter declares about itself, in one place: ``interp_course/<chapter>/manifest.py``
holds ``MANIFEST = Manifest(...)``.

Whatever lists the chapters or their runs (the room check, the times the pages quote, the
benchmarks, the slides, the tests) reads the manifests, in the order of ``_toc.yml``
(:mod:`interp_course.chapters`). Adding a chapter is its four folders, its manifest and one
line in ``_toc.yml``.

Two kinds of figure live here:

- **estimated**: ``reading_min`` and ``exercise_min``, the authors' estimates for a learner who
  knows PyTorch (each exercise states its minutes; ``tools/sync_times.py`` writes them);
- **measured**: ``warm_seconds`` (the notebook executed with every run cached,
  ``benchmarks/course_speed.py``) and each run's ``seconds`` (its training from scratch,
  ``benchmarks/run_times.py``), on the machine ``interp_course/course_times.py`` names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .runs import RunConfig
from .validation import require_number


@dataclass(frozen=True)
class TrainedRun:
    """A run a chapter loads, and the seconds it took to train from scratch (measured)."""

    config: RunConfig
    seconds: float

    def __post_init__(self) -> None:
        if not isinstance(self.config, RunConfig):
            raise TypeError(f"TrainedRun.config must be a RunConfig, got {type(self.config).__name__}")
        require_number(self.seconds, "TrainedRun.seconds", low=0, low_open=True)


@dataclass(frozen=True)
class Manifest:
    """A chapter, as the course's registries see it.

    title: the short title, "1. Grokking".
    reading_min: estimated minutes to read the chapter through, without the exercises.
    exercise_min: {"1.1": minutes}, as each exercise states (estimated).
    warm_seconds: measured seconds to execute the notebook with every run cached.
    runs: {name: TrainedRun}, every run the notebook loads, by the name its code spells
        (``"grokking.CANONICAL"``). A run an earlier chapter trains is listed by both, with
        the same ``TrainedRun`` (take it from that chapter's manifest).
    """

    title: str
    reading_min: int
    exercise_min: dict[str, int]
    warm_seconds: float
    runs: dict[str, TrainedRun] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.title, str) or not self.title:
            raise ValueError(f"Manifest.title must be a non-empty string, got {self.title!r}")
        require_number(self.reading_min, "Manifest.reading_min", low=0)
        require_number(self.warm_seconds, "Manifest.warm_seconds", low=0, low_open=True)
        for number, minutes in self.exercise_min.items():
            require_number(minutes, f"Manifest.exercise_min[{number!r}]", low=0, low_open=True)
        for name, run in self.runs.items():
            if not isinstance(run, TrainedRun):
                raise TypeError(f"Manifest.runs[{name!r}] must be a TrainedRun, got {type(run).__name__}")

    @property
    def exercises_min(self) -> int:
        return sum(self.exercise_min.values())
