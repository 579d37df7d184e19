"""The time limit on one call of a learner's function: a loop that never ends is stopped and
reported, even where the process ignores SIGINT; a stop pressed by the learner is theirs."""

import threading
import time

import pytest

from interp_course.chapter1_grokking import checks
from interp_course.core import time_limit
from interp_course.core.exercise import ExerciseFailed


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
    monkeypatch.setattr(time_limit.threading.Timer, "start", lambda self: started.append(self))
    monkeypatch.setenv("INTERP_COURSE_TIME_LIMIT", "0")
    assert time_limit.call_with_time_limit(lambda: 1, (), {}, time_limit.time_limit_s()) == 1
    results = []
    thread = threading.Thread(target=lambda: results.append(time_limit.call_with_time_limit(lambda: 2, (), {}, 5.0)))
    thread.start()
    thread.join()
    assert results == [2] and started == []


@pytest.mark.parametrize("text", ["ten", "nan"])
def test_a_limit_that_is_not_a_number_is_named(monkeypatch, text):
    monkeypatch.setenv("INTERP_COURSE_TIME_LIMIT", text)
    with pytest.raises(ValueError, match=f"INTERP_COURSE_TIME_LIMIT should be a number of seconds, got '{text}'"):
        time_limit.time_limit_s()


def test_an_infinite_limit_means_no_limit(monkeypatch):
    monkeypatch.setenv("INTERP_COURSE_TIME_LIMIT", "inf")
    assert time_limit.time_limit_s() == 0


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
