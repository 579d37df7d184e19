import dataclasses

import pytest
import torch

from interp_course.core.training import NonFiniteLoss, TrainingConfig as _Training, _end_bar_at, train_full_batch, train_loop
from interp_course.core.transformer import HookedTransformer
from solutions.chapter1_grokking import final_position_loss, training_step
from tests.tiny_runs import TINY_GROKKING as TINY


def train_tiny(config=TINY):
    """The metrics of a tiny run, with its checkpoints under "checkpoints"."""
    metrics, checkpoints = config.train(progress=False)
    return {**metrics, "checkpoints": checkpoints}


def test_a_tiny_config_learns_its_training_set():
    record = train_tiny()
    assert record["train_loss"][0] > 2.0  # about log(13) = 2.56 at initialisation
    assert record["train_loss"][-1] < 0.05
    assert record["train_accuracy"][-1] == 1.0


def test_same_seed_gives_identical_metrics_and_weights():
    a, b = train_tiny(), train_tiny()
    for name in ["train_loss", "train_accuracy", "test_loss", "test_accuracy"]:
        assert torch.equal(a[name], b[name]), name
    for name, weights in a["checkpoints"][300].items():
        assert torch.equal(weights, b["checkpoints"][300][name]), name


def test_another_model_seed_gives_another_run():
    a = train_tiny()
    b = train_tiny(TINY.replace(model_seed=1))
    assert not torch.equal(a["train_loss"], b["train_loss"])


def test_record_layout_and_checkpoints():
    record = train_tiny()
    assert torch.equal(record["step"], torch.arange(300))
    assert record["eval_step"].tolist() == list(range(20, 301, 20))
    assert list(record["checkpoints"]) == [0, 100, 200, 300]
    # The recorded test metrics are those of the checkpointed weights.
    data = TINY.data()
    model = HookedTransformer(TINY.model_config())
    model.load_state_dict(record["checkpoints"][300])
    logits = model(data.test_tokens)
    assert final_position_loss(logits, data.test_labels).item() == pytest.approx(
        record["test_loss"][-1].item(), rel=1e-5
    )


def test_initial_checkpoint_is_the_initialisation():
    record = train_tiny()
    fresh = HookedTransformer(TINY.model_config(), seed=TINY.model_seed)
    for name, weights in fresh.state_dict().items():
        assert torch.equal(record["checkpoints"][0][name], weights)


def test_stop_at_test_accuracy_stops_early():
    config = TINY.replace(n_steps=2000, train_fraction=0.8, stop_at_test_accuracy=0.5)
    record = train_tiny(config)
    assert record["test_accuracy"][-1] >= 0.5
    assert (record["test_accuracy"][:-1] < 0.5).all()
    assert len(record["step"]) < 2000
    assert list(record["checkpoints"])[-1] == int(record["eval_step"][-1])


def test_weight_decay_shrinks_the_weights():
    def total_squared_norm(weights):
        return sum(float((w**2).sum()) for w in weights.values())

    with_decay = train_tiny(TINY.replace(weight_decay=2.0))
    without = train_tiny(TINY.replace(weight_decay=0.0))
    assert total_squared_norm(with_decay["checkpoints"][300]) < total_squared_norm(
        without["checkpoints"][300]
    )


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(n_steps=0), "n_steps must be at least 1"),
        (dict(lr=-1.0), "lr must be > 0"),
        (dict(weight_decay=-0.1), "weight_decay must be >= 0"),
        (dict(beta2=1.0), r"beta2 must be in \[0, 1\)"),
        (dict(stop_at_test_accuracy=1.5), "stop_at_test_accuracy must be in"),
    ],
)
def test_bad_training_config_is_a_clear_error(changes, message):
    with pytest.raises((TypeError, ValueError), match=message):
        dataclasses.replace(TINY.training, **changes)


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(p=100), "GrokkingConfig.p must be a prime number"),
        (dict(train_fraction=1.0), "GrokkingConfig.train_fraction must be strictly between 0 and 1"),
    ],
)
def test_bad_grokking_config_is_a_clear_error(changes, message):
    with pytest.raises((TypeError, ValueError), match=message):
        TINY.replace(**changes)


def test_trainer_rejects_mismatched_labels():
    data = TINY.data()
    model = HookedTransformer(TINY.model_config())
    with pytest.raises(ValueError, match=r"train_labels must have shape"):
        train_full_batch(
            model, data.train_tokens, data.train_labels[:-1], data.test_tokens, data.test_labels,
            TINY.training, training_step, progress=False,
        )


