"""Chapter 3 as the course's registries see it (:mod:`interp_course.core.manifest`): it trains
nothing, and loads two of chapter 1's runs."""

from ..chapter1_grokking import manifest as chapter1
from ..core.manifest import Manifest

RUNS = {"grokking.CANONICAL": chapter1.CANONICAL, "grokking.NO_WEIGHT_DECAY": chapter1.NO_WEIGHT_DECAY}
MANIFEST = Manifest("3. Progress measures", 25, {"3.1": 10, "3.2": 15, "3.3": 10, "3.4": 10, "3.5": 20}, 8.6, RUNS)
