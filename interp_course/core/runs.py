"""Runs: a config that knows how to train itself, and one ``load_or_train`` for every chapter.

A chapter describes each kind of run it trains with a frozen dataclass that subclasses
:class:`RunConfig`. The config is everything that determines the result, so the run cache
is keyed by it, together with a fingerprint of the code that trains it::

    @dataclass(frozen=True)
    class GrokkingConfig(RunConfig):
        kind = "grokking"                    # the cache file's name starts with it
        p: int = 113
        ...
        def build_model(self): return HookedTransformer(...)
        def train(self, progress, inputs): ...   # -> TrainedRecord(metrics, checkpoints)

    run = load_or_train(GrokkingConfig())   # a Run: metrics, checkpoints, model_at(step)

**The fingerprint** (:mod:`interp_course.core.fingerprint`) hashes the source of the module
that defines the config class and of every course module it imports, directly or not: the
reference solutions a trainer calls, the transformer, the training loop. Nothing has to be
listed by hand, so nothing can be forgotten; and nothing in it depends on the folder the
course is in, so a run cache travels between clones.

**Runs that build on runs**: a config whose training needs other trained runs (an autoencoder
on a toy model's activations, a probe on a transformer) names them in :meth:`RunConfig.requires`.
``load_or_train`` loads or trains them first and hands them to ``train`` as ``inputs``, and the
config's cache key holds theirs: edit the code of an upstream run and every run built on it is
trained again.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import torch

from . import run_cache
from .fingerprint import code_fingerprint


class TrainedRecord(NamedTuple):
    """What training returns and the cache stores.

    metrics: {name: tensor}, e.g. ``step`` [n], ``train_loss`` [n].
    checkpoints: {step: state_dict}, the weights saved after that many steps.
    """

    metrics: dict[str, torch.Tensor]
    checkpoints: dict[int, dict[str, torch.Tensor]]


def snapshot(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """A detached copy of the model's weights."""
    return {name: t.detach().clone() for name, t in model.state_dict().items()}


@dataclass
class Run:
    """A trained run, as loaded from the run cache.

    metrics: {name: tensor} (see the config's ``train``).
    checkpoints: {step: state_dict}, in increasing step order.
    """

    config: "RunConfig"
    metrics: dict[str, torch.Tensor]
    checkpoints: dict[int, dict[str, torch.Tensor]]

    @property
    def checkpoint_steps(self) -> list[int]:
        return list(self.checkpoints)

    @property
    def final_step(self) -> int:
        return self.checkpoint_steps[-1]

    @property
    def weights(self) -> dict[str, torch.Tensor]:
        """The weights at the end of training."""
        return self.checkpoints[self.final_step]

    def require_step(self, step: int) -> None:
        """Raise a ValueError naming the saved steps unless ``step`` is one of them."""
        if step not in self.checkpoints:
            steps = self.checkpoint_steps
            shown = steps if len(steps) <= 6 else [*steps[:2], "...", steps[-1]]
            raise ValueError(f"step must be one of the saved checkpoint steps {shown}, got {step!r}")

    def model_at(self, step: int) -> torch.nn.Module:
        """A fresh model (in eval mode) holding the weights saved after ``step`` training steps."""
        self.require_step(step)
        model = self.config.build_model()
        model.load_state_dict(self.checkpoints[step])
        model.eval()
        return model

    @property
    def model(self) -> torch.nn.Module:
        """The model at the end of training."""
        return self.model_at(self.final_step)

    @functools.cached_property
    def data(self) -> Any:
        """The run's data set, as its config builds it (``config.data()``)."""
        if not hasattr(self.config, "data"):
            raise AttributeError(f"a {type(self.config).__name__} run has no data set")
        return self.config.data()


