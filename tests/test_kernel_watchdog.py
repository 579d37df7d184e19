"""The kernel watchdog (tests/kernel_watchdog.py) fails a stalled cell early, and only a stalled one.

Each test executes a small notebook with nbval in a separate pytest run, with a stall time of a
few seconds: a cell that sleeps (its kernel idle, as a stalled kernel is) must fail with the
watchdog's message naming it, and the cells after it must not each wait in turn; a cell that
computes for longer than the stall time must pass.
"""

import subprocess
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]


def run_notebook_with_nbval(tmp_path, sources, stall_seconds):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    path = tmp_path / "cells.ipynb"
    nbformat.write(notebook, path)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path),
         "-p", "no:cacheprovider", "-p", "tests.kernel_watchdog", "--nbval-lax",
         "--kernel-stall-seconds", str(stall_seconds), "-rA", str(path)],
        cwd=REPO, capture_output=True, text=True, timeout=240,
    )
    return result.returncode, result.stdout + result.stderr


def test_an_idle_kernel_fails_its_cell_with_the_watchdogs_message(tmp_path):
    code, output = run_notebook_with_nbval(
        tmp_path, ["x = 1", "import time\ntime.sleep(120)", "y = 2", "z = 3"], stall_seconds=3)
    assert code != 0, output
    assert "Kernel stalled in cell 1" in output, output
    assert "passed" in output and "1 failed" in output, output
    assert "2 xfailed" in output, output  # the cells after it do not each wait in turn


def test_a_cell_that_computes_longer_than_the_stall_time_passes(tmp_path):
    busy = "import time\nend = time.monotonic() + 8\nwhile time.monotonic() < end:\n    sum(range(10000))"
    code, output = run_notebook_with_nbval(tmp_path, ["x = 1", busy, "y = 2"], stall_seconds=3)
    assert code == 0, output
    assert "3 passed" in output, output


def test_the_stall_time_must_be_positive(tmp_path):
    code, output = run_notebook_with_nbval(tmp_path, ["x = 1"], stall_seconds=0)
    assert code != 0
    assert "--kernel-stall-seconds must be positive" in output, output


def test_the_stall_loop_reports_the_cell_a_kernel_stalls_in_and_passes_one_that_does_not(tmp_path):
    """tools/kernel_stalls.py, with both nbclient front ends taking turns."""
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"),
                                               nbformat.v4.new_code_cell("import time\ntime.sleep(60)")])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    stalling, quick = tmp_path / "stalling.ipynb", tmp_path / "quick.ipynb"
    nbformat.write(notebook, stalling)
    notebook.cells = notebook.cells[:1]
    nbformat.write(notebook, quick)
    tool = [sys.executable, str(REPO / "tools" / "kernel_stalls.py"), "--runs", "1", "--stall-seconds", "3",
            "--front-end", "nbclient,nbclient-sliced"]
    result = subprocess.run([*tool, str(stalling)], capture_output=True, text=True, timeout=240)
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.count("STALLED in cell 1 (import time)") == 2, result.stdout
    assert "nbclient: 1 executions, 1 stalled" in result.stdout
    result = subprocess.run([*tool, str(quick)], capture_output=True, text=True, timeout=240)
    assert result.returncode == 0 and "nbclient-sliced: 1 executions, 0 stalled" in result.stdout, result.stdout
