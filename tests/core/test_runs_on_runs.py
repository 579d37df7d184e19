"""Runs that build on runs: a config names the runs it needs (``requires``); ``load_or_train``
loads or trains them first and hands them to ``train``; the downstream key holds theirs, so
editing the code of an upstream run retrains every run built on it."""

import importlib
import sys
import textwrap

import pytest
import torch

from interp_course.core import run_cache, runs

UPSTREAM = '''
from dataclasses import dataclass
import torch
from interp_course.core.runs import RunConfig, TrainedRecord

CALLS = []

@dataclass(frozen=True)
class Upstream(RunConfig):
    kind = "upstream"
    scale: float = 2.0

    def train(self, progress=True, inputs=()):
        CALLS.append(self)
        return TrainedRecord({"loss": torch.tensor([1.0, 0.5])}, {3: {"w": torch.arange(4.0) * self.scale}})
'''

DOWNSTREAM = '''
from dataclasses import dataclass
import torch
from interp_course.core.runs import RunConfig, TrainedRecord
from upstream_runs import Upstream

CALLS = []

@dataclass(frozen=True)
class Downstream(RunConfig):
    kind = "downstream"
    upstream: Upstream = Upstream()

    def requires(self):
        return (self.upstream,)

    def train(self, progress=True, inputs=()):
        (upstream_run,) = inputs
        CALLS.append(upstream_run)
        return TrainedRecord({"loss": torch.tensor([0.1])}, {1: {"w": upstream_run.weights["w"] + 1}})
'''


@pytest.fixture
def modules(tmp_path, monkeypatch):
    (tmp_path / "upstream_runs.py").write_text(textwrap.dedent(UPSTREAM))
    (tmp_path / "downstream_runs.py").write_text(textwrap.dedent(DOWNSTREAM))
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("upstream_runs", "downstream_runs"):
        sys.modules.pop(name, None)
    upstream, downstream = importlib.import_module("upstream_runs"), importlib.import_module("downstream_runs")
    yield tmp_path, upstream, downstream
    for name in ("upstream_runs", "downstream_runs"):
        sys.modules.pop(name, None)


def test_the_upstream_run_is_trained_first_and_handed_to_train(modules):
    _, upstream, downstream = modules
    run = runs.load_or_train(downstream.Downstream(), progress=False, verbose=False)
    assert len(upstream.CALLS) == 1 and len(downstream.CALLS) == 1
    handed = downstream.CALLS[0]
    assert isinstance(handed, runs.Run) and handed.config == upstream.Upstream()
    assert torch.equal(run.weights["w"], torch.arange(4.0) * 2 + 1)
    runs.load_or_train(downstream.Downstream(), progress=False, verbose=False)  # both cached now
    assert len(upstream.CALLS) == 1 and len(downstream.CALLS) == 1


def test_the_downstream_key_holds_the_upstream_key(modules):
    _, upstream, downstream = modules
    key = downstream.Downstream().cache_key()
    assert key["requires"] == [{"kind": "upstream", **upstream.Upstream().cache_key()}]
    other = downstream.Downstream(upstream=upstream.Upstream(scale=3.0))
    assert other.cache_key() != key and other.cache_key()["code"] == key["code"]


def test_editing_the_upstream_code_retrains_the_downstream_run(modules):
    folder, upstream, downstream = modules
    runs.load_or_train(downstream.Downstream(), progress=False, verbose=False)
    before = downstream.Downstream().cache_key()
    source = folder / "upstream_runs.py"
    source.write_text(source.read_text() + "\nEDITED = True\n")
    after = downstream.Downstream().cache_key()
    assert after["requires"] != before["requires"] and after["code"] == before["code"]
    assert not run_cache.run_path("downstream", after).exists()
    runs.load_or_train(downstream.Downstream(), progress=False, verbose=False)
    assert len(upstream.CALLS) == 2 and len(downstream.CALLS) == 2, "both runs trained again"


def test_a_cached_downstream_run_needs_no_upstream_run(modules):
    """A bundle may hold the downstream run alone: it loads without training (or loading) the upstream."""
    _, upstream, downstream = modules
    runs.load_or_train(downstream.Downstream(), progress=False, verbose=False)
    run_cache.run_path("upstream", upstream.Upstream().cache_key()).unlink()
    runs.load_or_train(downstream.Downstream(), progress=False, verbose=False)
    assert len(upstream.CALLS) == 1 and len(downstream.CALLS) == 1


def test_a_run_config_defined_outside_a_module_file_is_a_clear_error():
    import subprocess

    code = ("from dataclasses import dataclass\n"
            "from interp_course.core.runs import RunConfig\n"
            "@dataclass(frozen=True)\n"
            "class InACell(RunConfig):\n"
            "    kind = 'cell'\n"
            "InACell().cache_key()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode != 0 and "define run configs in a .py module" in done.stderr
