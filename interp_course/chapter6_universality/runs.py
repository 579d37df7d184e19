"""Chapter 6's runs: batches of grokking runs, trained together with a stacked model.

A batch is K runs of modular addition at one prime that differ only in their seed: run k has
its own initialisation (``HookedTransformer(cfg, seed=seeds[k])``) and its own train/test split
(``train_test_split(p * p, train_fraction, seeds[k])``). They are trained at once by
:func:`~interp_course.core.training.train_stacked_full_batch` with the reference
``batched_training_step`` of ``solutions/chapter6_universality.py``, and cached as one file.

The model is smaller than chapter 1's (d_model 64, 4 heads of 16, d_mlp 256) and the primes
are small (23 to 37), so that the chapter's 28 runs train in a few minutes on a laptop.

Example::

    from interp_course.chapter6_universality import runs as universality
    batch = universality.load_or_train(universality.SEEDS)
    batch.n_runs                           # 8
    batch.metrics["test_accuracy"]         # [8, n_evals]
    batch.grid_logits(batch.final_step)    # [8, p * p, p], every input of every run
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from solutions.chapter1_grokking import all_pairs, train_test_split
from solutions.chapter6_universality import batched_training_step

from ..core import run_cache
from ..core.runs import Run, RunConfig, TrainedRecord, load_or_train  # noqa: F401  (load_or_train: for the notebooks)
from ..core.splits import TrainTestSets
from ..core.stacked import StackedTransformer
from ..core.training import TrainingConfig, replace_with_training, train_stacked_full_batch
from ..core.transformer import HookedTransformer, TransformerConfig
from ..core.validation import require_fraction, require_int, require_prime


class BatchRun(Run):
    """A trained batch, as loaded from the run cache.

    metrics: ``step`` [n] and ``eval_step`` [m] shared by the runs; ``train_loss``,
    ``train_accuracy`` [K, n]; ``test_loss``, ``test_accuracy`` [K, m].
    checkpoints: {step: {weight name: [K, *shape]}}.
    """

    config: BatchConfig

    @property
    def n_runs(self) -> int:
        return self.config.n_runs

    def model_at(self, step: int) -> StackedTransformer:
        """The stacked model (in eval mode) holding every run's weights after ``step`` steps."""
        self.require_step(step)
        model = self.config.build_model()
        model.load_stacked_state_dict(self.checkpoints[step])
        return model.eval()

    def member_model(self, run: int, step: int | None = None) -> HookedTransformer:
        """Run ``run`` as a HookedTransformer (at ``step``, default the end), for chapter 2's
        tools. With uniform attention its own attention is not frozen: use :meth:`grid_logits`."""
        step = self.final_step if step is None else step
        model = HookedTransformer(self.config.model_config())
        model.load_state_dict({name: w[run] for name, w in self.model_at(step).stacked_state_dict().items()})
        return model.eval()

    @torch.no_grad()
    def grid_logits(self, step: int) -> torch.Tensor:
        """Every run's logits on every input at ``step``: [K, p * p, p] float64."""
        computed = self.__dict__.setdefault("_grid_logits", {})  # the analysis asks for each step several times
        if step not in computed:
            tokens = self.data.tokens.expand(self.n_runs, -1, -1)  # [K, p * p, 3]
            computed[step] = self.model_at(step)(tokens).to(torch.float64)
        return computed[step].clone()


