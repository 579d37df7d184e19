"""The contract every exercise check keeps, tested for every check of every chapter.

The checks are discovered, not listed: each chapter of ``_toc.yml`` has a package
``interp_course.<chapter>`` whose ``checks`` module defines its checks with the
``exercise`` decorator, each paired with its reference in ``solutions/<chapter>.py``.

A check passes the reference (and hands it back); on the stub it falls back to the
reference with a plain message, or fails in strict mode (argument or environment variable).
The per-chapter tests (``tests/<chapter>/test_checks.py``) add the plausible wrong answers,
each of which must be rejected with a message that says what is wrong (``assert_rejected``).
"""

import importlib
import inspect

import pytest
import torch

from interp_course.core.exercise import ExerciseFailed, ExerciseNotAttempted
from tests.chapters import CHAPTERS


def checks_of(chapter: str) -> list:
    module = importlib.import_module(f"interp_course.{chapter}.checks")
    return [value for name, value in vars(module).items() if name.startswith("check_") and callable(value)]


CHECKS = [(chapter, check) for chapter in CHAPTERS for check in checks_of(chapter)]
IDS = [f"{chapter}:{getattr(check, 'exercise', check.__name__)}" for chapter, check in CHECKS]


def stub(*args, **kwargs):
    raise NotImplementedError("Exercise: write this function")


def assert_rejected(check, wrong, message):
    """``wrong`` fails ``check`` with a message matching ``message``, strict or not: a wrong
    answer is never silently replaced by the reference."""
    with pytest.raises(ExerciseFailed, match=message):
        check(wrong, strict=True)
    with pytest.raises(ExerciseFailed, match=message):
        check(wrong, strict=False)


def wrong_answer_cases(wrong_answers: dict) -> tuple[list, list]:
    """``pytest.mark.parametrize`` arguments (cases, ids) for a chapter's ``WRONG_ANSWERS``
    ({check: [(wrong function, message regex), ...]})."""
    cases = [(check, wrong, message) for check, answers in wrong_answers.items() for wrong, message in answers]
    ids = [f"{check.exercise}:{getattr(wrong, '__name__', 'wrong')}:{i}" for i, (check, wrong, _) in enumerate(cases)]
    return cases, ids


def test_every_chapter_has_checks():
    assert len(CHAPTERS) >= 5
    for chapter in CHAPTERS:
        assert checks_of(chapter), f"interp_course.{chapter}.checks defines no check_* function"


@pytest.mark.parametrize("chapter, check", CHECKS, ids=IDS)
def test_each_check_names_its_exercise_and_the_reference_of_its_chapter(chapter, check):
    assert hasattr(check, "reference"), f"{check.__name__} is not made with @exercise(...)"
    number = chapter.removeprefix("chapter").split("_")[0]
    assert check.exercise.startswith(f"{number}."), check.exercise
    assert check.reference.__module__ == f"solutions.{chapter}"
    assert check.__name__ == f"check_{check.reference.__name__}"


MIN_WRONG_ANSWERS = 6
"""Each check is tested against at least this many plausible wrong answers (dtype, edge cases,
off by one, the wrong axis, a forgotten normalisation, ...)."""

GENERIC_MESSAGES = {"wrong values", "expected", "wrong values|wrong shape", "raised", "differs"}
"""Messages that say only that an answer is wrong: a registered wrong answer must be named."""


@pytest.mark.parametrize("chapter, check", CHECKS, ids=IDS)
def test_each_check_is_tested_against_several_plausible_wrong_answers(chapter, check):
    wrong_answers = importlib.import_module(f"tests.{chapter}.test_checks").WRONG_ANSWERS
    assert len(wrong_answers.get(check, [])) >= MIN_WRONG_ANSWERS, (
        f"add plausible wrong answers for {check.exercise} to WRONG_ANSWERS in tests/{chapter}/test_checks.py "
        f"(at least {MIN_WRONG_ANSWERS})"
    )


@pytest.mark.parametrize("chapter, check", CHECKS, ids=IDS)
def test_each_wrong_answer_must_get_a_message_that_names_its_mistake(chapter, check):
    wrong_answers = importlib.import_module(f"tests.{chapter}.test_checks").WRONG_ANSWERS
    generic = [getattr(wrong, "__name__", "?") for wrong, message in wrong_answers.get(check, [])
               if message.strip().lower() in GENERIC_MESSAGES]
    assert not generic, (f"{check.exercise}: the wrong answers {generic} are registered with a message that only says "
                         "the answer is wrong; teach the check to name the mistake (interp_course/core/mistakes.py)")


@pytest.mark.parametrize("chapter, check", CHECKS, ids=IDS)
def test_the_reference_passes(chapter, check, capsys):
    assert check(check.reference, strict=True) is check.reference
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("chapter, check", CHECKS, ids=IDS)
def test_the_stub_falls_back_to_the_reference(chapter, check, capsys):
    assert check(stub, strict=False) is check.reference
    out = capsys.readouterr().out
    assert "not written yet" in out and f"solutions/{chapter}.py" in out


@pytest.mark.parametrize("chapter, check", CHECKS, ids=IDS)
def test_strict_mode_rejects_the_stub(chapter, check, monkeypatch):
    with pytest.raises(ExerciseNotAttempted, match="strict mode"):
        check(stub, strict=True)
    monkeypatch.setenv("INTERP_COURSE_STRICT", "1")
    with pytest.raises(ExerciseNotAttempted):
        check(stub)


# --- answers no check may accept (issue: checks that cannot be fooled) -------------------------


