"""Keep the built site self-contained and its browser console clean.

- Jupyter Book always loads sphinx-thebe, which puts an inline script on every page naming
  thebe's address on unpkg.com (and, on incremental builds, declares it twice, a console
  error). The course has no live code cells, so the thebe scripts are dropped.
- pydata-sphinx-theme logs a console error on the first visit when no default colour mode is
  set; the course's figures are drawn on white, so the default is light.
"""

from __future__ import annotations


def _is_thebe(script) -> bool:
    filename = getattr(script, "filename", script) or ""
    body = getattr(script, "attributes", {}).get("body", "") if hasattr(script, "attributes") else ""
    return "thebe" in str(filename) or "THEBE_JS_URL" in body


def drop_thebe_and_set_mode(app, pagename, templatename, context, doctree) -> None:
    if "script_files" in context:
        context["script_files"] = [s for s in context["script_files"] if not _is_thebe(s)]
    if not context.get("default_mode"):
        context["default_mode"] = "light"


def setup(app):
    app.connect("html-page-context", drop_thebe_and_set_mode, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
