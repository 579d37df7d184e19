"""The teaching kit: talking points for every discussion question, one source for the course's
times, the slides, and the room check (``python -m interp_course.doctor``)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys

import nbformat
import pytest

from interp_course import course_times, doctor
from interp_course.chapters import chapter_runs, distinct_runs
from interp_course.core import run_cache
from interp_course.core.runs import load_or_train
from tests.chapters import CHAPTERS, ROOT
from tests.tiny_runs import TINY_GROKKING


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


sync_times = load_tool("sync_times")
make_slides = load_tool("make_slides")
NOTES = ROOT / "book" / "teaching" / "chapter_notes.md"


def markdown_cells(chapter: str) -> list[str]:
    notebook = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
    return [cell.source for cell in notebook.cells if cell.cell_type == "markdown"]


def chapter_questions(chapter: str) -> list[str]:
    """The numbered questions of the chapter's "Questions to discuss", each on one line."""
    for source in markdown_cells(chapter):
        match = re.search(r"^#{2,3} Questions to discuss\s*$(.*?)(?=^#{1,3} |\Z)", source, re.M | re.S)
        if match:
            items = re.split(r"^\d+\. ", match.group(1).strip(), flags=re.M)
            return [" ".join(item.split()) for item in items if item.strip()]
    raise AssertionError(f"{chapter} has no 'Questions to discuss'")


def without_markers(text: str) -> str:
    """``text`` with each quoted run number's marker (``<!-- run:name -->value<!-- /run -->``,
    tools/sync_run_numbers.py) replaced by its value: a chapter names its own numbers, the notes
    name the chapter too."""
    return re.sub(r"<!-- run:[\w.]+ -->(.*?)<!-- /run -->", r"\1", text)


def notes_section(number: int) -> str:
    text = NOTES.read_text()
    match = re.search(rf"^## {number}\. .*?(?=^## \d+\. |\Z)", text, re.M | re.S)
    assert match, f"chapter_notes.md has no section '## {number}.'"
    return match.group(0)


# -- talking points --------------------------------------------------------------------------


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_discussion_question_has_talking_points(chapter):
    number = int(re.match(r"chapter(\d+)_", chapter).group(1))
    section = notes_section(number)
    asked = chapter_questions(chapter)
    noted = re.findall(r"^\*\*(\d+)\.\*\* (.+)$", section, re.M)
    assert [int(n) for n, _ in noted] == list(range(1, len(asked) + 1)), (
        f"chapter_notes.md section {number}: questions {[n for n, _ in noted]}, the chapter asks {len(asked)}")
    for (n, text), question in zip(noted, asked):
        assert without_markers(" ".join(text.split())) == without_markers(question), (
            f"question {number}.{n} differs from the chapter's")
    blocks = re.findall(r"<details><summary>Talking points</summary>\n\n(.*?)\n\n</details>", section, re.S)
    assert len(blocks) == len(asked), f"section {number}: {len(blocks)} talking-point blocks for {len(asked)} questions"
    for n, block in enumerate(blocks, 1):
        for part in ("**A good answer:**", "**Listen for:**", "**Evidence:**"):
            assert part in block, f"talking points of question {number}.{n} lack {part}"
        assert "section" in block.split("**Evidence:**")[1], f"question {number}.{n}: the evidence names no section"


def test_the_question_parser_sees_a_missing_question(monkeypatch):
    real = chapter_questions("chapter1_grokking")
    monkeypatch.setattr(sys.modules[__name__], "chapter_questions", lambda chapter: [*real, "A new question?"])
    with pytest.raises(AssertionError, match="questions"):
        test_every_discussion_question_has_talking_points("chapter1_grokking")


# -- one source for the course's times -------------------------------------------------------


def test_every_page_agrees_with_course_times():
    stale = [str(p.relative_to(ROOT)) for p in sync_times.pages() if sync_times.sync(p, write=False)]
    assert not stale, f"{stale} differ from interp_course/course_times.py: run python tools/sync_times.py"


def test_the_sync_sees_a_stale_value(tmp_path, monkeypatch):
    page = tmp_path / "page.md"
    page.write_text("Chapter 1 takes <!-- time:chapter1_grokking.total -->9 h<!-- /time -->.\n")
    assert sync_times.sync(page, write=True)
    assert page.read_text() == f"Chapter 1 takes <!-- time:chapter1_grokking.total -->{course_times.value('chapter1_grokking.total')}<!-- /time -->.\n"
    assert not sync_times.sync(page, write=False)


