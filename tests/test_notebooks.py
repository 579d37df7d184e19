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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_nbval_checks_some_outputs(path):
    checked = [c for c in code_cells(path) if "# NBVAL_CHECK_OUTPUT" in "".join(c["source"])]
    assert checked, "mark the cells whose output must not change with # NBVAL_CHECK_OUTPUT"
    assert all(c["outputs"] for c in checked), "a checked cell has no committed output to compare"


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
    assert markdown.count(":pyobject:") == len(headers), "each exercise shows its solution from solutions/"
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
    assert "{cite}`" in text, "a chapter cites the work it reproduces"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_checked_cells_do_not_load_runs(path):
    """load_or_train says "Loaded" or "Saved" depending on the run cache, so a cell whose
    output nbval compares must not call it (a fresh clone would fail)."""
    for cell in code_cells(path):
        source = "".join(cell["source"])
        assert not ("NBVAL_CHECK_OUTPUT" in source and "load_or_train(" in source), source[:200]
