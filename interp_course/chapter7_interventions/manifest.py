"""Chapter 7, "Causal interventions", as the course's registries see it (see
:mod:`interp_course.core.manifest`): it trains nothing of its own and studies chapter 5's
canonical induction model."""

from ..chapter5_induction.manifest import MANIFEST as CHAPTER5
from ..core.manifest import Manifest

MANIFEST = Manifest(
    title="7. Causal interventions",
    reading_min=45,  # estimated: reading the chapter through, without the exercises
    exercise_min={"7.1": 15, "7.2": 5, "7.3": 15, "7.4": 20, "7.5": 10, "7.6": 10, "7.7": 15},
    warm_seconds=10.3,  # python benchmarks/notebook_execution.py book/chapter7_interventions.ipynb --warm-repeats 3, 2026-12-05 (AMD EPYC), at 41a2eda; cold 50.4 s
    runs={"induction.CANONICAL": CHAPTER5.runs["induction.CANONICAL"]},
)
