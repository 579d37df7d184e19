"""Induction heads (Olsson et al., 2022): synthetic text that rewards induction, a two-layer
attention-only transformer trained on it from scratch, and cached runs.

The data are random tokens in which, at every position, with probability
``repeat_probability``, the text starts repeating an earlier stretch of itself: the source is
a uniformly chosen earlier position, the repeat lasts ``min_segment`` to ``max_segment`` tokens,
and a repeat can repeat an earlier repeat, as in real text. A repeated token can be predicted,
but only by finding the earlier occurrence of the current token and copying what came after
it: induction. Sources lie anywhere before the current position, so a head that looks a fixed
distance back cannot solve it. Distances from ``held_out_min`` to ``held_out_max`` are never
used. Evaluation uses repeated random tokens (n_ctx // 2 random tokens, then the same again),
whose length and distance never occur in training.

Shapes: tokens [batch, pos] long; predictable [batch, pos] bool (True where the token at that
position can be predicted by induction from the tokens before it).

Chapter 5 trains CANONICAL (seed 0) and the same recipe with two more seeds (SEEDS). The
recipe was found by measuring: with a vocabulary of 256, two heads per layer and this data,
layer 0 forms one previous-token head and both layer-1 heads become induction heads, in a
phase change about halfway through training (about 16 ms a step on a 2-core CPU). With the
earlier data (one segment repeated at 8 to 23 tokens' distance) the heads matched position
as much as content: induction failed at distances outside that range.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Iterator
from dataclasses import dataclass

import torch

from solutions.chapter5_induction import repeated_tokens

from ..core.losses import next_token_losses
from ..core.runs import RunConfig, TrainedRecord, load_or_train  # noqa: F401  (load_or_train: for the notebooks)
from ..core.training import TrainingConfig, gradient_step, train_loop
from ..core.transformer import HookedTransformer, TransformerConfig
from ..core.validation import require_int, require_positive_float


@dataclass(frozen=True)
class InductionConfig(RunConfig):
    """Data, model and training of an induction-head run; the run cache is keyed by it."""

    kind = "induction"

    d_vocab: int = 256
    n_ctx: int = 48
    d_model: int = 64
    n_heads: int = 2
    d_head: int = 32
    repeat_probability: float = 0.1  # chance, at each position not already repeating, that a repeat starts
    min_segment: int = 2
    max_segment: int = 16
    held_out_min: int = 20  # repeats at distances held_out_min .. held_out_max never occur in training
    held_out_max: int = 28
    n_steps: int = 3000
    batch_size: int = 64
    lr: float = 1e-3
    warmup_steps: int = 100
    weight_decay: float = 0.01
    eval_every: int = 50
    checkpoint_every: int = 100
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("d_vocab", "n_ctx", "d_model", "n_heads", "d_head", "min_segment", "n_steps",
                     "batch_size", "eval_every", "checkpoint_every", "warmup_steps", "held_out_min", "held_out_max"):
            require_int(getattr(self, name), f"InductionConfig.{name}", minimum=1)
        require_int(self.seed, "InductionConfig.seed", minimum=0)
        require_positive_float(self.lr, "InductionConfig.lr")
        require_positive_float(self.weight_decay, "InductionConfig.weight_decay", allow_zero=True)
        require_positive_float(self.repeat_probability, "InductionConfig.repeat_probability")
        if self.repeat_probability > 1:
            raise ValueError(f"InductionConfig.repeat_probability must be at most 1, got {self.repeat_probability}")
        if not self.min_segment <= self.max_segment:
            raise ValueError(
                f"InductionConfig.min_segment ({self.min_segment}) must be <= max_segment ({self.max_segment})"
            )
        if not self.held_out_min <= self.held_out_max:
            raise ValueError(
                f"InductionConfig.held_out_min ({self.held_out_min}) must be <= held_out_max ({self.held_out_max})"
            )
        if self.max_segment >= self.n_ctx // 2:
            raise ValueError(
                f"InductionConfig.max_segment ({self.max_segment}) must be below n_ctx // 2 = {self.n_ctx // 2}, "
                "the length of the evaluation's repeated sequences, so that they test lengths never trained on"
            )

    def model_config(self) -> TransformerConfig:
        return TransformerConfig(
            d_vocab=self.d_vocab, n_ctx=self.n_ctx, d_model=self.d_model, n_layers=2,
            n_heads=self.n_heads, d_head=self.d_head, attn_only=True,
        )

    def build_model(self) -> HookedTransformer:
        return HookedTransformer(self.model_config(), seed=self.seed)

    def training(self) -> TrainingConfig:
        """AdamW with torch's default betas, the learning rate warmed up linearly over
        ``warmup_steps``, then constant."""
        return TrainingConfig(n_steps=self.n_steps, lr=self.lr, weight_decay=self.weight_decay, beta1=0.9,
                              beta2=0.999, warmup_steps=self.warmup_steps, eval_every=self.eval_every,
                              checkpoint_every=self.checkpoint_every)

    def train(self, progress: bool = True, inputs: tuple = ()) -> TrainedRecord:
        """Train the two-layer attention-only model with minibatch AdamW on fresh batches
        (:func:`~interp_course.core.training.train_loop`).

        Metrics: ``step`` [n], ``loss`` [n] (all positions), ``loss_predictable`` [n] and
        ``loss_other`` [n] (positions a repeat makes predictable, and the rest); ``eval_step``
        [m] and ``eval_loss_repeated`` [m] (second half of repeated random tokens, seq_len
        n_ctx // 2).
        """
        generator = torch.Generator().manual_seed(self.seed)
        eval_tokens = repeated_tokens(200, self.n_ctx // 2, self.d_vocab, torch.Generator().manual_seed(self.seed + 1))
        model = self.build_model()
        half = self.n_ctx // 2
        batches = batches_of_text_with_repeats(self.n_steps, self.batch_size, self, generator)

        def step(optimizer: torch.optim.Optimizer) -> dict[str, float]:
            tokens, predictable = next(batches)
            losses = next_token_losses(model(tokens), tokens)  # [batch, pos - 1]
            loss = losses.mean()
            gradient_step(optimizer, loss)
            mask = predictable[:, 1:]
            return {"loss": loss.item(), "loss_predictable": losses[mask].mean().item(),
                    "loss_other": losses[~mask].mean().item()}

        @torch.no_grad()
        def evaluate() -> dict[str, float]:
            eval_losses = next_token_losses(model(eval_tokens), eval_tokens)
            return {"eval_loss_repeated": eval_losses[:, half:].mean().item()}

        return train_loop(model, self.training(), step, evaluate, progress=progress,
                          description=f"induction model, seed {self.seed}")


CANONICAL = InductionConfig()

SEEDS = {seed: dataclasses.replace(CANONICAL, seed=seed) for seed in (0, 1, 2)}
"""The same recipe with three seeds (model initialisation and data): {seed: config}."""


def text_with_repeats(
    batch_size: int, config: InductionConfig, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random tokens that now and then repeat an earlier stretch of themselves.

    At each position not already inside a repeat, a repeat starts with probability
    ``config.repeat_probability``: its distance d is drawn uniformly from 1 .. position
    (a draw in held_out_min .. held_out_max starts no repeat), its length from min_segment ..
    max_segment, and for that many positions (or up to the end) each token equals the token d
    positions before it.

    Returns:
        tokens: [batch, n_ctx] long.
        predictable: [batch, n_ctx] bool, True inside a repeat except at its first position
            (the token before a repeat's first token is not followed by it earlier, so the
            first token cannot be predicted).
    """
    batch_size = require_int(batch_size, "batch_size", minimum=1)
    return _repeat(*_draw(batch_size, config, generator), config)


def batches_of_text_with_repeats(
    n_batches: int, batch_size: int, config: InductionConfig, generator: torch.Generator, chunk: int = 100
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """The batches that ``n_batches`` calls of :func:`text_with_repeats` would give, the same to
    the last token: each batch's random numbers are drawn in the same order from ``generator``,
    but the repeats of ``chunk`` batches are then made in one pass (a loop over positions costs
    the same for 64 rows as for 6,400). Yields (tokens [batch_size, n_ctx], predictable).
    """
    n_batches = require_int(n_batches, "n_batches", minimum=0)
    batch_size = require_int(batch_size, "batch_size", minimum=1)
    for first in range(0, n_batches, chunk):
        draws = [_draw(batch_size, config, generator) for _ in range(min(chunk, n_batches - first))]
        tokens, predictable = _repeat(*(torch.cat(parts) for parts in zip(*draws)), config)
        yield from zip(tokens.split(batch_size), predictable.split(batch_size))


def _draw(batch_size: int, config: InductionConfig, generator: torch.Generator) -> tuple[torch.Tensor, ...]:
    """The random numbers of one batch of :func:`text_with_repeats`, each [batch_size, n_ctx]:
    tokens, where repeats start, the draws of their distances, their lengths."""
    B, T = batch_size, config.n_ctx
    tokens = torch.randint(0, config.d_vocab, (B, T), generator=generator)
    starts = torch.rand(B, T, generator=generator) < config.repeat_probability
    draws = torch.rand(B, T, generator=generator)
    lengths = torch.randint(config.min_segment, config.max_segment + 1, (B, T), generator=generator)
    return tokens, starts, draws, lengths


def _repeat(tokens: torch.Tensor, starts: torch.Tensor, draws: torch.Tensor, lengths: torch.Tensor,
            config: InductionConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """Make the repeats that the draws describe, row by row (see :func:`text_with_repeats`).
    Every argument [rows, n_ctx]; returns (tokens, predictable), both [rows, n_ctx]."""
    B, T = tokens.shape
    tokens = tokens.clone()
    predictable = torch.zeros(B, T, dtype=torch.bool)
    remaining = torch.zeros(B, dtype=torch.long)  # tokens left in the current repeat
    distance = torch.ones(B, dtype=torch.long)
    rows = torch.arange(B)
    for t in range(1, T):
        continuing = remaining > 0
        new_distance = (draws[:, t] * t).long() + 1  # uniform in 1 .. t
        held_out = (new_distance >= config.held_out_min) & (new_distance <= config.held_out_max)
        start = ~continuing & starts[:, t] & ~held_out
        distance = torch.where(start, new_distance, distance)
        remaining = torch.where(start, lengths[:, t], remaining)
        repeating = remaining > 0
        tokens[:, t] = torch.where(repeating, tokens[rows, (t - distance).clamp(min=0)], tokens[:, t])
        predictable[:, t] = continuing
        remaining = (remaining - 1).clamp(min=0)
    return tokens, predictable


NAMED_WORDS = (
    "Neel", "Nanda", "Chris", "Olah", "Ada", "Lovelace", "Alan", "Turing",
    "the", "a", "of", "and", "to", "in", "is", "was", "for", "on", "with", "as", "by", "at",
    "model", "layer", "head", "token", "circuit", "neuron", "feature", "weight", "loss", "grok",
    "cat", "dog", "tree", "river", "stone", "cloud", "apple", "bread", "music", "poetry",
    "cards", "dice", "red", "blue", "green", "quick", "slow", "big", "small", "new", "old",
    "Paris", "London", "Tokyo", "Mars", "Moon", "Sun", "Eiffel", "Tower", "said", "wrote", ".",
)


def _vocabulary(size: int) -> tuple[str, ...]:
    """NAMED_WORDS, then made-up syllables (bab, bad, ...) up to ``size`` names."""
    syllables = ("".join(letters) for letters in itertools.product("bdfgklmnprstvz", "aeiou", "bdfgklmnprstvz"))
    made_up = (word for word in syllables if word not in NAMED_WORDS)
    return NAMED_WORDS + tuple(itertools.islice(made_up, size - len(NAMED_WORDS)))


VOCABULARY = _vocabulary(CANONICAL.d_vocab)
"""A name for each of the 256 tokens, so that sequences can be typed as words: 64 real words,
then made-up syllables. The model was trained on random tokens: the words mean nothing to it,
which is the point."""


def encode(text: str) -> torch.Tensor:
    """Words of VOCABULARY separated by spaces -> tokens [1, n_words]."""
    words = text.split()
    unknown = [w for w in words if w not in VOCABULARY]
    if unknown:
        raise ValueError(f"text may only use words of induction.VOCABULARY; unknown: {unknown}")
    return torch.tensor([[VOCABULARY.index(w) for w in words]])