def test_every_marker_names_a_known_time():
    for page in sync_times.pages():
        for key in sync_times.markers(page):
            course_times.value(key)  # raises KeyError naming the key


def test_an_unknown_key_is_an_error_that_names_it():
    with pytest.raises(KeyError, match="chapter1_grokking.speed"):
        course_times.value("chapter1_grokking.speed")
    with pytest.raises(KeyError, match="grokking.NOPE"):
        course_times.value("run.grokking.NOPE")


@pytest.mark.parametrize("page", ["README.md", "book/intro.md", "book/teaching/chapter_notes.md"])
def test_the_chapter_tables_quote_course_times(page):
    keys = sync_times.markers(ROOT / page)
    for chapter in CHAPTERS:
        assert f"{chapter}.total" in keys, f"{page}: no <!-- time:{chapter}.total --> marker"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_each_chapter_states_its_time_from_course_times(chapter):
    keys = sync_times.markers(ROOT / "book" / f"{chapter}.ipynb")
    assert f"{chapter}.total_words" in keys
    exercises = {re.search(r"^### Exercise (\d+\.\d+):", s, re.M).group(1)
                 for s in markdown_cells(chapter) if re.search(r"^### Exercise \d+\.\d+:", s, re.M)}
    assert exercises == set(course_times.CHAPTERS[chapter].exercise_min), (
        f"{chapter}: exercises {sorted(exercises)} in the notebook, "
        f"{sorted(course_times.CHAPTERS[chapter].exercise_min)} in course_times.py")
    for source in markdown_cells(chapter):
        if re.search(r"^### Exercise \d+\.\d+:", source, re.M):
            assert sync_times.EXERCISE_MINUTES.search(source), f"an exercise of {chapter} states no minutes"


def test_course_times_cover_every_chapter_and_run():
    assert list(course_times.CHAPTERS) == CHAPTERS
    assert list(course_times.WARM_SECONDS) == CHAPTERS
    assert set(course_times.RUN_SECONDS) == set(distinct_runs())
    assert all(s > 0 for s in [*course_times.RUN_SECONDS.values(), *course_times.WARM_SECONDS.values()])


def test_derived_times():
    assert course_times.minutes_words(20) == "under a minute"
    assert course_times.minutes_words(70) == "about a minute"
    assert course_times.minutes_words(370) == "about six minutes"
    assert course_times.minutes_words(25 * 60) == "about 25 minutes"
    assert course_times.hours_words(1.5) == "about 90 minutes"
    assert course_times.hours_words(2.0) == "about 2 hours"
    chapter3 = course_times.first_run_seconds("chapter3_progress")
    assert chapter3 == course_times.WARM_SECONDS["chapter3_progress"], "chapter 3 trains nothing after chapter 1"
    assert course_times.first_run_seconds("chapter3_progress", in_course_order=False) > chapter3


# -- the runs each chapter loads -------------------------------------------------------------


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_runs_lists_every_run_a_notebook_loads(chapter):
    notebook = nbformat.read(ROOT / "book" / f"{chapter}.ipynb", as_version=4)
    code = "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "code")
    listed = chapter_runs()[chapter]
    loads = re.findall(r"load_or_train\(([^()]*(?:\([^()]*\))?[^()]*)\)", code)
    assert loads, f"{chapter} loads no run"
    for argument in loads:
        argument = argument.split(", ")[0].strip()  # the config, without progress=/verbose=
        assigned = re.search(rf"^{re.escape(argument)} = (.+)$", code, re.M)
        if assigned and argument.isidentifier():  # config = induction.CANONICAL
            argument = assigned.group(1).strip()
        if argument in listed or argument == "grokking.train_fraction_config(f)":  # f in TRAIN_FRACTIONS
            continue
        looped = re.search(rf"^\s*for \w+, {re.escape(argument)} in (\w+)\.(\w+)\.items\(\):", code, re.M)
        if looped:  # for seed, seed_config in induction.SEEDS.items(): every config of it is listed
            alias, name = looped.groups()
            imported = re.search(rf"^from (interp_course\.\w+) import runs as {alias}$", code, re.M)
            assert imported, f"{chapter}: the loop over {alias}.{name} names no runs module imported as {alias}"
            configs = getattr(importlib.import_module(f"{imported.group(1)}.runs"), name).values()
            assert all(c in listed.values() for c in configs), f"{chapter}: not every run of {alias}.{name} is listed"
            continue
        raise AssertionError(f"{chapter} loads {argument}, which interp_course/{chapter}/manifest.py does not list")


