"""The grokking experiment: modular addition data, the run config, and cached runs.

Chapter 1 trains the canonical run; chapters 2 and 3 load it from the run cache (training it
on the spot, with a progress bar, only if it is not there). Every run here is trained with the
reference solutions of chapter 1 (``solutions/chapter1_grokking.py``): the data from
``all_pairs`` and ``train_test_split``, each update by ``training_step``. Editing one of them
retrains the runs instead of loading stale ones (the cache key fingerprints this module and
every module of the course it imports, see ``interp_course/core/fingerprint.py``).

Example::

    from interp_course.chapter1_grokking import runs as grokking
    run = grokking.load_or_train(grokking.CANONICAL)   # core.runs.load_or_train
    run.model                 # the final HookedTransformer
    run.metrics["test_accuracy"], run.metrics["eval_step"]
    run.model_at(500)         # the weights after 500 steps
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch

from solutions.chapter1_grokking import all_pairs, train_test_split, training_step

from ..core.runs import RunConfig, TrainedRecord, load_or_train  # noqa: F401  (load_or_train: for the notebooks)
from ..core.splits import TrainTestSets
from ..core.training import TrainingConfig, replace_with_training, train_full_batch
from ..core.transformer import HookedTransformer, TransformerConfig
from ..core.validation import require_fraction, require_int, require_prime


@dataclass(frozen=True)
class ModularAdditionData(TrainTestSets):
    """All p² problems ``[a, b, =] -> (a + b) mod p`` and a seeded train/test split.

    tokens [p*p, 3], labels [p*p]; train_indices [n_train], test_indices [n_test].
    """

    p: int
    train_fraction: float
    seed: int
    tokens: torch.Tensor
    labels: torch.Tensor
    train_indices: torch.Tensor
    test_indices: torch.Tensor

    @classmethod
    def build(cls, p: int, train_fraction: float, seed: int) -> "ModularAdditionData":
        tokens, labels = all_pairs(p)
        train_indices, test_indices = train_test_split(len(labels), train_fraction, seed)
        return cls(p, train_fraction, seed, tokens, labels, train_indices, test_indices)


@dataclass(frozen=True)
class GrokkingConfig(RunConfig):
    """Everything that determines a grokking run; the run cache is keyed by it.

    The defaults are the canonical run of the course: the architecture of Nanda et al. (2023)
    (one layer, d_model 128, 4 heads of 32, d_mlp 512, ReLU, no LayerNorm) on p = 113 with
    30% of the pairs for training, trained with full-batch AdamW, weight decay 1.0 and a
    learning rate of 5e-3 (the paper used 1e-3 and 40,000 steps; 5e-3 groks in under a
    thousand, while memorisation still comes more than ten times earlier).
    """

    kind = "grokking"

    p: int = 113
    train_fraction: float = 0.3
    data_seed: int = 0
    model_seed: int = 0
    d_model: int = 128
    n_heads: int = 4
    d_head: int = 32
    d_mlp: int = 512
    training: TrainingConfig = field(
        default_factory=lambda: TrainingConfig(
            n_steps=1500, lr=5e-3, weight_decay=1.0, eval_every=10, checkpoint_every=50
        )
    )

    def __post_init__(self) -> None:
        require_prime(self.p, "GrokkingConfig.p")
        require_fraction(self.train_fraction, "GrokkingConfig.train_fraction")
        n_pairs = self.p * self.p
        n_train = round(self.train_fraction * n_pairs)
        if not 0 < n_train < n_pairs:
            raise ValueError(
                f"GrokkingConfig.train_fraction = {self.train_fraction} of the {n_pairs} pairs for "
                f"p = {self.p} gives {n_train} training and {n_pairs - n_train} test pairs; "
                "both sets must be non-empty"
            )
        require_int(self.data_seed, "GrokkingConfig.data_seed")
        require_int(self.model_seed, "GrokkingConfig.model_seed")
        if not isinstance(self.training, TrainingConfig):
            raise TypeError(
                f"GrokkingConfig.training must be a TrainingConfig, got {type(self.training).__name__}"
            )

    def model_config(self) -> TransformerConfig:
        """Tokens 0..p-1 are numbers and token p is "="; the answer is one of p numbers."""
        return TransformerConfig(
            d_vocab=self.p + 1,
            d_vocab_out=self.p,
            n_ctx=3,
            d_model=self.d_model,
            n_layers=1,
            n_heads=self.n_heads,
            d_head=self.d_head,
            d_mlp=self.d_mlp,
            act_fn="relu",
        )

    def data(self) -> ModularAdditionData:
        return ModularAdditionData.build(self.p, self.train_fraction, self.data_seed)

    def build_model(self) -> HookedTransformer:
        return HookedTransformer(self.model_config(), seed=self.model_seed)

    def train(self, progress: bool = True, inputs: tuple = ()) -> TrainedRecord:
        """Train the run from scratch (no cache) with the reference ``training_step``."""
        data = self.data()
        description = f"p={self.p}, {self.train_fraction:.0%} train, wd={self.training.weight_decay:g}"
        return train_full_batch(
            self.build_model(),
            data.train_tokens,
            data.train_labels,
            data.test_tokens,
            data.test_labels,
            self.training,
            training_step,
            progress=progress,
            description=description,
        )

    def replace(self, **changes) -> "GrokkingConfig":
        """A copy with some fields changed; training fields may be given directly
        (``config.replace(weight_decay=0.0)``)."""
        return replace_with_training(self, **changes)


CANONICAL = GrokkingConfig()
"""The run chapters 1-3 study."""

NO_WEIGHT_DECAY = CANONICAL.replace(weight_decay=0.0)
"""The control: the same run without weight decay. It memorises and does not grok."""

OTHER_SEED = CANONICAL.replace(model_seed=1, data_seed=1)
"""Chapter 2's universality check: the canonical run with another initialisation and another
train/test split."""

TRAIN_FRACTIONS = (0.3, 0.4, 0.5, 0.6, 0.7)
"""The fractions of chapter 1's train-fraction experiment."""


def train_fraction_config(train_fraction: float) -> GrokkingConfig:
    """The canonical run with another train fraction, stopped once test accuracy reaches 99%
    (the canonical fraction itself gives the canonical run)."""
    if train_fraction == CANONICAL.train_fraction:
        return CANONICAL
    return CANONICAL.replace(train_fraction=train_fraction, stop_at_test_accuracy=0.99)