@dataclass(frozen=True)
class RunConfig:
    """Base class of the configs of trained runs (see the module's docstring).

    A subclass sets ``kind`` (the start of its cache files' names) and, if its runs have a
    type of their own, ``run_type`` (a subclass of :class:`Run`).
    """

    kind: ClassVar[str] = "run"
    run_type: ClassVar[type[Run]] = Run

    def train(self, progress: bool = True, inputs: tuple[Run, ...] = ()) -> TrainedRecord:
        """Train the run from scratch (no cache). ``inputs``: the runs of :meth:`requires`,
        loaded or trained, in the same order."""
        raise NotImplementedError(f"{type(self).__name__} must define train()")

    def requires(self) -> tuple["RunConfig", ...]:
        """The trained runs this run is built from (none by default)."""
        return ()

    def build_model(self) -> torch.nn.Module:
        """A fresh, untrained model of this run's shape (for :meth:`Run.model_at`)."""
        raise NotImplementedError(f"{type(self).__name__} has no model to build")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def code_fingerprint(self) -> str:
        """The fingerprint of the code behind this run: the module defining its config class
        and every course module that module imports (:mod:`~interp_course.core.fingerprint`)."""
        return code_fingerprint(type(self).__module__)

    def cache_key(self) -> dict:
        """What the run cache is keyed by: the config, the fingerprint of its code, and the
        keys of the runs it is built from."""
        key = {"config": self.to_dict(), "code": self.code_fingerprint()}
        upstream = self.requires()
        if upstream:
            key["requires"] = [{"kind": run.kind, **run.cache_key()} for run in upstream]
        return key

    def validate_record(self, record: dict) -> None:
        """Raise :class:`~interp_course.core.run_cache.InvalidRunFile` unless ``record`` (a
        cached payload) has this kind of run's schema: ``metrics`` {name: tensor} and
        ``checkpoints`` {step: {name: tensor}}, with the shapes of :meth:`expected_shapes`."""
        invalid = run_cache.InvalidRunFile
        metrics, checkpoints = record.get("metrics"), record.get("checkpoints")
        if not isinstance(metrics, dict) or not all(isinstance(v, torch.Tensor) for v in metrics.values()):
            raise invalid("its metrics are not {name: tensor}")
        if not isinstance(checkpoints, dict) or not checkpoints:
            raise invalid("it has no checkpoints")
        for step, weights in checkpoints.items():
            if not isinstance(step, int) or isinstance(step, bool) or step < 0 or not isinstance(weights, dict):
                raise invalid(f"checkpoint {step!r} is not {{step: {{name: tensor}}}}")
        expected = self.expected_shapes()
        if expected is None:  # a run with no model (chapter 4's sweeps): no shapes to compare
            return
        for step, weights in checkpoints.items():
            got = {name: tuple(t.shape) for name, t in weights.items() if isinstance(t, torch.Tensor)}
            if got != expected:
                wrong = sorted(set(got.items()) ^ set(expected.items()))[:2]
                raise invalid(f"the weights at step {step} do not fit this run's model ({wrong})")

    def expected_shapes(self) -> dict[str, tuple[int, ...]] | None:
        """{weight name: shape} of every checkpoint, or None where there is nothing to check:
        by default the shapes of :meth:`build_model`'s weights."""
        try:
            return {name: tuple(t.shape) for name, t in self.build_model().state_dict().items()}
        except NotImplementedError:
            return None


def load_or_train(config: RunConfig, progress: bool = True, verbose: bool = True) -> Run:
    """The run for ``config``: from the run cache, or trained now (with a progress bar if
    ``progress``) and saved there. The runs it requires are loaded (or trained) only when it
    has to be trained, each once.

    Returns a ``config.run_type``: metrics, checkpoints {step: weights} in step order,
    ``model_at(step)``.
    """
    return _load_or_train(config, progress, verbose, {})


def _load_or_train(config: RunConfig, progress: bool, verbose: bool, loaded: dict) -> Run:
    """:func:`load_or_train`, sharing ``loaded`` ({config: run}) between the runs one call needs."""
    if not isinstance(config, RunConfig):
        raise TypeError(f"config must be a run config (a RunConfig), got {type(config).__name__}")
    if config in loaded:
        return loaded[config]

    def build() -> dict:
        inputs = tuple(_load_or_train(upstream, progress, verbose, loaded) for upstream in config.requires())
        metrics, checkpoints = config.train(progress, inputs)
        return {"metrics": metrics, "checkpoints": checkpoints}

    record = run_cache.load_or_build(config.kind, config.cache_key(), build, verbose=verbose, validate=config.validate_record)
    loaded[config] = config.run_type(config, record["metrics"], dict(sorted(record["checkpoints"].items())))
    return loaded[config]