def transform_floats(result, change):
    """``result`` with every float tensor and Python float replaced by ``change(x)``."""
    if isinstance(result, torch.Tensor):
        return change(result) if result.is_floating_point() else result
    if isinstance(result, float):
        return change(torch.tensor(result)).item()
    if isinstance(result, (tuple, list)):
        return type(result)(transform_floats(item, change) for item in result)
    if isinstance(result, dict):
        return {key: transform_floats(item, change) for key, item in result.items()}
    return result


def has_floats(result) -> bool:
    changed = transform_floats(result, lambda x: x + 1)
    return repr(changed) != repr(result)


@pytest.mark.parametrize("chapter, check", CHECKS, ids=IDS)
def test_nan_and_inf_answers_are_wrong(chapter, check):
    seen = []

    def answer_with(value):
        def wrong(*args, **kwargs):
            result = check.reference(*args, **kwargs)
            seen.append(has_floats(result))
            return transform_floats(result, lambda x: torch.full_like(x, value))
        return wrong

    for value in (float("nan"), float("inf")):
        try:
            assert_rejected(check, answer_with(value), ".")  # the check's own diagnosis, or the guard's
        except pytest.fail.Exception:
            if any(seen):
                raise
            pytest.skip("the answer holds no float")


@pytest.mark.parametrize("chapter, check", CHECKS, ids=IDS)
def test_an_input_changed_in_place_is_reported(chapter, check):
    changed = []

    def mutating(*args, **kwargs):
        result = check.reference(*args, **kwargs)
        names = list(inspect.signature(check.reference).bind(*args, **kwargs).arguments.items())
        for name, value in names:
            if name in check.may_change:
                continue
            if isinstance(value, torch.Tensor) and value.numel():
                with torch.no_grad():
                    value.add_(1)
            elif isinstance(value, torch.nn.Module):
                with torch.no_grad():
                    next(value.parameters()).add_(1)
            else:
                continue
            changed.append(name)
            break
        return result

    try:
        assert_rejected(check, mutating, r"changed its input `\w+` in place")
    except pytest.fail.Exception:
        if changed:
            raise
        pytest.skip("the exercise takes no tensor input")


@pytest.mark.parametrize("chapter, check", CHECKS, ids=IDS)
def test_not_implemented_inside_the_learners_code_is_not_taken_for_the_stub(chapter, check):
    def helper():
        raise NotImplementedError("a helper the learner has not written")

    def half_written(*args, **kwargs):
        return helper()

    assert_rejected(check, half_written, "your function raised NotImplementedError: a helper")


def test_strict_mode_accepts_on_as_a_value(monkeypatch):
    chapter, check = CHECKS[0]
    monkeypatch.setenv("INTERP_COURSE_STRICT", "on")
    with pytest.raises(ExerciseNotAttempted):
        check(stub)


def transform_results(result, change):
    """``result`` with each item ``change`` knows how to alter altered (``change(x)`` returns
    None to leave ``x`` alone), and whether any was."""
    new = change(result)
    if new is not None:
        return new, True
    if isinstance(result, (tuple, list)):
        items = [transform_results(item, change) for item in result]
        return type(result)(item for item, _ in items), any(changed for _, changed in items)
    if isinstance(result, dict):
        items = {key: transform_results(item, change) for key, item in result.items()}
        return {key: item for key, (item, _) in items.items()}, any(changed for _, changed in items.values())
    return result, False


def other_float_precision(x):
    if isinstance(x, torch.Tensor) and x.is_floating_point():
        return x.double() if x.dtype != torch.float64 else x.float()


def other_integer_dtype(x):
    if isinstance(x, torch.Tensor) and not x.is_floating_point() and not x.is_complex() and x.dtype != torch.bool:
        return x.to(torch.int32 if x.dtype != torch.int32 else torch.int64)


def complex_values(x):
    if isinstance(x, torch.Tensor) and x.is_floating_point():
        return x.to(torch.complex128 if x.dtype == torch.float64 else torch.complex64)


def int_as_float(x):
    if isinstance(x, int) and not isinstance(x, bool):
        return float(x)


def number_as_tensor(x):
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return torch.tensor(x)


WRONG_TYPES = {
    "float64 for float32": (other_float_precision, r"dtype"),
    "int32 for int64": (other_integer_dtype, r"dtype"),
    "complex for real": (complex_values, r"dtype|complex"),
    "float for int": (int_as_float, r"int\b"),
    "0-d tensor for a number": (number_as_tensor, r"float|int\b"),
}


@pytest.mark.parametrize("kind", list(WRONG_TYPES))
@pytest.mark.parametrize("chapter, check", CHECKS, ids=IDS)
def test_a_result_of_the_wrong_type_or_dtype_is_named_as_such(chapter, check, kind):
    change, message = WRONG_TYPES[kind]
    changed = []

    def wrong(*args, **kwargs):
        result, was_changed = transform_results(check.reference(*args, **kwargs), change)
        changed.append(was_changed)
        return result

    try:
        assert_rejected(check, wrong, message)
    except pytest.fail.Exception:
        if any(changed):
            raise
        pytest.skip(f"the answer holds nothing to change ({kind})")


def test_a_function_that_never_returns_is_stopped_with_a_hint(monkeypatch):
    import time

    monkeypatch.setenv("INTERP_COURSE_TIME_LIMIT", "0.3")
    for chapter in CHAPTERS:
        check = checks_of(chapter)[0]

        def never_returns(*args, **kwargs):
            give_up = time.monotonic() + 20  # so that a broken limit fails the test, not hangs it
            while time.monotonic() < give_up:
                time.sleep(0.01)

        started = time.monotonic()
        with pytest.raises(ExerciseFailed, match=r"still running after 0.3 s.*loop that never ends"):
            check(never_returns)
        assert time.monotonic() - started < 10
