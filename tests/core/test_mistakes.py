"""Naming a learner's mistake (interp_course/core/mistakes.py): a mistake is named only when the
learner's result is that mistake's and the right result is not."""

import pytest
import torch

from interp_course.core.exercise_failures import ExerciseFailed
from interp_course.core.learner_call import LearnerRaised
from interp_course.core.mistakes import agrees, matches, name_the_mistake, name_the_raise, which_mistake

WANT = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
SUMMED = torch.tensor([6.0], dtype=torch.float64)


def test_the_first_mistake_that_fits_is_named():
    got = WANT * 2
    mistakes = [(WANT + 1, "added one"), (WANT * 2, "doubled"), (lambda: WANT * 2, "doubled again")]
    assert which_mistake(got, WANT, mistakes) == "doubled"


def test_a_right_answer_and_an_unknown_mistake_are_not_named():
    assert which_mistake(WANT.clone(), WANT, [(WANT.clone(), "same as right")]) is None
    assert which_mistake(WANT * 3, WANT, [(WANT * 2, "doubled")]) is None
    assert which_mistake(WANT * 3, WANT, [(None, "cannot show here")]) is None


def test_a_mistake_that_gives_the_right_result_here_is_never_blamed():
    # The learner's result is a near miss of the right one; the "mistake" equals the right one on these inputs.
    assert which_mistake(WANT + 1e-3, WANT, [(WANT + 1e-3, "x"), (WANT, "y")], atol=1e-2) is None


def test_only_one_refuses_to_choose_between_mistakes_that_give_the_same_numbers():
    mistakes = [(WANT * 2, "doubled"), (WANT + WANT, "added twice"), (WANT * 3, "tripled")]
    assert which_mistake(WANT * 2, WANT, mistakes, only_one=True) is None
    assert which_mistake(WANT * 3, WANT, mistakes, only_one=True) == "tripled"
    assert which_mistake(WANT * 2, WANT, [(WANT * 2, "doubled"), (WANT * 2, "doubled")], only_one=True) == "doubled"


def test_floats_and_shapes():
    assert which_mistake(6.0, 2.0, [(6.0, "summed")]) == "summed"
    assert which_mistake(True, 2.0, [(1.0, "a bool is not a number")]) is None
    assert which_mistake(SUMMED, WANT, [(SUMMED, "summed")]) == "summed"
    assert not matches(WANT[None], WANT)


def test_name_the_mistake_raises_with_where_or_returns():
    with pytest.raises(ExerciseFailed, match="^on case 2: doubled$"):
        name_the_mistake(WANT * 2, WANT, [(WANT * 2, "doubled")], where="on case 2: ")
    assert name_the_mistake(WANT * 5, WANT, [(WANT * 2, "doubled")]) is None


def test_agrees_is_stricter_than_matches():
    near = WANT * (1 + 1e-6)
    assert matches(near, WANT) and not agrees(near, WANT, atol=1e-9)
    assert agrees(WANT.float(), WANT, atol=1e-9)
    assert not agrees([1.0, 2.0, 3.0], WANT, atol=1)


def _raising(error: BaseException):
    def fn(*args):
        raise LearnerRaised(error)
    return fn


def test_name_the_raise_names_the_mistake_where_it_runs():
    with pytest.raises(ExerciseFailed, match="forgot W_O"):
        name_the_raise(lambda x: x * 2, (WANT,), mistakes=lambda: [(WANT * 2, "forgot W_O")], want=lambda: WANT)
    with pytest.raises(ExerciseFailed, match="forgot W_O"):
        name_the_raise(lambda x: x * 2, (WANT,), mistakes=lambda: [(WANT * 2, "forgot W_O")], want=WANT)


def test_name_the_raise_leaves_other_errors_to_the_caller():
    assert name_the_raise(_raising(ValueError("shapes")), (WANT,), mistakes=lambda: [(WANT, "x")], want=WANT) is None
    assert name_the_raise(lambda x: x * 7, (WANT,), mistakes=lambda: [(WANT * 2, "x")], want=WANT) is None
    assert name_the_raise(lambda x: x, (WANT,), mistakes=lambda: [(WANT, "x")], want=WANT) is None
