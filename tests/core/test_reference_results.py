"""The reference's results in a check: run once per case, on its own copy of the inputs."""

import contextlib
import functools
import io

import pytest
import torch

from interp_course.chapter1_grokking import checks as chapter1
from interp_course.chapter4_superposition import checks as chapter4
from interp_course.chapter5_induction import checks as chapter5
from interp_course.chapter6_universality import checks as chapter6
from interp_course.core.exercise import ExerciseFailed, exercise, expect_tensor, run_check
from interp_course.core.reference_results import NO_RESULT, ReferenceResults


def counted(fn):
    """``fn``, counting its calls in ``.calls``."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        wrapper.calls += 1
        return fn(*args, **kwargs)

    wrapper.calls = 0
    return wrapper


def scaled(x: torch.Tensor, scale: float = 2.0) -> torch.Tensor:
    return x * scale


# --- in the course's checks: one run of the reference for each call of the learner's function --


@pytest.mark.parametrize("check, learner_calls", [
    (chapter1.check_all_pairs, 4),
    (chapter1.check_first_step_reaching, 4),  # fn and reference_fn each get their own values.double()
    (chapter4.check_generate_batch, 3),  # each gets a new generator with the same seed
    (chapter5.check_copying_score, 3),  # the pure copier's reference result is used twice
    (chapter6.check_stack_weights, 3),  # a list of state dicts
], ids=lambda value: getattr(value, "exercise", None))
def test_a_check_runs_the_reference_once_per_case(check, learner_calls):
    learner, reference = counted(check.reference), counted(check.reference)
    with contextlib.redirect_stdout(io.StringIO()) as out:
        assert run_check(check.exercise, learner, reference, check.compare) is learner
    assert "correct" in out.getvalue()
    assert learner.calls == learner_calls
    assert reference.calls == learner_calls  # before, twice as many: the guard's and the comparison's


def test_a_comparison_must_take_the_reference_too():
    with pytest.raises(TypeError, match=r"check_scaled of exercise 9\.1 scaled should take \(fn, reference_fn\)"):
        @exercise("9.1", scaled)
        def check_scaled(fn):
            return "nothing"


def test_a_comparison_gets_the_result_already_computed():
    reference = counted(scaled)

    @exercise("9.1", reference)
    def check_scaled(fn, reference_fn):
        x = torch.arange(4.0)
        got = fn(x)
        expect_tensor(got, reference_fn(x), "the result")
        expect_tensor(got, reference_fn(x.clone()), "the result")  # equal values: the same inputs
        expect_tensor(got, reference_fn(x, scale=2.0), "the result")  # spelled otherwise: the same call
        expect_tensor(fn(-x), reference_fn(-x), "the result on -x")
        return "two inputs"

    with contextlib.redirect_stdout(io.StringIO()):
        check_scaled(scaled)
    assert reference.calls == 2


# --- ReferenceResults itself -----------------------------------------------------------------


def results_after_a_call(reference, *args, **kwargs) -> ReferenceResults:
    """What a check holds after the learner's function was called on ``args``."""
    results = ReferenceResults(reference)
    results.result_on(results.save_inputs(args, kwargs))
    return results


def test_inputs_the_learner_never_saw_are_computed_then_on_a_copy():
    def doubles_in_place(x: torch.Tensor) -> torch.Tensor:
        return x.mul_(2)

    reference = counted(doubles_in_place)
    results = results_after_a_call(reference, torch.ones(3))
    other = torch.arange(3.0)
    assert torch.equal(results(other), torch.tensor([0.0, 2.0, 4.0]))
    assert torch.equal(other, torch.arange(3.0)), "the reference changed the check's input"
    assert reference.calls == 2


def test_an_input_changed_since_is_computed_again_on_what_it_is_now():
    reference = counted(scaled)
    x = torch.ones(3)
    results = results_after_a_call(reference, x)
    x.add_(1)  # e.g. an argument the exercise changes in place (may_change)
    assert torch.equal(results(x), torch.full((3,), 4.0))
    assert torch.equal(results(torch.ones(3)), torch.full((3,), 2.0))  # as the learner's function saw it
    assert reference.calls == 2


def test_a_module_matches_only_itself_with_the_same_weights():
    def weight_sum(model: torch.nn.Module) -> float:
        return float(sum(p.detach().sum() for p in model.parameters()))

    reference = counted(weight_sum)
    model = torch.nn.Linear(2, 2)
    results = results_after_a_call(reference, model)
    results(model)
    assert reference.calls == 1
    twin = torch.nn.Linear(2, 2)
    twin.load_state_dict(model.state_dict())
    results(twin)  # equal weights, another module: it may differ in what the weights do not hold
    assert reference.calls == 2
    with torch.no_grad():
        model.weight.add_(1)
    assert results(model) == pytest.approx(weight_sum(model))
    assert reference.calls == 3


def test_random_generators_match_by_their_state():
    def draw(n: int, generator: torch.Generator) -> torch.Tensor:
        return torch.rand(n, generator=generator)

    reference = counted(draw)
    results = results_after_a_call(reference, 3, torch.Generator().manual_seed(1))
    assert torch.equal(results(3, torch.Generator().manual_seed(1)), draw(3, torch.Generator().manual_seed(1)))
    assert reference.calls == 1
    results(3, torch.Generator().manual_seed(2))
    assert reference.calls == 2


def test_nan_in_an_input_never_matches():
    reference = counted(scaled)
    results = results_after_a_call(reference, torch.tensor([float("nan")]))
    assert results(torch.tensor([float("nan")])).isnan().all()
    assert reference.calls == 2


def test_a_reference_that_raises_is_run_again_and_raises_for_the_comparison():
    def positive_only(x: torch.Tensor) -> torch.Tensor:
        if (x < 0).any():
            raise ValueError("x must be positive")
        return x

    results = ReferenceResults(positive_only)
    assert results.result_on(results.save_inputs((-torch.ones(2),), {})) is NO_RESULT
    with pytest.raises(ValueError, match="x must be positive"):
        results(-torch.ones(2))


def test_the_reference_leaves_the_random_number_generators_as_they_were():
    def noisy(x: torch.Tensor) -> torch.Tensor:
        return x + torch.rand(x.shape)

    results = results_after_a_call(noisy, torch.zeros(2))
    state = torch.random.get_rng_state()
    results(torch.ones(2))
    assert torch.equal(torch.random.get_rng_state(), state)


def test_the_learner_changing_an_input_does_not_reach_the_reference():
    seen = []

    def reference(x: torch.Tensor) -> torch.Tensor:
        seen.append(x.clone())
        return x * 2

    def learner(x: torch.Tensor) -> torch.Tensor:
        result = x * 2
        x.fill_(100.0)
        return result

    @exercise("9.2", reference, may_change=("x",))
    def check_reference(fn, reference_fn):
        x = torch.ones(3)
        expect_tensor(fn(x), reference_fn(torch.ones(3)), "the result")
        return "one input"

    with contextlib.redirect_stdout(io.StringIO()):
        check_reference(learner)
    assert len(seen) == 1 and torch.equal(seen[0], torch.ones(3))

    @exercise("9.2", reference)
    def check_reference_strictly(fn, reference_fn):
        x = torch.ones(3)
        expect_tensor(fn(x), reference_fn(x), "the result")
        return "one input"

    with pytest.raises(ExerciseFailed, match="changed its input `x` in place"):
        check_reference_strictly(learner)