# -- slides ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def decks(tmp_path_factory):
    out = tmp_path_factory.mktemp("slides")
    return out, make_slides.build(out)


def test_a_deck_per_chapter_and_an_index(decks):
    out, written = decks
    assert [p.stem for p in written] == CHAPTERS
    index = (out / "index.html").read_text()
    for chapter in CHAPTERS:
        assert f'href="{chapter}.html"' in index


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_a_deck_has_every_section_the_exercises_and_figures(decks, chapter):
    out, _ = decks
    deck = (out / f"{chapter}.html").read_text()
    titles = re.findall(r'<section class="slide (\w+)"><h1>(.*?)</h1>', deck)
    headings = [re.sub(r"^## ", "", line) for s in markdown_cells(chapter) for line in s.splitlines()
                if re.match(r"^## \d+\. ", line)]
    assert [t for kind, t in titles if kind == "section"] == [make_slides.MARKDOWN.renderInline(h) for h in headings]
    assert titles[0][0] == "title" and [t for _, t in titles[-3:]] == ["Exercises", "Questions to discuss", "Summary"]
    for number, minutes in course_times.CHAPTERS[chapter].exercise_min.items():
        assert re.search(rf"<b>{re.escape(number)}</b> [^<]* <span class=\"minutes\">{minutes} min</span>", deck), (
            f"exercise {number} ({minutes} min) is not on the exercise slide")
    assert deck.count("data:image/png;base64,") >= 3, "fewer than three figures"
    assert "You will learn" in deck and "Time:" in deck


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_a_deck_fetches_nothing(decks, chapter):
    out, _ = decks
    deck = (out / f"{chapter}.html").read_text()
    assert not re.search(r"<(script|img|link|iframe)[^>]*(src|href)=\"(https?:)?//", deck), "a deck loads a resource from the network"


def test_the_teaching_kit_links_every_chapters_slides():
    index = (ROOT / "book" / "teaching" / "index.md").read_text()
    missing = [chapter for chapter in CHAPTERS if f'href="../../slides/{chapter}.html"' not in index]
    assert not missing, f"book/teaching/index.md does not link the slides of {missing}"


# -- the hackathon tracks --------------------------------------------------------------------


def track_schedule(track: int) -> list[tuple[int, str]]:
    """(minute, what) of each row of the schedule table under "## Track N" in hackathon.md."""
    text = (ROOT / "book" / "teaching" / "hackathon.md").read_text()
    match = re.search(rf"^## Track {track}:.*?(?=^## (?!#)|\Z)", text, re.M | re.S)
    assert match, f"hackathon.md has no '## Track {track}:' section"
    rows = re.findall(r"^\| (\d):(\d\d) \| (.*?) \|", match.group(0), re.M)
    return [(60 * int(h) + int(m), what) for h, m, what in rows]


@pytest.mark.parametrize("track", [1, 2])
def test_each_hackathon_track_is_a_timed_table_of_three_hours(track):
    rows = track_schedule(track)
    starts = [minute for minute, _ in rows]
    assert starts and starts[0] == 0, f"track {track}'s schedule must start at 0:00"
    assert starts == sorted(set(starts)), f"track {track}'s times must increase: {starts}"
    assert starts[-1] < 180, f"track {track} runs past three hours"
    assert any("Break" in what for _, what in rows), f"track {track} has no break"
    assert any("Discussion" in what for _, what in rows), f"track {track} has no discussion"


def test_first_sentence():
    assert make_slides.first_sentence("# Title\n\nThe model adds. Then it rotates.") == "The model adds."
    assert make_slides.first_sentence("> a box\n\n- a list\n\nSplit at $p = 113$. Then train.") == "Split at $p = 113$."


# -- the room check --------------------------------------------------------------------------


