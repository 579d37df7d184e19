"""Numbers of a run that a chapter's text quotes, printed by the cell that computes them.

The prose of a chapter, the teaching notes and the slides describe *our* run: "test accuracy
reaches 99% at step 840". Such a number must come from the run, never be typed: a retrained run
would leave a typed number behind. So the cell that computes it also quotes it::

    quote(memorised_at=memorised_at, grokked_at=grokked_at)

which prints ::

    Quoted in the text (there from our run, here from this one):
      memorised_at = 58
      grokked_at = 840

and the text holds the number between two invisible markers, ``<!-- run:grokked_at -->840<!--
/run -->`` in the same notebook, or ``<!-- run:chapter1_grokking.grokked_at -->840<!-- /run
-->`` on any other page. ``tools/sync_run_numbers.py`` writes every marker's number from the
committed (executed) notebooks, and ``tests/test_run_numbers.py`` fails when one differs. A
learner who runs the notebook sees their own run's numbers in the same place.

A value is printed as given: an ``int`` as it is, a ``str`` as the text should show it (format it
there, ``f"{loss:.0e}"``). A ``float`` is refused, since its digits would be an accident.
"""

from __future__ import annotations

import re

HEADER = "Quoted in the text (there from our run, here from this one):"
KEY = re.compile(r"[a-z][a-z0-9_]*")
LINE = re.compile(r"^  (?P<key>[a-z][a-z0-9_]*) = (?P<value>.+)$")


def quote(**numbers: int | str) -> None:
    """Print ``numbers`` (name = value, in the order given) as the numbers the text quotes.

    Args:
        numbers: each a lower-case name (letters, digits, underscores) and an ``int`` or a
            one-line ``str`` (the number formatted as the text shows it).
    """
    if not numbers:
        raise TypeError("quote() needs at least one number, e.g. quote(grokked_at=840)")
    lines = [HEADER]
    for key, value in numbers.items():
        if not KEY.fullmatch(key):
            raise ValueError(f"quote: the name {key!r} must be lower-case letters, digits and underscores")
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise TypeError(
                f"quote: {key} must be an int or a str formatted as the text shows it "
                f"(e.g. f'{{x:.2f}}'), got {type(value).__name__} {value!r}"
            )
        text = str(value)
        if not text.strip() or "\n" in text or "<!--" in text or text != text.strip():
            raise ValueError(f"quote: {key} must be one line of text without surrounding spaces, got {text!r}")
        lines.append(f"  {key} = {text}")
    print("\n".join(lines))


def quoted_in(output: str) -> dict[str, str]:
    """The numbers :func:`quote` printed in ``output`` (a cell's printed text), {name: value}.

    Raises ValueError when a name is quoted twice in ``output``.
    """
    found: dict[str, str] = {}
    lines = output.splitlines()
    for start, line in enumerate(lines):
        if line != HEADER:
            continue
        for line in lines[start + 1:]:
            match = LINE.match(line)
            if not match:
                break
            if match["key"] in found:
                raise ValueError(f"the number {match['key']!r} is quoted twice")
            found[match["key"]] = match["value"]
    return found
