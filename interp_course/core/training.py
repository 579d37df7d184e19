"""The one training loop of the course, and the full-batch trainers built on it.

:func:`train_loop` reads top to bottom: build AdamW and its warm-up schedule, then for each
step call the ``step`` it is given (one update: chapter 1's exercise 1.4, chapter 6's 6.2, or a
chapter's own minibatch step), record what the step returns, every ``eval_every`` steps record
what ``evaluate`` returns, at the chosen steps keep a copy of the weights, stop early when
``stop`` says so. It owns what every trained run needs: the progress bar with an estimate of
the time left, checkpoints, and the guard that stops a run whose loss went NaN or inf. The loop
never imports an exercise's solution: the caller passes the step in.

:func:`train_full_batch` (one run) and :func:`train_stacked_full_batch` (K runs stacked in one
model, chapter 6) are that loop with a full-batch step on a final-position loss.

Speed: only the final position's prediction enters the loss, so the full-batch trainers run the
model with ``final_position_only=True``, which skips the last layer's queries, MLP and
unembedding at the other positions. ``benchmarks/grokking_run.py`` measures what that saves.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

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


FUSED_ADAMW_ON_CPU = tuple(int(part) for part in torch.__version__.split("+")[0].split(".")[:2]) >= (2, 4)


def adamw_with_warmup(model: torch.nn.Module, config: TrainingConfig) -> tuple[torch.optim.AdamW, torch.optim.lr_scheduler.LambdaLR]:
    """AdamW over the model's parameters with ``config``'s settings, and a schedule that warms
    the learning rate up linearly over ``config.warmup_steps`` steps (step it after each update)."""
    optimizer = torch.optim.AdamW(
        model.parameters(),
        lr=config.lr,
        weight_decay=config.weight_decay,
        betas=(config.beta1, config.beta2),
        # One kernel for the whole update: fewer, larger operations than a loop over weights. On the
        # CPU it needs torch 2.4; before that (the loose path's floor, tools/floor_environment.sh)
        # the default loop gives the same update up to rounding.
        fused=True if FUSED_ADAMW_ON_CPU else None,
    )
    warmup = max(config.warmup_steps, 1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min((step + 1) / warmup, 1.0))
    return optimizer, scheduler


class NonFiniteLoss(FloatingPointError):
    """A run's loss (or another number its step records) went NaN or inf."""


Metrics = Mapping[str, Any]  # {name: float, or a tensor [K] with one value per stacked run}


def _finite(value: Any) -> bool:
    if isinstance(value, torch.Tensor):
        return not value.is_floating_point() or bool(torch.isfinite(value).all())
    return not isinstance(value, float) or math.isfinite(value)


def _as_tensor(values: list) -> torch.Tensor:
    """One metric's records as a tensor: [n] float64 for numbers, [K, n] for [K] tensors."""
    if values and isinstance(values[0], torch.Tensor):
        return torch.stack([torch.as_tensor(v, dtype=torch.float64).detach() for v in values], dim=-1)
    return torch.tensor(values, dtype=torch.float64)


