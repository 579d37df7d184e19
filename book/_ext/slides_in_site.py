"""Build the chapters' slides into the website, at ``slides/`` beside the pages.

The decks are made by tools/make_slides.py from the committed notebooks; in the site they use
its own copy of MathJax, so they work offline. The teaching kit links to them.
"""

from __future__ import annotations

import importlib.util
import pathlib
import sys

TOOL = pathlib.Path(__file__).resolve().parents[2] / "tools" / "make_slides.py"


def _make_slides():
    spec = importlib.util.spec_from_file_location("make_slides", TOOL)
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_slides"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def build_slides(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    make_slides = _make_slides()
    make_slides.build(pathlib.Path(app.outdir) / "slides", mathjax=make_slides.MATHJAX_IN_SITE)


def setup(app):
    app.connect("build-finished", build_slides)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
