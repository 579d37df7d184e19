"""Every solution block runs where it is shown.

A learner who opens an exercise's solution block and pastes its code into the exercise's cell
must get a function that passes the exercise's check: the block may use only what the
notebook has imported above it (and the functions of the earlier exercises, which the
learner has written by then), never a helper of the answer key the learner has not seen.

For each solution block of each chapter notebook, in order, the test builds the namespace a
learner would have: the notebook's import statements from the code cells above the block
(the imports only: the cells also load and train runs), then the earlier blocks' code, then
this block's code. It calls the exercise's check (the ``checks.check_xxx`` of the check cell
that follows) in strict mode on the pasted function, which must pass; and on the same block
with its body replaced by ``raise NotImplementedError``, which must not.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass

import pytest

from interp_course.core.exercise import ExerciseFailed, ExerciseNotAttempted
from tests.chapters import CHAPTERS, ROOT
from tools.sync_solutions import SOLUTION_BLOCK

CHECK_CELL = re.compile(r"^(?P<target>\w+) = checks\.(?P<check>check_\w+)\((?P<argument>\w+)\)\s*$")


@dataclass
class Block:
    chapter: str
    name: str  # the function the exercise asks for
    code: str  # the solution block's code
    imports: list[str]  # the import statements of the code cells above the block
    earlier: list[str]  # the code of the chapter's earlier solution blocks
    check: str  # e.g. "check_all_pairs"


def import_statements(source: str) -> list[str]:
    """The top-level ``import ...`` and ``from ... import ...`` statements of a code cell
    (IPython's ``%`` and ``!`` lines left out), as source text."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    text = "\n".join(lines)
    return [ast.get_source_segment(text, node) for node in ast.parse(text).body if isinstance(node, (ast.Import, ast.ImportFrom))]


def solution_blocks(chapter: str) -> list[Block]:
    cells = json.loads((ROOT / "book" / f"{chapter}.ipynb").read_text())["cells"]
    blocks: list[Block] = []
    imports: list[str] = []
    waiting: list[Block] = []  # blocks whose check cell is still to come
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            for match in SOLUTION_BLOCK.finditer(source):
                block = Block(chapter, match["name"], match["code"], list(imports),
                              [b.code for b in blocks], check="")
                blocks.append(block)
                waiting.append(block)
        elif cell["cell_type"] == "code":
            check = CHECK_CELL.match(source.strip())
            if check:
                block = next((b for b in waiting if b.name == check["argument"]), None)
                assert block is not None, f"{chapter}: the check cell {source.strip()!r} follows no solution block of {check['argument']}"
                block.check = check["check"]
                waiting.remove(block)
            imports += import_statements(source)
    assert not waiting, f"{chapter}: no check cell for {[b.name for b in waiting]}"
    return blocks


BLOCKS = [block for chapter in CHAPTERS for block in solution_blocks(chapter)]


def pasted(block: Block, code: str | None = None) -> tuple[dict, object]:
    """The learner's namespace with ``code`` (by default the block's) pasted in, and the check."""
    namespace: dict = {"__name__": "__main__"}
    exec(compile("\n".join(block.imports), f"<imports of {block.chapter}>", "exec"), namespace)
    for i, earlier in enumerate(block.earlier):
        exec(compile(earlier, f"<{block.chapter} solution block {i}>", "exec"), namespace)
    exec(compile(code if code is not None else block.code, f"<solution block of {block.name}>", "exec"), namespace)
    return namespace, getattr(namespace["checks"], block.check)


def as_stub(code: str, name: str) -> str:
    """``code`` with the body of the function ``name`` replaced by ``raise NotImplementedError``
    (its docstring kept)."""
    tree = ast.parse(code)
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    docstring = [function.body[0]] if ast.get_docstring(function) is not None else []
    function.body = docstring + ast.parse('raise NotImplementedError("Exercise: write this function")').body
    return ast.unparse(tree)


def test_every_chapter_has_solution_blocks_with_checks():
    for chapter in CHAPTERS:
        blocks = [b for b in BLOCKS if b.chapter == chapter]
        assert blocks, f"{chapter}: no solution block found"
        assert all(b.check for b in blocks)


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: f"{b.chapter}:{b.name}")
def test_a_pasted_solution_passes_its_check(block, capsys):
    namespace, check = pasted(block)
    learner_fn = namespace[block.name]
    assert check.reference.__name__ == block.name, f"{block.check} checks {check.reference.__name__}"
    assert check(learner_fn, strict=True) is learner_fn
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("block", BLOCKS, ids=lambda b: f"{b.chapter}:{b.name}")
def test_a_pasted_stub_fails_its_check(block):
    namespace, check = pasted(block, as_stub(block.code, block.name))
    with pytest.raises(ExerciseNotAttempted):
        check(namespace[block.name], strict=True)


def test_a_block_that_calls_what_the_notebook_never_imported_fails():
    """What this test is for: a solution calling a helper of the answer key (as exercise 1.1's
    once called ``require_prime``) raises NameError where it is pasted, and its check says so."""
    block = BLOCKS[0]
    tree = ast.parse(block.code)
    function = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == block.name)
    function.body.insert(1, ast.parse("require_something(p)").body[0])
    namespace, check = pasted(block, ast.unparse(tree))
    with pytest.raises(ExerciseFailed, match="NameError: name 'require_something' is not defined"):
        check(namespace[block.name], strict=True)
