"""Chapter 2 as the course's registries see it (:mod:`interp_course.core.manifest`): it loads
chapter 1's canonical run, and trains one more seed."""

from ..chapter1_grokking import manifest as chapter1
from ..chapter1_grokking import runs as grokking
from ..core.manifest import Manifest, TrainedRun

MANIFEST = Manifest(
    "2. Fourier algorithm", reading_min=30,
    exercise_min={"2.1": 10, "2.2": 10, "2.3": 10, "2.4": 15, "2.5": 10, "2.6": 15}, warm_seconds=10.5,
    runs={"grokking.CANONICAL": chapter1.CANONICAL, "grokking.OTHER_SEED": TrainedRun(grokking.OTHER_SEED, 55.0)},
)
