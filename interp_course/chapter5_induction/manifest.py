"""Chapter 5 as the course's registries see it (:mod:`interp_course.core.manifest`): three
seeds of one recipe, seed 0 the canonical run."""

from ..core.manifest import Manifest, TrainedRun
from . import runs as induction

SEED_SECONDS = {0: 28.5, 1: 27.9, 2: 30.0}
EXERCISE_MINUTES = {"5.1": 5, "5.2": 10, "5.3": 15, "5.4": 15, "5.5": 20, "5.6": 10, "5.7": 20, "5.8": 10, "5.9": 10}
RUNS = {"induction.CANONICAL" if seed == 0 else f"induction.SEEDS[{seed}]": TrainedRun(induction.SEEDS[seed], seconds)
        for seed, seconds in SEED_SECONDS.items()}
MANIFEST = Manifest("5. Induction heads", reading_min=40, exercise_min=EXERCISE_MINUTES, warm_seconds=7.1, runs=RUNS)