def test_python_versions():
    assert doctor.check_python((3, 11, 9)).status == "ok"
    assert doctor.check_python((3, 12, 1)).status == "note"
    old = doctor.check_python((3, 10, 14))
    assert old.status == "fix" and "3.11.5" in old.what
    assert doctor.check_python((3, 11, 4)).status == "fix"  # soupsieve 4.1.1, pinned, needs 3.11.5
    assert doctor.check_python((3, 11, 5)).status == "ok"
    assert doctor.check_python((3, 14, 0)).status == "note"
    newest = doctor.check_python((3, 15, 0))
    assert newest.status == "note" and "newer than any the pins are checked for" in newest.what


def test_pinned_packages_found_missing_and_wrong():
    pins = {"torch": "2.13.0", "numpy": "2.3.0", "nbval": "0.11.0"}
    installed = {"torch": "2.13.0+cpu", "numpy": "2.3.0", "nbval": "0.11.0"}
    assert doctor.check_packages(pins, installed.get).status == "ok"
    finding = doctor.check_packages(pins, {**installed, "numpy": "1.26.4"}.get)
    assert finding.status == "fix" and "numpy 1.26.4, pinned 2.3.0" in finding.what
    assert "pip install -r requirements.txt" in finding.fix
    finding = doctor.check_packages(pins, {k: v for k, v in installed.items() if k != "nbval"}.get)
    assert finding.status == "fix" and "1 missing (nbval)" in finding.what


def test_the_requirements_file_is_read():
    pins = doctor.pinned_requirements()
    assert pins["torch"] == "2.13.0" and pins["ruamel-yaml"] and len(pins) > 100


def test_the_run_cache_status_sees_a_cached_run_and_a_corrupt_one():
    runs = {"chapter1_grokking": {"tiny": TINY_GROKKING}}
    assert doctor.cache_status(runs) == {"chapter1_grokking": ([], ["tiny"])}
    load_or_train(TINY_GROKKING, progress=False, verbose=False)
    assert doctor.cache_status(runs) == {"chapter1_grokking": (["tiny"], [])}
    path = run_cache.run_path(TINY_GROKKING.kind, TINY_GROKKING.cache_key())
    path.write_bytes(path.read_bytes()[:1000])
    assert doctor.cache_status(runs) == {"chapter1_grokking": ([], ["tiny"])}


def test_estimates_scale_our_times_and_skip_cached_chapters(monkeypatch):
    status = {chapter: ([], list(runs)) for chapter, runs in chapter_runs().items()}
    status["chapter4_superposition"] = (list(chapter_runs()["chapter4_superposition"]), [])
    lines, too_long = doctor.first_run_estimates(status, probe_ms=2 * course_times.MEASURED.probe_ms)
    assert "0.50x" in lines[0]
    text = "\n".join(lines)
    assert "4. Superposition: ready" in text
    assert "3. Progress measures: its runs are trained by an earlier chapter" in text
    chapter5 = 2 * sum(course_times.RUN_SECONDS[name] for name in chapter_runs()["chapter5_induction"])
    assert f"5. Induction heads: first run trains 3 runs, {course_times.minutes_words(chapter5)}" in text
    assert too_long == []  # at half our speed every first run fits a session


def test_a_machine_too_slow_for_a_session_is_told_so_with_the_fallbacks():
    status = {chapter: ([], list(runs)) for chapter, runs in chapter_runs().items()}
    slowest = max(status, key=lambda c: sum(course_times.RUN_SECONDS[n] for n in status[c][1]))
    seconds = sum(course_times.RUN_SECONDS[n] for n in status[slowest][1])
    factor = 1.2 * doctor.SESSION_MINUTES * 60 / seconds  # just over a session for the slowest chapter
    lines, too_long = doctor.first_run_estimates(status, probe_ms=factor * course_times.MEASURED.probe_ms)
    assert too_long == [course_times.CHAPTERS[slowest].title]
    assert any(line.endswith("(!)") and course_times.CHAPTERS[slowest].title in line for line in lines)
    finding = doctor.too_slow(too_long)
    assert finding.status == "note" and "run-cache.tar.gz" in finding.fix and "Colab" in finding.fix
    assert doctor.verdict([doctor.Finding("ok", "x"), finding]) == "Ready. (The ! lines are worth reading; none must be fixed.)"
    assert doctor.verdict([finding, doctor.Finding("fix", "y")]).startswith("Not ready")
    assert doctor.verdict([doctor.Finding("ok", "x")]) == "Ready."


