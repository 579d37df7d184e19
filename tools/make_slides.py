"""Slides for each chapter, made from its executed notebook: one HTML file per chapter that a
teacher can project from a laptop with no network.

A deck has a title slide (what the chapter teaches, and its times), one slide per numbered section (its
heading, the section's first sentence as its one idea, and up to two of its figures), the
exercise list with minutes, the questions to discuss, and the summary. Figures are the
notebook's own outputs, embedded in the file; nothing is fetched. Formulas are typeset by the
website's own copy of MathJax when the deck sits in the built site (``_build/html/slides/``;
the book build writes them there, see book/_ext/slides_in_site.py); a deck copied elsewhere
shows them as TeX.

Keys: → / space / PageDown next, ← / PageUp previous, Home / End, F full screen; the slide
number is in the address (``#5``), so a reload stays put. Printing gives one slide a page.

Usage: python tools/make_slides.py OUTDIR [NOTEBOOK ...]   (default: every chapter in _toc.yml)
"""

from __future__ import annotations

import html
import pathlib
import re
import sys
from dataclasses import dataclass, field

import nbformat
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

ROOT = pathlib.Path(__file__).resolve().parent.parent
MATHJAX_IN_SITE = "../_static/mathjax/tex-chtml.js"
MAX_FIGURES_PER_SLIDE = 2


def _math(content: str, options: dict) -> str:
    if options.get("display_mode"):
        return f"\\[{html.escape(content)}\\]"
    return f"\\({html.escape(content)}\\)"


MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable("table").use(dollarmath_plugin, renderer=_math)


def render(markdown: str) -> str:
    return MARKDOWN.render(markdown)


@dataclass
class Slide:
    title: str
    body: str = ""  # HTML
    figures: list[str] = field(default_factory=list)  # base64 PNGs
    kind: str = "section"


def chapter_notebooks() -> list[pathlib.Path]:
    """The chapter notebooks of _toc.yml, in book order (``interp_course.chapters``)."""
    sys.path.insert(0, str(ROOT))  # the course of this checkout, even where another is installed
    from interp_course.chapters import chapter_names

    return [ROOT / "book" / f"{name}.ipynb" for name in chapter_names(ROOT / "_toc.yml")]


def first_sentence(markdown: str) -> str:
    """The first sentence of the first paragraph of prose (not a heading, list, quote, code or
    HTML block), with its Markdown kept."""
    for block in re.split(r"\n\s*\n", markdown):
        block = block.strip()
        if not block or block[0] in "#>-*|<`$" or re.match(r"\d+\.", block):
            continue
        text = " ".join(block.split())
        match = re.match(r"(.+?[.?!:])(\s+(?=[A-Z(\"'*])|$)", text)
        return match.group(1) if match else text
    return ""


def section_figures(cells) -> list[str]:
    """The PNG figures (base64) that a section's code cells output: the first and the last,
    which in this course are the section's set-up picture and its result."""
    pngs = [
        output["data"]["image/png"]
        for cell in cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") in {"display_data", "execute_result"} and "image/png" in output.get("data", {})
    ]
    if len(pngs) <= MAX_FIGURES_PER_SLIDE:
        return pngs
    return [pngs[0], pngs[-1]]


def split_sections(notebook) -> tuple[str, list[tuple[str, list]]]:
    """(the chapter's title, [(heading of a ## section, the cells under it)])."""
    title, sections = "", []
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            h1 = re.search(r"^# (.+)$", cell.source, re.M)
            if h1 and not title:
                title = h1.group(1).strip()
            for line in cell.source.splitlines():
                h2 = re.match(r"^## (.+)$", line)
                if h2:
                    sections.append((h2.group(1).strip(), []))
        if sections:
            sections[-1][1].append(cell)
    return title, sections


def markdown_after(cell_source: str, heading_line: str) -> str:
    return cell_source.split(heading_line, 1)[1] if heading_line in cell_source else cell_source


