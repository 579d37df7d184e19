"""Hygiene of the committed chapter notebooks (their execution is tested by nbval).

Each notebook must have been executed top to bottom in one clean run, with no error output,
be under 3 MB, pin some outputs for nbval, and ship its exercises as stubs: the solutions
live in solutions/, never in the notebook a learner opens.
"""

import ast
import json
import pathlib
import re

import pytest

from tools import sync_solutions

BOOK = pathlib.Path(__file__).resolve().parent.parent / "book"
NOTEBOOKS = sorted(p for p in BOOK.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def code_cells(path):
    return [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]


def test_there_are_notebooks():
    assert NOTEBOOKS, f"no notebooks under {BOOK}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_executed_top_to_bottom_in_one_run(path):
    counts = [c["execution_count"] for c in code_cells(path) if "".join(c["source"]).strip()]
    assert counts == list(range(1, len(counts) + 1)), f"execution counts {counts}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_error_outputs(path):
    for cell in code_cells(path):
        tags = cell.get("metadata", {}).get("tags", [])
        errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
        assert not errors or "raises-exception" in tags, "".join(cell["source"])[:200]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_under_three_megabytes(path):
    assert path.stat().st_size < 3_000_000


CHECK_TAG = "nbval-check-output"

# Checked cells whose output depends on no trained run (data, arithmetic, seeded sampling), so
# it is the same on every machine. Every other checked cell is an exercise's check or the
# chapter's claims (interp_course/chapterN_topic/claims.py), whose run-dependent numbers nbval
# does not compare.
DETERMINISTIC_CHECKED_CELLS = {
    "000ba30e": "chapter 1: the problems and the seeded train/test split",
    "cf9f38cb": "chapter 1: float32 against float64 on fixed logits",
    "87e958fe": "chapter 2: the Fourier basis is orthonormal",
    "6beb41d1": "chapter 3: the algorithm's directions are orthonormal",
    "9415fd5b": "chapter 4: feature frequencies of seeded batches against the formula",
}


def checked_cells(path):
    return [c for c in code_cells(path) if CHECK_TAG in c.get("metadata", {}).get("tags", [])]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_nbval_checks_some_outputs(path):
    checked = checked_cells(path)
    assert checked, f"tag the cells whose output must not change with {CHECK_TAG}"
    assert all(c["outputs"] for c in checked), "a checked cell has no committed output to compare"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_claim_and_every_check_is_compared(path):
    """A cell that states the chapter's claims or checks an exercise is what the course
    promises: nbval must compare its output, so it must carry the tag."""
    for cell in code_cells(path):
        source = "".join(cell["source"]).strip()
        if source.startswith("claims.") or " = checks.check_" in source:
            assert CHECK_TAG in cell.get("metadata", {}).get("tags", []), f"tag {CHECK_TAG}: {source[:80]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_test_markers_are_tags_not_comments(path):
    """A learner reads the code; nbval's markers belong in the cell's tags."""
    for cell in code_cells(path):
        assert "# NBVAL_" not in "".join(cell["source"]), "".join(cell["source"])[:200]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_checked_outputs_do_not_depend_on_the_last_bits_of_a_run(path):
    """A checked cell is an exercise's check, the chapter's claims, or deterministic."""
    for cell in checked_cells(path):
        source = "".join(cell["source"]).strip()
        is_check = source.count("\n") == 0 and "= checks.check_" in source
        is_claims = source.startswith("claims.") and "claims." not in source[len("claims."):]
        assert is_check or is_claims or cell.get("id") in DETERMINISTIC_CHECKED_CELLS, (
            f"cell {cell.get('id')} has its output compared by nbval but is neither a check, nor claims, "
            f"nor listed as deterministic:\n{source[:300]}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_claim_holds_in_the_committed_outputs(path):
    """The committed notebook was run on a run where every claim holds."""
    for cell in checked_cells(path):
        text = "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
                       for o in cell["outputs"])
        assert "✗" not in text, text


def exercise_stubs(path):
    """(function name, body source) for every function a cell defines next to a check."""
    stubs = []
    cells = code_cells(path)
    for cell, following in zip(cells, cells[1:]):
        if "checks.check_" not in "".join(following["source"]):
            continue
        tree = ast.parse("".join(cell["source"]))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                stubs.append((node.name, node))
    return stubs


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_exercises_ship_as_stubs(path):
    stubs = exercise_stubs(path)
    assert stubs, "no exercises found"
    for name, node in stubs:
        body = [n for n in node.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
        assert len(body) == 1 and isinstance(body[0], ast.Raise), f"{name} is not a stub"
        assert "NotImplementedError" in ast.unparse(body[0]), name


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_exercise_has_a_check_hints_and_a_solution(path):
    cells = json.loads(path.read_text())["cells"]
    markdown = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    headers = re.findall(r"### Exercise (\d+\.\d+)", markdown)
    assert len(headers) == len(exercise_stubs(path))
    assert markdown.count("**Difficulty**") == len(headers)
    solved = [name for _, name, _, _ in sync_solutions.solution_blocks(path)]
    assert sorted(solved) == sorted(name for name, _ in exercise_stubs(path)), (
        "each exercise has one solution block, of the function it asks for")
    assert markdown.count("<summary>Hint 1</summary>") == len(headers)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_saved_widget_state(path):
    """Saved widget state makes the built page fetch the widget manager from a CDN; execute
    with tools/execute_notebook.sh, which does not store it."""
    assert "widgets" not in json.loads(path.read_text())["metadata"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_chapter_opens_with_goals_and_ends_with_a_summary_and_next_steps(path):
    cells = json.loads(path.read_text())["cells"]
    markdown = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
    assert "**You will learn**" in markdown[0] and "**You need first:**" in markdown[0]
    text = "\n".join(markdown)
    assert "## Summary" in text and "## Where to go next" in text
    assert CITATION.search(text), "a chapter cites the work it reproduces"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_checked_cells_do_not_load_runs(path):
    """load_or_train says "Loaded" or "Saved" depending on the run cache, so a cell whose
    output nbval compares must not call it (a fresh clone would fail)."""
    for cell in code_cells(path):
        source = "".join(cell["source"])
        tagged = CHECK_TAG in cell.get("metadata", {}).get("tags", [])
        assert not (tagged and "load_or_train(" in source), source[:200]


# MyST syntax renders only on the website; in JupyterLab, Colab, VS Code and on GitHub it
# shows as raw text. Notebook markdown is CommonMark, HTML and $math$ only.
MYST = {
    "a colon fence (:::{directive})": re.compile(r"^\s*:::+\s*\{", re.M),
    "a directive in a code fence (```{directive})": re.compile(r"^\s*(```|~~~)+\s*\{", re.M),
    "a role ({cite}`...`, {ref}`...`)": re.compile(r"\{[a-z][\w:-]*\}`"),
    "a target label ((label)=)": re.compile(r"^\s*\([\w-]+\)=\s*$", re.M),
    "a directive option line (:class: ...)": re.compile(r"^:(class|name|language|pyobject|label):", re.M),
}


def markdown_cells(path):
    return [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "markdown"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_markdown_is_commonmark_html_and_math_only(path):
    for cell in markdown_cells(path):
        source = "".join(cell["source"])
        for what, pattern in MYST.items():
            match = pattern.search(source)
            assert not match, f"cell {cell.get('id')} has MyST syntax, {what}: {match.group(0)!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_paragraph_line_starts_with_an_html_comment(path):
    """In CommonMark a line that starts with ``<!--`` begins an HTML block, which ends the
    paragraph before it: a time marker at the start of a continued line splits the sentence."""
    for cell in markdown_cells(path):
        lines = "".join(cell["source"]).split("\n")
        for before, line in zip(lines, lines[1:]):
            text, previous = line.lstrip("> ").strip(), before.lstrip("> ").strip()
            assert not (text.startswith("<!--") and previous), f"cell {cell.get('id')}: {line!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_solution_block_holds_its_reference(path):
    """tools/sync_solutions.py writes them; this fails when solutions/ changed since."""
    assert sync_solutions.solution_blocks(path), "no solution blocks"
    assert not sync_solutions.drifted(path), "run: python tools/sync_solutions.py"


# An author-year citation: [Power et al., 2022](url) or [Loshchilov & Hutter (2019)](url).
CITATION = re.compile(r"\[(?P<who>[A-Z][\w-]+(?: et\s+al\.| & [A-Z][\w-]+)?),? \(?(?P<year>\d{4})\)?\]\((?P<url>[^)\s]+)\)")


def bibliography():
    """{url: (first author's surname, year)} of book/references.bib."""
    text = (BOOK / "references.bib").read_text()
    entries = {}
    for body in re.findall(r"@\w+\{\w+,(.*?)\n\}", text, re.S):
        fields = dict(re.findall(r"(\w+)\s*=\s*\{(.*)\},?\s*$", body, re.M))
        entries[fields["url"]] = (fields["author"].split(",")[0].strip(), fields["year"])
    return entries


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_citations_name_an_entry_of_the_bibliography(path):
    """Every author-year link points at the address of a references.bib entry with that first
    author and year, so the bibliography page lists what the chapter cites."""
    entries = bibliography()
    text = "\n".join("".join(c["source"]) for c in markdown_cells(path))
    cited = list(CITATION.finditer(text))
    assert cited
    for m in cited:
        assert m["url"] in entries, f"{m.group(0)}: its address is not in book/references.bib"
        author, year = entries[m["url"]]
        assert m["who"].split()[0] == author and m["year"] == year, f"{m.group(0)}: the entry is {author}, {year}"


VIEWER_CELL = re.compile(r"^\s*\w+(Explorer|Viewer)\(", re.M)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_viewer_is_notebook_only_and_follows_its_static_figure(path):
    """The website cannot redraw an interactive viewer, so it shows the static figure before
    it instead; the viewer and the text that introduces it are removed from the website."""
    cells = json.loads(path.read_text())["cells"]
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "code" or not VIEWER_CELL.search("".join(cell["source"])):
            continue
        intro, figure = cells[i - 1], cells[i - 2]
        assert "remove-cell" in cell["metadata"].get("tags", []), f"viewer cell {cell['id']} shows on the website"
        assert intro["cell_type"] == "markdown" and "remove-cell" in intro["metadata"].get("tags", [])
        assert "".join(intro["source"]).startswith("**In the notebook:"), intro["source"][:1]
        assert figure["cell_type"] == "code" and any("image/png" in o.get("data", {}) for o in figure["outputs"]), (
            f"viewer cell {cell['id']}: the cell before its introduction should draw its static figure")


# The pages that are not notebooks are read on GitHub and in JupyterLab's file browser too.
# Two are website features built by a directive: the bibliography ({bibliography} builds the
# list from references.bib) and the glossary ({glossary} gives each term a link target).
WEBSITE_ONLY_PAGES = {"bibliography.md", "glossary.md"}
PAGES = sorted(p for p in BOOK.rglob("*.md") if p.name not in WEBSITE_ONLY_PAGES)


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(BOOK)))
def test_pages_are_commonmark_html_and_math_only(path):
    text = path.read_text()
    for what, pattern in MYST.items():
        match = pattern.search(text)
        assert not match, f"{path.name} has MyST syntax, {what}: {match.group(0)!r}"
