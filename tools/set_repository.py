"""Set the address where the course is hosted, in the one place it is kept, and spread it.

The address lives in `_config.yml` (`repository: url:`). The website's Colab buttons are built
from it by Jupyter Book, and every chapter notebook opens with a set-up cell, tagged
`colab-setup`, that clones the course from it when the notebook runs in Google Colab (and
does nothing anywhere else). This tool writes the address into `_config.yml` and rewrites
that cell in every chapter; a test checks the two agree.

Usage:
    python tools/set_repository.py https://github.com/your-org/interp-course
    python tools/set_repository.py --sync      # only rewrite the cells from _config.yml
    python tools/set_repository.py --check https://github.com/your-org/interp-course
        # change nothing; exit 1, with the command that fixes it, unless _config.yml and
        # every chapter's set-up cell hold this address (the publishing workflow runs this)
"""

from __future__ import annotations

import argparse
import pathlib
import re
import sys

import nbformat
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
CONFIG = ROOT / "_config.yml"
sys.path.insert(0, str(ROOT))  # the course of this checkout, even where another is installed
from interp_course.chapters import chapter_names  # noqa: E402
from interp_course.doctor import LOOSE_BOUNDS  # noqa: E402

CHAPTERS = [ROOT / "book" / f"{name}.ipynb" for name in chapter_names(ROOT / "_toc.yml")]
TAG = "colab-setup"
URL_LINE = re.compile(r"^(repository:\n(?:  (?!url:).*\n)*  url: )(\S+)$", re.MULTILINE)  # under repository:
# GitHub's own rules: an owner is 1-39 letters, digits and hyphens, not starting with a
# hyphen; a repository name is letters, digits, '.', '-' and '_', but not '.' or '..'.
GITHUB_ADDRESS = re.compile(
    r"https://github\.com/(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/(?P<name>[A-Za-z0-9._-]{1,100})",
    re.ASCII,
)


def validated_repository(repository: object, where: str) -> str:
    """``repository`` if it is the address of a GitHub repository (the only kind Colab opens
    notebooks from), else ``ValueError`` naming ``where`` it came from. Nothing but letters,
    digits and ``/:._-`` gets through, so the address cannot break out of the string it is
    written into."""
    match = GITHUB_ADDRESS.fullmatch(repository) if isinstance(repository, str) else None
    if match is None or match.group("name") in {".", ".."}:
        raise ValueError(
            f"{where}: the repository address must look like https://github.com/OWNER/NAME "
            f"(Colab opens notebooks from GitHub), got {repository!r}"
        )
    return repository


def colab_setup_source(repository: str) -> str:
    """The source of the first code cell of every chapter. The address is validated, and
    written as a Python literal (``repr``), never pasted in as code."""
    repository = validated_repository(repository, "the Colab set-up cell")
    return f'''# Cell [1], the Colab set-up (so the chapter's first code cell below is [2]). In Google Colab it
# clones the course and keeps Colab's own torch, numpy and matplotlib (the course's claims should
# hold under other versions' rounding; pyproject.toml's lower bounds, as on the README's loose
# path), installing only a package that is missing or older than the course needs (in a stand-in for Colab: 2 s and 2 MB, where
# installing the pins took 163 s and 2.8 GB; benchmarks/colab_setup.py); elsewhere it does nothing.
import sys

if "google.colab" in sys.modules:
    import importlib.metadata
    import os
    import re
    import subprocess

    REPOSITORY = {repository!r}
    CHECKOUT = "/content/interp-course"
    NEEDS = {LOOSE_BOUNDS!r}  # pyproject.toml's lower bounds

    def installed(name):
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return None

    def older(version, floor):
        def numbers(v):
            return tuple(int(n) for n in re.findall(r"\\d+", v.split("+")[0])[:3])
        return numbers(version) < numbers(floor)

    if not os.path.isdir(CHECKOUT):
        subprocess.run(["git", "clone", "--depth", "1", REPOSITORY, CHECKOUT], check=True)
    torch_version = installed("torch")
    if torch_version is None or older(torch_version, NEEDS["torch"]):
        raise RuntimeError(
            f"this Colab runtime has torch {{torch_version}}; the course needs {{NEEDS['torch']}} or newer. "
            "Run `!pip install torch==2.13.0`, then Runtime > Restart session, and run this cell again."
        )
    lacking = [name for name, floor in NEEDS.items() if installed(name) is None or older(installed(name), floor)]
    if lacking:  # at the versions the course pins
        with open(f"{{CHECKOUT}}/requirements.txt") as pinned:
            pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\\S+)", pinned.read(), flags=re.M))
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", *(f"{{n}}=={{pins[n]}}" for n in lacking)],
                       check=True)
    sys.path.insert(0, CHECKOUT)
    os.chdir(f"{{CHECKOUT}}/book")
    from google.colab import output

    output.enable_custom_widget_manager()  # ipywidgets 8 in Colab'''