def exercise_list(notebook) -> list[tuple[str, str, str]]:
    """(number, name, minutes) of each exercise, from its heading cell."""
    found = []
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        heading = re.search(r"^### Exercise (\d+\.\d+): (.+)$", cell.source, re.M)
        if heading:
            minutes = re.search(r"\*\*About (\d+) minutes\*\*", cell.source)
            found.append((heading.group(1), heading.group(2).strip(), minutes.group(1) if minutes else "?"))
    return found


def text_under_heading(cells, heading: str) -> str:
    """The Markdown under ``### heading`` or ``## heading`` up to the next heading."""
    for cell in cells:
        if cell.cell_type == "markdown":
            match = re.search(rf"^#{{2,3}} {re.escape(heading)}\s*$(.*?)(?=^#{{1,3}} |\Z)", cell.source, re.M | re.S)
            if match:
                return match.group(1).strip()
    return ""


def deck(notebook_path: pathlib.Path) -> list[Slide]:
    notebook = nbformat.read(notebook_path, as_version=4)
    title, sections = split_sections(notebook)
    intro = "\n".join(line[1:].removeprefix(" ") if line.startswith(">") else line
                      for line in notebook.cells[0].source.splitlines())  # the box, unquoted
    learn = re.search(r"\*\*You will learn\*\*\s*\n(.*?)\n\s*\n", intro, re.S)
    time_line = re.search(r"\*\*Time:\*\*(.+?)(?:\n\s*\n|\Z)", intro, re.S)
    body = render("**You will learn**\n" + learn.group(1)) if learn else ""
    if time_line:
        body += render("**Time:** " + " ".join(time_line.group(1).split()))
    slides = [Slide(title, body, kind="title")]
    for heading, cells in sections:
        if not re.match(r"\d+\. ", heading):
            continue
        prose = markdown_after(cells[0].source, f"## {heading}") if cells else ""
        idea = first_sentence(prose)
        slides.append(Slide(heading, render(idea) if idea else "", section_figures(cells)))
    exercises = exercise_list(notebook)
    if exercises:
        total = sum(int(m) for _, _, m in exercises if m.isdigit())
        items = "".join(f"<li><b>{n}</b> {html.escape(name)} <span class=\"minutes\">{m} min</span></li>"
                        for n, name, m in exercises)
        slides.append(Slide("Exercises", f"<ul class=\"exercises\">{items}</ul><p>{total} minutes in all.</p>", kind="list"))
    questions = text_under_heading(notebook.cells, "Questions to discuss")
    if questions:
        slides.append(Slide("Questions to discuss", render(questions), kind="list"))
    summary = text_under_heading(notebook.cells, "Summary")
    if summary:
        slides.append(Slide("Summary", render(summary), kind="list"))
    return slides


STYLE = """
html, body { margin: 0; height: 100%; background: #1d1f21; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
.slide { display: none; box-sizing: border-box; width: 100vw; height: 100vh; padding: 4vh 6vw 6vh;
         background: #fff; color: #1d1f21; overflow: hidden; flex-direction: column; }
.slide.current { display: flex; }
.slide h1 { font-size: 4.2vh; margin: 0 0 2vh; color: #1f4e79; }
.slide.title { justify-content: center; }
.slide.title h1 { font-size: 6vh; }
.slide.title .body { font-size: 2.5vh; }
.slide .body { font-size: 3vh; line-height: 1.4; }
.slide.list .body { font-size: 2.4vh; overflow: auto; }
.slide .figures { flex: 1; display: flex; gap: 2vw; justify-content: center; align-items: center; min-height: 0; }
.slide .figures img { max-width: 100%; max-height: 100%; object-fit: contain; min-width: 0; }
.slide .figures.two img { max-width: 48%; }
.minutes { color: #666; margin-left: 0.5em; }
.footer { position: fixed; bottom: 1.5vh; right: 2vw; font-size: 1.8vh; color: #888; }
@media print {
  .slide { display: flex !important; page-break-after: always; height: 100vh; }
  .footer { display: none; }
}
"""

