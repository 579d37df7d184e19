"""What chapter 6 concludes from its batches, worded to hold on any machine.

Counts are stated as bounds ("at least 6 of the 8 runs") and the exact count of our run
follows "— this run:", which nbval does not compare (see ``core/claims.py``): a run trained
under other numerics may grok a few hundred steps earlier or later, and a borderline run may
land on the other side of 99%.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from typing import Sequence

from ..core.claims import Claim, Claims
from .analysis import LOSS_THRESHOLD, RunSummary, distinct_frequency_sets, pizza_share

LATE = 5  # generalising this many times later than memorising is "grokking"
CLOCK = 0.1  # a distance dependence below this: the correct logit barely depends on a - b
PIZZA_SHARE_CLOCK = 0.25  # a key frequency with less of a pure pizza's swing than this is close to a clock's
EXPLAINED = 0.85  # the share of a grokked run's logit variance the clock's idealised algorithm explains


def _count(items: Sequence[RunSummary], test) -> int:
    return sum(1 for s in items if test(s))


def robustness(summaries: Sequence[RunSummary], at_least: int, clock: bool = True) -> Claims:
    """The three-phase story, run by run, at one prime; with ``clock``, also that chapter 2's
    idealised algorithm explains each grokked run's logits (not claimed with uniform attention)."""
    n = len(summaries)
    grokked = [s for s in summaries if s.grokked]
    late = _count(grokked, lambda s: s.generalised >= LATE * s.memorised)
    first = _count(grokked, lambda s: s.restricted_first)
    above_chance = _count(grokked, lambda s: s.measures["excluded_loss"][-1] > math.log(s.p))
    steps = sorted(s.generalised for s in grokked)
    claims = [
        Claim(f"all {n} runs reach 100% training accuracy within 100 steps",
              holds=all(s.memorised is not None and s.memorised <= 100 for s in summaries),
              this_run=f"steps {min(s.memorised or 0 for s in summaries)} to {max(s.memorised or 0 for s in summaries)}"),
        Claim(f"at least {at_least} of the {n} runs reach 99% test accuracy (grok) within the training budget",
              holds=len(grokked) >= at_least,
              this_run=f"{len(grokked)} of {n}" + (f", at steps {steps[0]} to {steps[-1]}" if steps else "")),
        Claim(f"every run that groks generalises at least {LATE} times later than it memorised",
              holds=bool(grokked) and late == len(grokked), this_run=f"{late} of {len(grokked)}"),
        Claim(f"in every run that groks, the restricted loss falls below {LOSS_THRESHOLD} before the test loss does",
              holds=bool(grokked) and first == len(grokked), this_run=f"{first} of {len(grokked)}"),
        Claim("in every run that groks, removing the key frequencies from the logits leaves the training loss worse "
              "than chance (log p) at the end: nothing else is left to solve the task",
              holds=bool(grokked) and above_chance == len(grokked), this_run=f"{above_chance} of {len(grokked)}"),
        Claim(f"in every run that groks, chapter 2's idealised algorithm with the run's key frequencies explains at least "
              f"{EXPLAINED:.0%} of the variance of its logits",
              holds=bool(grokked) and all(s.idealised_fve >= EXPLAINED for s in grokked),
              this_run="smallest " + (f"{min(s.idealised_fve for s in grokked):.1%}" if grokked else "none")),
    ]
    return Claims(*(claims if clock else claims[:-1]))


def universality(summaries: Sequence[RunSummary], at_least_distinct: int) -> Claims:
    """Same algorithm, different representations: the key frequencies of the runs at one prime."""
    n = len(summaries)
    sizes = [len(s.key_frequencies) for s in summaries]
    distinct = distinct_frequency_sets(summaries)
    counts = Counter(k for s in summaries for k in s.key_frequencies)
    common, times = counts.most_common(1)[0] if counts else (None, 0)
    return Claims(
        Claim("every run uses between 2 and 5 key frequencies", holds=all(2 <= size <= 5 for size in sizes),
              this_run=f"{min(sizes)} to {max(sizes)}"),
        Claim(f"the {n} runs use at least {at_least_distinct} different sets of key frequencies",
              holds=distinct >= at_least_distinct, this_run=f"{distinct} different sets"),
        Claim("no frequency is a key frequency of every run", holds=times < n,
              this_run=f"the most common, {common}, in {times} of {n}"),
    )


