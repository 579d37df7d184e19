"""Chapter 1 as the course's registries see it (:mod:`interp_course.core.manifest`)."""

from ..core.manifest import Manifest, TrainedRun
from . import runs as grokking

CANONICAL = TrainedRun(grokking.CANONICAL, seconds=55.1)
NO_WEIGHT_DECAY = TrainedRun(grokking.NO_WEIGHT_DECAY, seconds=53.9)
FRACTIONS = {f"grokking.train_fraction_config({f})": TrainedRun(grokking.train_fraction_config(f), seconds)
             for f, seconds in {0.4: 11.7, 0.5: 11.3, 0.6: 10.6, 0.7: 13.6}.items()}  # each stops at 99% test accuracy

MANIFEST = Manifest("1. Grokking", reading_min=20, exercise_min={"1.1": 10, "1.2": 10, "1.3": 10, "1.4": 15, "1.5": 10},
                    warm_seconds=7.9, runs={"grokking.CANONICAL": CANONICAL, "grokking.NO_WEIGHT_DECAY": NO_WEIGHT_DECAY,
                                            **FRACTIONS})
