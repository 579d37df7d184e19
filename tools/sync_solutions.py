"""Write the reference solutions into the chapter notebooks' solution blocks, or check them.

Every exercise in a chapter notebook ends with a collapsed solution block in plain HTML and
CommonMark, so that it renders in JupyterLab, Colab, VS Code, on GitHub and on the website:

    <details><summary>Solution (<code>all_pairs</code> in solutions/chapter1_grokking.py)</summary>

    ```python
    def all_pairs(p: int) -> ...
    ```

    </details>

The code in the block is the function of that name in that file, copied here without its
argument contract (the ``@arguments(...)`` decorator of ``interp_course.core.validation``,
whose checks the docstring states): what a learner reads, and can paste into the exercise's
cell, is plain Python using only what the notebook imported. This tool keeps the copy equal
to the answer key; `tests/test_notebooks.py` fails when they drift, and
`tests/test_solution_blocks.py` pastes every block and checks it.

Usage: python tools/sync_solutions.py [--check] [NOTEBOOK ...]   (default: every chapter)
"""

from __future__ import annotations

import argparse
import ast
import pathlib
import re
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
SOLUTION_BLOCK = re.compile(
    r"<details><summary>Solution \(<code>(?P<name>\w+)</code> in (?P<file>solutions/\w+\.py)\)</summary>\n"
    r"\n```python\n(?P<code>.*?)```\n\n</details>",
    re.S,
)


CONTRACT_DECORATORS = {"arguments"}
"""Decorators that state a function's argument contract: left out of the solution block."""


def is_contract(decorator: ast.expr) -> bool:
    """Whether ``decorator`` is ``@arguments(...)`` (or another of :data:`CONTRACT_DECORATORS`)."""
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
    return name in CONTRACT_DECORATORS


def reference_source(file: str, name: str) -> str:
    """The source of the top-level function ``name`` in ``file`` (relative to the repository),
    with its other decorators but not its argument contract, ending with a newline."""
    path = ROOT / file
    text = path.read_text()
    for node in ast.parse(text).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            contracts = [d for d in node.decorator_list if is_contract(d)]
            first = min([node.lineno, *(d.lineno for d in node.decorator_list if not is_contract(d))])
            lines = [
                line for number, line in enumerate(text.splitlines()[first - 1 : node.end_lineno], start=first)
                if not any(d.lineno <= number <= d.end_lineno for d in contracts)
            ]
            return "\n".join(lines) + "\n"
    raise LookupError(f"{file} has no top-level function {name!r}")


def solution_block(name: str, file: str) -> str:
    return (
        f"<details><summary>Solution (<code>{name}</code> in {file})</summary>\n\n"
        f"```python\n{reference_source(file, name)}```\n\n</details>"
    )


def solution_blocks(notebook: pathlib.Path) -> list[tuple[str, str, str, str]]:
    """(cell id, function name, solutions file, code in the notebook) of every solution block."""
    nb = nbformat.read(notebook, as_version=4)
    return [
        (cell.get("id", "?"), m["name"], m["file"], m["code"])
        for cell in nb.cells
        if cell.cell_type == "markdown"
        for m in SOLUTION_BLOCK.finditer(cell.source)
    ]


def drifted(notebook: pathlib.Path) -> list[str]:
    """One line for each solution block whose code is not its reference's current source."""
    return [
        f"{notebook.name}: the solution block of {name} (cell {cell_id}) differs from {file}"
        for cell_id, name, file, code in solution_blocks(notebook)
        if code != reference_source(file, name)
    ]


def sync(notebook: pathlib.Path) -> int:
    """Rewrite every solution block of ``notebook`` from the answer key; how many changed."""
    nb = nbformat.read(notebook, as_version=4)
    changed = 0
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        new = SOLUTION_BLOCK.sub(lambda m: solution_block(m["name"], m["file"]), cell.source)
        changed += new != cell.source
        cell.source = new
    if changed:
        nbformat.write(nb, notebook)
    return changed


def chapter_notebooks() -> list[pathlib.Path]:
    return sorted((ROOT / "book").glob("chapter*_*.ipynb"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    parser.add_argument("--check", action="store_true", help="only report blocks that differ; exit 1 if any")
    args = parser.parse_args(argv)
    notebooks = args.notebooks or chapter_notebooks()
    if args.check:
        problems = [line for nb in notebooks for line in drifted(nb)]
        print("\n".join(problems) or f"every solution block matches solutions/ ({len(notebooks)} notebooks)")
        return 1 if problems else 0
    for nb in notebooks:
        print(f"{nb.relative_to(ROOT) if nb.is_absolute() else nb}: {sync(nb)} cell(s) rewritten")
    return 0


if __name__ == "__main__":
    sys.exit(main())
