"""Adding a chapter takes its four folders, its manifest and one line in ``_toc.yml``: a
throw-away eighth chapter, made by ``tools/new_chapter.py`` in a copy of the course, is picked
up by the registries, the room check, the timing tables and the test suite with no other edit."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.chapters import CHAPTERS, ROOT

NEW = "chapter9_throwaway"
LEFT_OUT = {".git", ".venv", "_build", "__pycache__", ".ipynb_checkpoints"}

REGISTRIES = r"""
import json
from interp_course import chapters, course_times, doctor
status = doctor.cache_status(chapters.chapter_runs())
print(json.dumps({
    "chapters": chapters.chapter_names(),
    "total": course_times.value("chapter9_throwaway.total"),
    "in_order": course_times.value("chapter9_throwaway.in_order"),
    "room_check": doctor.first_run_estimates(status, probe_ms=course_times.MEASURED.probe_ms)[0],
}))
"""


@pytest.fixture(scope="module")
def course_with_a_new_chapter(tmp_path_factory):
    copy = tmp_path_factory.mktemp("course") / "course"
    shutil.copytree(ROOT, copy, ignore=lambda folder, names: [
        n for n in names if n in LEFT_OUT or n.startswith(".run_cache")])
    env = {k: v for k, v in os.environ.items() if k != "INTERP_COURSE_CACHE"}
    env["PYTHONPATH"] = str(copy)  # the copy's course, not the installed one
    made = subprocess.run([sys.executable, "tools/new_chapter.py", "9", "throwaway", "A throw-away chapter"],
                          cwd=copy, env=env, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr[-3000:]
    return copy, env


def run(copy, env, *args):
    return subprocess.run([sys.executable, *args], cwd=copy, env=env, capture_output=True, text=True)


def test_the_template_writes_four_folders_a_manifest_and_a_toc_line(course_with_a_new_chapter):
    copy, _ = course_with_a_new_chapter
    for path in [f"book/{NEW}.ipynb", f"solutions/{NEW}.py", f"interp_course/{NEW}/manifest.py",
                 f"interp_course/{NEW}/checks.py", f"tests/{NEW}/test_checks.py"]:
        assert (copy / path).is_file(), path
    assert f"- file: book/{NEW}\n" in (copy / "_toc.yml").read_text()
    changed = {p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_file() and "throwaway" in p.as_posix()}
    assert all(NEW in p for p in changed)


def test_the_registries_the_times_and_the_room_check_pick_it_up(course_with_a_new_chapter):
    copy, env = course_with_a_new_chapter
    done = run(copy, env, "-c", REGISTRIES)
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["chapters"] == [*CHAPTERS, NEW]
    assert found["total"].endswith(" h") and found["in_order"].endswith(" s")
    assert any(line.strip().startswith("9. A throw-away chapter: ready") for line in found["room_check"])


def test_the_test_suite_picks_it_up_and_its_own_tests_pass(course_with_a_new_chapter):
    copy, env = course_with_a_new_chapter
    collected = run(copy, env, "-m", "pytest", "--collect-only", "-q", "tests", "-p", "no:randomly")
    assert collected.returncode == 0, collected.stdout[-3000:]
    ids = [line for line in collected.stdout.splitlines() if NEW in line]
    for test_file in ("test_layout.py", "test_exercise_contract.py", "test_notebooks.py", "test_teaching_kit.py",
                      "test_colab_setup.py", f"{NEW}/test_checks.py"):
        assert any(test_file in line for line in ids), f"{test_file} does not loop over the new chapter"
    passed = run(copy, env, "-m", "pytest", "-q", f"tests/{NEW}", "tests/test_layout.py",
                 "tests/test_exercise_contract.py", "-k", f"{NEW} or throwaway or unit_rows")
    assert passed.returncode == 0, passed.stdout[-3000:]
    assert " passed" in passed.stdout.splitlines()[-1]


def test_the_template_refuses_to_overwrite_a_chapter(course_with_a_new_chapter):
    copy, env = course_with_a_new_chapter
    again = run(copy, env, "tools/new_chapter.py", "9", "throwaway", "Again")
    assert again.returncode != 0 and "exists already" in again.stderr
