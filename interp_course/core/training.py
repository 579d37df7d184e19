"""Full-batch training on a final-position loss, as in the grokking experiments.

The loop reads top to bottom: build the optimiser and the warm-up schedule, then for each step
take one gradient step on the whole training set with the ``training_step`` it is given
(chapter 1's exercise 1.4; the course's cached runs pass the reference solution), every
``eval_every`` steps measure the test set, and at the chosen steps keep a copy of the weights.
The trainer never imports an exercise's solution: the caller passes it in.

Speed: only the final position's prediction enters the loss, so the model is run with
``final_position_only=True``, which skips the last layer's queries, MLP and unembedding at the
other positions. ``benchmarks/grokking_run.py`` measures what that saves.
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass
from typing import Callable, Iterator

import torch
from torch.optim.optimizer import register_optimizer_step_post_hook
from tqdm.auto import tqdm

from .cpu import flush_denormals
from .losses import loss_and_accuracy
from .runs import TrainedRecord, snapshot
from .validation import require_int, require_number, require_positive_float, require_tensor


@dataclass(frozen=True)
class TrainingConfig:
    """Optimiser and schedule for full-batch AdamW training.

    ``stop_at_test_accuracy``: stop at the first evaluation whose test accuracy is at least
    this (None: always run ``n_steps``).
    """

    n_steps: int
    lr: float = 1e-3
    weight_decay: float = 1.0
    beta1: float = 0.9
    beta2: float = 0.98
    warmup_steps: int = 10
    eval_every: int = 10
    checkpoint_every: int = 100
    stop_at_test_accuracy: float | None = None

    def __post_init__(self) -> None:
        require_int(self.n_steps, "TrainingConfig.n_steps", minimum=1)
        require_positive_float(self.lr, "TrainingConfig.lr")
        require_positive_float(self.weight_decay, "TrainingConfig.weight_decay", allow_zero=True)
        for name in ("beta1", "beta2"):
            require_number(getattr(self, name), f"TrainingConfig.{name}", low=0, high=1, high_open=True)
        require_int(self.warmup_steps, "TrainingConfig.warmup_steps", minimum=0)
        require_int(self.eval_every, "TrainingConfig.eval_every", minimum=1)
        require_int(self.checkpoint_every, "TrainingConfig.checkpoint_every", minimum=1)
        if self.stop_at_test_accuracy is not None:
            require_number(self.stop_at_test_accuracy, "TrainingConfig.stop_at_test_accuracy",
                           low=0, high=1, low_open=True)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


def replace_with_training(config, **changes):
    """A copy of a frozen run config (one with a ``training: TrainingConfig`` field) with some
    fields changed; fields of its TrainingConfig may be given directly
    (``replace_with_training(config, weight_decay=0.0)``)."""
    training_fields = {f.name for f in dataclasses.fields(TrainingConfig)}
    training_changes = {k: changes.pop(k) for k in list(changes) if k in training_fields}
    if training_changes:
        changes["training"] = dataclasses.replace(config.training, **training_changes)
    return dataclasses.replace(config, **changes)


def adamw_with_warmup(model: torch.nn.Module, config: TrainingConfig) -> tuple[torch.optim.AdamW, torch.optim.lr_scheduler.LambdaLR]:
    """AdamW over the model's parameters with ``config``'s settings, and a schedule that warms
    the learning rate up linearly over ``config.warmup_steps`` steps (step it after each update)."""
    optimizer = torch.optim.AdamW(
        model.parameters(),
        lr=config.lr,
        weight_decay=config.weight_decay,
        betas=(config.beta1, config.beta2),
        fused=True,  # one kernel for the whole update: fewer, larger operations than a loop over weights
    )
    warmup = max(config.warmup_steps, 1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min((step + 1) / warmup, 1.0))
    return optimizer, scheduler


@torch.no_grad()
def evaluate(model: torch.nn.Module, tokens: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    """(loss, accuracy) of the final-position prediction on a whole set, as floats.

    tokens: [batch, pos] long; labels: [batch] long.
    """
    logits = model(tokens, final_position_only=True)  # [batch, 1, d_vocab_out]
    return loss_and_accuracy(logits[:, -1], labels)


def train_full_batch(
    model: torch.nn.Module,
    train_tokens: torch.Tensor,
    train_labels: torch.Tensor,
    test_tokens: torch.Tensor,
    test_labels: torch.Tensor,
    config: TrainingConfig,
    training_step: Callable,
    progress: bool = True,
    description: str = "training",
) -> TrainedRecord:
    """Train ``model`` in place with full-batch AdamW; return the record of the run.

    Args:
        train_tokens: [n_train, pos] long; train_labels: [n_train] long.
        test_tokens: [n_test, pos] long; test_labels: [n_test] long.
        training_step: ``training_step(model, optimizer, tokens, labels) -> (loss, accuracy)``,
            one full-batch update returning the batch's loss and accuracy before it.

    Returns a :class:`~interp_course.core.runs.TrainedRecord`: metrics
        ``step`` [n] (0 .. last step taken), ``train_loss`` [n], ``train_accuracy`` [n]
        (measured on the batch before each update);
        ``eval_step`` [m], ``test_loss`` [m], ``test_accuracy`` [m] (every ``eval_every``
        steps, and after the last update);
        and checkpoints {step: state_dict} at step 0, every ``checkpoint_every`` steps
        and after the last update.
    """
    if not isinstance(config, TrainingConfig):
        raise TypeError(f"config must be a TrainingConfig, got {type(config).__name__}")
    if not callable(training_step):
        raise TypeError(f"training_step must be a function, got {type(training_step).__name__}")
    require_tensor(train_tokens, "train_tokens", ndim=2, dtype_kind="int")
    require_tensor(train_labels, "train_labels", shape=(train_tokens.shape[0],), dtype_kind="int")
    require_tensor(test_tokens, "test_tokens", ndim=2, dtype_kind="int")
    require_tensor(test_labels, "test_labels", shape=(test_tokens.shape[0],), dtype_kind="int")

    optimizer, scheduler = adamw_with_warmup(model, config)

    train_loss, train_accuracy = [], []
    eval_step, test_loss, test_accuracy = [], [], []
    checkpoints = {0: snapshot(model)}

    flush_denormals()  # in case something turned it off since the course was imported
    bar = tqdm(range(config.n_steps), desc=description, disable=not progress, mininterval=0.5)
    for step in bar:
        loss, accuracy = training_step(model, optimizer, train_tokens, train_labels)
        scheduler.step()
        train_loss.append(loss)
        train_accuracy.append(accuracy)
        steps_done = step + 1
        last = steps_done == config.n_steps
        if steps_done % config.eval_every == 0 or last:
            loss_t, accuracy_t = evaluate(model, test_tokens, test_labels)
            eval_step.append(steps_done)
            test_loss.append(loss_t)
            test_accuracy.append(accuracy_t)
            bar.set_postfix(train_loss=f"{loss:.2e}", test_acc=f"{accuracy_t:.3f}", refresh=False)
            stop = (
                config.stop_at_test_accuracy is not None
                and accuracy_t >= config.stop_at_test_accuracy
            )
            if stop:
                last = True
        if steps_done % config.checkpoint_every == 0 or last:
            checkpoints[steps_done] = snapshot(model)
        if last:
            break
    bar.close()

    metrics = {
        "step": torch.arange(len(train_loss)),
        "train_loss": torch.tensor(train_loss, dtype=torch.float64),
        "train_accuracy": torch.tensor(train_accuracy, dtype=torch.float64),
        "eval_step": torch.tensor(eval_step),
        "test_loss": torch.tensor(test_loss, dtype=torch.float64),
        "test_accuracy": torch.tensor(test_accuracy, dtype=torch.float64),
    }
    return TrainedRecord(metrics, checkpoints)


@contextlib.contextmanager
def optimizer_steps_bar(total: int, description: str, enabled: bool = True) -> Iterator[tqdm]:
    """A progress bar (with an estimate of the time left) that advances on every optimiser
    step taken inside the ``with`` block, whoever's loop takes it: for a training loop that
    is an exercise, whose signature has no place for a bar (chapter 4's ``train_toy_model``).

    It hooks every ``torch.optim.Optimizer.step`` while the block runs, and removes the
    hook afterwards, even on an error or an interruption.
    """
    bar = tqdm(total=total, desc=description, disable=not enabled, mininterval=0.5)
    hook = register_optimizer_step_post_hook(lambda optimizer, args, kwargs: bar.update(1))
    try:
        yield bar
    finally:
        hook.remove()
        bar.close()


@torch.no_grad()
def evaluate_stacked(model: torch.nn.Module, tokens: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-run (loss, accuracy) of a :class:`~interp_course.core.stacked.StackedTransformer`.

    tokens: [K, batch, pos] long; labels: [K, batch] long. Returns two [K] float64 tensors.
    """
    logits = model(tokens).to(torch.float64)  # [K, batch, d_vocab_out]
    losses = -logits.log_softmax(dim=-1).gather(-1, labels[..., None])[..., 0].mean(dim=-1)
    accuracies = (logits.argmax(dim=-1) == labels).to(torch.float64).mean(dim=-1)
    return losses, accuracies


def train_stacked_full_batch(
    model: torch.nn.Module,
    train_tokens: torch.Tensor,
    train_labels: torch.Tensor,
    test_tokens: torch.Tensor,
    test_labels: torch.Tensor,
    config: TrainingConfig,
    batched_step: Callable,
    progress: bool = True,
    description: str = "training",
) -> TrainedRecord:
    """Train the K runs of a :class:`~interp_course.core.stacked.StackedTransformer` at once,
    each with full-batch AdamW on its own data: the loop of :func:`train_full_batch`, with a
    run dimension in front of everything.

    Args:
        train_tokens: [K, n_train, pos] long; train_labels: [K, n_train] long.
        test_tokens: [K, n_test, pos] long; test_labels: [K, n_test] long.
        batched_step: ``batched_step(model, optimizer, tokens, labels) -> (losses, accuracies)``,
            one update of every run, returning each run's loss and accuracy before it ([K] each;
            chapter 6's exercise 6.2).
        config: as for :func:`train_full_batch`; ``stop_at_test_accuracy`` stops when every run
            has reached it.

    Returns a :class:`~interp_course.core.runs.TrainedRecord` whose metrics have a leading run
    dimension (``train_loss`` [K, n], ``test_accuracy`` [K, m], ...; ``step`` [n] and
    ``eval_step`` [m] are shared) and whose checkpoints are {step: {name: [K, *shape]}}.
    """
    if not isinstance(config, TrainingConfig):
        raise TypeError(f"config must be a TrainingConfig, got {type(config).__name__}")
    if not callable(batched_step):
        raise TypeError(f"batched_step must be a function, got {type(batched_step).__name__}")
    n_runs = model.n_runs
    require_tensor(train_tokens, "train_tokens", ndim=3, dtype_kind="int")
    require_tensor(train_labels, "train_labels", shape=tuple(train_tokens.shape[:2]), dtype_kind="int")
    require_tensor(test_tokens, "test_tokens", ndim=3, dtype_kind="int")
    require_tensor(test_labels, "test_labels", shape=tuple(test_tokens.shape[:2]), dtype_kind="int")
    if train_tokens.shape[0] != n_runs or test_tokens.shape[0] != n_runs:
        raise ValueError(f"train_tokens and test_tokens must hold one data set per run ({n_runs} runs), "
                         f"got {train_tokens.shape[0]} and {test_tokens.shape[0]}")

    optimizer, scheduler = adamw_with_warmup(model, config)

    train_loss, train_accuracy = [], []
    eval_step, test_loss, test_accuracy = [], [], []
    checkpoints = {0: model.stacked_state_dict()}
    flush_denormals()  # in case something turned it off since the course was imported
    bar = tqdm(range(config.n_steps), desc=description, disable=not progress, mininterval=0.5)
    for step in bar:
        losses, accuracies = batched_step(model, optimizer, train_tokens, train_labels)
        scheduler.step()
        train_loss.append(torch.as_tensor(losses, dtype=torch.float64).detach())
        train_accuracy.append(torch.as_tensor(accuracies, dtype=torch.float64).detach())
        steps_done = step + 1
        last = steps_done == config.n_steps
        if steps_done % config.eval_every == 0 or last:
            losses_t, accuracies_t = evaluate_stacked(model, test_tokens, test_labels)
            eval_step.append(steps_done)
            test_loss.append(losses_t)
            test_accuracy.append(accuracies_t)
            bar.set_postfix(runs=n_runs, min_test_acc=f"{accuracies_t.min():.3f}", refresh=False)
            if config.stop_at_test_accuracy is not None and bool((accuracies_t >= config.stop_at_test_accuracy).all()):
                last = True
        if steps_done % config.checkpoint_every == 0 or last:
            checkpoints[steps_done] = model.stacked_state_dict()
        if last:
            break
    bar.close()

    metrics = {
        "step": torch.arange(len(train_loss)),
        "train_loss": torch.stack(train_loss, dim=1),  # [K, n]
        "train_accuracy": torch.stack(train_accuracy, dim=1),
        "eval_step": torch.tensor(eval_step),
        "test_loss": torch.stack(test_loss, dim=1),  # [K, m]
        "test_accuracy": torch.stack(test_accuracy, dim=1),
    }
    return TrainedRecord(metrics, checkpoints)
