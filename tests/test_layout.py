"""The layout's rules (CONTRIBUTING.md), read from the tree.

- one folder name per chapter: each chapter of ``_toc.yml`` has ``book/<chapter>.ipynb``,
  ``solutions/<chapter>.py``, ``interp_course/<chapter>/`` and ``tests/<chapter>/``;
- ``interp_course/core`` imports nothing else of the course;
- ``solutions/`` imports ``interp_course.core`` and earlier chapters' solutions;
- a chapter package imports ``core``, its own and earlier chapters' solutions modules, and
  earlier chapters' packages.
"""

import ast
import pathlib

import pytest

from interp_course.core.fingerprint import imports_in
from tests.chapters import CHAPTERS, ROOT


def course_imports(path: pathlib.Path) -> list[str]:
    """The absolute names of the course's modules (or names in them) that ``path`` imports."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names = [f"{module}.{name}" if name else module
             for module, imported in imports_in(path.read_text(), package) for name in imported or [""]]
    return [n for n in names if n.split(".")[0] in {"interp_course", "solutions"}]


def test_chapters_come_from_the_table_of_contents():
    assert CHAPTERS[:5] == [
        "chapter1_grokking", "chapter2_fourier", "chapter3_progress",
        "chapter4_superposition", "chapter5_induction",
    ]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_one_folder_name_per_chapter(chapter):
    for path in [f"book/{chapter}.ipynb", f"solutions/{chapter}.py", f"interp_course/{chapter}/__init__.py",
                 f"interp_course/{chapter}/checks.py", f"tests/{chapter}/test_checks.py"]:
        assert (ROOT / path).is_file(), f"missing {path}"


def python_files(folder: str) -> list[pathlib.Path]:
    return sorted((ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("path", python_files("interp_course/core"), ids=lambda p: p.name)
def test_core_imports_nothing_else_of_the_course(path):
    for name in course_imports(path):
        assert name.startswith("interp_course.core"), f"{path.name} imports {name}"


def allows(allowed: list[str], name: str) -> bool:
    """Whether the imported ``name`` is one of the modules ``allowed``, or inside one."""
    return any(name == a or name.startswith(a + ".") for a in allowed)


def solutions_may_import(chapter: str) -> list[str]:
    """``solutions/<chapter>.py`` imports the core and earlier chapters' solutions."""
    earlier = CHAPTERS[: CHAPTERS.index(chapter)]
    return ["interp_course.core", *(f"solutions.{c}" for c in earlier)]


def package_may_import(chapter: str) -> list[str]:
    """``interp_course/<chapter>/`` imports the core, its own and earlier chapters' solutions,
    and its own and earlier chapters' packages."""
    so_far = CHAPTERS[: CHAPTERS.index(chapter) + 1]
    return ["interp_course.core", *(f"solutions.{c}" for c in so_far), *(f"interp_course.{c}" for c in so_far)]


@pytest.mark.parametrize("path", python_files("solutions"), ids=lambda p: p.name)
def test_solutions_import_core_and_earlier_chapters_solutions(path):
    allowed = solutions_may_import(path.stem) if path.stem in CHAPTERS else []  # __init__.py: nothing
    for name in course_imports(path):
        assert allows(allowed, name), f"{path.name} imports {name}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_a_chapter_imports_core_and_its_own_and_earlier_chapters(chapter):
    allowed = package_may_import(chapter)
    for path in python_files(f"interp_course/{chapter}"):
        for name in course_imports(path):
            assert allows(allowed, name), f"{path.relative_to(ROOT)} imports {name}"


def test_the_rule_refuses_what_it_should():
    """Not vacuous: later chapters are refused, and solutions never import a chapter package."""
    first, second = CHAPTERS[0], CHAPTERS[1]
    assert allows(package_may_import(first), f"solutions.{first}.all_pairs")
    assert not allows(package_may_import(first), f"solutions.{second}.anything")
    assert not allows(package_may_import(first), f"interp_course.{second}.runs")
    assert allows(package_may_import(second), f"solutions.{first}.all_pairs")
    assert allows(solutions_may_import(second), f"solutions.{first}.all_pairs")
    assert not allows(solutions_may_import(second), f"solutions.{second}.all_pairs")
    assert not allows(solutions_may_import(second), f"interp_course.{first}.runs")
    assert not allows(solutions_may_import(first), "solutions")


def test_every_chapter_on_disk_is_in_the_table_of_contents():
    """A chapter left out of _toc.yml would drop out of every registry and test loop silently."""
    on_disk = ({p.stem for p in (ROOT / "book").glob("chapter*.ipynb")}
               | {p.stem for p in (ROOT / "solutions").glob("chapter*.py")}
               | {p.name for p in (ROOT / "interp_course").glob("chapter*") if p.is_dir()})
    missing = sorted(on_disk - set(CHAPTERS))
    assert not missing, f"{missing} exist on disk but are not chapters of _toc.yml (a line '- file: book/<chapter>')"


def test_no_backward_pass_outside_core_and_the_reference_solutions():
    """One training loop: a backward pass that fills the parameters' gradients is taken in core
    (train_loop, gradient_step) and in the reference solutions that are themselves training
    steps or loops a learner writes, nowhere else in the course. (An analysis that needs the
    gradient of a metric with respect to activations, as attribution patching does, takes it
    with torch.autograd.grad, which trains nothing and leaves every parameter's .grad alone.)

    One exception: a check of an exercise whose answer is a training loop may replay that loop
    with one known mistake in it (no zero_grad, a new optimiser every step, ...) to name the
    mistake a learner's losses show; it does so in a function named ``_train_with`` in the
    chapter's checks.py, on a model of a few parameters, and trains nothing the course uses."""
    for path in python_files("interp_course"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith("interp_course/core/"):
            continue
        tree = ast.parse(path.read_text())
        replays = set()
        if path.name == "checks.py":
            for function in ast.walk(tree):
                if isinstance(function, ast.FunctionDef) and function.name == "_train_with":
                    replays |= {id(node) for node in ast.walk(function)}
        calls = [node.lineno for node in ast.walk(tree)
                 if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "backward"
                 and id(node) not in replays]
        assert not calls, f"{relative}:{calls[0]} takes a backward pass: train through core.training"
