"""Write the numbers of our runs that the course's text quotes from the executed chapter
notebooks, or check that the text agrees with them.

A number is quoted by the cell that computes it (``interp_course.core.quotes.quote``: the cell
prints ``name = value`` under a fixed header) and held in Markdown between two markers,
invisible on the website, in JupyterLab and on GitHub:

- in a chapter's own markdown cells, ``<!-- run:name -->value<!-- /run -->``;
- on any page (README, book/*.md, the teaching notes, another chapter),
  ``<!-- run:chapterN_topic.name -->value<!-- /run -->``.

Every marker's value is written from the committed notebook's outputs (the one clean top-to-bottom
run); a marker whose name no notebook quotes is an error, and so is a name quoted twice.

Usage: python tools/sync_run_numbers.py [--check]    (--check: change nothing, list what
differs, exit 1 if anything does)
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from interp_course.core.quotes import quoted_in  # noqa: E402
from tools.sync_times import markdown_text, pages, report, rewrite_markdown  # noqa: E402

MARKER = re.compile(r"<!-- run:(?P<key>[\w.]+) -->(?P<value>.*?)<!-- /run -->", re.S)


class UnknownNumber(LookupError):
    """A marker names a number no chapter notebook quotes."""


def chapter_notebooks(root: pathlib.Path = ROOT) -> list[pathlib.Path]:
    """The chapter notebooks, ``book/chapterN_topic.ipynb``."""
    return sorted((root / "book").glob("chapter*_*.ipynb"))


def printed_text(cell) -> str:
    """What a code cell printed (its stdout streams, joined)."""
    return "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream"
                   and o.get("name") == "stdout")


def numbers_of(notebook: pathlib.Path) -> dict[str, str]:
    """{name: value} of every number the committed ``notebook`` quotes."""
    found: dict[str, str] = {}
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        for key, value in quoted_in(printed_text(cell)).items():
            if key in found:
                raise ValueError(f"{notebook.name}: the number {key!r} is quoted by two cells")
            found[key] = value
    return found


def all_numbers(root: pathlib.Path = ROOT) -> dict[str, str]:
    """{"chapterN_topic.name": value} of every number every chapter notebook quotes."""
    return {f"{nb.stem}.{key}": value for nb in chapter_notebooks(root) for key, value in numbers_of(nb).items()}


def synced_text(text: str, numbers: dict[str, str], chapter: str | None, where: str) -> str:
    """``text`` with every marker's value written from ``numbers``; a bare name is looked up in
    ``chapter`` (the notebook the text is in), or is an error outside a chapter."""

    def value(match: re.Match) -> str:
        key = match["key"]
        full = key if "." in key else f"{chapter}.{key}" if chapter else None
        if full not in numbers:
            hint = "" if full else " (outside a chapter notebook, name it as chapterN_topic.name)"
            raise UnknownNumber(f"{where}: the marker <!-- run:{key} --> names a number no notebook quotes{hint}")
        return f"<!-- run:{key} -->{numbers[full]}<!-- /run -->"

    return MARKER.sub(value, text)


def chapter_of(path: pathlib.Path) -> str | None:
    """The chapter whose numbers a bare marker name in ``path`` means: a chapter notebook's own."""
    return path.stem if path.suffix == ".ipynb" and path.name.startswith("chapter") else None


def sync(path: pathlib.Path, numbers: dict[str, str], write: bool) -> bool:
    """Bring the markers of ``path`` up to date (if ``write``); whether any was out of date."""
    chapter = chapter_of(path)
    return rewrite_markdown(path, lambda text: synced_text(text, numbers, chapter, path.name),
                            lambda text: synced_text(text, numbers, None, path.name), write)


def markers(path: pathlib.Path) -> list[str]:
    """The names of every marker in ``path``, in order."""
    return [m["key"] for m in MARKER.finditer(markdown_text(path))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 if a page differs")
    args = parser.parse_args(argv)
    numbers = all_numbers()
    try:
        stale = [p for p in pages() if sync(p, numbers, write=not args.check)]
    except (UnknownNumber, ValueError) as error:
        print(error)
        return 1
    return report(stale, args.check, "the executed notebooks", "python tools/sync_run_numbers.py")


if __name__ == "__main__":
    sys.exit(main())
