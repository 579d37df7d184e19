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
    assert "exercise.py" not in shown and "interp_course" not in shown and "Traceback" not in shown


def test_a_numpy_number_gets_a_hint(capsys):
    import numpy as np

    def numpy_step(steps, values, threshold):
        found = checks.check_first_step_reaching.reference(steps, values, threshold)
        return None if found is None else np.int64(found)

    with pytest.raises(ExerciseFailed, match=r"should be an int, got int64 .*convert it with int\(\.\.\.\)"):
        checks.check_first_step_reaching(numpy_step)
