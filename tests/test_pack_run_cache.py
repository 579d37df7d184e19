"""tools/pack_run_cache.py: what a room's offline bundle carries of the run cache."""

import importlib.util
import pathlib
import tarfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("pack_run_cache", ROOT / "tools" / "pack_run_cache.py")
pack_run_cache = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pack_run_cache)


def test_only_finished_runs_are_packed_under_run_cache(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    for name in ("grokking-1.pt", "induction-2.pt", "grokking-1.pt.abc.tmp", "grokking-3.pt.bad-1700000000"):
        (cache / name).write_bytes(b"x")
    archive = tmp_path / "run-cache.tar.gz"
    assert pack_run_cache.pack(cache, archive) == 2
    with tarfile.open(archive) as tar:
        assert sorted(tar.getnames()) == [".run_cache/grokking-1.pt", ".run_cache/induction-2.pt"]


def test_an_empty_cache_gives_no_archive(tmp_path):
    archive = tmp_path / "run-cache.tar.gz"
    assert pack_run_cache.pack(tmp_path, archive) == 0 and not archive.exists()
