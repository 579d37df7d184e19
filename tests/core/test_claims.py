"""Claims: how they print, what they refuse, and that assert_hold fails on a false one."""

import re
from pathlib import Path

import pytest
import torch

from interp_course.core.claims import Claim, Claims

SANITIZE = Path(__file__).resolve().parents[1] / "nbval_sanitize.cfg"


def sanitize(text):
    """What nbval compares: the text after tests/nbval_sanitize.cfg's patterns."""
    patterns = re.findall("^regex: (.*)$\n^replace: (.*)$", SANITIZE.read_text(), flags=re.MULTILINE)
    assert patterns, "no patterns found in the sanitize file"
    for regex, replace in patterns:
        text = re.sub(regex, replace, text)
    return text


def test_a_claim_prints_its_mark_statement_and_numbers():
    assert str(Claim("it groks", holds=True, this_run="step 790")) == "✓ it groks — this run: step 790"
    assert str(Claim("it groks", holds=False)) == "✗ NOT IN THIS RUN: it groks"


def test_nbval_compares_the_statements_and_marks_not_the_numbers():
    ours = repr(Claims(Claim("a", True, "step 790"), Claim("b", True, "[1, 8, 21] 0.92")))
    theirs = repr(Claims(Claim("a", True, "step 840"), Claim("b", True, "[1, 8, 21, 30] 0.89")))
    assert ours != theirs and sanitize(ours) == sanitize(theirs)
    assert sanitize(ours) != sanitize(repr(Claims(Claim("a", False, "never"), Claim("b", True, "x"))))
    assert sanitize(ours) != sanitize(repr(Claims(Claim("a, reworded", True, "step 790"), Claim("b", True, "x"))))


def test_assert_hold_names_the_claims_that_fail():
    Claims(Claim("a", True)).assert_hold()
    with pytest.raises(AssertionError, match="NOT IN THIS RUN: b"):
        Claims(Claim("a", True), Claim("b", False)).assert_hold()


@pytest.mark.parametrize("holds", [torch.tensor(True), 1, None, float("nan")])
def test_holds_must_be_a_bool(holds):
    with pytest.raises(TypeError, match="holds must be a bool"):
        Claim("a", holds)


@pytest.mark.parametrize("statement", ["", "two\nlines", None])
def test_a_statement_is_one_line(statement):
    with pytest.raises(ValueError, match="statement"):
        Claim(statement, True)


def test_claims_holds_only_claims():
    with pytest.raises(TypeError, match="Claim objects"):
        Claims("✓ a")


def test_the_html_display_escapes_wraps_between_words_and_keeps_one_line_a_claim():
    import re

    claims = Claims(Claim("loss < 5 & rising", True, "chance 5.55"), Claim("another", False))
    shown = claims._repr_html_()
    lines = shown.splitlines()
    assert len(lines) == 2 and all(line.startswith("<div") and line.endswith("</div>") for line in lines)
    assert "loss &lt; 5 &amp; rising" in lines[0] and "NOT IN THIS RUN" in lines[1]
    assert "word-break: normal" in lines[0]  # never inside a number, as JupyterLab's plain text output may
    sanitized = re.sub(r"(?m) — this run: .*$", " — this run: (not compared)", shown)
    assert "5.55" not in sanitized and "another" in sanitized
