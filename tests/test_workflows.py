"""The GitHub Actions workflows cannot run here; they are linted against GitHub's workflow
schema (check-jsonschema carries it, so no network is needed), and the publishing workflow's
address check is run as the workflow runs it."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PUBLISH = ROOT / ".github" / "workflows" / "publish-website.yml"


def lint(path: pathlib.Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(path)],
        capture_output=True, text=True, timeout=120,
    )


def test_there_is_a_publishing_workflow():
    assert PUBLISH in WORKFLOWS


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_passes_the_linter(path):
    result = lint(path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("mutation", [
    lambda w: w["jobs"]["build"].pop("runs-on"),
    lambda w: w["jobs"]["build"]["steps"].append({"uses": "actions/checkout@v4", "run": "echo both"}),
    lambda w: w.update({"permissions": {"pages": "sometimes"}}),
], ids=["no runs-on", "uses and run in one step", "a permission that does not exist"])
def test_the_linter_fails_a_broken_workflow(mutation, tmp_path):
    workflow = yaml.safe_load(PUBLISH.read_text())
    workflow["on"] = workflow.pop(True)  # PyYAML reads the key `on` as True
    mutation(workflow)
    broken = tmp_path / "broken.yml"
    broken.write_text(yaml.safe_dump(workflow))
    assert lint(broken).returncode != 0


def test_the_workflow_builds_deploys_and_checks_the_address():
    workflow = yaml.safe_load(PUBLISH.read_text())
    assert workflow[True]["push"]["branches"] == ["main"]
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    build = workflow["jobs"]["build"]["steps"]
    runs = [step.get("run", "") for step in build]
    uses = [step.get("uses", "").split("@")[0] for step in build]
    check = next(i for i, r in enumerate(runs) if "set_repository.py --check" in r)
    build_book = next(i for i, r in enumerate(runs) if "jupyter-book build . -W" in r)
    assert check < build_book, "the address is checked before the book is built"
    assert '"${GITHUB_SERVER_URL}/${GITHUB_REPOSITORY}"' in runs[check]
    assert any("pip install --quiet -r requirements.txt" in r for r in runs), "installs from the pins"
    assert "actions/cache" in uses and ".run_cache" in build[uses.index("actions/cache")]["with"]["path"]
    assert build[uses.index("actions/upload-pages-artifact")]["with"]["path"] == "_build/html"
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert deploy["steps"][0]["uses"].startswith("actions/deploy-pages@")


def test_the_address_check_fails_with_the_command_that_fixes_it():
    other = "https://github.com/someone-else/their-course"
    result = subprocess.run([sys.executable, "tools/set_repository.py", "--check", other],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 1
    assert f"python tools/set_repository.py {other} && git commit" in result.stdout
    configured = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    result = subprocess.run([sys.executable, "tools/set_repository.py", "--check", configured],
                            capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stdout
