"""Induction heads (Olsson et al., 2022): synthetic data that rewards induction, a two-layer
attention-only transformer trained on it from scratch, and cached runs.

The data are random tokens in which one segment, of random length, is repeated later at a
random offset. Tokens that are copies can be predicted, but only by finding the earlier
occurrence of the current token and copying what came after it: induction. Lengths and
offsets vary, so position alone cannot solve it. Evaluation uses repeated random tokens
(a whole random sequence, then the same sequence again), whose segment length and offset
are longer than any seen in training.

Shapes: tokens [batch, pos] long; predictable [batch, pos] bool (True where the token at that
position can be predicted by induction from the tokens before it).

Chapter 5 trains CANONICAL. With it (seed 0) the model forms a previous-token head in layer 0
and induction heads in layer 1 in a phase change around step 1,550 (about 21 ms a step on
a 2-core CPU). Formation is sensitive to the optimiser: with lr 1e-3 or 3e-3, or with weight
decay 0.1, it had not formed by step 2,500; the model settles on a positional look-back.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from tqdm.auto import tqdm

from solutions.chapter5_induction import repeated_tokens

from ..core import runs
from ..core.losses import next_token_losses
from ..core.runs import Run, RunConfig, TrainedRecord, snapshot, tensors_of
from ..core.transformer import HookedTransformer, TransformerConfig
from ..core.validation import require_int, require_positive_float


@dataclass(frozen=True)
class InductionConfig(RunConfig):
    """Data, model and training of the induction-head run; the run cache is keyed by it."""

    kind = "induction"

    d_vocab: int = 64
    n_ctx: int = 48
    d_model: int = 64
    n_heads: int = 4
    d_head: int = 16
    min_segment: int = 8
    max_segment: int = 16
    max_gap: int = 7  # copy starts 0..max_gap tokens after the source segment ends
    n_steps: int = 2500
    batch_size: int = 64
    lr: float = 1e-2
    weight_decay: float = 0.01
    eval_every: int = 50
    checkpoint_every: int = 100
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("d_vocab", "n_ctx", "d_model", "n_heads", "d_head", "min_segment", "n_steps",
                     "batch_size", "eval_every", "checkpoint_every"):
            require_int(getattr(self, name), f"InductionConfig.{name}", minimum=1)
        require_int(self.max_gap, "InductionConfig.max_gap", minimum=0)
        require_positive_float(self.lr, "InductionConfig.lr")
        if not self.min_segment <= self.max_segment:
            raise ValueError(
                f"InductionConfig.min_segment ({self.min_segment}) must be <= max_segment ({self.max_segment})"
            )
        if 2 * self.max_segment + self.max_gap > self.n_ctx:
            raise ValueError(
                f"InductionConfig: a segment, its gap and its copy (2 * max_segment + max_gap = "
                f"{2 * self.max_segment + self.max_gap}) must fit in n_ctx = {self.n_ctx}"
            )

    def model_config(self) -> TransformerConfig:
        return TransformerConfig(
            d_vocab=self.d_vocab, n_ctx=self.n_ctx, d_model=self.d_model, n_layers=2,
            n_heads=self.n_heads, d_head=self.d_head, attn_only=True,
        )

    def build_model(self) -> HookedTransformer:
        return HookedTransformer(self.model_config(), seed=self.seed)

    def trained_by(self) -> tuple:
        return (repeated_segment_batch, repeated_tokens, next_token_losses, HookedTransformer)

    def train(self, progress: bool = True) -> TrainedRecord:
        """Train the two-layer attention-only model with minibatch AdamW on fresh batches.

        Metrics: ``step`` [n], ``loss`` [n] (all positions), ``loss_predictable`` [n] and
        ``loss_other`` [n] (positions a copy makes predictable, and the rest); ``eval_step``
        [m] and ``eval_loss_repeated`` [m] (second half of repeated random tokens, seq_len
        n_ctx // 2).
        """
        generator = torch.Generator().manual_seed(self.seed)
        eval_tokens = repeated_tokens(200, self.n_ctx // 2, self.d_vocab, torch.Generator().manual_seed(self.seed + 1))
        model = self.build_model()
        optimizer = torch.optim.AdamW(model.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        record = {k: [] for k in ("loss", "loss_predictable", "loss_other", "eval_loss_repeated")}
        eval_step = []
        saved = {0: snapshot(model)}
        half = self.n_ctx // 2
        for step in tqdm(range(self.n_steps), desc="induction model", disable=not progress, mininterval=0.5):
            tokens, predictable = repeated_segment_batch(self.batch_size, self, generator)
            losses = next_token_losses(model(tokens), tokens)  # [batch, pos - 1]
            loss = losses.mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            mask = predictable[:, 1:]
            record["loss"].append(loss.item())
            record["loss_predictable"].append(losses[mask].mean().item())
            record["loss_other"].append(losses[~mask].mean().item())
            done = step + 1
            if done % self.eval_every == 0 or done == self.n_steps:
                with torch.no_grad():
                    eval_losses = next_token_losses(model(eval_tokens), eval_tokens)
                eval_step.append(done)
                record["eval_loss_repeated"].append(eval_losses[:, half:].mean().item())
            if done % self.checkpoint_every == 0 or done == self.n_steps:
                saved[done] = snapshot(model)
        metrics = tensors_of(record)
        metrics["eval_step"] = torch.tensor(eval_step)
        metrics["step"] = torch.arange(self.n_steps)
        return TrainedRecord(metrics, saved)


CANONICAL = InductionConfig()


def repeated_segment_batch(
    batch_size: int, config: InductionConfig, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random tokens with one segment repeated later in each sequence.

    Returns:
        tokens: [batch, n_ctx] long.
        predictable: [batch, n_ctx] bool, True at positions t+1 .. t+L-1 of a copy that starts
            at t with length L (the copy's first token follows a random token, so it cannot
            be predicted).
    """
    batch_size = require_int(batch_size, "batch_size", minimum=1)
    B, T = batch_size, config.n_ctx
    tokens = torch.randint(0, config.d_vocab, (B, T), generator=generator)
    length = torch.randint(config.min_segment, config.max_segment + 1, (B,), generator=generator)
    gap = torch.randint(0, config.max_gap + 1, (B,), generator=generator)
    offset = length + gap  # distance from each source token to its copy
    room = T - offset - length + 1  # number of possible source starts
    source = (torch.rand(B, generator=generator) * room).floor().long()
    copy = source + offset
    pos = torch.arange(T)[None, :]  # [1, T]
    in_copy = (pos >= copy[:, None]) & (pos < (copy + length)[:, None])  # [B, T]
    index = torch.where(in_copy, pos - offset[:, None], pos)
    tokens = tokens.gather(1, index)
    predictable = in_copy & (pos > copy[:, None])
    return tokens, predictable


def load_or_train(config: InductionConfig = CANONICAL, progress: bool = True, verbose: bool = True) -> Run:
    """The run for ``config``, from the run cache or trained now (with a progress bar)."""
    return runs.load_or_train(config, progress, verbose, expected=InductionConfig)


VOCABULARY = (
    "Neel", "Nanda", "Chris", "Olah", "Ada", "Lovelace", "Alan", "Turing",
    "the", "a", "of", "and", "to", "in", "is", "was", "for", "on", "with", "as", "by", "at",
    "model", "layer", "head", "token", "circuit", "neuron", "feature", "weight", "loss", "grok",
    "cat", "dog", "tree", "river", "stone", "cloud", "apple", "bread", "music", "poetry",
    "cards", "dice", "red", "blue", "green", "quick", "slow", "big", "small", "new", "old",
    "Paris", "London", "Tokyo", "Mars", "Moon", "Sun", "Eiffel", "Tower", "said", "wrote", ".",
)
"""A name for each of the 64 tokens, so that sequences can be typed as words. The model was
trained on random tokens: the words mean nothing to it, which is the point."""


def encode(text: str) -> torch.Tensor:
    """Words of VOCABULARY separated by spaces -> tokens [1, n_words]."""
    words = text.split()
    unknown = [w for w in words if w not in VOCABULARY]
    if unknown:
        raise ValueError(f"text may only use words of induction.VOCABULARY; unknown: {unknown}")
    return torch.tensor([[VOCABULARY.index(w) for w in words]])
