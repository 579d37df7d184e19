"""The chapters of the course, as the book's table of contents lists them.

Every test that loops over chapters takes them from here, so a new chapter is picked up by
adding one line to ``_toc.yml``.
"""

import pathlib
import re

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _toc_files(entries):
    for entry in entries:
        if "file" in entry:
            yield entry["file"]
        yield from _toc_files(entry.get("sections", []))


def chapter_names() -> list[str]:
    """``chapterN_topic`` for each chapter notebook in ``_toc.yml``, in book order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [f for part in toc.get("parts", []) for f in _toc_files(part.get("chapters", []))]
    names = [pathlib.PurePosixPath(f).name for f in files]
    return [name for name in names if re.fullmatch(r"chapter\d+_[a-z0-9_]+", name)]


CHAPTERS = chapter_names()
