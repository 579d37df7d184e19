"""Chapter 6's claims hold on the cached batches, measured with the reference solutions."""

import pytest

from interp_course.chapter6_universality import analysis, claims
from interp_course.chapter6_universality import runs as universality
from tests.course_runs import load

pytestmark = pytest.mark.course_runs


@pytest.fixture(scope="module")
def summaries():
    return {name: analysis.summarise(load(universality.load_or_train, config))
            for name, config in [("seeds", universality.SEEDS), ("uniform", universality.UNIFORM_ATTENTION),
                                 *((p, config) for p, config in universality.PRIMES.items())]}


def test_robustness_and_universality_at_p_31(summaries):
    claims.robustness(summaries["seeds"], at_least=5).assert_hold()
    claims.universality(summaries["seeds"], at_least_distinct=6).assert_hold()


def test_the_story_at_every_prime(summaries):
    claims.across_primes({p: summaries[p] for p in universality.PRIMES}).assert_hold()
    for p in (23, 29, 37):
        claims.robustness(summaries[p], at_least=2).assert_hold()


def test_clock_and_pizza(summaries):
    claims.clock_and_pizza(summaries["seeds"], summaries["uniform"]).assert_hold()
    profiles = {name: analysis.frequency_profiles(load(universality.load_or_train, config), summaries[name])
                for name, config in [("seeds", universality.SEEDS), ("uniform", universality.UNIFORM_ATTENTION)]}
    claims.pizza_shares(profiles["seeds"], profiles["uniform"]).assert_hold()
    claims.robustness(summaries["uniform"], at_least=3, clock=False).assert_hold()
