"""The Colab set-up cell: in every chapter, first code cell, built from _config.yml's
repository address; it does nothing outside Colab and installs the course inside it."""

import importlib.util
import os
import pathlib
import subprocess
import sys
import types

import nbformat
import pytest

from tests.chapters import chapter_names

ROOT = pathlib.Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("set_repository", ROOT / "tools" / "set_repository.py")
set_repository = importlib.util.module_from_spec(spec)
spec.loader.exec_module(set_repository)

CHAPTERS = [ROOT / "book" / f"{name}.ipynb" for name in chapter_names()]


def first_code_cell(path):
    notebook = nbformat.read(path, as_version=4)
    return next(cell for cell in notebook.cells if cell.cell_type == "code")


def test_the_tool_sets_every_chapter_of_the_table_of_contents():
    assert sorted(set_repository.CHAPTERS) == sorted(CHAPTERS)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_the_first_code_cell_is_the_setup_cell_for_the_configured_repository(path):
    cell = first_code_cell(path)
    assert {set_repository.TAG, "remove-cell"} <= set(cell.metadata.get("tags", []))
    assert cell.source.startswith("# Cell [1], the Colab set-up")  # collapsed, this line says why the next is [2]
    assert cell.metadata.get("jupyter", {}).get("source_hidden") is True  # collapsed in JupyterLab
    assert cell.source == set_repository.colab_setup_source(set_repository.configured_repository())


def test_the_launch_buttons_point_to_colab_and_nowhere_else():
    config = (ROOT / "_config.yml").read_text()
    assert 'colab_url: "https://colab.research.google.com"' in config
    assert "thebe: false" in config and 'binderhub_url: ""' in config


def run_cell(source, monkeypatch, in_colab):
    calls = []
    monkeypatch.setattr(subprocess, "run", lambda args, check: calls.append(args))
    monkeypatch.setattr(os, "chdir", lambda path: calls.append(["chdir", path]))
    monkeypatch.setattr(sys, "path", list(sys.path))
    widget_manager = []
    if in_colab:
        google = types.ModuleType("google")
        colab = types.ModuleType("google.colab")
        colab.output = types.SimpleNamespace(enable_custom_widget_manager=lambda: widget_manager.append(True))
        google.colab = colab
        monkeypatch.setitem(sys.modules, "google", google)
        monkeypatch.setitem(sys.modules, "google.colab", colab)
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    exec(compile(source, "<colab-setup>", "exec"), {})
    return calls, widget_manager


def test_outside_colab_the_cell_does_nothing(monkeypatch):
    source = set_repository.colab_setup_source("https://github.com/someone/course")
    calls, widget_manager = run_cell(source, monkeypatch, in_colab=False)
    assert calls == [] and widget_manager == []


def test_in_colab_the_cell_clones_and_installs_with_the_pins(monkeypatch, tmp_path):
    source = set_repository.colab_setup_source("https://github.com/someone/course")
    checkout = tmp_path / "interp-course"
    checkout.mkdir()
    (checkout / "requirements.txt").write_text("torch==2.13.0\n    # via x\nnumpy==2.0.0\n-e .\n")
    constraints = tmp_path / "constraints.txt"
    source = source.replace("/content/interp-course", str(checkout)).replace("/content/constraints.txt", str(constraints))
    monkeypatch.setattr(os.path, "isdir", lambda path: False)  # not cloned yet
    calls, widget_manager = run_cell(source, monkeypatch, in_colab=True)
    assert calls[0] == ["git", "clone", "--depth", "1", "https://github.com/someone/course", str(checkout)]
    assert calls[1][1:] == ["-m", "pip", "install", "-q", "-c", str(constraints), "-e", str(checkout)]
    assert constraints.read_text() == "torch==2.13.0\n    # via x\nnumpy==2.0.0\n"  # the pins, without "-e ."
    assert calls[2] == ["chdir", f"{checkout}/book"]
    assert widget_manager == [True]


def test_set_repository_rejects_an_address_colab_cannot_open(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["set_repository.py", "https://gitlab.com/someone/course"])
    with pytest.raises(SystemExit, match="github.com/OWNER/NAME"):
        set_repository.main()