SCRIPT = """
(function () {
  var slides = document.querySelectorAll('.slide');
  var footer = document.querySelector('.footer');
  var current = 0;
  function show(n) {
    current = Math.max(0, Math.min(slides.length - 1, n));
    slides.forEach(function (s, i) { s.classList.toggle('current', i === current); });
    footer.textContent = (current + 1) + ' / ' + slides.length;
    if (location.hash !== '#' + (current + 1)) history.replaceState(null, '', '#' + (current + 1));
  }
  document.addEventListener('keydown', function (e) {
    if (['ArrowRight', 'PageDown', ' ', 'Enter'].indexOf(e.key) >= 0) { show(current + 1); e.preventDefault(); }
    else if (['ArrowLeft', 'PageUp', 'Backspace'].indexOf(e.key) >= 0) { show(current - 1); e.preventDefault(); }
    else if (e.key === 'Home') show(0);
    else if (e.key === 'End') show(slides.length - 1);
    else if (e.key === 'f' || e.key === 'F') {
      if (document.fullscreenElement) document.exitFullscreen(); else document.documentElement.requestFullscreen();
    }
  });
  document.addEventListener('click', function (e) {
    if (e.target.closest('a')) return;
    show(current + (e.clientX > window.innerWidth / 3 ? 1 : -1));
  });
  show((parseInt(location.hash.slice(1), 10) || 1) - 1);
})();
"""


def deck_html(slides: list[Slide], chapter_title: str, mathjax: str | None) -> str:
    parts = []
    for slide in slides:
        figures = ""
        if slide.figures:
            images = "".join(f'<img alt="figure from the notebook" src="data:image/png;base64,{png.strip()}">'
                             for png in slide.figures)
            figures = f'<div class="figures{" two" if len(slide.figures) > 1 else ""}">{images}</div>'
        parts.append(f'<section class="slide {slide.kind}"><h1>{MARKDOWN.renderInline(slide.title)}</h1>'
                     f'<div class="body">{slide.body}</div>{figures}</section>')
    mathjax_tags = ""
    if mathjax:
        mathjax_tags = ("<script>window.MathJax = {tex: {inlineMath: [['\\\\(', '\\\\)']]}};</script>"
                        f'<script defer src="{mathjax}"></script>')
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(chapter_title)}: slides</title>"
        f"<style>{STYLE}</style>{mathjax_tags}</head><body>\n"
        + "\n".join(parts)
        + f'\n<div class="footer"></div><script>{SCRIPT}</script></body></html>\n'
    )


def index_html(decks: list[tuple[str, str]]) -> str:
    items = "".join(f'<li><a href="{html.escape(name)}">{html.escape(title)}</a></li>' for name, title in decks)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Slides</title></head>"
            "<body style=\"font-family: system-ui, sans-serif; margin: 2em\"><h1>Slides, one deck per chapter</h1>"
            f"<p>Open a deck, press F for full screen, → and ← to move.</p><ul>{items}</ul></body></html>\n")


def build(out_dir: pathlib.Path, notebooks: list[pathlib.Path] | None = None, mathjax: str | None = None) -> list[pathlib.Path]:
    """Write one deck per notebook and an index.html into ``out_dir``; the decks' paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written, listed = [], []
    for path in notebooks or chapter_notebooks():
        slides = deck(path)
        target = out_dir / f"{path.stem}.html"
        target.write_text(deck_html(slides, slides[0].title, mathjax), encoding="utf-8")
        written.append(target)
        listed.append((target.name, slides[0].title))
    (out_dir / "index.html").write_text(index_html(listed), encoding="utf-8")
    return written


if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        sys.exit(__doc__.strip().splitlines()[-1])
    for deck_path in build(pathlib.Path(sys.argv[1]), [pathlib.Path(p).resolve() for p in sys.argv[2:]] or None):
        print(deck_path)
