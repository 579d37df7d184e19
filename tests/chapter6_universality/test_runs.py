import pytest
import torch

from interp_course.chapter6_universality import analysis
from interp_course.chapter6_universality.runs import BatchConfig, BatchRun
from interp_course.core import run_cache
from interp_course.core.training import TrainingConfig

TINY = BatchConfig(p=7, seeds=(0, 1), d_model=16, n_heads=2, d_head=8, d_mlp=32,
                   training=TrainingConfig(n_steps=40, lr=1e-2, eval_every=10, checkpoint_every=20))


def test_each_run_has_its_own_split_and_every_input_is_in_one_set():
    data = TINY.data()
    assert data.train_indices.shape == (2, 29) and data.test_indices.shape == (2, 20)
    assert not torch.equal(data.train_indices[0], data.train_indices[1])
    for k in range(2):
        assert sorted(torch.cat([data.train_indices[k], data.test_indices[k]]).tolist()) == list(range(49))


def test_a_trained_batch_is_cached_and_summarised(tmp_path, monkeypatch):
    monkeypatch.setenv(run_cache.CACHE_ENV_VAR, str(tmp_path))
    from interp_course.chapter6_universality import runs
    batch = runs.load_or_train(TINY, progress=False, verbose=False)
    assert isinstance(batch, BatchRun) and batch.n_runs == 2 and batch.checkpoint_steps == [0, 20, 40]
    again = runs.load_or_train(TINY, progress=False, verbose=False)
    assert torch.equal(again.metrics["train_loss"], batch.metrics["train_loss"])
    logits = batch.grid_logits(40)
    assert logits.shape == (2, 49, 7) and logits.dtype == torch.float64
    member = batch.member_model(1)
    torch.testing.assert_close(member(batch.data.tokens)[:, -1].double(), logits[1], atol=1e-5, rtol=1e-5)
    summaries = analysis.summarise(batch)
    assert [s.seed for s in summaries] == [0, 1]
    assert all(s.measures["restricted_loss"].shape == (3,) for s in summaries)
    assert "seed" in analysis.summary_table(summaries)


def test_a_cached_batch_of_the_wrong_shape_is_refused():
    good = {"metrics": {"train_loss": torch.zeros(2, 3), "test_accuracy": torch.zeros(2, 1)},
            "checkpoints": {0: TINY.build_model().stacked_state_dict()}}
    TINY.validate_record(good)
    wrong = {"metrics": good["metrics"], "checkpoints": {0: BatchConfig(p=7, seeds=(0, 1, 2)).build_model().stacked_state_dict()}}
    with pytest.raises(run_cache.InvalidRunFile, match="do not fit"):
        TINY.validate_record(wrong)
    with pytest.raises(run_cache.InvalidRunFile, match="train_loss"):
        TINY.validate_record({"metrics": {"train_loss": torch.zeros(3)}, "checkpoints": good["checkpoints"]})


def test_bad_configs_are_named():
    with pytest.raises(ValueError, match="BatchConfig.seeds must be distinct"):
        BatchConfig(seeds=(1, 1))
    with pytest.raises(ValueError, match="BatchConfig.seeds"):
        BatchConfig(seeds=())
    with pytest.raises(ValueError, match="BatchConfig.p"):
        BatchConfig(p=30)
