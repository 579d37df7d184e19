"""Open every chapter notebook in a real JupyterLab, in headless Chromium, as a learner would.

Starts JupyterLab at the repository root (no token, a throw-away settings folder, no update
or news checks, all cells rendered rather than only those on screen), then for each chapter
in `_toc.yml`: every markdown cell is rendered and not empty; no rendered text shows MyST
syntax (`:::{`, `{cite}`, `:pyobject:`, ...), which JupyterLab prints as raw text; every
formula is typeset; every solution block holds code; one hint and one solution open on
click. Screenshots of each chapter's opening and of its first opened solution go to
`_build/screenshots/jupyterlab/`.

Needs Debian's `chromium` and `chromium-driver`, like tools/check_site_in_browser.py, and
behaves the same without them: it says so and exits 0, unless `--require` or
`REQUIRE_BROWSER_CHECK=1` (which `.ci/run` sets).

Usage: python tools/check_notebooks_in_jupyterlab.py [--require] [NOTEBOOK ...]
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from check_site_in_browser import find_chromium, open_first_details, report, start_browser, wait_until  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "_build" / "screenshots" / "jupyterlab"
RAW_MYST = re.compile(r":::\{|```\{|\{cite\}|\{literalinclude\}|:pyobject:|:class: (dropdown|tip|note|warning)")

# Notebook settings for the check: render every cell, not only those in view (JupyterLab 4's
# windowing), so that the whole chapter can be read from the page.
SETTINGS = {"@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
            "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                               "checkForUpdates": False}}


def chapters() -> list[pathlib.Path]:
    """The chapter notebooks, in the order of _toc.yml."""
    names = re.findall(r"file:\s*(book/chapter\w+)", (ROOT / "_toc.yml").read_text())
    return [ROOT / f"{name}.ipynb" for name in names]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_jupyterlab(workdir: pathlib.Path, *options: str) -> tuple[subprocess.Popen, str]:
    """JupyterLab at the repository root, in ``workdir``'s settings; ``options`` go to its command line."""
    settings = workdir / "settings"
    for name, value in SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(value))
    port = free_port()
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(workdir / "runtime"), JUPYTER_CONFIG_DIR=str(workdir / "config"))
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
         f"--ServerApp.root_dir={ROOT}", "--IdentityProvider.token=", "--ServerApp.password=",
         "--ServerApp.disable_check_xsrf=True", f"--LabApp.user_settings_dir={settings}",
         f"--LabApp.workspaces_dir={workdir / 'workspaces'}", "--LabApp.news_url=",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.extension_manager=readonly",
         *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []), *options],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=(workdir / "jupyterlab.log").open("w"),
    )
    base = f"http://127.0.0.1:{port}/"

    def answers() -> bool:
        try:
            return urllib.request.urlopen(base + "api/status", timeout=2).status == 200
        except OSError:
            return False

    if not wait_until(answers, timeout=90, interval=0.5):
        server.terminate()
        log = (workdir / "jupyterlab.log").read_text().splitlines()[-15:]
        raise RuntimeError("JupyterLab did not start; the end of its log:\n" + "\n".join(log))
    return server, base


def markdown_cell_count(notebook: pathlib.Path) -> int:
    return sum(c["cell_type"] == "markdown" for c in json.loads(notebook.read_text())["cells"])


RENDERED = """
const panel = document.querySelector('.jp-NotebookPanel');
if (!panel) return null;
const cells = [...panel.querySelectorAll('.jp-MarkdownCell')];
return cells.map(c => {
  const r = c.querySelector('.jp-RenderedMarkdown');
  return {text: r ? r.innerText : '', errors: r ? r.querySelectorAll('mjx-merror, .MathJax_Error').length : 0,
          rawMath: r ? (() => { const copy = r.cloneNode(true);
                                copy.querySelectorAll('code, pre, mjx-container').forEach(e => e.remove());
                                return (copy.textContent.match(/\$/g) || []).length; })() : 0};
});
"""

SOLUTIONS = """
const panel = document.querySelector('.jp-NotebookPanel');
return [...panel.querySelectorAll('.jp-MarkdownCell details')]
  .filter(d => (d.querySelector('summary') || {textContent: ''}).textContent.trim().startsWith('Solution'))
  .map(d => (d.querySelector('pre') || {textContent: ''}).textContent);
"""


def check_notebook(browser, base: str, notebook: pathlib.Path) -> list[str]:
    name = notebook.relative_to(ROOT).as_posix()
    browser.get(f"{base}lab/tree/{name}?reset")  # a fresh workspace: this notebook alone
    expected = markdown_cell_count(notebook)

    def all_rendered():
        cells = browser.execute_script(RENDERED)
        return cells if cells and len(cells) == expected and all(c["text"].strip() for c in cells) else None

    cells = wait_until(all_rendered, timeout=90, interval=0.5)
    if not cells:
        cells = browser.execute_script(RENDERED) or []
        return [f"{len(cells)} of {expected} markdown cells rendered, "
                f"{sum(not c['text'].strip() for c in cells)} of them empty, after 90 s"]
    problems = []
    wait_until(lambda: not any(c["rawMath"] for c in browser.execute_script(RENDERED)), timeout=20)
    for number, cell in enumerate(browser.execute_script(RENDERED), 1):
        where = f"markdown cell {number} ({cell['text'].strip()[:40]!r}...)"
        raw = RAW_MYST.search(cell["text"])
        if raw:
            problems.append(f"{where} shows raw MyST text {raw.group(0)!r}")
        if cell["rawMath"]:
            problems.append(f"{where} shows {cell['rawMath']} '$' outside a typeset formula")
        if cell["errors"]:
            problems.append(f"{where} has {cell['errors']} formula(s) that MathJax could not typeset")
    solutions = browser.execute_script(SOLUTIONS)
    if not solutions:
        problems.append("no solution blocks")
    problems += [f"solution block {i + 1} holds no code" for i, code in enumerate(solutions)
                 if len(code.strip().splitlines()) < 2]
    browser.execute_script("document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer, "
                           ".jp-NotebookPanel .jp-Notebook').scrollTop = 0")
    time.sleep(0.5)
    browser.save_screenshot(str(SCREENSHOTS / f"{notebook.stem}_opening.png"))
    problems += open_first_details(browser, "Hint", root=".jp-NotebookPanel")
    problems += open_first_details(browser, "Solution", needs_code=True, root=".jp-NotebookPanel")
    time.sleep(0.3)
    browser.save_screenshot(str(SCREENSHOTS / f"{notebook.stem}_solution.png"))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    parser.add_argument("--require", action="store_true", help="fail if Chromium is missing (CI)")
    args = parser.parse_args(argv)
    found = find_chromium()
    if found is None:
        print("check_notebooks_in_jupyterlab: chromium and chromedriver not found, check skipped "
              "(Debian/Ubuntu: apt install chromium chromium-driver)")
        return 1 if args.require or os.environ.get("REQUIRE_BROWSER_CHECK") == "1" else 0
    notebooks = [p.resolve() for p in args.notebooks] or chapters()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    with tempfile.TemporaryDirectory(prefix="jupyterlab-check-") as tmp:
        server, base = start_jupyterlab(pathlib.Path(tmp))
        browser = start_browser(*found)
        try:
            for notebook in notebooks:
                problems += [f"{notebook.name}: {p}" for p in check_notebook(browser, base, notebook)]
        finally:
            browser.quit()
            server.terminate()
            server.wait(timeout=30)
    return report("check_notebooks_in_jupyterlab", f"{len(notebooks)} notebooks", problems, SCREENSHOTS)


if __name__ == "__main__":
    sys.exit(main())