def test_threads_beyond_the_free_cores_are_noticed(monkeypatch):
    import os

    import torch

    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    monkeypatch.setattr(torch, "get_num_threads", lambda: 4)
    assert doctor.check_threads(busy_share=0.0).status == "ok"
    busy = doctor.check_threads(busy_share=0.5)  # two of four cores taken by other programs
    assert busy.status == "note" and "2.0 of 4 CPUs busy" in busy.what and "close" in busy.fix
    assert doctor.check_threads(busy_share=0.1).status == "ok"  # 0.4 of a core busy: not worth a line


def test_the_loose_path_is_taken_on_the_macs_the_pins_cannot_install_on(monkeypatch):
    monkeypatch.delenv(doctor.LOOSE_PATH_ENV_VAR, raising=False)
    assert doctor.pins_install_here("Linux", "x86_64", "")
    assert doctor.pins_install_here("Windows", "AMD64", "")
    assert doctor.pins_install_here("Darwin", "arm64", "14.2")
    assert not doctor.pins_install_here("Darwin", "arm64", "13.6")
    assert not doctor.pins_install_here("Darwin", "x86_64", "14.1")
    monkeypatch.setenv(doctor.LOOSE_PATH_ENV_VAR, "1")
    assert not doctor.pins_install_here("Linux", "x86_64", "")
    assert doctor.check_python((3, 10, 2), loose=True).status == "ok"
    assert doctor.check_python((3, 13, 1), loose=True).status == "ok"  # macOS 13 on Apple silicon
    intel = doctor.check_python((3, 13, 1), loose=True, intel_mac=True)  # torch 2.2.2 has no wheel for it
    assert intel.status == "fix" and "python3.12" in intel.fix
    assert doctor.check_python((3, 9, 18), loose=True).status == "fix"
    floor = {"torch": "2.2.2", "numpy": "1.26.4", "matplotlib": "3.7.0", "tqdm": "4.66.1", "ipywidgets": "8.1.1",
             "jupyterlab": "4.2.0"}
    assert doctor.check_loose_packages(floor.get).status == "note"
    old = doctor.check_loose_packages({**floor, "torch": "2.1.2"}.get)
    assert old.status == "fix" and "torch 2.1.2, needs 2.2 or newer" in old.what and '".[lab]"' in old.fix
    assert doctor.check_loose_packages({**floor, "numpy": None}.get).status == "fix"
    numpy_2 = doctor.check_loose_packages({**floor, "numpy": "2.1.0"}.get)  # an Intel Mac's torch 2.2.2 needs NumPy 1
    assert numpy_2.status == "fix" and "numpy 2.1.0" in numpy_2.what and '"numpy<2"' in numpy_2.fix
    assert doctor.check_loose_packages({**floor, "torch": "2.11.0", "numpy": "2.1.0"}.get).status == "note"
    no_lab = doctor.check_loose_packages({**floor, "jupyterlab": None}.get)  # `pip install -e .` without [lab]
    assert no_lab.status == "fix" and "jupyterlab missing" in no_lab.what and '".[lab]"' in no_lab.fix


def test_the_loose_bounds_are_pyprojects():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11 (the floor environment's 3.10 has none)

    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    bounds = {}
    for dependency in dependencies:
        match = re.match(r"([A-Za-z0-9_.-]+)>=([0-9.]+)$", dependency.replace(" ", ""))
        if match:
            bounds[match.group(1)] = match.group(2)
    assert bounds == doctor.LOOSE_BOUNDS


def test_the_room_check_runs_and_says_whether_the_laptop_is_ready():
    result = subprocess.run([sys.executable, "-m", "interp_course.doctor", "--no-probe"], capture_output=True,
                            text=True, cwd=ROOT, timeout=300)
    assert result.returncode in (0, 1), result.stderr
    packages = "the loose path" if not doctor.pins_install_here() else "pinned packages"
    assert re.search(r"^[✓!] Python", result.stdout, flags=re.M)
    assert packages in result.stdout and "run cache" in result.stdout
    assert result.stdout.strip().splitlines()[-1] in {
        "Ready.", "Ready. (The ! lines are worth reading; none must be fixed.)",
        "Not ready: fix the ✗ lines, then run this again."}
    assert (result.returncode == 0) == ("✗" not in result.stdout)
