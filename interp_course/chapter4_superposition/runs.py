"""Toy models of superposition (Elhage et al., 2022): configs, training and cached sweeps.

A sweep is many independent toy models ("instances") trained at once in one tensor, each
with its own feature probabilities (1 - sparsity) and importances. The cached sweeps are
trained by the reference training loop, ``solutions.chapter4_superposition.train_toy_model``
(exercise 4.4 asks the learner to write it); editing it retrains them.

Example::

    from interp_course.chapter4_superposition import runs as sp
    sweep = sp.load_or_train(sp.FIVE_INTO_TWO)
    sweep.W          # [instances, n_hidden, n_features]
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from solutions.chapter4_superposition import train_toy_model

from ..core.cpu import flush_denormals
from ..core.runs import Run, RunConfig, TrainedRecord, load_or_train  # noqa: F401  (load_or_train: for the notebooks)
from ..core.training import optimizer_steps_bar
from ..core.validation import require_int, require_positive_float


class ToySweep(Run):
    """A trained sweep: ``W`` [instances, n_hidden, n_features], ``b`` [instances, n_features],
    ``losses`` [n_steps] (summed over instances)."""

    @property
    def W(self) -> torch.Tensor:
        return self.weights["W"]

    @property
    def b(self) -> torch.Tensor:
        return self.weights["b"]

    @property
    def losses(self) -> torch.Tensor:
        return self.metrics["losses"]


@dataclass(frozen=True)
class ToySweepConfig(RunConfig):
    """A set of toy models trained together. Everything here determines the result.

    ``feature_probability`` and ``importance`` are nested tuples
    ``[instances][n_features]`` (tuples so that the config can key the run cache).
    """

    kind = "toy-superposition"
    run_type = ToySweep

    n_features: int
    n_hidden: int
    feature_probability: tuple[tuple[float, ...], ...]
    importance: tuple[tuple[float, ...], ...]
    n_steps: int = 4000
    batch_size: int = 1024
    lr: float = 5e-3
    seed: int = 0

    def __post_init__(self) -> None:
        require_int(self.n_features, "ToySweepConfig.n_features", minimum=1)
        require_int(self.n_hidden, "ToySweepConfig.n_hidden", minimum=1)
        require_int(self.n_steps, "ToySweepConfig.n_steps", minimum=1)
        require_int(self.batch_size, "ToySweepConfig.batch_size", minimum=1)
        require_positive_float(self.lr, "ToySweepConfig.lr")
        for name in ("feature_probability", "importance"):
            rows = getattr(self, name)
            if len(rows) == 0 or any(len(row) != self.n_features for row in rows):
                raise ValueError(
                    f"ToySweepConfig.{name} must have shape [instances, n_features={self.n_features}]"
                )
        if len(self.feature_probability) != len(self.importance):
            raise ValueError(
                "ToySweepConfig.feature_probability and .importance must have the same number "
                f"of instances, got {len(self.feature_probability)} and {len(self.importance)}"
            )
        if any(not 0 < p <= 1 for row in self.feature_probability for p in row):
            raise ValueError("ToySweepConfig.feature_probability must be in (0, 1]")

    @property
    def n_instances(self) -> int:
        return len(self.feature_probability)

    def tensors(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(feature_probability, importance), each [instances, n_features] float."""
        return torch.tensor(self.feature_probability), torch.tensor(self.importance)

    def train(self, progress: bool = True, inputs: tuple = ()) -> TrainedRecord:
        """Train every instance with the reference ``train_toy_model``. Metrics: ``losses``
        [n_steps] (summed over instances); one checkpoint, the final ``W`` and ``b``."""
        W, b = initial_weights(self)
        feature_probability, importance = self.tensors()
        flush_denormals()  # in case something turned it off since the course was imported
        with optimizer_steps_bar(self.n_steps, f"{self.n_instances} toy models at once", progress):
            losses = train_toy_model(
                W, b, feature_probability, importance,
                n_steps=self.n_steps, batch_size=self.batch_size, lr=self.lr, seed=self.seed,
            )
        weights = {"W": W.detach(), "b": b.detach()}
        return TrainedRecord({"losses": torch.tensor(losses, dtype=torch.float64)}, {self.n_steps: weights})




