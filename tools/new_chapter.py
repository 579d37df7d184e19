"""Start a new chapter from the course's template: its four folders, its manifest and its line
in ``_toc.yml``, which is all the course needs to pick a chapter up (the registries, the room
check, the times the pages quote and the tests read the manifests in ``_toc.yml`` order).

Usage: python tools/new_chapter.py NUMBER TOPIC "Title"
       e.g. python tools/new_chapter.py 7 interventions "Causal interventions"

Writes, for ``chapter7_interventions``:

    book/chapter7_interventions.ipynb            the chapter, with one example exercise
    solutions/chapter7_interventions.py          its reference solution
    interp_course/chapter7_interventions/        __init__.py, manifest.py, checks.py
    tests/chapter7_interventions/                __init__.py, test_checks.py (its wrong answers)
    _toc.yml                                     one line, after the last chapter

Then replace the example exercise with the chapter's own, and follow CONTRIBUTING.md, "Adding
a chapter" (execute the notebook, measure its times into the manifest, add it to the README's
and the landing page's chapter tables and to the teaching kit); the tests name whatever is
still missing. Nothing is overwritten: the tool stops if any of the files exists.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys
import textwrap

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

SOLUTIONS = '''"""Reference solutions to the exercises of chapter {number}, "{title}"."""

from __future__ import annotations

import torch


def unit_rows(x: torch.Tensor) -> torch.Tensor:
    """Each row of ``x`` scaled to unit length (Euclidean norm 1).

    Args:
        x: [rows, d] float, no row all zeros.

    Returns:
        [rows, d], the same dtype: ``x[i] / ||x[i]||``.
    """
    return x / x.norm(dim=-1, keepdim=True)
'''

PACKAGE = '''"""Chapter {number}, "{title}": what the chapter needs and nothing else.

- ``manifest``: the chapter as the course's registries see it (title, times, runs).
- ``checks``: one check per exercise.
"""
'''

MANIFEST = '''"""Chapter {number}, "{title}", as the course's registries see it (see
:mod:`interp_course.core.manifest`)."""

from ..core.manifest import Manifest

MANIFEST = Manifest(
    title={title_literal},
    reading_min=10,  # estimated: reading the chapter through, without the exercises
    exercise_min={{"{number}.1": 10}},  # estimated, as each exercise states
    warm_seconds=5.0,  # measure: python benchmarks/course_speed.py --skip-canonical (its warm pass)
    runs={{}},  # {{"name as the notebook spells it": TrainedRun(config, seconds=...)}}: benchmarks/run_times.py
)
'''

CHECKS = '''"""Checks for the exercises of chapter {number}, "{title}".

