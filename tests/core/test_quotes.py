"""quote(): the numbers of a run a chapter's text quotes, printed so that a tool can read them."""

import pytest

from interp_course.core.quotes import HEADER, quote, quoted_in


def test_what_quote_prints_reads_back(capsys):
    quote(grokked_at=840, final_loss="3e-06", share="0.82")
    out = capsys.readouterr().out
    assert out.splitlines()[0] == HEADER
    assert quoted_in(out) == {"grokked_at": "840", "final_loss": "3e-06", "share": "0.82"}


def test_quoted_numbers_are_found_among_other_output(capsys):
    print("train accuracy reaches 100% at step 58")
    quote(memorised_at=58)
    print("\nsomething else = 3")
    assert quoted_in(capsys.readouterr().out) == {"memorised_at": "58"}


def test_a_name_quoted_twice_in_one_output_is_an_error(capsys):
    quote(step=1)
    quote(step=2)
    with pytest.raises(ValueError, match="'step' is quoted twice"):
        quoted_in(capsys.readouterr().out)


@pytest.mark.parametrize("value, error", [
    (0.1 + 0.2, "must be an int or a str"),
    (True, "must be an int or a str"),
    (None, "must be an int or a str"),
    ("3\n4", "one line"),
    (" 3", "surrounding spaces"),
    ("", "one line"),
    ("<!-- /run -->", "one line"),
])
def test_a_value_the_text_could_not_show_as_given_is_refused(value, error):
    with pytest.raises((TypeError, ValueError), match=error):
        quote(number=value)


@pytest.mark.parametrize("name", ["Step", "2nd", "final-loss"])
def test_a_name_a_marker_could_not_hold_is_refused(name):
    with pytest.raises(ValueError, match="lower-case letters"):
        quote(**{name: 1})


def test_quote_needs_a_number():
    with pytest.raises(TypeError, match="at least one number"):
        quote()