def train_loop(
    model: torch.nn.Module,
    config: TrainingConfig,
    step: Callable[[torch.optim.Optimizer], Metrics],
    evaluate: Callable[[], Metrics] | None = None,
    stop: Callable[[Metrics], bool] | None = None,
    take_snapshot: Callable[[], dict[str, torch.Tensor]] | None = None,
    postfix: Callable[[Metrics, Metrics], dict] | None = None,
    progress: bool = True,
    description: str = "training",
) -> TrainedRecord:
    """Train ``model`` in place with AdamW (``config``'s settings and warm-up); the record.

    Args:
        config: the optimiser, the schedule, ``n_steps``, ``eval_every``, ``checkpoint_every``.
        step: ``step(optimizer) -> {name: value}``, one update; the values (floats, or [K]
            tensors for K stacked runs) are recorded at every step.
        evaluate: ``evaluate() -> {name: value}``, recorded every ``eval_every`` steps and
            after the last.
        stop: ``stop(evaluation) -> bool``: True ends training after this step.
        take_snapshot: the weights to keep at a checkpoint (default: a copy of the state dict).
        postfix: ``postfix(step_metrics, evaluation) -> {name: text}`` for the progress bar.

    Returns a :class:`~interp_course.core.runs.TrainedRecord`: metrics ``step`` [n] (0 .. last
    step taken), each name ``step`` returned [n] (or [K, n]), ``eval_step`` [m] and each name
    ``evaluate`` returned [m] (or [K, m]), all float64 but the steps; checkpoints
    {step: weights} at step 0, every ``checkpoint_every`` steps and after the last update.

    Raises :class:`NonFiniteLoss` as soon as a recorded number (of a step or an evaluation) is
    NaN or inf: for a stack of runs, one run's NaN stops them all (their step is one update).
    """
    if not isinstance(config, TrainingConfig):
        raise TypeError(f"config must be a TrainingConfig, got {type(config).__name__}")
    if not callable(step):
        raise TypeError(f"step must be a function, got {type(step).__name__}")
    if stop is not None and evaluate is None:
        raise TypeError("stop reads the evaluation: give evaluate too")
    take_snapshot = take_snapshot or (lambda: snapshot(model))
    optimizer, scheduler = adamw_with_warmup(model, config)
    records: dict[str, list] = {}
    evaluations: dict[str, list] = {}
    eval_step: list[int] = []
    checkpoints = {0: take_snapshot()}

    flush_denormals()  # in case something turned it off since the course was imported
    bar = tqdm(total=config.n_steps, desc=description, disable=not progress, mininterval=0.5)
    steps_done = 0
    try:
        while steps_done < config.n_steps:
            metrics = step(optimizer)
            scheduler.step()
            steps_done += 1
            _record(records, metrics, steps_done, description)
            last = steps_done == config.n_steps
            if evaluate is not None and (steps_done % config.eval_every == 0 or last):
                evaluation = evaluate()
                eval_step.append(steps_done)
                _record(evaluations, evaluation, steps_done, description)
                if postfix is not None:
                    bar.set_postfix(postfix(metrics, evaluation), refresh=False)
                if stop is not None and stop(evaluation):
                    last = True
            if steps_done % config.checkpoint_every == 0 or last:
                checkpoints[steps_done] = take_snapshot()
            bar.update(1)
            if last:
                break
        if steps_done < config.n_steps:  # stopped early: the bar ends full (and green), at the step it stopped
            _end_bar_at(bar, steps_done, f"{description}, stopped at step {steps_done}")
    finally:
        bar.close()

    metrics = {"step": torch.arange(steps_done), **{name: _as_tensor(v) for name, v in records.items()}}
    if evaluate is not None:
        metrics["eval_step"] = torch.tensor(eval_step)
        metrics.update({name: _as_tensor(v) for name, v in evaluations.items()})
    return TrainedRecord(metrics, checkpoints)


def _record(into: dict[str, list], values: Metrics, steps_done: int, description: str) -> None:
    """Append each value to its list; a NaN or inf stops the run (:class:`NonFiniteLoss`)."""
    for name, value in values.items():
        if not _finite(value):
            shown = value if not isinstance(value, torch.Tensor) else "NaN or inf"
            raise NonFiniteLoss(
                f"{description}: {name} went {shown} at step {steps_done}; the run is stopped and not cached "
                "(check the learning rate and the step function)")
        into.setdefault(name, []).append(value)


def _end_bar_at(bar: tqdm, steps_done: int, description: str) -> None:
    """Make ``bar``'s total the steps taken, so that a run stopped early ends with a full bar
    (in Jupyter too, where the widget keeps its own maximum), not a short red one."""
    bar.total = steps_done
    container = getattr(bar, "container", None)  # tqdm.notebook's widget: (label, bar, text)
    if container is not None:
        container.children[1].max = steps_done
    bar.set_description(description, refresh=False)


def gradient_step(optimizer: torch.optim.Optimizer, loss: torch.Tensor) -> None:
    """One update of a minibatch step: clear the gradients, backpropagate ``loss`` (a scalar),
    step the optimiser."""
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()


@torch.no_grad()
def evaluate(model: torch.nn.Module, tokens: torch.Tensor, labels: torch.Tensor) -> tuple[float, float]:
    """(loss, accuracy) of the final-position prediction on a whole set, as floats.

    tokens: [batch, pos] long; labels: [batch] long.
    """
    logits = model(tokens, final_position_only=True)  # [batch, 1, d_vocab_out]
    return loss_and_accuracy(logits[:, -1], labels)


