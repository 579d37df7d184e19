"""How a failed check looks to a learner in Jupyter: its message, not a traceback."""

import linecache
import re

import pytest
from IPython.core.interactiveshell import InteractiveShell

from interp_course.chapter1_grokking import checks
from interp_course.core.exercise import ExerciseFailed, ExerciseNotAttempted

# A learner's function as a notebook cell defines it: its code lives in a file of its own.
LEARNER_CELL = '''
def all_pairs(p):
    tokens = torch.zeros(p * p, 3, dtype=torch.long)
    return tokens, tokens[:, 5]   # IndexError: the learner's own mistake
'''

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def learner_function():
    filename = "/tmp/ipykernel_4242/1234567.py"
    linecache.cache[filename] = (len(LEARNER_CELL), None, LEARNER_CELL.splitlines(True), filename)  # as ipykernel does
    namespace = {"torch": __import__("torch")}
    exec(compile(LEARNER_CELL, filename, "exec"), namespace)
    return namespace["all_pairs"]


def report(error: BaseException) -> str:
    return ANSI.sub("", "\n".join(error._render_traceback_()))


def test_a_wrong_answer_shows_its_message_in_a_few_lines():
    with pytest.raises(ExerciseFailed) as failure:
        checks.check_all_pairs(lambda p: (None, None))
    text = report(failure.value)
    assert text.startswith("✗ Exercise check failed\nExercise 1.1 all_pairs:")
    assert "interp_course" not in text and "Traceback" not in text
    assert len(text.splitlines()) <= 6


def test_an_error_in_the_learners_code_shows_their_line_and_none_of_the_course():
    with pytest.raises(ExerciseFailed) as failure:
        checks.check_all_pairs(learner_function())
    text = report(failure.value)
    assert "your function raised IndexError" in text
    assert "Where your code raised it:" in text and "tokens[:, 5]" in text and "1234567.py" in text
    assert "interp_course" not in text and "torch/" not in text


def test_strict_mode_reports_the_stub_in_a_few_lines():
    def stub(p):
        raise NotImplementedError

    with pytest.raises(ExerciseNotAttempted) as failure:
        checks.check_all_pairs(stub, strict=True)
    text = report(failure.value)
    assert text.startswith("✗ Exercise not attempted (strict mode)") and len(text.splitlines()) <= 3


def test_ipython_shows_the_short_report_not_a_traceback(capsys):
    shell = InteractiveShell.instance()
    shell.user_ns["checks"] = checks
    shell.run_cell("all_pairs = checks.check_all_pairs(lambda p: (None, None))")
    shown = ANSI.sub("", capsys.readouterr().out)
    assert "✗ Exercise check failed" in shown and "Exercise 1.1 all_pairs:" in shown
    assert "exercise.py" not in shown and "Traceback" not in shown


# --- the time limit on a learner's function --------------------------------------------------

import threading  # noqa: E402
import time  # noqa: E402

from interp_course.core import exercise as exercise_module  # noqa: E402


def test_a_stop_pressed_by_the_learner_is_not_taken_for_the_time_limit(monkeypatch):
    monkeypatch.setenv("INTERP_COURSE_TIME_LIMIT", "30")

    def pressed_stop(p):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        checks.check_all_pairs(pressed_stop)


def test_a_function_that_returns_in_time_is_checked_as_usual(monkeypatch, capsys):
    monkeypatch.setenv("INTERP_COURSE_TIME_LIMIT", "5")

    def slow_but_right(p):
        time.sleep(0.05)
        return checks.check_all_pairs.reference(p)

    assert checks.check_all_pairs(slow_but_right) is slow_but_right
    assert "correct" in capsys.readouterr().out


def test_a_limit_of_zero_or_another_thread_means_no_timer(monkeypatch):
    started = []
    monkeypatch.setattr(exercise_module.threading.Timer, "start", lambda self: started.append(self))
    monkeypatch.setenv("INTERP_COURSE_TIME_LIMIT", "0")
    assert exercise_module._call_with_time_limit(lambda: 1, (), {}, exercise_module.time_limit_s()) == 1
    results = []
    thread = threading.Thread(target=lambda: results.append(exercise_module._call_with_time_limit(lambda: 2, (), {}, 5.0)))
    thread.start()
    thread.join()
    assert results == [2] and started == []


@pytest.mark.parametrize("text", ["ten", "nan"])
def test_a_limit_that_is_not_a_number_is_named(monkeypatch, text):
    monkeypatch.setenv("INTERP_COURSE_TIME_LIMIT", text)
    with pytest.raises(ValueError, match=f"INTERP_COURSE_TIME_LIMIT should be a number of seconds, got '{text}'"):
        exercise_module.time_limit_s()


def test_an_infinite_limit_means_no_limit(monkeypatch):
    monkeypatch.setenv("INTERP_COURSE_TIME_LIMIT", "inf")
    assert exercise_module.time_limit_s() == 0


def swallows_interrupts(p):
    """Catches every interrupt, as it would the stop button's, and gives up after 2 s."""
    give_up = time.monotonic() + 2
    while time.monotonic() < give_up:
        try:
            time.sleep(0.01)
        except KeyboardInterrupt:
            pass


def turns_the_interrupt_into_another_error(p):
    try:
        time.sleep(20)
    except KeyboardInterrupt:
        raise RuntimeError("cleaning up") from None


@pytest.mark.parametrize("learner", [swallows_interrupts, turns_the_interrupt_into_another_error])
def test_code_that_catches_the_interrupt_is_still_stopped_and_reported_as_too_slow(monkeypatch, learner):
    monkeypatch.setenv("INTERP_COURSE_TIME_LIMIT", "0.3")
    started = time.monotonic()
    with pytest.raises(ExerciseFailed, match="still running after 0.3 s"):
        checks.check_all_pairs(learner)
    assert time.monotonic() - started < 10


def test_the_limit_holds_where_the_process_ignores_interrupts(monkeypatch):
    """A process started in the background by a shell, or under nohup, has SIGINT ignored; the
    check handles it for the call and puts the setting back."""
    import signal

    monkeypatch.setenv("INTERP_COURSE_TIME_LIMIT", "0.3")
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        started = time.monotonic()
        with pytest.raises(ExerciseFailed, match="still running after 0.3 s"):
            checks.check_all_pairs(turns_the_interrupt_into_another_error)
        assert time.monotonic() - started < 10
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


def test_a_numpy_number_gets_a_hint(capsys):
    import numpy as np

    def numpy_step(steps, values, threshold):
        found = checks.check_first_step_reaching.reference(steps, values, threshold)
        return None if found is None else np.int64(found)

    with pytest.raises(ExerciseFailed, match=r"should be an int, got int64 .*convert it with int\(\.\.\.\)"):
        checks.check_first_step_reaching(numpy_step)
