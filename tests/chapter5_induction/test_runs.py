import pytest
import torch

from interp_course.chapter5_induction.runs import InductionConfig, batches_of_text_with_repeats, text_with_repeats
from interp_course.core.losses import next_token_losses
from solutions.chapter5_induction import repeated_tokens
from tests.tiny_runs import TINY_INDUCTION

CONFIG = InductionConfig()


def continuation_distances(row: torch.Tensor, t: int) -> set[int]:
    """The distances d at which token t and the one before it both occurred before: what an
    induction head finds (row[t - 1] == row[t - 1 - d] and row[t] == row[t - d])."""
    return {d for d in range(1, t) if row[t] == row[t - d] and row[t - 1] == row[t - 1 - d]}


def test_repeats_copy_earlier_tokens_and_mark_what_is_predictable():
    tokens, predictable = text_with_repeats(300, CONFIG, torch.Generator().manual_seed(0))
    assert tokens.shape == predictable.shape == (300, CONFIG.n_ctx)
    assert not predictable[:, :2].any(), "position 0 has no past; at position 1 a repeat can only start"
    distances = set()
    for row, mask in zip(tokens, predictable):
        for t in mask.nonzero()[:, 0].tolist():
            matches = continuation_distances(row, t)
            assert matches, "a predictable token is the continuation of an earlier occurrence"
            distances.add(min(matches))
    assert max(distances) > 35 and min(distances) == 1, "repeats come from anywhere before"
    assert 0.3 < predictable.float().mean() < 0.7


def test_held_out_distances_never_start_a_repeat():
    config = CONFIG
    tokens, predictable = text_with_repeats(300, config, torch.Generator().manual_seed(1))
    # A repeat at a held-out distance would leave predictable tokens that only a match at a
    # held-out distance explains; count them.
    only_held_out = 0
    for row, mask in zip(tokens, predictable):
        for t in mask.nonzero()[:, 0].tolist():
            matches = continuation_distances(row, t)
            if matches and all(config.held_out_min <= d <= config.held_out_max for d in matches):
                only_held_out += 1
    assert only_held_out == 0


def test_the_batch_is_seeded():
    a = text_with_repeats(8, CONFIG, torch.Generator().manual_seed(3))
    b = text_with_repeats(8, CONFIG, torch.Generator().manual_seed(3))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


@pytest.mark.parametrize("chunk", [1, 3, 100])
def test_batches_made_together_are_the_batches_made_one_at_a_time(chunk):
    """Training draws its batches in chunks: the same batches, token for token, as one call of
    text_with_repeats per step from the same generator."""
    config = InductionConfig()
    one_at_a_time = torch.Generator().manual_seed(7)
    together = batches_of_text_with_repeats(7, 16, config, torch.Generator().manual_seed(7), chunk=chunk)
    for _ in range(7):
        expected, got = text_with_repeats(16, config, one_at_a_time), next(together)
        assert torch.equal(got[0], expected[0]) and torch.equal(got[1], expected[1])
    assert next(together, None) is None


def test_evaluation_sequences_are_longer_and_farther_apart_than_anything_in_training():
    seq_len = CONFIG.n_ctx // 2
    tokens = repeated_tokens(4, seq_len, CONFIG.d_vocab, torch.Generator().manual_seed(0))
    assert tokens.shape == (4, CONFIG.n_ctx)
    assert torch.equal(tokens[:, :seq_len], tokens[:, seq_len:])
    assert seq_len > CONFIG.max_segment
    assert CONFIG.held_out_min <= seq_len <= CONFIG.held_out_max


def test_a_repeat_at_any_distance():
    from interp_course.chapter5_induction.analysis import repeat_at_distance

    for distance in (1, 2, 5, 6, 20, 42):
        tokens, first, second = repeat_at_distance(3, 48, 256, distance, 6, torch.Generator().manual_seed(distance))
        assert torch.equal(tokens[:, 42:], tokens[:, 42 - distance : 48 - distance])
        # the slices index next_token_losses: entry j predicts token j + 1
        assert second == slice(42, 47)
        assert first.start == 42 - distance and first.stop - first.start == min(distance, 6) - 1
    with pytest.raises(ValueError, match="distance \\+ segment must fit"):
        repeat_at_distance(1, 48, 256, 43, 6, torch.Generator())


def test_halfway_step():
    from interp_course.chapter5_induction.analysis import halfway_step

    steps = torch.tensor([0, 100, 200, 300])
    assert halfway_step(steps, torch.tensor([0.0, 0.1, 0.6, 1.0])) == 200
    assert halfway_step(steps, torch.tensor([5.0, 4.9, 2.0, 1.0])) == 200  # falling
    assert halfway_step(steps, torch.tensor([1.0, 1.0, 1.0, 1.0])) == 0  # never moves


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
        (dict(max_segment=30), "must be below n_ctx // 2"),
        (dict(held_out_min=30, held_out_max=20), "held_out_min .* must be <= held_out_max"),
        (dict(repeat_probability=1.5), "repeat_probability must be at most 1"),
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
    assert all(" " not in word for word in VOCABULARY)
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
