"""The fingerprint of the code behind a trained run: a hash of the source of every module of
the course that the run's code lives in or imports.

A run is cached under its config and this fingerprint (:mod:`interp_course.core.runs`). It is
taken from whole modules, found by reading their imports, so it cannot forget a function: a run
configured in ``interp_course/chapter1_grokking/runs.py`` depends on that module, on the
reference solutions it imports (``solutions/chapter1_grokking.py``), on the core modules they
import (the transformer, the training loop, ...), and so on down. Edit any of them and the run
is trained again; edit a chapter's plots or another chapter's solutions and it is not.

The hash holds each module's dotted name and its code: its source text without what cannot
change a result (comments, docstrings, blank lines, trailing spaces; :func:`code_text`), so that
correcting a docstring does not retrain every learner's runs. Nothing about the folder the course
is in, the user, the machine or the Python version enters it, so a run cache made in one clone of
the course is valid in every other clone of the same code (a Windows checkout that turned the
line endings into ``\\r\\n`` included).
"""

from __future__ import annotations

import ast
import functools
import hashlib
import importlib
import importlib.util
import io
import sys
import tokenize
from pathlib import Path
from types import ModuleType

COURSE_PACKAGES = ("interp_course", "solutions")
"""Top-level packages whose modules enter a fingerprint (third-party code is pinned instead)."""


def module_source(module: ModuleType) -> str:
    """The source text of ``module``, as it is on disk now, with ``\\n`` line endings.

    A module with no source file (``__main__`` in a notebook or ``python -c``) has no code to
    fingerprint: a run config must be defined in a ``.py`` module.
    """
    path = getattr(module, "__file__", None)
    if not path or not str(path).endswith(".py"):
        raise TypeError(
            f"the code of module {module.__name__} cannot be read from a .py file, so a run it defines "
            "cannot be keyed by its code: define run configs in a .py module (a chapter's runs.py), "
            "not in a notebook cell")
    return Path(path).read_text(encoding="utf-8").replace("\r\n", "\n")


def imports_in(source: str, package: str) -> list[tuple[str, list[str]]]:
    """``(module, [names imported from it])`` for every import statement of ``source``, with
    relative imports resolved against ``package`` (the dotted name of the importing module's
    package); ``import a.b`` gives ``("a.b", [])``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.append((module, [alias.name for alias in node.names]))
    return found


@functools.lru_cache(maxsize=None)
def code_text(source: str) -> str:
    """``source`` without what cannot change a result: comments, docstrings (where they have
    their lines to themselves), blank lines and trailing spaces; line endings ``\\n``."""
    source = source.replace("\r\n", "\n")
    lines = source.split("\n")
    docstring_lines: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if not isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) or not body:
            continue
        first = body[0]
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
            alone = (not lines[first.lineno - 1].encode()[: first.col_offset].strip()
                     and not lines[first.end_lineno - 1].encode()[first.end_col_offset:].strip())
            if alone:
                docstring_lines.update(range(first.lineno - 1, first.end_lineno))
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            row, column = token.start
            lines[row - 1] = lines[row - 1][:column]
    kept = (line.rstrip() for i, line in enumerate(lines) if i not in docstring_lines)
    return "\n".join(line for line in kept if line)


@functools.lru_cache(maxsize=None)
def _imported_names(package: str, source: str) -> tuple[str, ...]:
    """The absolute names that ``source`` imports, each a module or a name in one:
    ``from a.b import c`` gives ``a.b.c`` and ``a.b``."""
    return tuple(name for module, names in imports_in(source, package) for name in [*(f"{module}.{n}" for n in names), module])


def _as_module(name: str) -> ModuleType | None:
    """The module called ``name``, importing it if needed, or None if it is not one."""
    if name in sys.modules:
        return sys.modules[name]
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    return importlib.import_module(name) if spec is not None else None


def _is_course_module(name: str, roots: tuple[str, ...]) -> bool:
    return name.split(".")[0] in COURSE_PACKAGES or name in roots


def modules_behind(*roots: str) -> list[str]:
    """The modules ``roots`` (dotted names) and every course module they import, directly or
    not, with the packages that hold them; sorted by name."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        module = _as_module(name)
        if module is None:
            continue
        seen.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts)) if parts[0] in COURSE_PACKAGES]
        package = module.__package__ if module.__spec__ and module.__spec__.submodule_search_locations is None else name
        for imported in _imported_names(package or name, module_source(module)):
            if _is_course_module(imported, roots) and imported not in seen:
                todo.append(imported)
    return sorted(seen)


def code_fingerprint(*roots: str) -> str:
    """A short hash of the code (:func:`code_text`) of :func:`modules_behind` ``roots``."""
    digest = hashlib.sha256()
    for name in modules_behind(*roots):
        digest.update(f"{name}\n".encode())
        digest.update(code_text(module_source(sys.modules[name])).encode())
    return digest.hexdigest()[:16]
