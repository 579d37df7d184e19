"""Chapter 6 as the course's registries see it (:mod:`interp_course.core.manifest`): five
batches of grokking runs, each trained stacked (p = 31 is ``universality.SEEDS``)."""

from ..core.manifest import Manifest, TrainedRun
from . import runs as universality

BATCHES = {
    "universality.SEEDS": TrainedRun(universality.SEEDS, seconds=34.1),
    "universality.UNIFORM_ATTENTION": TrainedRun(universality.UNIFORM_ATTENTION, seconds=28.5),
    **{f"universality.PRIMES[{p}]": TrainedRun(universality.PRIMES[p], s) for p, s in {23: 10.6, 29: 14.2, 37: 22.5}.items()},
}
MANIFEST = Manifest("6. Many seeds, many moduli", 35, {"6.1": 10, "6.2": 20, "6.3": 10, "6.4": 15, "6.5": 15},
                    warm_seconds=8.4, runs=BATCHES)
