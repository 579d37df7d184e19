"""Execute a notebook with nbclient, waiting for the kernel's messages in one-second slices.

nbclient waits for a cell's reply, and for its output, with one ``poll`` on the kernel's socket
and no time limit. Now and then (``tools/kernel_stalls.py`` saw it in about one execution of
chapter 4 in ten, at a cell that makes an ipywidgets panel, with ipykernel 6 and 7 alike) that
wait never ends: the kernel has finished and sits idle, and so does the client, each waiting
for the other (nbclient issue 312). A wait made of short polls, each asking the socket afresh,
does not stall: this is what ``tools/execute_notebook.sh`` executes the chapters with, and what
``tools/kernel_stalls.py --front-end nbclient-sliced`` measures.

    python tools/notebook_client.py book/chapter4_superposition.ipynb   # executes it in place
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from queue import Empty

import nbformat
from nbclient import NotebookClient


def poll_in_slices(channel, seconds: float = 1.0) -> None:
    """Make ``channel.get_msg(timeout)`` wait in slices of at most ``seconds``, polling afresh
    each time, until a message comes or ``timeout`` (None: no limit) has passed (then ``Empty``),
    instead of one wait on the socket that a missed wake-up can leave waiting to its end."""
    wait_once = channel.get_msg

    async def get_msg(timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = seconds if deadline is None else min(seconds, max(0.0, deadline - time.monotonic()))
            try:
                return await wait_once(timeout=left)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    channel.get_msg = get_msg


class SlicedPollingClient(NotebookClient):
    """nbclient's NotebookClient, its shell and IOPub waits made by :func:`poll_in_slices`."""

    async def async_start_new_kernel_client(self):
        kernel_client = await super().async_start_new_kernel_client()
        poll_in_slices(kernel_client.shell_channel)
        poll_in_slices(kernel_client.iopub_channel)
        return kernel_client


def execute_in_place(path: Path, cell_timeout: int = 1800) -> None:
    """Execute the notebook at ``path`` top to bottom, in its folder, and write it back with its
    outputs (as ``jupyter nbconvert --execute --inplace`` does)."""
    notebook = nbformat.read(path, as_version=4)
    SlicedPollingClient(notebook, timeout=cell_timeout, record_timing=True,
                        resources={"metadata": {"path": str(path.parent)}}).execute()
    nbformat.write(notebook, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--cell-timeout", type=int, default=1800, help="seconds a cell may run (default 1800)")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        if not path.is_file():
            parser.error(f"no notebook at {path}")
        execute_in_place(path, args.cell_timeout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