@dataclass(frozen=True)
class BatchConfig(RunConfig):
    """K grokking runs at one prime, one per seed, trained together; the cache key."""

    kind = "grokking-batch"
    run_type = BatchRun

    p: int = 31
    train_fraction: float = 0.6
    seeds: tuple[int, ...] = tuple(range(8))
    d_model: int = 64
    n_heads: int = 4
    d_head: int = 16
    d_mlp: int = 256
    uniform_attention: bool = False
    training: TrainingConfig = field(
        default_factory=lambda: TrainingConfig(n_steps=2000, lr=5e-3, weight_decay=1.0, eval_every=10, checkpoint_every=100)
    )

    def __post_init__(self) -> None:
        require_prime(self.p, "BatchConfig.p")
        require_fraction(self.train_fraction, "BatchConfig.train_fraction")
        if not isinstance(self.seeds, tuple) or not self.seeds:
            raise ValueError(f"BatchConfig.seeds must be a non-empty tuple of ints, got {self.seeds!r}")
        for seed in self.seeds:
            require_int(seed, "BatchConfig.seeds[...]")
        if len(set(self.seeds)) != len(self.seeds):
            raise ValueError(f"BatchConfig.seeds must be distinct, got {self.seeds}")
        if not isinstance(self.training, TrainingConfig):
            raise TypeError(f"BatchConfig.training must be a TrainingConfig, got {type(self.training).__name__}")

    @property
    def n_runs(self) -> int:
        return len(self.seeds)

    def model_config(self) -> TransformerConfig:
        return TransformerConfig(
            d_vocab=self.p + 1, d_vocab_out=self.p, n_ctx=3, d_model=self.d_model, n_layers=1,
            n_heads=self.n_heads, d_head=self.d_head, d_mlp=self.d_mlp, act_fn="relu",
        )

    def build_model(self) -> StackedTransformer:
        return StackedTransformer(self.model_config(), list(self.seeds), uniform_attention=self.uniform_attention)

    def data(self) -> "BatchData":
        return BatchData.build(self.p, self.train_fraction, self.seeds)

    def describe(self) -> str:
        attention = "uniform attention" if self.uniform_attention else "attention"
        return f"p={self.p}, {self.n_runs} seeds, {attention}"

    def train(self, progress: bool = True, inputs: tuple = ()) -> TrainedRecord:
        data = self.data()
        return train_stacked_full_batch(
            self.build_model(), data.train_tokens, data.train_labels, data.test_tokens, data.test_labels,
            self.training, batched_training_step, progress=progress, description=self.describe(),
        )

    def expected_shapes(self) -> dict[str, tuple[int, ...]]:
        """Every checkpoint holds [K, *shape] for each weight of the runs' model."""
        member = HookedTransformer(self.model_config()).state_dict()
        return {name: (self.n_runs, *t.shape) for name, t in member.items()}

    def validate_record(self, record: dict) -> None:
        """The cached payload's schema (:meth:`RunConfig.validate_record`), and metrics with a
        run dimension."""
        super().validate_record(record)
        for name in ("train_loss", "test_accuracy"):
            metric = record["metrics"].get(name)
            if metric is None or metric.ndim != 2 or metric.shape[0] != self.n_runs:
                raise run_cache.InvalidRunFile(f"its metric {name} is not [{self.n_runs}, n]")

    def replace(self, **changes) -> "BatchConfig":
        """A copy with some fields changed; training fields may be given directly."""
        return replace_with_training(self, **changes)


@dataclass(frozen=True)
class BatchData(TrainTestSets):
    """Every input of modular addition at ``p`` and one train/test split per seed.

    tokens [p * p, 3], labels [p * p] (row a * p + b is the input (a, b));
    train_indices [K, n_train], test_indices [K, n_test].
    """

    p: int
    tokens: torch.Tensor
    labels: torch.Tensor
    train_indices: torch.Tensor
    test_indices: torch.Tensor

    @classmethod
    def build(cls, p: int, train_fraction: float, seeds: tuple[int, ...]) -> "BatchData":
        tokens, labels = all_pairs(p)
        splits = [train_test_split(p * p, train_fraction, seed) for seed in seeds]
        return cls(p, tokens, labels, torch.stack([s[0] for s in splits]), torch.stack([s[1] for s in splits]))


SEEDS = BatchConfig()
"""Eight seeds at p = 31: the robustness and universality study."""

UNIFORM_ATTENTION = SEEDS.replace(uniform_attention=True)
"""The same eight seeds with attention frozen to uniform: the clock-and-pizza extension."""

PRIMES = {23: SEEDS.replace(p=23, seeds=(0, 1, 2, 3)), 29: SEEDS.replace(p=29, seeds=(0, 1, 2, 3)),
          31: SEEDS, 37: SEEDS.replace(p=37, seeds=(0, 1, 2, 3))}
"""{p: batch}: four seeds at each of three more primes, and the eight of :data:`SEEDS` at 31."""

