"""The time limit on one call of a learner's function in a check.

A learner's loop that never ends must not hang the notebook: after :func:`time_limit_s`
seconds the call is interrupted, as the notebook's stop button would interrupt it (a SIGINT
to the main thread, sent by a timer thread), and :class:`TimedOut` is raised.
"""

from __future__ import annotations

import _thread
import math
import os
import signal
import threading
import time
from typing import Any, Callable

DEFAULT_TIME_LIMIT_S = 60.0
TIME_LIMIT_ENV_VAR = "INTERP_COURSE_TIME_LIMIT"


def time_limit_s() -> float:
    """How long one call of a learner's function may run in a check: ``$INTERP_COURSE_TIME_LIMIT``
    seconds if set (0, a negative number or inf: no limit), else 60."""
    text = os.environ.get(TIME_LIMIT_ENV_VAR, "").strip()
    if not text:
        return DEFAULT_TIME_LIMIT_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if math.isnan(seconds):
        raise ValueError(f"{TIME_LIMIT_ENV_VAR} should be a number of seconds, got {text!r}")
    return seconds if math.isfinite(seconds) else 0.0


class TimedOut(Exception):
    """The learner's function ran past the time limit."""

    def __init__(self, seconds: float):
        super().__init__(seconds)
        self.seconds = seconds


def _interrupt_main_thread() -> None:
    """What the notebook's stop button does: a SIGINT to the main thread, which also wakes a
    blocking call such as ``time.sleep`` (POSIX); where that is not available, or SIGINT is
    not handled by Python, ``_thread.interrupt_main``, which raises at the next bytecode."""
    if hasattr(signal, "pthread_kill") and callable(signal.getsignal(signal.SIGINT)):
        signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
    else:
        _thread.interrupt_main()


def call_with_time_limit(fn: Callable, args: tuple, kwargs: dict, seconds: float) -> Any:
    """``fn(*args, **kwargs)``; if it has not returned after ``seconds``, it is interrupted
    (as the notebook's stop button would), again every second if its code swallows the
    interrupt, and :class:`TimedOut` raised, whatever the interrupted code raised or returned.
    Only in the main thread (where an interrupt lands) and with a positive limit; elsewhere, a
    plain call."""
    if seconds <= 0 or threading.current_thread() is not threading.main_thread():
        return fn(*args, **kwargs)
    if not callable(signal.getsignal(signal.SIGINT)):
        # SIGINT ignored or left to the OS (a process started in the background by a shell, or
        # under nohup): Python would never see the interrupt, so handle it for this call only.
        previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            return call_with_time_limit(fn, args, kwargs, seconds)
        finally:
            signal.signal(signal.SIGINT, previous)
    lock = threading.Lock()
    state = {"running": True, "fired": False, "timer": None}

    def interrupt():
        with lock:
            if state["running"]:
                state["fired"] = True
                _interrupt_main_thread()
                arm(1.0)  # in case the learner's code catches it

    def arm(delay: float):
        timer = threading.Timer(delay, interrupt)
        timer.daemon = True
        state["timer"] = timer
        timer.start()

    try:
        try:
            with lock:
                arm(seconds)
            result = fn(*args, **kwargs)
        finally:
            with lock:
                state["running"] = False
                state["timer"].cancel()
        if state["fired"]:  # it returned just as the interrupt was sent: let that land here
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline:
                time.sleep(0.01)
    except BaseException:
        if not state["fired"]:
            raise  # the learner's own error, or the learner pressed stop
        raise TimedOut(seconds) from None
    if state["fired"]:
        raise TimedOut(seconds)
    return result