Each ``check_*`` takes the learner's function and returns the function the notebook should
go on with (see :mod:`interp_course.core.exercise`).
"""

from __future__ import annotations

from typing import Callable

import torch

from solutions import {chapter} as reference

from ..core.exercise import ExerciseFailed, expect_tensor, exercise
from ..core.mistakes import agrees, name_the_mistake


@exercise("{number}.1", reference.unit_rows)
def check_unit_rows(fn: Callable, reference_fn: Callable) -> str:
    generator = torch.Generator().manual_seed(0)
    cases = [torch.randn(3, 3, generator=generator), torch.randn(4, 3, generator=generator), torch.tensor([[3.0, 4.0]]),
             torch.randn(5, 8, dtype=torch.float64, generator=generator)]
    for x in cases:  # the square input first: there a forgotten keepdim runs instead of raising
        got, want = fn(x), reference_fn(x)
        where = f"on a {{tuple(x.shape)}} input: "
        if isinstance(got, torch.Tensor) and got.shape == (x.shape[0],):
            raise ExerciseFailed(f"{{where}}returned each row's norm; divide each row by it: x / x.norm(dim=-1, keepdim=True)")
        if isinstance(got, torch.Tensor) and got.is_floating_point() and not agrees(got, want, atol=1e-6, rtol=1e-6):
            name_the_mistake(got, want, [
                (x / x.norm(dim=0, keepdim=True), "scaled the columns to unit length; each row should have length 1 "
                                                  "(norm over dim=-1)"),
                (x / x.norm(dim=-1, keepdim=True) ** 2, "divided by the squared norm; divide each row by its norm"),
                (x / x.norm(), "divided the whole matrix by one norm; divide each row by its own norm"),
                (lambda: x / x.norm(dim=-1) if x.shape[0] == x.shape[-1] else None,
                 "without keepdim=True the row norms [n] line up with the columns; x.norm(dim=-1, keepdim=True)"),
            ], atol=1e-6, where=where)
        expect_tensor(got, want, f"unit_rows of a {{tuple(x.shape)}} input", atol=1e-6, rtol=1e-6)
    return "4 inputs, float32 and float64"
'''

TEST_CHECKS = '''"""The checks of chapter {number} reject plausible wrong answers with a message that says what
is wrong (the contract every check keeps is tested in tests/test_exercise_contract.py)."""

import pytest

from interp_course.{chapter} import checks
from tests.test_exercise_contract import assert_rejected, wrong_answer_cases

def unit_rows_in_place(x):
    x /= x.norm(dim=-1, keepdim=True)
    return x


WRONG_ANSWERS: dict = {{checks.check_unit_rows: [
    (lambda x: x / x.norm(dim=0, keepdim=True), "scaled the columns"),
    (lambda x: x / x.norm(dim=-1, keepdim=True) ** 2, "squared norm"),
    (lambda x: x / x.norm(), "the whole matrix by one norm"),
    (lambda x: x / x.norm(dim=-1), "without keepdim=True"),
    (lambda x: x.norm(dim=-1), "returned each row's norm"),
    (unit_rows_in_place, "changed its input `x` in place"),
    (lambda x: (x / x.norm(dim=-1, keepdim=True)).float(), "wrong dtype"),
]}}
"""{{check: [(wrong function, regex its failure message must match), ...]}}: mistakes a learner makes"""

CASES, IDS = wrong_answer_cases(WRONG_ANSWERS)


@pytest.mark.parametrize("check, wrong, message", CASES, ids=IDS)
def test_a_wrong_answer_is_rejected_with_a_message_that_names_it(check, wrong, message):
    assert_rejected(check, wrong, message)
'''


def notebook_cells(chapter: str, number: int, title: str) -> list:
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    check = code("unit_rows = checks.check_unit_rows(unit_rows)")
    check.metadata["tags"] = ["nbval-check-output"]
    return [
        md(textwrap.dedent(f"""\
            # {number}. {title}

            > **In this chapter**
            >
            > **You will learn**
            > - (what the learner will be able to do at the end, one line each).
            >
            > **You need first:** (the chapters and ideas this one builds on).
            >
            > **Time:** <!-- time:{chapter}.total_words -->?<!-- /time --> with the exercises.""")),
        md(textwrap.dedent(f"""\
            ## 1. A first section

            (Text first: the question, why it matters, what the papers found, then code.)""")),
        code("import torch\n\nfrom interp_course." + chapter + " import checks"),
        md(textwrap.dedent(f"""\
            ### Exercise {number}.1: unit rows

            > **Difficulty** ●○○○○ &nbsp; **Importance** ●●○○○ &nbsp; **About 10 minutes**

            Write `unit_rows(x)`: each row of `x` (shape `[rows, d]`) scaled to length 1.

            <details><summary>Hint 1</summary>

            `x.norm(dim=-1, keepdim=True)` is each row's length, shape `[rows, 1]`.

            </details>

            <details><summary>Solution (<code>unit_rows</code> in solutions/{chapter}.py)</summary>

            ```python
            ```

            </details>""")),
        code(textwrap.dedent(f'''\
            def unit_rows(x: torch.Tensor) -> torch.Tensor:
                """Each row of x ([rows, d]) scaled to unit length; returns [rows, d]."""
                raise NotImplementedError("Exercise {number}.1: write unit_rows")''')),
        check,
        md("### Questions to discuss\n\n1. (A question with no single right answer; its talking points go in "
           "book/teaching/chapter_notes.md, under this chapter's section.)"),
        md("## Summary\n\n- (what the chapter showed, one line each)."),
        md("## Where to go next\n\n- (the next chapter, papers, open questions)."),
    ]


def add_to_toc(toc: pathlib.Path, chapter: str) -> None:
    """Insert ``- file: book/<chapter>`` among the chapter lines of ``_toc.yml``, in number order
    (after the last chapter with a smaller number)."""
    lines = toc.read_text(encoding="utf-8").splitlines(keepends=True)
    number = int(re.match(r"chapter(\d+)_", chapter)[1])
    chapter_lines = [(i, int(m[1])) for i, line in enumerate(lines)
                     if (m := re.match(r"\s*- file: book/chapter(\d+)_", line))]
    if not chapter_lines:
        raise SystemExit(f"{toc} lists no chapter (a line '- file: book/chapterN_topic'); add the line by hand")
    before = [i for i, n in chapter_lines if n < number]
    at = before[-1] + 1 if before else chapter_lines[0][0]
    template = lines[chapter_lines[0][0]]
    indent = template[: len(template) - len(template.lstrip())]
    lines.insert(at, f"{indent}- file: book/{chapter}\n")
    toc.write_text("".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("number", type=int, help="the chapter's number, e.g. 7")
    parser.add_argument("topic", help="the folder name's topic: lower case, digits and _, e.g. interventions")
    parser.add_argument("title", help='the chapter\'s title, e.g. "Causal interventions"')
    args = parser.parse_args(argv)
    if args.number < 1:
        parser.error(f"number must be a positive integer, got {args.number}")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", args.topic):
        parser.error(f"topic must be lower case letters, digits and _ (a Python name), got {args.topic!r}")
    chapter = f"chapter{args.number}_{args.topic}"
    if not args.title.strip() or any(c in args.title for c in '"\\\n'):
        parser.error(f"title must be one line of text without double quotes or backslashes, got {args.title!r}")
    fields = {"number": args.number, "title": args.title, "chapter": chapter,
              "title_literal": repr(f"{args.number}. {args.title}")}
    files = {
        ROOT / "solutions" / f"{chapter}.py": SOLUTIONS.format(**fields),
        ROOT / "interp_course" / chapter / "__init__.py": PACKAGE.format(**fields),
        ROOT / "interp_course" / chapter / "manifest.py": MANIFEST.format(**fields),
        ROOT / "interp_course" / chapter / "checks.py": CHECKS.format(**fields),
        ROOT / "tests" / chapter / "__init__.py": "",
        ROOT / "tests" / chapter / "test_checks.py": TEST_CHECKS.format(**fields),
    }
    notebook_path = ROOT / "book" / f"{chapter}.ipynb"
    existing = [str(p.relative_to(ROOT)) for p in [*files, notebook_path] if p.exists()]
    if existing:
        parser.error(f"{chapter} exists already ({', '.join(existing)}); nothing written")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    notebook = nbformat.v4.new_notebook(cells=notebook_cells(chapter, args.number, args.title))
    notebook.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nbformat.write(notebook, notebook_path)
    add_to_toc(ROOT / "_toc.yml", chapter)

    import set_repository  # the Colab set-up cell, as every chapter has it
    import sync_solutions
    import sync_times

    set_repository.sync_notebook(notebook_path, set_repository.configured_repository())
    for tool in (sync_solutions, sync_times):
        tool.main([])
    print(f"{chapter}: wrote {len(files) + 1} files and its line in _toc.yml. Next: CONTRIBUTING.md, 'Adding a chapter'.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