def across_primes(groups: dict[int, Sequence[RunSummary]]) -> Claims:
    """The story at every prime."""
    grokked = {p: [s for s in summaries if s.grokked] for p, summaries in groups.items()}
    every = [s for runs in grokked.values() for s in runs]
    return Claims(
        Claim(f"at each of the {len(groups)} primes, at least half of the runs grok",
              holds=all(2 * len(grokked[p]) >= len(summaries) for p, summaries in groups.items()),
              this_run=", ".join(f"p={p}: {len(grokked[p])} of {len(s)}" for p, s in groups.items())),
        Claim("in every run that groks, at any prime, the restricted loss falls below the threshold before the test loss",
              holds=bool(every) and all(s.restricted_first for s in every),
              this_run=f"{_count(every, lambda s: s.restricted_first)} of {len(every)}"),
        Claim("at every prime the runs use more than one set of key frequencies",
              holds=all(distinct_frequency_sets(summaries) > 1 for summaries in groups.values()),
              this_run=", ".join(f"p={p}: {distinct_frequency_sets(s)} sets" for p, s in groups.items())),
    )


def clock_and_pizza(learned_runs: Sequence[RunSummary], uniform_runs: Sequence[RunSummary]) -> Claims:
    """The distance dependence of the correct logit, and how much of the logits the clock's
    idealised algorithm explains, with learned and with uniform attention."""
    learned = [s.distance_dependence for s in learned_runs]
    uniform = [s.distance_dependence for s in uniform_runs]
    learned_median, uniform_median = statistics.median(learned), statistics.median(uniform)
    learned_fve = statistics.median(s.idealised_fve for s in learned_runs)
    uniform_fve = statistics.median(s.idealised_fve for s in uniform_runs)
    strong = sum(1 for d in uniform if d > 2 * max(learned))
    return Claims(
        Claim(f"with learned attention, every run's distance dependence is below {CLOCK}: the clock's signature",
              holds=max(learned) < CLOCK, this_run=f"{min(learned):.3f} to {max(learned):.3f}"),
        Claim("with attention frozen to uniform, the median distance dependence is higher",
              holds=uniform_median > learned_median,
              this_run=f"median {uniform_median:.3f} against {learned_median:.3f}"),
        Claim("at least one run with uniform attention depends on the distance more than twice as much as any run "
              "with learned attention", holds=strong >= 1, this_run=f"{strong} of {len(uniform)} runs"),
        Claim("with uniform attention, the clock's idealised algorithm explains less of the logits (lower median "
              "fraction of variance explained)", holds=uniform_fve < learned_fve,
              this_run=f"median {uniform_fve:.1%} against {learned_fve:.1%}"),
    )


def pizza_shares(learned_profiles: Sequence[dict], uniform_profiles: Sequence[dict]) -> Claims:
    """How much of a pure pizza's swing each key frequency's profile has (``analysis.pizza_share``
    of every profile of :func:`analysis.frequency_profiles`), with learned and with uniform attention."""
    learned = [pizza_share(profile) for run in learned_profiles for profile in run.values()]
    uniform = [pizza_share(profile) for run in uniform_profiles for profile in run.values()]
    learned_median, uniform_median = statistics.median(learned), statistics.median(uniform)
    return Claims(
        Claim(f"with learned attention, the median key frequency has less than {PIZZA_SHARE_CLOCK} of a pure pizza's "
              "swing", holds=learned_median < PIZZA_SHARE_CLOCK,
              this_run=f"median {learned_median:.2f} over {len(learned)} key frequencies"),
        Claim("with attention frozen to uniform, the median key frequency has more of it",
              holds=uniform_median > learned_median,
              this_run=f"median {uniform_median:.2f} over {len(uniform)} key frequencies"),
        Claim("with attention frozen to uniform, some key frequency has more than half of a pure pizza's swing",
              holds=max(uniform) > 0.5,
              this_run=f"{sum(1 for share in uniform if share > 0.5)} of {len(uniform)}, the largest {max(uniform):.2f}"),
    )
