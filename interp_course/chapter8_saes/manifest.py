"""Chapter 8, "Sparse autoencoders", as the course's registries see it (see
:mod:`interp_course.core.manifest`)."""

from ..chapter1_grokking.manifest import MANIFEST as CHAPTER1
from ..chapter4_superposition.manifest import MANIFEST as CHAPTER4
from ..core.manifest import Manifest, TrainedRun
from . import runs as saes

# python benchmarks/run_times.py --repeats 3 --runs saes.FIVE_INTO_TWO_L1 ... (each alone, its upstream runs cached),
# medians, measured 2026-12-05 on a 2-core AMD EPYC (AVX-512), not the machine course_times.MEASURED names
SECONDS = {"FIVE_INTO_TWO_L1": 9.4, "FIVE_INTO_TWO_TOPK": 5.8, "TWENTY_INTO_FIVE_L1": 9.4, "TWENTY_INTO_FIVE_TOPK": 6.2,
           "GROKKED_MLP": 9.8, "HIERARCHY": 4.6}
DICTIONARY_SECONDS = {5: 5.0, 10: 5.5, 15: 6.0, 20: 6.5, 30: 6.8, 40: 6.8}

MANIFEST = Manifest(
    title="8. Sparse autoencoders",
    reading_min=35,  # estimated: reading the chapter through, without the exercises
    exercise_min={"8.1": 10, "8.2": 5, "8.3": 10, "8.4": 10, "8.5": 20, "8.6": 15, "8.7": 10, "8.8": 10},
    warm_seconds=19.0,  # python benchmarks/notebook_execution.py book/chapter8_saes.ipynb --warm-repeats 3, 2026-12-05 (AMD EPYC)
    runs={
        "grokking.CANONICAL": CHAPTER1.runs["grokking.CANONICAL"],
        "sp.FIVE_INTO_TWO": CHAPTER4.runs["sp.FIVE_INTO_TWO"],
        "sp.TWENTY_INTO_FIVE": CHAPTER4.runs["sp.TWENTY_INTO_FIVE"],
        **{f"saes.{name}": TrainedRun(getattr(saes, name), s) for name, s in SECONDS.items()},
        **{f"saes.DICTIONARY_SWEEP[{m}]": TrainedRun(saes.DICTIONARY_SWEEP[m], s) for m, s in DICTIONARY_SECONDS.items()},
    },
)
