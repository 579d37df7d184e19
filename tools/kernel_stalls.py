"""Execute chapter notebooks many times in a row and report every cell whose kernel stalls.

Twice while re-executing the notebooks, the kernel sat idle in ``epoll_wait`` for over ten
minutes with no thread busy, both times while another training process was running or ending.
This tool looks for that: it executes each notebook ``--runs`` times with nbclient (the
library nbconvert and nbval's kernels are driven by), watching the kernel's CPU time (as
``tests/kernel_watchdog.py`` does under nbval): a cell whose kernel uses under 2% of a core for
``--stall-seconds`` has stalled; the tool interrupts it, records the cell, and goes on. With
``--load`` a second process keeps the machine busy the way the stalls were seen: short torch
processes that start, compute on every core for a few seconds, and end, one after another.
With ``--front-end jupyterlab`` each execution is JupyterLab's instead: the notebook opened in a
real JupyterLab in headless Chromium (as ``tools/check_notebooks_in_jupyterlab.py`` does), its
kernel restarted, and Run All; the same watch on the kernel's CPU.

    python tools/kernel_stalls.py book/chapter4_superposition.ipynb --runs 40 --load
    python tools/kernel_stalls.py book/chapter4_superposition.ipynb --runs 10 --front-end jupyterlab

It prints one line per execution and a summary (executions, stalls and where, median time),
and exits 1 if any cell stalled. The notebooks' runs must be in the run cache (execute each
once first), or every execution trains them.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, DeadKernelError

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_client import SlicedPollingClient  # noqa: E402
from tests.kernel_watchdog import KernelCpuClock, kernel_pid  # noqa: E402

FRONT_ENDS = ("nbclient", "nbclient-sliced", "jupyterlab")
LOAD = (
    "import torch, time\n"
    "end = time.monotonic() + {seconds}\n"
    "a = torch.randn(512, 512)\n"
    "while time.monotonic() < end:\n"
    "    a = (a @ a).tanh()\n"
)


class Load:
    """Short torch processes, one after another, each busy on every core for a few seconds."""

    def __init__(self, seconds_each: float = 4.0):
        self.seconds_each = seconds_each
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.processes_started = 0

    def _run(self):
        while not self.stopping.is_set():
            subprocess.run([sys.executable, "-c", LOAD.format(seconds=self.seconds_each)], check=False)
            self.processes_started += 1

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join()


def execute_once(path: Path, stall_seconds: float, kernel_name: str = "python3", sliced: bool = False) -> tuple[float, str | None]:
    """One execution of the notebook at ``path``: (seconds, None) or (seconds, where it stalled)."""
    notebook = nbformat.read(path, as_version=4)
    client = (SlicedPollingClient if sliced else NotebookClient)(
        notebook, kernel_name=kernel_name, timeout=None, resources={"metadata": {"path": str(path.parent)}})
    current = {"index": None}
    stalled = {"where": None}
    done = threading.Event()

    def on_cell_execute(cell, cell_index):
        current["index"] = cell_index

    client.on_cell_execute = on_cell_execute

    def watch():
        while kernel_pid(client) is None and not done.is_set():
            time.sleep(0.2)
        clock = KernelCpuClock(kernel_pid(client)) if not done.is_set() else None
        last_cell = None
        while not done.wait(1.0) and clock is not None:
            if current["index"] != last_cell:  # a new cell: its own window
                last_cell, clock.samples = current["index"], []
            clock.sample()
            if last_cell is not None and clock.idle_for(stall_seconds):
                source = notebook.cells[last_cell].source.strip().splitlines()
                stalled["where"] = f"cell {last_cell} ({source[0][:60] if source else 'empty'})"
                kernel = psutil.Process(kernel_pid(client))  # (the client's manager is async: signal the process)
                kernel.send_signal(signal.SIGINT)  # what an interrupt is, for a local kernel
                if done.wait(15):
                    return
                kernel.kill()  # the interrupt did not help
                return

    watcher = threading.Thread(target=watch, daemon=True)
    start = time.monotonic()
    watcher.start()
    try:
        client.execute()
    except (CellExecutionError, DeadKernelError, RuntimeError) as error:
        if stalled["where"] is None:
            raise SystemExit(f"{path.name}: cell {current['index']} failed, not stalled:\n{error}") from error
    finally:
        done.set()
        watcher.join()
    return time.monotonic() - start, stalled["where"]


# JupyterLab's notebook, through the app it exposes to the page (--LabApp.expose_app_in_browser).
LAB_KERNEL = """
const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
const kernel = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
return kernel ? {id: kernel.id, status: kernel.status} : null;
"""
LAB_RUN_ALL = """
window.__runAll = 'running';
const w = window.jupyterapp.shell.currentWidget;
w.sessionContext.session.kernel.restart()
  .then(() => window.jupyterapp.commands.execute('notebook:run-all-cells'))
  .then(() => { window.__runAll = 'done'; }, (e) => { window.__runAll = 'error: ' + e; });
