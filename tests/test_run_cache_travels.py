"""A run cache travels: two copies of the course in different folders give every run the same
cache key, and a run cache packed in one (``tools/pack_run_cache.py``) is found valid in the
other by the room check. (Before issue 29 a key held a module's repr, path included, and a
second clone found 4 of 19 runs of a complete cache.)"""

import json
import os
import shutil
import subprocess
import sys
import tarfile

from tests.chapters import ROOT

SCRIPT = r"""
import json, sys, torch
import interp_course
from interp_course import doctor
from interp_course.chapters import chapter_runs, distinct_runs
from interp_course.core import run_cache

mode = sys.argv[1]
if mode == "keys":
    print(json.dumps({"where": interp_course.__file__, "cache": str(run_cache.cache_dir()),
                      "keys": {name: config.cache_key() for name, config in distinct_runs().items()}}))
elif mode == "fake":  # a complete cache of stand-in runs, each valid by its config's checks
    for name, config in distinct_runs().items():
        shapes = config.expected_shapes()
        weights = ({n: torch.zeros(s) for n, s in shapes.items()} if shapes is not None
                   else {"W": torch.zeros(1), "b": torch.zeros(1)})
        k = getattr(config, "n_runs", 1)
        metrics = {"train_loss": torch.zeros(k, 2), "test_accuracy": torch.zeros(k, 2)}
        key = config.cache_key()
        run_cache.save_run(run_cache.run_path(config.kind, key), config.kind, key,
                           {"metrics": metrics, "checkpoints": {0: weights}})
elif mode == "status":
    status = doctor.cache_status(chapter_runs())
    print(json.dumps({"valid": sorted({n for cached, _ in status.values() for n in cached}),
                      "missing": sorted({n for _, missing in status.values() for n in missing})}))
"""


def copy_of_the_course(destination):
    for folder in ("interp_course", "solutions", "tools"):
        shutil.copytree(ROOT / folder, destination / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("_toc.yml", "pyproject.toml"):
        shutil.copy(ROOT / name, destination / name)
    return destination


def run_in(course, mode):
    env = {k: v for k, v in os.environ.items() if k != "INTERP_COURSE_CACHE"}  # the copy's own .run_cache/
    env["PYTHONPATH"] = str(course)
    done = subprocess.run([sys.executable, "-c", SCRIPT, mode], cwd=course, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1]) if done.stdout.strip() else None


def test_a_run_cache_packed_in_one_clone_is_valid_in_another(tmp_path):
    first = copy_of_the_course(tmp_path / "alice" / "course")
    second = copy_of_the_course(tmp_path / "bob" / "work" / "interp-course")
    keys_first, keys_second = run_in(first, "keys"), run_in(second, "keys")
    assert keys_first["where"].startswith(str(first)) and keys_second["where"].startswith(str(second))
    assert keys_first["cache"] == str(first / ".run_cache")
    assert len(keys_first["keys"]) >= 19
    assert keys_first["keys"] == keys_second["keys"]

    run_in(first, "fake")
    assert run_in(first, "status")["missing"] == []
    assert run_in(second, "status")["valid"] == []
    archive = tmp_path / "run-cache.tar.gz"
    packed = subprocess.run([sys.executable, str(first / "tools" / "pack_run_cache.py"), str(first / ".run_cache"),
                             str(archive)], capture_output=True, text=True, check=True)
    assert int(packed.stdout) == len(keys_first["keys"])
    with tarfile.open(archive) as tar:
        tar.extractall(second, filter="data")
    status = run_in(second, "status")
    assert status["missing"] == [] and len(status["valid"]) == len(keys_first["keys"])


def test_a_run_cache_that_does_not_fit_is_found_missing(tmp_path):
    """The check above can fail: an edited solution in the second copy makes its runs missing."""
    first = copy_of_the_course(tmp_path / "a")
    second = copy_of_the_course(tmp_path / "b")
    with open(second / "solutions" / "chapter5_induction.py", "a") as f:
        f.write("\nEDITED = True\n")
    run_in(first, "fake")
    shutil.copytree(first / ".run_cache", second / ".run_cache")
    status = run_in(second, "status")
    assert sorted(status["missing"]) == ["induction.CANONICAL", "induction.SEEDS[1]", "induction.SEEDS[2]"]
