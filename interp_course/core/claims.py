"""Claims: what a chapter concludes from its trained runs, worded so that it holds on any machine.

A run trained on another laptop is a slightly different model: another CPU rounds the last
bit of a matrix product differently, and training amplifies the difference (see the README,
"Your numbers will differ in detail"). The conclusions do not change; the third digit does.
So a chapter states its conclusions as claims, each with the numbers behind it::

    Claims(
        Claim("test accuracy reaches 99% at least 5 times later than train accuracy reaches 100%",
              holds=grokked_at >= 5 * memorised_at, this_run=f"steps {memorised_at} and {grokked_at}"),
    )

which a notebook displays as ::

    ✓ test accuracy reaches 99% at least 5 times later than train accuracy reaches 100% — this run: steps 59 and 790

nbval compares the mark and the statement, never the numbers after "— this run:" (the
pattern in ``tests/nbval_sanitize.cfg`` removes them before comparing), and each chapter's
``tests/chapterN_topic/test_claims.py`` asserts that every claim holds on the runs the
notebooks use. A claim that does not hold prints ``✗ NOT IN THIS RUN:`` before its statement.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

THIS_RUN = " — this run: "  # what follows it on a line is not compared by nbval


@dataclass(frozen=True)
class Claim:
    """A statement about a trained run, whether it holds, and the numbers behind it."""

    statement: str
    holds: bool
    this_run: str = ""

    def __post_init__(self):
        if not isinstance(self.statement, str) or not self.statement.strip() or "\n" in self.statement:
            raise ValueError(f"statement must be one non-empty line of text, got {self.statement!r}")
        # bool() of a one-element tensor is fine; of NaN it is True, so refuse anything else.
        if not isinstance(self.holds, bool):
            raise TypeError(f"holds must be a bool, got {type(self.holds).__name__} (use bool(...) on a comparison)")
        if "\n" in self.this_run:
            raise ValueError(f"this_run must be one line, got {self.this_run!r}")

    def __str__(self) -> str:
        mark = "✓" if self.holds else "✗ NOT IN THIS RUN:"
        detail = f"{THIS_RUN}{self.this_run}" if self.this_run else ""
        return f"{mark} {self.statement}{detail}"


class Claims(tuple):
    """Several claims; displayed one per line, and ``assert_hold()`` for the tests."""

    def __new__(cls, *claims: Claim) -> "Claims":
        for claim in claims:
            if not isinstance(claim, Claim):
                raise TypeError(f"claims must be Claim objects, got {type(claim).__name__}")
        return super().__new__(cls, claims)

    def __repr__(self) -> str:
        return "\n".join(str(claim) for claim in self)

    __str__ = __repr__

    def _repr_pretty_(self, printer, cycle) -> None:  # IPython's display of a cell's last value
        printer.text(repr(self))

    def _repr_html_(self) -> str:
        """The same lines for JupyterLab and the website, wrapped only between words (a plain
        text output there may break a line inside a number), the mark in colour. Each claim is
        one line of HTML, so nbval's pattern for "— this run:" hides the same part as in the
        text."""
        style = ("white-space: pre-wrap; word-break: normal; overflow-wrap: break-word; margin: 0.15em 0; "
                 "font-family: var(--jp-code-font-family, monospace); font-size: var(--jp-code-font-size, 13px)")
        lines = []
        for claim in self:
            mark, colour = ("✓", "#1a7f37") if claim.holds else ("✗ NOT IN THIS RUN:", "#cf222e")
            detail = f'<span style="color: #6e7781">{html.escape(THIS_RUN + claim.this_run)}</span>' if claim.this_run else ""
            lines.append(f'<div style="{style}"><b style="color: {colour}">{mark}</b> {html.escape(claim.statement)}{detail}</div>')
        return "\n".join(lines)

    @property
    def failed(self) -> list[Claim]:
        return [claim for claim in self if not claim.holds]

    def assert_hold(self) -> None:
        """Raise AssertionError naming every claim that does not hold."""
        if self.failed:
            raise AssertionError("claims that do not hold:\n" + "\n".join(str(c) for c in self.failed))