def configured_repository() -> str:
    """``repository: url:`` of ``_config.yml``, validated (it is copied into every chapter)."""
    config = yaml.safe_load(CONFIG.read_text()) or {}
    url = (config.get("repository") or {}).get("url")
    if url is None:
        raise SystemExit(f"no 'repository: url:' in {CONFIG}")
    try:
        return validated_repository(url, f"{CONFIG.name} (repository: url:)")
    except ValueError as error:
        raise SystemExit(str(error)) from None


def set_configured_repository(repository: str) -> None:
    validated_repository(repository, "set_configured_repository")
    text = CONFIG.read_text()
    if URL_LINE.search(text) is None:
        raise SystemExit(f"no '  url: ADDRESS' line under 'repository:' in {CONFIG}")
    CONFIG.write_text(URL_LINE.sub(lambda m: m.group(1) + repository, text, count=1))
    if configured_repository() != repository:
        CONFIG.write_text(text)
        raise SystemExit(f"could not set repository: url: in {CONFIG}; edit it by hand")


def setup_cell_index(notebook) -> int | None:
    for index, cell in enumerate(notebook.cells):
        if TAG in cell.get("metadata", {}).get("tags", []):
            return index
    return None


def sync_notebook(path: pathlib.Path, repository: str) -> None:
    """Rewrite (or insert, after the title cell) the set-up cell of one chapter. Outputs and
    execution counts of the other cells are left alone."""
    notebook = nbformat.read(path, as_version=4)
    index = setup_cell_index(notebook)
    source = colab_setup_source(repository)
    if index is None:
        cell = nbformat.v4.new_code_cell(source)
        cell.metadata["tags"] = [TAG, "remove-cell"]  # not shown on the website
        notebook.cells.insert(1, cell)
    else:
        cell = notebook.cells[index]
        cell.source = source
    cell.metadata["jupyter"] = {"source_hidden": True}  # collapsed in JupyterLab; one click opens it
    nbformat.write(notebook, path)


def mismatches(repository: str) -> list[str]:
    """Where the committed address is not ``repository`` (GitHub addresses compare without
    regard to case): ``_config.yml`` and each chapter whose set-up cell differs."""
    found = []
    if configured_repository().lower() != repository.lower():
        found.append(f"{CONFIG.name} has {configured_repository()}")
    for path in CHAPTERS:
        notebook = nbformat.read(path, as_version=4)
        index = setup_cell_index(notebook)
        if index is None:
            found.append(f"{path.name} has no set-up cell")
        elif notebook.cells[index].source.lower() != colab_setup_source(repository).lower():
            found.append(f"{path.name}'s set-up cell clones another address")
    return found


def check(repository: str) -> int:
    """0 if the committed address is ``repository`` everywhere; else 1, saying how to fix it."""
    wrong = mismatches(repository)
    if not wrong:
        print(f"repository {repository}: _config.yml and {len(CHAPTERS)} chapters agree")
        return 0
    print(f"The course's address is not {repository}: " + "; ".join(wrong) + ".\n"
          "Colab opens the committed notebooks, so the address must be committed. Run, in a checkout:\n"
          f"    python tools/set_repository.py {repository} && git commit -am \"Set the course's address\" && git push")
    return 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repository", nargs="?", help="e.g. https://github.com/your-org/interp-course")
    parser.add_argument("--sync", action="store_true", help="only rewrite the cells from _config.yml")
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 unless the committed address is REPOSITORY")
    args = parser.parse_args()
    if args.check:
        if args.repository is None:
            parser.error("--check needs the address to compare with")
        try:
            validated_repository(args.repository, "the address given")
        except ValueError as error:
            raise SystemExit(str(error)) from None
        raise SystemExit(check(args.repository))
    if args.repository is not None:
        try:
            validated_repository(args.repository, "the address given")
        except ValueError as error:
            raise SystemExit(str(error)) from None
        set_configured_repository(args.repository)
    elif not args.sync:
        parser.error("give a repository address, or --sync")
    repository = configured_repository()
    for path in CHAPTERS:
        sync_notebook(path, repository)
    print(f"repository {repository}: _config.yml and {len(CHAPTERS)} chapters")


if __name__ == "__main__":
    main()
