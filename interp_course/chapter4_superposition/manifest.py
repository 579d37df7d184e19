"""Chapter 4 as the course's registries see it (:mod:`interp_course.core.manifest`)."""

from ..core.manifest import Manifest, TrainedRun
from . import runs as sp

SWEEP_SECONDS = {"FIVE_INTO_TWO": 8.6, "TWENTY_INTO_FIVE": 7.8, "PHASE_DIAGRAM": 18.1, "DIMENSIONALITY_SWEEP": 9.8}

MANIFEST = Manifest(
    title="4. Superposition", reading_min=30, exercise_min={"4.1": 10, "4.2": 15, "4.3": 5, "4.4": 15, "4.5": 15},
    warm_seconds=6.8, runs={f"sp.{name}": TrainedRun(getattr(sp, name), s) for name, s in SWEEP_SECONDS.items()},
)
