import pytest
import torch

from interp_course.chapter5_induction.runs import InductionConfig, repeated_segment_batch
from interp_course.core.losses import next_token_losses
from solutions.chapter5_induction import repeated_tokens
from tests.tiny_runs import TINY_INDUCTION

CONFIG = InductionConfig()


def test_each_sequence_repeats_one_segment_and_marks_what_is_predictable():
    tokens, predictable = repeated_segment_batch(500, CONFIG, torch.Generator().manual_seed(0))
    assert tokens.shape == predictable.shape == (500, CONFIG.n_ctx)
    lengths, offsets = set(), set()
    for row, mask in zip(tokens, predictable):
        where = mask.nonzero()[:, 0]
        assert len(where) > 0
        start, end = int(where[0]) - 1, int(where[-1]) + 1  # the copy is tokens[start:end]
        assert torch.equal(where, torch.arange(start + 1, end)), "predictable positions are contiguous"
        length = end - start
        # find the source: the offset at which the copy matches the earlier tokens
        found = [o for o in range(length, start + 1) if torch.equal(row[start - o : end - o], row[start:end])]
        assert found, "the copied segment appears earlier"
        lengths.add(length)
        offsets.add(min(found))
    assert min(lengths) == CONFIG.min_segment and max(lengths) == CONFIG.max_segment
    assert len(offsets) > 5, "offsets vary, so position alone cannot solve the task"
    assert max(offsets) <= CONFIG.max_segment + CONFIG.max_gap


def test_the_batch_is_seeded():
    a = repeated_segment_batch(8, CONFIG, torch.Generator().manual_seed(3))
    b = repeated_segment_batch(8, CONFIG, torch.Generator().manual_seed(3))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_evaluation_sequences_are_longer_than_anything_in_training():
    tokens = repeated_tokens(4, CONFIG.n_ctx // 2, CONFIG.d_vocab, torch.Generator().manual_seed(0))
    assert tokens.shape == (4, CONFIG.n_ctx)
    assert torch.equal(tokens[:, : CONFIG.n_ctx // 2], tokens[:, CONFIG.n_ctx // 2 :])
    assert CONFIG.n_ctx // 2 > CONFIG.max_segment + CONFIG.max_gap


def test_next_token_losses_against_cross_entropy():
    logits = torch.randn(3, 5, 7, generator=torch.Generator().manual_seed(0))
    tokens = torch.randint(0, 7, (3, 5), generator=torch.Generator().manual_seed(1))
    expected = torch.nn.functional.cross_entropy(
        logits[:, :-1].reshape(-1, 7), tokens[:, 1:].reshape(-1), reduction="none"
    ).reshape(3, 4)
    torch.testing.assert_close(next_token_losses(logits, tokens), expected)


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(min_segment=8, max_segment=4), "min_segment .* must be <= max_segment"),
        (dict(max_segment=30), "must fit in n_ctx"),
        (dict(d_vocab=0), "d_vocab must be at least 1"),
    ],
)
def test_bad_config_is_a_clear_error(changes, message):
    with pytest.raises(ValueError, match=message):
        InductionConfig(**changes)


def test_a_run_records_its_losses_and_checkpoints():
    metrics, checkpoints = TINY_INDUCTION.train(progress=False)
    assert list(checkpoints) == [0, 10, 20, 30]
    assert metrics["eval_step"].tolist() == [10, 20, 30]
    assert metrics["loss"].shape == metrics["loss_predictable"].shape == (30,)


def test_encode_words():
    from interp_course.chapter5_induction.runs import VOCABULARY, encode

    assert len(set(VOCABULARY)) == len(VOCABULARY) == CONFIG.d_vocab
    assert encode("Neel Nanda").tolist() == [[VOCABULARY.index("Neel"), VOCABULARY.index("Nanda")]]
    with pytest.raises(ValueError, match="unknown: \\['Bob'\\]"):
        encode("Neel Bob")


def test_attention_viewer_follows_its_controls():
    import matplotlib

    matplotlib.use("Agg")
    from interp_course.chapter5_induction.viewer import AttentionViewer

    patterns = {0: torch.rand(3, 4, 6, 6), 1: torch.rand(3, 4, 6, 6)}
    viewer = AttentionViewer(patterns)
    viewer.layer.value, viewer.head.value, viewer.sequence.value = 1, 2, 1
    assert torch.equal(viewer.selected(), patterns[1][1, 2])
