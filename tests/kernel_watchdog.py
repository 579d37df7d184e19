"""A stalled kernel fails the notebook cell it stalled in within minutes, naming the cell.

nbval waits for a cell's reply for ``--nbval-cell-timeout`` seconds (20 minutes here, since
a cell that trains a chapter's runs on a slow machine takes minutes). A cell whose kernel
sits idle while the client still waits for it (``tools/kernel_stalls.py`` reproduces it with
nbclient, which waits with one poll of the socket: see ``tools/notebook_client.py``; nbval's
client waits in polls of a second here, but a kernel can stall for other reasons) would hold
the test run for all that time and then fail with a message about a timeout.

This plugin watches the kernel's CPU time while nbval waits for a cell: a cell that trains or
computes uses CPU; one whose kernel has used less than ``IDLE_SHARE`` of one core for
``--kernel-stall-seconds`` (default 180) has stalled. The cell then fails with a message that
says so, the kernel is stopped, and the notebook's remaining cells are marked as expected to
fail (nbval's own handling of a timed-out cell) instead of each waiting in turn.

Loaded for every test run by the repository's ``conftest.py``; ``-p tests.kernel_watchdog``
loads it where that conftest is not in reach (``tests/test_kernel_watchdog.py``).
"""

from __future__ import annotations

import time
from queue import Empty

import psutil
import pytest
from nbval import kernel as nbval_kernel
from nbval.plugin import IPyNbCell

DEFAULT_STALL_SECONDS = 180.0
IDLE_SHARE = 0.02  # of one core: a kernel that computes uses ~1; one waiting in epoll ~0
POLL_SECONDS = 1.0

_current_cell: IPyNbCell | None = None
_stall_seconds = DEFAULT_STALL_SECONDS


class KernelCpuClock:
    """The CPU seconds a kernel process (and any children it started) has used, sampled."""

    def __init__(self, pid: int | None):
        try:
            self._process = psutil.Process(pid) if pid is not None else None
        except psutil.Error:
            self._process = None
        self.samples: list[tuple[float, float]] = []  # (wall time, CPU seconds)

    def cpu_seconds(self) -> float | None:
        if self._process is None:
            return None
        try:
            processes = [self._process, *self._process.children(recursive=True)]
            total = 0.0
            for process in processes:
                times = process.cpu_times()
                total += times.user + times.system
            return total
        except psutil.Error:
            return None

    def sample(self) -> None:
        cpu = self.cpu_seconds()
        if cpu is not None:
            self.samples.append((time.monotonic(), cpu))

    def idle_for(self, window: float) -> bool:
        """Whether the kernel used under IDLE_SHARE of a core over the last ``window`` seconds."""
        if not self.samples:
            return False
        now, cpu_now = self.samples[-1]
        older = [(t, c) for t, c in self.samples if now - t >= window]
        if not older:
            return False  # not watched for that long yet
        t_then, cpu_then = older[-1]
        return (cpu_now - cpu_then) < IDLE_SHARE * (now - t_then)


def kernel_pid(running_kernel) -> int | None:
    manager = getattr(running_kernel, "km", None)
    provisioner = getattr(manager, "provisioner", None)
    pid = getattr(provisioner, "pid", None) or getattr(getattr(provisioner, "process", None), "pid", None)
    return pid


class KernelStalled(Exception):
    pass


def _await_reply_watching_cpu(self, msg_id, timeout=None):
    """nbval's ``RunningKernel.await_reply``, failing early on a kernel that has stalled."""
    deadline = None if timeout is None else time.monotonic() + float(timeout)
    clock = KernelCpuClock(kernel_pid(self))
    clock.sample()
    while True:
        wait = POLL_SECONDS if deadline is None else max(0.0, min(POLL_SECONDS, deadline - time.monotonic()))
        try:
            msg = self.get_message(stream="shell", timeout=wait)
        except Empty:
            if deadline is not None and time.monotonic() >= deadline:
                raise  # nbval's own timeout
            clock.sample()
            if clock.idle_for(_stall_seconds):
                raise KernelStalled(
                    f"the kernel has been idle (under {IDLE_SHARE:.0%} of a CPU core) for "
                    f"{_stall_seconds:.0f} s while this cell ran: a stalled kernel, not a slow "
                    "cell (a cell that computes keeps a core busy). Run the notebook again; if it "
                    "stalls again, run tools/kernel_stalls.py on it and report what it prints."
                ) from None
            continue
        if msg["parent_header"].get("msg_id") == msg_id:
            if msg["content"]["status"] == "aborted":
                raise RuntimeError("Kernel aborted execution request")
            return


nbval_kernel.RunningKernel.await_reply = _await_reply_watching_cpu


def pytest_addoption(parser):
    parser.addoption(
        "--kernel-stall-seconds",
        type=float,
        default=DEFAULT_STALL_SECONDS,
        help="fail a notebook cell whose kernel has used no CPU for this many seconds "
        f"(default {DEFAULT_STALL_SECONDS:.0f})",
    )


def pytest_configure(config):
    global _stall_seconds
    _stall_seconds = config.getoption("--kernel-stall-seconds")
    if _stall_seconds <= 0:
        raise pytest.UsageError(f"--kernel-stall-seconds must be positive, got {_stall_seconds}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    global _current_cell
    _current_cell = item if isinstance(item, IPyNbCell) else None
    outcome = yield
    _current_cell = None
    error = outcome.excinfo[1] if outcome.excinfo else None
    if isinstance(error, KernelStalled) and isinstance(item, IPyNbCell):
        item.parent.timed_out = True  # nbval marks the notebook's later cells xfail
        try:
            item.parent.kernel.stop()
        except Exception:  # noqa: BLE001 (the kernel is already unresponsive; the report matters)
            pass
        try:
            item.raise_cell_error(f"Kernel stalled in cell {item.cell_num}: {error}")
        except Exception as cell_error:  # NbCellError, reported with the cell's source
            outcome.force_exception(cell_error)
