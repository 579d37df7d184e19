import os
import warnings

import pytest
import torch

from interp_course.core import run_cache


def payload():
    return {"weights": {"W": torch.arange(6.0).reshape(2, 3)}, "loss": torch.tensor([3.0, 1.0])}


def counting_builder():
    calls = []

    def build():
        calls.append(1)
        return payload()

    return build, calls


def test_cache_dir_follows_the_environment_variable(temporary_run_cache):
    assert run_cache.cache_dir() == temporary_run_cache


def test_a_run_is_built_once_then_loaded(capsys):
    build, calls = counting_builder()
    first = run_cache.load_or_build("demo", {"a": 1}, build)
    second = run_cache.load_or_build("demo", {"a": 1}, build)
    assert len(calls) == 1
    assert torch.equal(first["weights"]["W"], second["weights"]["W"])
    assert "Loaded the demo run from the cache" in capsys.readouterr().out


def test_configs_are_keyed_separately():
    build, calls = counting_builder()
    run_cache.load_or_build("demo", {"a": 1}, build)
    run_cache.load_or_build("demo", {"a": 2}, build)
    assert len(calls) == 2
    assert run_cache.run_path("demo", {"a": 1}) != run_cache.run_path("demo", {"a": 2})


def corrupt_and_reload(damage):
    build, calls = counting_builder()
    run_cache.load_or_build("demo", {"a": 1}, build)
    path = run_cache.run_path("demo", {"a": 1})
    damage(path)
    with pytest.warns(run_cache.CorruptRunWarning) as warned:
        reloaded = run_cache.load_or_build("demo", {"a": 1}, build)
    assert len(calls) == 2, "the damaged run must be rebuilt"
    assert torch.equal(reloaded["weights"]["W"], payload()["weights"]["W"])
    aside = [p for p in path.parent.iterdir() if ".bad-" in p.name]
    assert len(aside) == 1, "the damaged file is moved aside, not deleted"
    run_cache.load_run(path, "demo", {"a": 1})  # the rebuilt file is valid
    return str(warned[0].message)


def test_a_truncated_file_is_detected_reported_and_rebuilt():
    def truncate(path):
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])

    message = corrupt_and_reload(truncate)
    assert "does not load" in message


def test_a_flipped_byte_in_the_weights_is_detected():
    def flip_a_weight(path):
        data = bytearray(path.read_bytes())
        # The float 5.0 (last entry of W) as stored: change it in place, keeping the zip valid.
        needle = torch.tensor([5.0]).numpy().tobytes()
        at = bytes(data).index(needle)
        data[at + 3] ^= 0x01
        path.write_bytes(bytes(data))

    message = corrupt_and_reload(flip_a_weight)
    assert "checksum" in message or "does not load" in message


@pytest.mark.parametrize("content", [b"not a torch file", b""])
def test_garbage_and_empty_files_are_detected(content):
    assert "does not load" in corrupt_and_reload(lambda path: path.write_bytes(content))


def test_a_file_for_another_config_is_not_trusted():
    run_cache.save_run(run_cache.run_path("demo", {"a": 1}), "demo", {"a": 99}, payload())
    with pytest.raises(run_cache.InvalidRunFile, match="different config"):
        run_cache.load_run(run_cache.run_path("demo", {"a": 1}), "demo", {"a": 1})


def test_an_interrupted_build_leaves_no_file():
    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_cache.load_or_build("demo", {"a": 1}, interrupted)
    assert list(run_cache.cache_dir().iterdir()) == []


def test_an_interrupted_write_leaves_no_half_file(monkeypatch):
    real_save = torch.save

    def save_then_die(obj, f):
        real_save(obj, f)
        f.truncate(100)
        raise KeyboardInterrupt  # e.g. Ctrl-C while the file is being written

    monkeypatch.setattr(run_cache.torch, "save", save_then_die)
    with pytest.raises(KeyboardInterrupt):
        run_cache.load_or_build("demo", {"a": 1}, payload)
    assert list(run_cache.cache_dir().iterdir()) == [], "neither the file nor a temporary may remain"


