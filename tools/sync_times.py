"""Write the course's times (``interp_course/course_times.py``) into every page that quotes
them, or check that the pages agree with it.

Two places hold a time:

- a marker, in Markdown (README.md, the pages of book/, the chapters' markdown cells):
  ``<!-- time:KEY -->value<!-- /time -->``; the value is ``course_times.value(KEY)``. The
  comments are invisible on the website, in JupyterLab and on GitHub;
- an exercise's heading cell in a chapter (``### Exercise 1.4: ...``), whose
  ``**About N minutes**`` is ``course_times.exercise_minutes("1.4")``.

Usage: python tools/sync_times.py [--check]    (--check: change nothing, list what differs,
exit 1 if anything does)
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys
from typing import Callable

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from interp_course import course_times  # noqa: E402

MARKER = re.compile(r"<!-- time:(?P<key>\S+?) -->(?P<value>.*?)<!-- /time -->", re.S)
EXERCISE_HEADING = re.compile(r"^### Exercise (?P<number>\d+\.\d+):", re.M)
EXERCISE_MINUTES = re.compile(r"\*\*About (?P<minutes>\d+) minutes\*\*")


def pages() -> list[pathlib.Path]:
    """Every file that may quote a time: README.md, CONTRIBUTING.md and the pages of book/."""
    found = [ROOT / "README.md", ROOT / "CONTRIBUTING.md"]
    found += sorted(p for p in (ROOT / "book").rglob("*") if p.suffix in {".md", ".ipynb"} and "_build" not in p.parts
                    and ".ipynb_checkpoints" not in p.parts)
    return [p for p in found if p.is_file()]


def synced_markdown(text: str) -> str:
    """``text`` with every marker's value written from course_times."""
    return MARKER.sub(lambda m: f"<!-- time:{m['key']} -->{course_times.value(m['key'])}<!-- /time -->", text)


def synced_exercise_cell(text: str) -> str:
    """A markdown cell with its exercise heading's minutes written from course_times."""
    heading = EXERCISE_HEADING.search(text)
    if not heading:
        return text
    minutes = course_times.exercise_minutes(heading["number"])
    return EXERCISE_MINUTES.sub(f"**About {minutes} minutes**", text, count=1)


def synced_cell(text: str) -> str:
    return synced_exercise_cell(synced_markdown(text))


def markdown_text(path: pathlib.Path) -> str:
    """The Markdown of ``path``: a notebook's markdown cells joined, or the file's text."""
    if path.suffix == ".ipynb":
        return "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown")
    return path.read_text()


def rewrite_markdown(path: pathlib.Path, in_cell: Callable[[str], str], in_page: Callable[[str], str],
                     write: bool) -> bool:
    """Apply ``in_cell`` to each markdown cell of a notebook, or ``in_page`` to another page's
    text; save the result if ``write``. Returns whether anything changed."""
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        changed = False
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                new = in_cell(cell.source)
                if new != cell.source:
                    changed, cell.source = True, new
        if changed and write:
            nbformat.write(nb, path)
        return changed
    text = path.read_text()
    new = in_page(text)
    if new != text and write:
        path.write_text(new)
    return new != text


def report(stale: list[pathlib.Path], check: bool, source: str, command: str) -> int:
    """Print each stale page, and the command that fixes them; the exit status of ``--check``."""
    for path in stale:
        print(f"{path.relative_to(ROOT)}: {'differs from' if check else 'updated from'} {source}")
    if check and stale:
        print(f"Run: {command}")
        return 1
    return 0


def markers(path: pathlib.Path) -> list[str]:
    """The keys of every marker in ``path``, in order."""
    return [m["key"] for m in MARKER.finditer(markdown_text(path))]


def sync(path: pathlib.Path, write: bool) -> bool:
    """Bring ``path`` up to date (if ``write``); whether it was out of date."""
    return rewrite_markdown(path, synced_cell, synced_markdown, write)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a page differs")
    args = parser.parse_args(argv)
    stale = [p for p in pages() if sync(p, write=not args.check)]
    return report(stale, args.check, "interp_course/course_times.py", "python tools/sync_times.py")


if __name__ == "__main__":
    sys.exit(main())
