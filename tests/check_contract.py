"""The contract every exercise check must keep, shared by the per-chapter check tests.

A check passes the reference (and hands it back); on the stub it falls back to the
reference with a plain message, or fails in strict mode (argument or environment variable);
on a wrong answer it fails with a message that says what is wrong, in either mode.
"""

import pytest

from interp_course.exercise import ExerciseFailed, ExerciseNotAttempted


def stub(*args, **kwargs):
    raise NotImplementedError("Exercise: write this function")


def assert_passes_reference(check, reference, capsys):
    assert check(reference, strict=True) is reference
    assert "correct" in capsys.readouterr().out


def assert_stub_falls_back(check, reference, capsys, solutions_file):
    assert check(stub, strict=False) is reference
    out = capsys.readouterr().out
    assert "not written yet" in out and solutions_file in out


def assert_strict_mode_rejects_stub(check, monkeypatch):
    with pytest.raises(ExerciseNotAttempted, match="strict mode"):
        check(stub, strict=True)
    monkeypatch.setenv("INTERP_COURSE_STRICT", "1")
    with pytest.raises(ExerciseNotAttempted):
        check(stub)


def assert_rejected(check, wrong, message):
    with pytest.raises(ExerciseFailed, match=message):
        check(wrong, strict=True)
    with pytest.raises(ExerciseFailed, match=message):  # never silently replaced
        check(wrong, strict=False)


def contract_tests(checks: dict, solutions_file: str):
    """The three contract tests for a chapter's checks, parametrised over ``checks``
    ({name: (check, reference)}). Assign them to module-level ``test_*`` names."""

    @pytest.mark.parametrize("name", checks)
    def test_the_reference_passes(name, capsys):
        assert_passes_reference(*checks[name], capsys)

    @pytest.mark.parametrize("name", checks)
    def test_the_stub_falls_back_to_the_reference(name, capsys):
        assert_stub_falls_back(*checks[name], capsys, solutions_file)

    @pytest.mark.parametrize("name", checks)
    def test_strict_mode_rejects_the_stub(name, monkeypatch):
        assert_strict_mode_rejects_stub(checks[name][0], monkeypatch)

    return test_the_reference_passes, test_the_stub_falls_back_to_the_reference, test_strict_mode_rejects_the_stub
