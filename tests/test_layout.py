"""The layout's rules (CONTRIBUTING.md), read from the tree.

- one folder name per chapter: each chapter of ``_toc.yml`` has ``book/<chapter>.ipynb``,
  ``solutions/<chapter>.py``, ``interp_course/<chapter>/`` and ``tests/<chapter>/``;
- ``interp_course/core`` imports nothing else of the course;
- ``solutions/`` imports ``interp_course.core`` only;
- a chapter package imports ``core``, its own solutions module and earlier chapters' packages.
"""

import ast
import pathlib

import pytest

from tests.chapters import CHAPTERS, ROOT


def course_imports(path: pathlib.Path) -> list[str]:
    """The absolute names of the course's modules that ``path`` imports."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names += [f"{module}.{alias.name}" for alias in node.names]
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


@pytest.mark.parametrize("path", python_files("solutions"), ids=lambda p: p.name)
def test_solutions_import_core_only(path):
    for name in course_imports(path):
        assert name.startswith("interp_course.core"), f"{path.name} imports {name}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_a_chapter_imports_core_its_solutions_and_earlier_chapters(chapter):
    allowed = ["interp_course.core", f"solutions.{chapter}", *(f"interp_course.{c}" for c in CHAPTERS[: CHAPTERS.index(chapter) + 1])]
    for path in python_files(f"interp_course/{chapter}"):
        for name in course_imports(path):
            assert any(name == a or name.startswith(a + ".") for a in allowed), f"{path.relative_to(ROOT)} imports {name}"
