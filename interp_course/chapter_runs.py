"""The trained runs each chapter notebook loads, by chapter folder name.

Used by the room check (``python -m interp_course.doctor``: which runs are in the cache) and by
``benchmarks/run_times.py`` (how long each takes to train). A test checks that every
``load_or_train`` of a notebook names one of these runs.
"""

from __future__ import annotations

from interp_course.core.runs import RunConfig


def chapter_runs() -> dict[str, dict[str, RunConfig]]:
    """{chapter folder name: {run name, as the chapter's code spells it: config}}, in book order.

    A run that several chapters load (chapter 1's canonical run) is listed under each.
    """
    from interp_course.chapter1_grokking import runs as grokking
    from interp_course.chapter4_superposition import runs as superposition
    from interp_course.chapter5_induction import runs as induction
    from interp_course.chapter6_universality import runs as universality

    fractions = {
        f"grokking.train_fraction_config({f})": grokking.train_fraction_config(f)
        for f in grokking.TRAIN_FRACTIONS
        if grokking.train_fraction_config(f) != grokking.CANONICAL
    }
    return {
        "chapter1_grokking": {
            "grokking.CANONICAL": grokking.CANONICAL,
            "grokking.NO_WEIGHT_DECAY": grokking.NO_WEIGHT_DECAY,
            **fractions,
        },
        "chapter2_fourier": {"grokking.CANONICAL": grokking.CANONICAL, "grokking.OTHER_SEED": grokking.OTHER_SEED},
        "chapter3_progress": {"grokking.CANONICAL": grokking.CANONICAL, "grokking.NO_WEIGHT_DECAY": grokking.NO_WEIGHT_DECAY},
        "chapter4_superposition": {
            name: getattr(superposition, name.split(".")[1])
            for name in ("sp.FIVE_INTO_TWO", "sp.TWENTY_INTO_FIVE", "sp.PHASE_DIAGRAM", "sp.DIMENSIONALITY_SWEEP")
        },
        "chapter5_induction": {
            "induction.CANONICAL": induction.CANONICAL,
            **{f"induction.SEEDS[{seed}]": config for seed, config in induction.SEEDS.items() if seed != 0},
        },
        "chapter6_universality": {
            "universality.SEEDS": universality.SEEDS,
            "universality.UNIFORM_ATTENTION": universality.UNIFORM_ATTENTION,
            **{f"universality.PRIMES[{p}]": config for p, config in universality.PRIMES.items()
               if config != universality.SEEDS},
        },
    }


def distinct_runs() -> dict[str, RunConfig]:
    """Every run of the course once, under the name of the first chapter that loads it."""
    runs: dict[str, RunConfig] = {}
    for chapter_runs_ in chapter_runs().values():
        for name, config in chapter_runs_.items():
            if config not in runs.values():
                runs[name] = config
    return runs
