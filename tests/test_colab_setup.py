"""The Colab set-up cell: in every chapter, first code cell, built from _config.yml's
repository address; it does nothing outside Colab and installs the course inside it."""

import ast
import importlib.util
import os
import pathlib
import re
import subprocess
import sys
import types

import nbformat
import pytest
import yaml

from tests.chapters import CHAPTERS as CHAPTER_NAMES

ROOT = pathlib.Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("set_repository", ROOT / "tools" / "set_repository.py")
set_repository = importlib.util.module_from_spec(spec)
spec.loader.exec_module(set_repository)

CHAPTERS = [ROOT / "book" / f"{name}.ipynb" for name in CHAPTER_NAMES]


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


COLAB_VERSIONS = {"torch": "2.9.0+cu126", "numpy": "2.0.2", "matplotlib": "3.10.0", "tqdm": "4.67.1", "ipywidgets": "7.7.1"}


def colab_cell(monkeypatch, tmp_path, versions):
    """The cell as it runs in Colab, in ``tmp_path``, with ``versions`` installed (None: missing)."""
    import importlib.metadata

    def version(name):
        if versions.get(name) is None:
            raise importlib.metadata.PackageNotFoundError(name)
        return versions[name]

    monkeypatch.setattr(importlib.metadata, "version", version)
    source = set_repository.colab_setup_source("https://github.com/someone/course")
    checkout = tmp_path / "interp-course"
    checkout.mkdir()
    (checkout / "requirements.txt").write_text("torch==2.13.0\n    # via x\nipywidgets==8.1.8\ntqdm==4.67.3\n-e .\n")
    source = source.replace("/content/interp-course", str(checkout))
    monkeypatch.setattr(os.path, "isdir", lambda path: False)  # not cloned yet
    return source, checkout


def test_in_colab_the_cell_clones_and_keeps_colabs_torch(monkeypatch, tmp_path):
    source, checkout = colab_cell(monkeypatch, tmp_path, {**COLAB_VERSIONS, "ipywidgets": "8.1.5"})
    calls, widget_manager = run_cell(source, monkeypatch, in_colab=True)
    assert calls[0] == ["git", "clone", "--depth", "1", "https://github.com/someone/course", str(checkout)]
    assert calls[1] == ["chdir", f"{checkout}/book"]  # nothing installed: Colab has it all
    assert widget_manager == [True]


def test_in_colab_the_cell_installs_only_what_is_missing_or_too_old_at_its_pin(monkeypatch, tmp_path):
    source, checkout = colab_cell(monkeypatch, tmp_path, {**COLAB_VERSIONS, "tqdm": None})  # ipywidgets 7.7.1: too old
    calls, _ = run_cell(source, monkeypatch, in_colab=True)
    assert calls[1][1:] == ["-m", "pip", "install", "-q", "tqdm==4.67.3", "ipywidgets==8.1.8"]
    assert calls[2] == ["chdir", f"{checkout}/book"]


@pytest.mark.parametrize("torch_version", ["2.1.2+cu121", None])
def test_in_colab_a_torch_too_old_or_missing_stops_with_what_to_do(monkeypatch, tmp_path, torch_version):
    source, _ = colab_cell(monkeypatch, tmp_path, {**COLAB_VERSIONS, "torch": torch_version})
    with pytest.raises(RuntimeError, match=rf"has torch {re.escape(str(torch_version))}; the course needs 2.2 or newer.*pip install torch==2.13.0.*Restart"):
        run_cell(source, monkeypatch, in_colab=True)


def test_the_cells_pin_for_torch_is_requirements():
    pinned = re.search(r"^torch==(\S+)", (ROOT / "requirements.txt").read_text(), flags=re.M).group(1)
    assert f"pip install torch=={pinned}`" in set_repository.colab_setup_source("https://github.com/a/b")


def test_set_repository_rejects_an_address_colab_cannot_open(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["set_repository.py", "https://gitlab.com/someone/course"])
    with pytest.raises(SystemExit, match="github.com/OWNER/NAME"):
        set_repository.main()


HOSTILE_ADDRESSES = [
    'https://github.com/a/b"; __import__("os").system("echo owned"); "',
    "https://github.com/a/b'\nimport os",
    "https://github.com/a/b\n",
    "https://github.com/a/b c",
    "https://github.com/../b",
    "https://github.com/a/..",
    "https://github.com/-a/b",
    "https://github.com/a/b/../../evil",
    "https://github.com/ａ/b",  # a full-width letter
    "http://github.com/a/b",
    "https://github.com.evil.example/a/b",
    "https://github.com/a/b{CHECKOUT}",
    "",
]


@pytest.mark.parametrize("address", HOSTILE_ADDRESSES, ids=repr)
def test_no_address_that_could_escape_the_cell_is_written_into_it(address):
    with pytest.raises(ValueError, match="must look like https://github.com/OWNER/NAME"):
        set_repository.colab_setup_source(address)


@pytest.mark.parametrize("address", HOSTILE_ADDRESSES, ids=repr)
def test_the_tool_refuses_a_hostile_address_given_to_it(address, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["set_repository.py", address])
    monkeypatch.setattr(set_repository, "set_configured_repository", lambda url: pytest.fail("written"))
    with pytest.raises(SystemExit, match="github.com/OWNER/NAME"):
        set_repository.main()


@pytest.mark.parametrize("address", HOSTILE_ADDRESSES, ids=repr)
def test_sync_refuses_a_hostile_address_in_the_config(address, monkeypatch, tmp_path):
    config = tmp_path / "_config.yml"
    config.write_text(yaml.safe_dump({"repository": {"url": address, "branch": "main"}}))
    monkeypatch.setattr(set_repository, "CONFIG", config)
    monkeypatch.setattr(set_repository, "sync_notebook", lambda path, url: pytest.fail("written"))
    monkeypatch.setattr(sys, "argv", ["set_repository.py", "--sync"])
    with pytest.raises(SystemExit, match=r"_config.yml \(repository: url:\).*github.com/OWNER/NAME"):
        set_repository.main()


@pytest.mark.parametrize("address", ["https://github.com/your-org/interp-course", "https://github.com/a-b/c.d_e-f"])
def test_a_valid_address_is_a_string_literal_of_the_cell(address):
    tree = ast.parse(set_repository.colab_setup_source(address))
    assigned = [
        node.value for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["REPOSITORY"]
    ]
    assert len(assigned) == 1 and isinstance(assigned[0], ast.Constant) and assigned[0].value == address
