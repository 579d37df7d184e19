"""The chapters of the course, as the book's table of contents lists them
(``interp_course.chapters``, which reads ``_toc.yml``).

Every test that loops over chapters takes them from here, so a new chapter is picked up by
adding one line to ``_toc.yml``.
"""

import pathlib

from interp_course.chapters import chapter_names

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHAPTERS = chapter_names(ROOT / "_toc.yml")