def test_files_are_loaded_without_unpickling_objects(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo should-not-run",))

    path = run_cache.run_path("demo", {"a": 1})
    torch.save({"format_version": 1, "payload": Evil()}, path)
    with pytest.raises(run_cache.InvalidRunFile, match="does not load"):
        run_cache.load_run(path, "demo", {"a": 1})


# A run cache that survives real rooms (issue 14): every case below lost the run or crashed.


def test_a_cache_that_cannot_be_written_keeps_the_run_in_memory_with_one_warning(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv(run_cache.CACHE_ENV_VAR, str(blocker / "cache"))  # cannot be created
    build, calls = counting_builder()
    with pytest.warns(run_cache.CacheNotWritableWarning, match="cannot be written.*kept in memory"):
        first = run_cache.load_or_build("demo", {"a": 1}, build)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one warning per folder, not one per run
        again = run_cache.load_or_build("demo", {"a": 1}, build)
        run_cache.load_or_build("demo", {"a": 2}, build)
    assert len(calls) == 2 and again is first


def test_a_read_only_cache_keeps_the_run_in_memory(monkeypatch):
    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(run_cache.tempfile, "mkstemp", read_only)
    build, calls = counting_builder()
    with pytest.warns(run_cache.CacheNotWritableWarning):
        payload_ = run_cache.load_or_build("demo", {"a": 1}, build)
    assert torch.equal(payload_["loss"], payload()["loss"]) and len(calls) == 1


def test_a_corrupt_file_in_a_read_only_folder_is_reported_and_the_run_trained_again(monkeypatch):
    build, calls = counting_builder()
    run_cache.load_or_build("demo", {"a": 1}, build)
    path = run_cache.run_path("demo", {"a": 1})
    path.write_bytes(b"garbage")

    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(run_cache.os, "replace", read_only)
    with pytest.warns(run_cache.CorruptRunWarning, match="could not be moved aside"):
        with pytest.warns(run_cache.CacheNotWritableWarning):
            run_cache.load_or_build("demo", {"a": 1}, build)
    assert len(calls) == 2


def test_a_file_that_vanishes_between_the_check_and_the_load_is_trained_again(monkeypatch):
    build, calls = counting_builder()
    run_cache.load_or_build("demo", {"a": 1}, build)
    path = run_cache.run_path("demo", {"a": 1})
    real_load = torch.load

    def vanishing_load(file, *args, **kwargs):
        os.unlink(file)  # another process cleared the cache just now
        return real_load(file, *args, **kwargs)

    monkeypatch.setattr(run_cache.torch, "load", vanishing_load)
    run_cache.load_or_build("demo", {"a": 1}, build)
    assert len(calls) == 2 and path.exists()


def test_a_valid_file_of_the_wrong_schema_is_moved_aside():
    def validate(record):
        if "checkpoints" not in record:
            raise run_cache.InvalidRunFile("it has no checkpoints")

    run_cache.load_or_build("demo", {"a": 1}, counting_builder()[0])  # another schema, checksum valid
    build, calls = counting_builder()
    rebuild = lambda: {**build(), "checkpoints": {"0": {"W": torch.zeros(2)}}}  # noqa: E731
    with pytest.warns(run_cache.CorruptRunWarning, match="no checkpoints"):
        run_cache.load_or_build("demo", {"a": 1}, rebuild, validate=validate)
    loaded = run_cache.load_or_build("demo", {"a": 1}, rebuild, validate=validate)
    assert len(calls) == 1 and "checkpoints" in loaded
    assert [p for p in run_cache.cache_dir().iterdir() if ".bad-" in p.name]


def test_a_run_that_went_nan_is_not_saved(capsys):
    def build():
        return {"loss": torch.tensor([3.0, float("nan")])}

    with pytest.warns(run_cache.NonFiniteRunWarning, match="NaN or inf.*loss"):
        run_cache.load_or_build("demo", {"a": 1}, build)
    assert not run_cache.run_path("demo", {"a": 1}).exists()


def test_saved_files_are_readable_by_everyone_under_the_usual_umask():
    old = os.umask(0o022)
    try:
        run_cache.load_or_build("demo", {"a": 1}, counting_builder()[0])
    finally:
        os.umask(old)
    assert run_cache.run_path("demo", {"a": 1}).stat().st_mode & 0o777 == 0o644


def test_temporaries_left_by_a_killed_save_are_removed_once_stale():
    folder = run_cache.cache_dir()
    stale, fresh = folder / "demo-x.pt.abc.tmp", folder / "demo-y.pt.def.tmp"
    for tmp in (stale, fresh):
        tmp.write_bytes(b"half a run")
    os.utime(stale, (0, 0))
    run_cache.load_or_build("demo", {"a": 1}, counting_builder()[0])
    assert not stale.exists() and fresh.exists(), "a save in progress elsewhere is left alone"