def test_trainer_takes_the_step_function_it_is_given():
    calls = []

    def counting_step(*args):
        calls.append(1)
        return training_step(*args)

    data = TINY.data()
    train_full_batch(
        TINY.build_model(), data.train_tokens, data.train_labels, data.test_tokens, data.test_labels,
        TINY.training.__class__(n_steps=5), counting_step, progress=False,
    )
    assert len(calls) == 5
    with pytest.raises(TypeError, match="training_step must be a function"):
        train_full_batch(
            TINY.build_model(), data.train_tokens, data.train_labels, data.test_tokens,
            data.test_labels, TINY.training, "training_step", progress=False,
        )


def test_optimizer_steps_bar_counts_every_step_of_any_loop_and_unhooks_afterwards():
    from torch.optim.optimizer import _global_optimizer_post_hooks

    from interp_course.core.training import optimizer_steps_bar

    weight = torch.zeros(3, requires_grad=True)
    optimizer = torch.optim.Adam([weight], lr=0.1)
    hooks_before = len(_global_optimizer_post_hooks)
    with pytest.raises(KeyboardInterrupt):
        with optimizer_steps_bar(10, "test", enabled=True) as bar:
            for step in range(7):
                (weight**2 - 1).sum().backward()
                optimizer.step()
            assert bar.n == 7
            raise KeyboardInterrupt  # a learner interrupts the cell
    assert len(_global_optimizer_post_hooks) == hooks_before
    optimizer.step()
    assert bar.n == 7


# --- the one loop, train_loop -------------------------------------------------------------------


def _linear_model():
    torch.manual_seed(0)
    return torch.nn.Linear(3, 1)


def _quadratic_step(model):
    def step(optimizer):
        loss = (model(torch.ones(4, 3)) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return {"loss": loss.item()}
    return step


def test_train_loop_records_every_step_every_evaluation_and_the_checkpoints():
    model = _linear_model()
    config = _Training(n_steps=7, lr=1e-2, eval_every=3, checkpoint_every=5)
    record = train_loop(model, config, _quadratic_step(model), lambda: {"score": 1.0}, progress=False)
    assert record.metrics["step"].tolist() == list(range(7))
    assert record.metrics["loss"].shape == (7,) and record.metrics["loss"].dtype == torch.float64
    assert record.metrics["eval_step"].tolist() == [3, 6, 7] and record.metrics["score"].shape == (3,)
    assert sorted(record.checkpoints) == [0, 5, 7]


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)` before")  # this step takes no update
def test_a_step_that_records_nothing_still_counts_its_steps():
    model = _linear_model()
    record = train_loop(model, _Training(n_steps=4, checkpoint_every=2), lambda optimizer: {}, progress=False)
    assert record.metrics["step"].tolist() == [0, 1, 2, 3] and sorted(record.checkpoints) == [0, 2, 4]


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)` before")
@pytest.mark.parametrize("where", ["step", "evaluation"])
def test_a_nan_stops_the_run_with_an_error_naming_the_number_and_the_step(where):
    model = _linear_model()
    step = (lambda optimizer: {"loss": float("nan")}) if where == "step" else _quadratic_step(model)
    evaluate = (lambda: {"test_loss": torch.tensor([0.5, float("inf")])}) if where == "evaluation" else None
    with pytest.raises(NonFiniteLoss, match="loss went .* at step 1"):
        train_loop(model, _Training(n_steps=5, eval_every=1), step, evaluate, progress=False, description="demo")


def test_stop_needs_an_evaluation_to_read():
    model = _linear_model()
    with pytest.raises(TypeError, match="stop reads the evaluation"):
        train_loop(model, _Training(n_steps=3), _quadratic_step(model), stop=lambda e: True, progress=False)


def test_a_run_stopped_early_ends_with_a_full_bar_in_jupyter_too():
    class Widget:
        max = 1500

    class Bar:
        total, container = 1500, type("Container", (), {"children": ("label", Widget(), "text")})()

        def set_description(self, text, refresh=False):
            self.description = text

    bar = Bar()
    _end_bar_at(bar, 830, "p=113, stopped at step 830")
    assert bar.total == 830 and bar.container.children[1].max == 830 and "830" in bar.description
