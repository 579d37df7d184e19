"""What a failed check raises, and how it shows in Jupyter: its message, not a traceback
through the course's code (plus, where the learner's own code raised, the lines that did)."""

from __future__ import annotations

import os
import sys
import traceback

_COURSE_CODE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # interp_course/


def _learners_frames(error: BaseException | None) -> list[str]:
    """The frames of ``error``'s traceback that are the learner's own code (a notebook cell or
    their module), formatted; not the course's, the standard library's or torch's."""
    if error is None or error.__traceback__ is None:
        return []
    libraries = {os.path.abspath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    frames = [
        frame for frame in traceback.extract_tb(error.__traceback__)
        if not os.path.abspath(frame.filename).startswith(_COURSE_CODE)
        and not any(os.path.abspath(frame.filename).startswith(lib) for lib in libraries)
    ]
    return traceback.format_list(frames)


class _ShortReport:
    """In IPython and Jupyter, the error shows as its message alone (plus, where the learner's
    own code raised, the lines of it that did), not as a traceback through the course's code."""

    heading = "Exercise check failed"

    def _render_traceback_(self) -> list[str]:
        red, bold, reset = "\x1b[31m", "\x1b[1m", "\x1b[0m"
        lines = [f"{red}{bold}✗ {self.heading}{reset}", *str(self).splitlines()]
        frames = _learners_frames(self.__cause__)
        if frames:
            lines += ["", "Where your code raised it:", *"".join(frames).rstrip().splitlines()]
        return lines


class ExerciseFailed(_ShortReport, AssertionError):
    """The learner's function gave a wrong answer; the message says what is wrong."""


class WrongValues(ExerciseFailed):
    """The learner's result has the right type, dtype and shape but wrong values (what
    :func:`~interp_course.core.tensor_comparison.expect_tensor` found). A wrong type or dtype
    seen when the learner's function was called explains it better."""


class ExerciseNotAttempted(_ShortReport, Exception):
    """Strict mode: the learner's function is still the stub."""

    heading = "Exercise not attempted (strict mode)"
