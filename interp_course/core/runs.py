"""Runs: a config that knows how to train itself, and one ``load_or_train`` for every chapter.

A chapter describes each kind of run it trains with a frozen dataclass that subclasses
:class:`RunConfig`. The config is everything that determines the result, so the run cache
is keyed by it, together with a fingerprint of the code that trains it::

    @dataclass(frozen=True)
    class GrokkingConfig(RunConfig):
        kind = "grokking"                    # the cache file's name starts with it
        p: int = 113
        ...
        def trained_by(self): return (training_step, final_position_loss, ...)
        def build_model(self): return HookedTransformer(...)
        def train(self, progress): ...       # -> TrainedRecord(metrics, checkpoints)

    run = load_or_train(GrokkingConfig())   # a Run: metrics, checkpoints, model_at(step)

``trained_by`` names the functions (and classes) whose source code the result depends on,
the reference solutions a trainer calls among them: edit one and the run is trained again
instead of a stale copy being loaded.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
from dataclasses import dataclass
from typing import Any, ClassVar, NamedTuple

import torch

from . import run_cache


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


def code_fingerprint(objects: tuple[Any, ...]) -> str:
    """A short hash of the source code of ``objects`` (functions, classes, modules)."""
    digest = hashlib.sha256()
    for obj in objects:
        digest.update(f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', obj)}\n".encode())
        digest.update(inspect.getsource(obj).encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class RunConfig:
    """Base class of the configs of trained runs (see the module's docstring)."""

    kind: ClassVar[str] = "run"
    run_type: ClassVar[type["Run"]]  # set below, after Run is defined

    def train(self, progress: bool = True) -> TrainedRecord:
        """Train the run from scratch (no cache)."""
        raise NotImplementedError(f"{type(self).__name__} must define train()")

    def trained_by(self) -> tuple[Any, ...]:
        """The functions and classes whose code determines the result."""
        return ()

    def build_model(self) -> torch.nn.Module:
        """A fresh, untrained model of this run's shape (for :meth:`Run.model_at`)."""
        raise NotImplementedError(f"{type(self).__name__} has no model to build")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def validate_record(self, record: dict) -> None:
        """Raise :class:`~interp_course.core.run_cache.InvalidRunFile` unless ``record`` (a
        cached payload) has this kind of run's schema: ``metrics`` {name: tensor} and
        ``checkpoints`` {step: {name: tensor}}, with the shapes of :meth:`build_model`'s
        weights where the run has a model."""
        invalid = run_cache.InvalidRunFile
        metrics, checkpoints = record.get("metrics"), record.get("checkpoints")
        if not isinstance(metrics, dict) or not all(isinstance(v, torch.Tensor) for v in metrics.values()):
            raise invalid("its metrics are not {name: tensor}")
        if not isinstance(checkpoints, dict) or not checkpoints:
            raise invalid("it has no checkpoints")
        for step, weights in checkpoints.items():
            if not str(step).isdigit() or not isinstance(weights, dict):
                raise invalid(f"checkpoint {step!r} is not {{step: {{name: tensor}}}}")
        try:
            expected = {name: tuple(t.shape) for name, t in self.build_model().state_dict().items()}
        except NotImplementedError:  # a run with no model (chapter 4's sweeps): no shapes to compare
            return
        for step, weights in checkpoints.items():
            got = {name: tuple(t.shape) for name, t in weights.items() if isinstance(t, torch.Tensor)}
            if got != expected:
                wrong = sorted(set(got.items()) ^ set(expected.items()))[:2]
                raise invalid(f"the weights at step {step} do not fit this run's model ({wrong})")

    def cache_key(self) -> dict:
        """What the run cache is keyed by: the config and the fingerprint of its code."""
        own_code = (type(self).train, *self.trained_by())
        return {"config": self.to_dict(), "code": code_fingerprint(own_code)}


@dataclass
class Run:
    """A trained run, as loaded from the run cache.

    metrics: {name: tensor} (see the config's ``train``).
    checkpoints: {step: state_dict}, in increasing step order.
    """

    config: RunConfig
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

    def model_at(self, step: int) -> torch.nn.Module:
        """A fresh model (in eval mode) holding the weights saved after ``step`` training steps."""
        if step not in self.checkpoints:
            steps = self.checkpoint_steps
            shown = steps if len(steps) <= 6 else [*steps[:2], "...", steps[-1]]
            raise ValueError(f"step must be one of the saved checkpoint steps {shown}, got {step!r}")
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


RunConfig.run_type = Run


def load_or_train(config: RunConfig, progress: bool = True, verbose: bool = True, expected: type | None = None) -> Run:
    """The run for ``config``: from the run cache, or trained now (with a progress bar if
    ``progress``) and saved there.

    ``expected``: the config class the caller needs; anything else is a ``TypeError``.
    """
    expected = expected or RunConfig
    if not isinstance(config, expected):
        raise TypeError(f"config must be a {expected.__name__}, got {type(config).__name__}")

    def build() -> dict:
        metrics, checkpoints = config.train(progress)
        return {"metrics": metrics, "checkpoints": {str(step): w for step, w in checkpoints.items()}}

    record = run_cache.load_or_build(config.kind, config.cache_key(), build, verbose=verbose, validate=config.validate_record)
    saved = dict(sorted((int(step), weights) for step, weights in record["checkpoints"].items()))
    return config.run_type(config, record["metrics"], saved)


def tensors_of(lists: dict[str, list], dtype: torch.dtype = torch.float64) -> dict[str, torch.Tensor]:
    """{name: list of numbers} -> {name: tensor}: how a training loop's records become metrics."""
    return {name: torch.tensor(values, dtype=dtype) for name, values in lists.items()}

