"""Support package of the mechanistic-interpretability course.

``core`` holds what every chapter uses; ``chapterN_topic`` holds one chapter's runs, analysis,
plots, viewer and exercise checks, named like the chapter's notebook (``book/``) and its
reference solutions (``solutions/``). See CONTRIBUTING.md for the layout and its rules.
"""
