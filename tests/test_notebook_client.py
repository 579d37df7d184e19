"""tools/notebook_client.py: a wait for the kernel's message is made of short polls, and the
notebook is executed in place with its outputs."""

import asyncio
import importlib.util
from pathlib import Path
from queue import Empty

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("notebook_client", ROOT / "tools" / "notebook_client.py")
notebook_client = importlib.util.module_from_spec(spec)
spec.loader.exec_module(notebook_client)


class Channel:
    """A channel whose message is there only after two empty polls; it records the timeouts asked."""

    def __init__(self):
        self.timeouts = []

    async def get_msg(self, timeout=None):
        self.timeouts.append(timeout)
        if timeout is None:
            raise AssertionError("a wait without a time limit")
        if len(self.timeouts) < 3:
            raise Empty
        return {"msg": "reply"}


def test_a_wait_without_a_limit_becomes_polls_of_a_second():
    channel = Channel()
    notebook_client.poll_in_slices(channel)
    assert asyncio.run(channel.get_msg()) == {"msg": "reply"}
    assert channel.timeouts == [1.0, 1.0, 1.0]


class SilentChannel:
    """A channel that never has a message; it records the timeouts asked."""

    def __init__(self):
        self.timeouts = []

    async def get_msg(self, timeout=None):
        self.timeouts.append(timeout)
        await asyncio.sleep(timeout)
        raise Empty


def test_a_wait_with_a_limit_is_made_of_polls_and_ends_at_its_deadline():
    channel = SilentChannel()
    notebook_client.poll_in_slices(channel, seconds=0.01)
    with pytest.raises(Empty):
        asyncio.run(channel.get_msg(timeout=0.05))
    assert len(channel.timeouts) > 1 and all(t <= 0.01 for t in channel.timeouts)


def test_a_limited_wait_that_finds_its_message_returns_it():
    channel = Channel()
    notebook_client.poll_in_slices(channel, seconds=0.01)
    assert asyncio.run(channel.get_msg(timeout=60)) == {"msg": "reply"}
    assert channel.timeouts == [0.01, 0.01, 0.01]


def test_it_executes_a_notebook_in_place_with_its_outputs(tmp_path):
    path = tmp_path / "two.ipynb"
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 20"), nbformat.v4.new_code_cell("x + 22")])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)
    assert notebook_client.main([str(path)]) == 0
    executed = nbformat.read(path, as_version=4)
    assert executed.cells[1].outputs[0]["data"]["text/plain"] == "42"
    assert executed.cells[1].execution_count == 2
