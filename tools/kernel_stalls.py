"""Execute chapter notebooks many times in a row and report every cell whose kernel stalls.

Twice while re-executing the notebooks, the kernel sat idle in ``epoll_wait`` for over ten
minutes with no thread busy, both times while another training process was running or ending.
This tool looks for that: it executes each notebook ``--runs`` times with nbclient (the
library nbconvert and nbval's kernels are driven by), watching the kernel's CPU time (as
``tests/kernel_watchdog.py`` does under nbval): a cell whose kernel uses under 2% of a core for
``--stall-seconds`` has stalled; the tool interrupts it, records the cell, and goes on. With
``--load`` a second process keeps the machine busy the way the stalls were seen: short torch
processes that start, compute on every core for a few seconds, and end, one after another.

    python tools/kernel_stalls.py book/chapter4_superposition.ipynb --runs 40 --load

It prints one line per execution and a summary (executions, stalls and where, median time),
and exits 1 if any cell stalled. The notebooks' runs must be in the run cache (execute each
once first), or every execution trains them.
"""

from __future__ import annotations

import argparse
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
from tests.kernel_watchdog import KernelCpuClock, kernel_pid  # noqa: E402

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


def execute_once(path: Path, stall_seconds: float, kernel_name: str) -> tuple[float, str | None]:
    """One execution of the notebook at ``path``: (seconds, None) or (seconds, where it stalled)."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, kernel_name=kernel_name, timeout=None,
                            resources={"metadata": {"path": str(path.parent)}})
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=20, help="executions of each notebook (default 20)")
    parser.add_argument("--stall-seconds", type=float, default=60.0,
                        help="a cell whose kernel uses no CPU this long has stalled (default 60)")
    parser.add_argument("--load", action="store_true", help="keep the machine busy with short torch processes")
    parser.add_argument("--kernel", default="python3", help="the kernel to run (default python3)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs}")
    for path in args.notebooks:
        if not path.is_file():
            parser.error(f"no notebook at {path}")

    import ipykernel
    print(f"ipykernel {ipykernel.__version__}, {args.runs} executions of each of {len(args.notebooks)} "
          f"notebook(s), {'with' if args.load else 'without'} load, stall after {args.stall_seconds:.0f} s idle")
    times, stalls = [], []
    load = Load() if args.load else None
    if load:
        load.__enter__()
    try:
        for run in range(1, args.runs + 1):
            for path in args.notebooks:
                seconds, where = execute_once(path, args.stall_seconds, args.kernel)
                times.append(seconds)
                if where:
                    stalls.append(f"{path.name} execution {run}: {where}")
                print(f"{path.name} {run:3d}: {seconds:6.1f} s{'  STALLED in ' + where if where else ''}", flush=True)
    finally:
        if load:
            load.__exit__()
    print(f"\n{len(times)} executions, {len(stalls)} stalled; median {statistics.median(times):.1f} s"
          + (f"; {load.processes_started} load processes" if load else ""))
    for stall in stalls:
        print("  stalled:", stall)
    return 1 if stalls else 0


if __name__ == "__main__":
    sys.exit(main())