@torch.no_grad()
def evaluate_stacked(model: torch.nn.Module, tokens: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-run (loss, accuracy) of a :class:`~interp_course.core.stacked.StackedTransformer`.

    tokens: [K, batch, pos] long; labels: [K, batch] long. Returns two [K] float64 tensors.
    """
    logits = model(tokens).to(torch.float64)  # [K, batch, d_vocab_out]
    losses = -logits.log_softmax(dim=-1).gather(-1, labels[..., None])[..., 0].mean(dim=-1)
    accuracies = (logits.argmax(dim=-1) == labels).to(torch.float64).mean(dim=-1)
    return losses, accuracies


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
    """Train ``model`` in place with full-batch AdamW (:func:`train_loop`); the record.

    ``model`` is one run (a HookedTransformer) or K runs stacked in one model (a
    :class:`~interp_course.core.stacked.StackedTransformer`, chapter 6), each on its own data;
    a stack puts a run dimension K in front of every tensor below.

    Args:
        train_tokens: [(K,) n_train, pos] long; train_labels: [(K,) n_train] long.
        test_tokens: [(K,) n_test, pos] long; test_labels: [(K,) n_test] long.
        training_step: ``training_step(model, optimizer, tokens, labels) -> (loss, accuracy)``,
            one full-batch update returning the batch's loss and accuracy before it: floats,
            or [K] tensors for a stack (chapter 1's exercise 1.4; chapter 6's 6.2).
        config: the optimiser and schedule; ``stop_at_test_accuracy`` stops at the first
            evaluation where the test accuracy (of every run of a stack) is at least that.

    Returns a :class:`~interp_course.core.runs.TrainedRecord`: metrics
        ``step`` [n] (0 .. last step taken), ``train_loss`` [(K,) n], ``train_accuracy``
        [(K,) n] (measured on the batch before each update); ``eval_step`` [m], ``test_loss``
        [(K,) m], ``test_accuracy`` [(K,) m] (every ``eval_every`` steps, and after the last
        update); checkpoints {step: state_dict} ({name: [K, *shape]} for a stack) at step 0,
        every ``checkpoint_every`` steps and after the last update.
    """
    if not callable(training_step):
        raise TypeError(f"training_step must be a function, got {type(training_step).__name__}")
    n_runs = getattr(model, "n_runs", None)  # a stack of runs, or None for one run
    run_dims = () if n_runs is None else (n_runs,)
    for name, tokens, labels in (("train", train_tokens, train_labels), ("test", test_tokens, test_labels)):
        require_tensor(tokens, f"{name}_tokens", ndim=len(run_dims) + 2, dtype_kind="int")
        require_tensor(labels, f"{name}_labels", shape=tuple(tokens.shape[:-1]), dtype_kind="int")
        if tokens.shape[: len(run_dims)] != run_dims:
            raise ValueError(f"{name}_tokens must hold one data set per run ({n_runs} runs), got {tokens.shape[0]}")
    measure = evaluate if n_runs is None else evaluate_stacked

    def step(optimizer):
        loss, accuracy = training_step(model, optimizer, train_tokens, train_labels)
        if n_runs is not None:
            loss, accuracy = (torch.as_tensor(v, dtype=torch.float64).detach() for v in (loss, accuracy))
        return {"train_loss": loss, "train_accuracy": accuracy}

    def evaluation():
        loss, accuracy = measure(model, test_tokens, test_labels)
        return {"test_loss": loss, "test_accuracy": accuracy}

    def postfix(metrics, evaluation):
        if n_runs is None:
            return {"train_loss": f"{metrics['train_loss']:.2e}", "test_acc": f"{evaluation['test_accuracy']:.3f}"}
        return {"runs": n_runs, "min_test_acc": f"{evaluation['test_accuracy'].min():.3f}"}

    threshold = config.stop_at_test_accuracy
    return train_loop(
        model, config, step, evaluation,
        stop=None if threshold is None else (lambda e: bool(torch.as_tensor(e["test_accuracy"] >= threshold).all())),
        take_snapshot=None if n_runs is None else model.stacked_state_dict,
        postfix=postfix, progress=progress, description=description,
    )


train_stacked_full_batch = train_full_batch
"""The same trainer, named for what chapter 6 does with it: K runs stacked in one model."""


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