def sparsity_sweep(
    n_features: int,
    n_hidden: int,
    sparsities: tuple[float, ...],
    importance_decay: float = 1.0,
    **training,
) -> ToySweepConfig:
    """One instance per sparsity S (features present with probability 1 - S); feature i has
    importance ``importance_decay ** i`` in every instance."""
    probability = tuple(tuple([round(1 - s, 10)] * n_features) for s in sparsities)
    importance = tuple(tuple(importance_decay**i for i in range(n_features)) for _ in sparsities)
    return ToySweepConfig(n_features, n_hidden, probability, importance, **training)


def initial_weights(config: ToySweepConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """W [instances, n_hidden, n_features] (Xavier-normal, seeded) and b [instances, n_features]
    (zeros), as leaf tensors that require gradients."""
    generator = torch.Generator().manual_seed(config.seed)
    std = (2 / (config.n_hidden + config.n_features)) ** 0.5
    shape = (config.n_instances, config.n_hidden, config.n_features)
    W = (torch.randn(shape, generator=generator) * std).requires_grad_(True)
    b = torch.zeros(config.n_instances, config.n_features, requires_grad=True)
    return W, b


def importance_sparsity_grid(
    n_features: int,
    n_hidden: int,
    sparsities: tuple[float, ...],
    importance_decays: tuple[float, ...],
    **training,
) -> ToySweepConfig:
    """One instance per (decay, sparsity) pair, in the order ``for decay: for sparsity:``;
    feature i has importance ``decay ** i``."""
    probability, importance = [], []
    for decay in importance_decays:
        for s in sparsities:
            probability.append(tuple([round(1 - s, 10)] * n_features))
            importance.append(tuple(decay**i for i in range(n_features)))
    return ToySweepConfig(n_features, n_hidden, tuple(probability), tuple(importance), **training)


def extra_feature_grid(
    relative_importances: tuple[float, ...], sparsities: tuple[float, ...], copies: int = 1, **training
) -> ToySweepConfig:
    """The phase-diagram sweep: 2 features into 1 dimension. Feature 0 has importance 1, the
    extra feature 1 has the relative importance; both have the same sparsity. Each setting
    is trained ``copies`` times from different initialisations (this small landscape has
    local minima); instances are ordered ``for importance: for sparsity: for copy:``."""
    probability, importance = [], []
    for r in relative_importances:
        for s in sparsities:
            probability.extend([(round(1 - s, 10),) * 2] * copies)
            importance.extend([(1.0, r)] * copies)
    return ToySweepConfig(2, 1, tuple(probability), tuple(importance), **training)


# The sweeps of chapter 4.
FIVE_INTO_TWO_SPARSITIES = (0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.99)
FIVE_INTO_TWO_DECAYS = (0.9, 0.7, 1.0)
FIVE_INTO_TWO = importance_sparsity_grid(5, 2, FIVE_INTO_TWO_SPARSITIES, FIVE_INTO_TWO_DECAYS)
"""5 features into 2 dimensions, for every sparsity and importance decay of the grid."""

TWENTY_INTO_FIVE_SPARSITIES = (0.0, 0.7, 0.9, 0.97, 0.99, 0.997)
TWENTY_INTO_FIVE = sparsity_sweep(20, 5, TWENTY_INTO_FIVE_SPARSITIES, importance_decay=0.8)
"""20 features into 5 dimensions, importance 0.8^i, across sparsities."""

PHASE_IMPORTANCES = tuple(round(10 ** (k / 4 - 1), 4) for k in range(9))  # 0.1 .. 10
PHASE_SPARSITIES = tuple(round(1 - 10 ** (-k / 4), 4) for k in range(9))  # 1/(1-S) = 1 .. 100
PHASE_COPIES = 4
PHASE_DIAGRAM = extra_feature_grid(
    PHASE_IMPORTANCES, PHASE_SPARSITIES, copies=PHASE_COPIES, n_steps=3000, batch_size=512
)
"""2 features into 1 dimension over a grid of relative importance and sparsity, each setting
trained from PHASE_COPIES initialisations."""

DIMENSIONALITY_SPARSITIES = tuple(round(1 - 10 ** (-k / 4), 4) for k in range(10))  # 1/(1-S) = 1 .. 178
DIMENSIONALITY_SWEEP = sparsity_sweep(
    50, 10, DIMENSIONALITY_SPARSITIES, importance_decay=1.0, n_steps=3000, batch_size=512
)
"""50 equally important features into 10 dimensions across sparsities, for the geometry."""
