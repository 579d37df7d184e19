"""Runs: one load_or_train for every chapter, keyed by the config and by the code that trains it."""

import dataclasses

import pytest
import torch

from interp_course.chapter1_grokking import runs as grokking
from interp_course.core import fingerprint, run_cache, runs
from interp_course.core.fingerprint import modules_behind
from tests.tiny_runs import TINY_CONFIGS, TINY_GROKKING as TINY


def must_not_train(*args, **kwargs):
    raise AssertionError("a cached run was trained again")


@pytest.mark.parametrize("kind", TINY_CONFIGS)
def test_every_chapters_runs_are_trained_once_then_loaded(kind, monkeypatch):
    config = TINY_CONFIGS[kind]
    first = runs.load_or_train(config, progress=False, verbose=False)
    assert isinstance(first, config.run_type)
    key = config.cache_key()
    monkeypatch.setattr(type(config), "train", must_not_train)
    # The patched method changes the code fingerprint, so look the run up by the real key.
    monkeypatch.setattr(type(config), "cache_key", lambda self: key)
    second = runs.load_or_train(config, progress=False, verbose=False)
    assert second.checkpoint_steps == first.checkpoint_steps
    for name, values in first.metrics.items():
        assert torch.equal(values, second.metrics[name]), name
    for name, weights in first.weights.items():
        assert torch.equal(weights, second.weights[name]), name
    with pytest.raises(ValueError, match="step must be one of the saved checkpoint steps"):
        second.model_at(first.final_step + 1)


def test_a_loaded_grokking_run_rebuilds_its_models_and_data():
    run = grokking.load_or_train(TINY, progress=False, verbose=False)
    assert run.checkpoint_steps == [0, 100, 200, 300] and run.final_step == 300
    assert not run.model.training
    logits = run.model(run.data.test_tokens)
    assert logits.shape == (len(run.data.test_indices), 3, 13)
    untrained = run.model_at(0)
    for name, weights in TINY.build_model().state_dict().items():
        assert torch.equal(untrained.state_dict()[name], weights)


TINY_KEY = TINY.cache_key()


def test_the_key_holds_the_config_and_a_fingerprint_of_the_code():
    key = TINY.cache_key()
    assert key["config"] == dataclasses.asdict(TINY)
    assert len(key["code"]) == 16
    assert TINY.replace(model_seed=1).cache_key()["code"] == key["code"]
    assert TINY.replace(model_seed=1).cache_key() != key


def test_the_fingerprint_covers_the_modules_a_run_is_trained_with_and_no_others():
    behind = modules_behind(type(TINY).__module__)
    for needed in ("interp_course.chapter1_grokking.runs", "solutions.chapter1_grokking", "interp_course.core.training",
                   "interp_course.core.transformer", "interp_course.core.hooks", "interp_course.core"):
        assert needed in behind
    for unrelated in ("interp_course.chapter1_grokking.plots", "interp_course.chapter1_grokking.checks",
                      "solutions.chapter2_fourier", "interp_course.core.exercise", "interp_course.chapter2_fourier"):
        assert unrelated not in behind


def test_a_changed_reference_solution_retrains_instead_of_loading_a_stale_run(monkeypatch):
    """Editing the source of a module the trainer uses (here: the reference solutions) changes the key."""
    grokking.load_or_train(TINY, progress=False, verbose=False)
    import solutions.chapter1_grokking as reference

    real_source = fingerprint.module_source
    monkeypatch.setattr(fingerprint, "module_source", lambda module: real_source(module) + (
        "\nEDITED_BY_A_LEARNER = 1\n" if module is reference else ""))
    assert TINY.cache_key()["code"] != TINY_KEY["code"]
    assert run_cache.run_path(TINY.kind, TINY.cache_key()) != run_cache.run_path(TINY.kind, TINY_KEY)
    assert not run_cache.run_path(TINY.kind, TINY.cache_key()).exists()


def test_windows_line_endings_give_the_same_fingerprint(monkeypatch):
    real_source = fingerprint.module_source
    monkeypatch.setattr(fingerprint.Path, "read_text", lambda self, encoding=None: open(self, encoding=encoding).read()
                        .replace("\n", "\r\n"))
    assert real_source(fingerprint).count("\r") == 0
    assert TINY.cache_key() == TINY_KEY


def test_load_or_train_rejects_another_config_type():
    with pytest.raises(TypeError, match="config must be a run config .a RunConfig., got str"):
        grokking.load_or_train("canonical")


def test_a_cached_run_whose_weights_do_not_fit_the_model_is_moved_aside_and_trained_again():
    runs.load_or_train(TINY)
    path = run_cache.run_path(TINY.kind, TINY.cache_key())
    record = torch.load(path, weights_only=True)
    payload = record["payload"]
    for weights in payload["checkpoints"].values():
        weights["embed.W_E"] = weights["embed.W_E"][:-1]  # e.g. saved by a model of another size
    run_cache.save_run(path, TINY.kind, TINY.cache_key(), payload)  # a valid checksum
    with pytest.warns(run_cache.CorruptRunWarning, match="do not fit this run's model"):
        run = runs.load_or_train(TINY)
    run.model  # loads