"""
LAB_PROGRESS = """
const w = window.jupyterapp.shell.currentWidget;
const prompts = [...w.node.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(p => p.textContent.trim());
const kernel = w.sessionContext.session.kernel;
return {state: window.__runAll, prompts: prompts, status: kernel ? kernel.status : 'none',
        errors: w.node.querySelectorAll('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').length};
"""


def kernel_process(kernel_id: str) -> psutil.Process | None:
    """The local process of the kernel with this id (its connection file names the id)."""
    for process in psutil.process_iter(["cmdline"]):
        if any(f"kernel-{kernel_id}.json" in part for part in process.info["cmdline"] or []):
            return process
    return None


def execute_in_jupyterlab(browser, base: str, path: Path, stall_seconds: float) -> tuple[float, str | None]:
    """One Run All of the notebook at ``path`` in JupyterLab (kernel restarted first)."""
    from check_notebooks_in_jupyterlab import ROOT
    from check_site_in_browser import wait_until

    browser.get(f"{base}lab/tree/{path.resolve().relative_to(ROOT).as_posix()}?reset")
    kernel = wait_until(lambda: (k := browser.execute_script(LAB_KERNEL)) and k["status"] == "idle" and k, timeout=120)
    if not kernel:
        raise SystemExit(f"{path.name}: JupyterLab's kernel did not start within 120 s")
    start = time.monotonic()
    browser.execute_script(LAB_RUN_ALL)
    clock, pid, last_prompts, where = None, None, None, None
    while True:
        time.sleep(1.0)
        progress = browser.execute_script(LAB_PROGRESS)
        if progress["state"] != "running":
            if progress["state"] != "done":
                raise SystemExit(f"{path.name}: Run All failed in JupyterLab: {progress['state']}")
            break
        kernel = browser.execute_script(LAB_KERNEL)
        if kernel and (process := kernel_process(kernel["id"])) and process.pid != pid:
            pid, clock = process.pid, KernelCpuClock(process.pid)  # the restarted kernel
        if progress["prompts"] != last_prompts:  # a cell finished or began: a new window
            last_prompts = progress["prompts"]
            if clock:
                clock.samples = []
        if clock:
            clock.sample()
            if clock.idle_for(stall_seconds) and "[*]:" in progress["prompts"]:
                code_cells = [i for i, cell in enumerate(nbformat.read(path, as_version=4).cells)
                              if cell.cell_type == "code"]
                index = code_cells[progress["prompts"].index("[*]:")]  # counted over all cells, as nbval does
                source = nbformat.read(path, as_version=4).cells[index].source.strip().splitlines()
                where = f"cell {index} ({source[0][:60] if source else 'empty'}), in JupyterLab"
                psutil.Process(pid).send_signal(signal.SIGINT)
                wait_until(lambda: browser.execute_script(LAB_PROGRESS)["state"] != "running", timeout=30)
                break
    seconds = time.monotonic() - start
    browser.execute_script("window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
    return seconds, where


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=20, help="executions of each notebook (default 20)")
    parser.add_argument("--stall-seconds", type=float, default=60.0,
                        help="a cell whose kernel uses no CPU this long has stalled (default 60)")
    parser.add_argument("--load", action="store_true", help="keep the machine busy with short torch processes")
    parser.add_argument("--kernel", default="python3", help="the kernel to run (default python3)")
    parser.add_argument("--front-end", default="nbclient",
                        help="nbclient (default), nbclient-sliced (nbclient waiting in one-second slices, "
                        "tools/notebook_client.py), or jupyterlab (JupyterLab in headless Chromium); several, "
                        "comma-separated, take turns execution by execution, under the same conditions")
    args = parser.parse_args(argv)
    front_ends = args.front_end.split(",")
    for front_end in front_ends:
        if front_end not in FRONT_ENDS:
            parser.error(f"--front-end must be among {', '.join(FRONT_ENDS)}, got {front_end!r}")
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs}")
    for path in args.notebooks:
        if not path.is_file():
            parser.error(f"no notebook at {path}")

    import ipykernel
    print(f"ipykernel {ipykernel.__version__}, {' and '.join(front_ends)}, {args.runs} executions of each of "
          f"{len(args.notebooks)} notebook(s), {'with' if args.load else 'without'} load, "
          f"stall after {args.stall_seconds:.0f} s idle")
    times = {front_end: [] for front_end in front_ends}
    stalls = {front_end: [] for front_end in front_ends}
    load = Load() if args.load else None
    with contextlib.ExitStack() as stack:
        if load:
            stack.enter_context(load)
        executors = {}
        for front_end in front_ends:
            if front_end == "jupyterlab":
                executors[front_end] = jupyterlab_executor(stack)
            else:
                executors[front_end] = functools.partial(execute_once, kernel_name=args.kernel,
                                                         sliced=front_end == "nbclient-sliced")
        for run in range(1, args.runs + 1):
            for path in args.notebooks:
                for front_end in front_ends:
                    seconds, where = executors[front_end](path, args.stall_seconds)
                    times[front_end].append(seconds)
                    if where:
                        stalls[front_end].append(f"{path.name} execution {run}: {where}")
                    print(f"{path.name} {run:3d} {front_end:>15}: {seconds:6.1f} s"
                          f"{'  STALLED in ' + where if where else ''}", flush=True)
    print()
    for front_end in front_ends:
        print(f"{front_end}: {len(times[front_end])} executions, {len(stalls[front_end])} stalled; "
              f"median {statistics.median(times[front_end]):.1f} s")
        for stall in stalls[front_end]:
            print("  stalled:", stall)
    if load:
        print(f"{load.processes_started} load processes")
    return 1 if any(stalls.values()) else 0


def jupyterlab_executor(stack: contextlib.ExitStack):
    """execute(path, stall_seconds) in a JupyterLab and a headless Chromium that ``stack`` closes."""
    import tempfile

    from check_notebooks_in_jupyterlab import start_jupyterlab
    from check_site_in_browser import find_chromium, start_browser

    found = find_chromium()
    if found is None:
        raise SystemExit("--front-end jupyterlab needs chromium and chromedriver (apt install chromium chromium-driver)")
    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kernel-stalls-")))
    server, base = start_jupyterlab(workdir, "--LabApp.expose_app_in_browser=True")
    stack.callback(server.wait, timeout=30)
    stack.callback(server.terminate)
    browser = start_browser(*found)
    stack.callback(browser.quit)
    return lambda path, stall_seconds: execute_in_jupyterlab(browser, base, path, stall_seconds)


if __name__ == "__main__":
    sys.exit(main())
