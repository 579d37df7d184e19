"""Every number of our runs that the text quotes (prose, teaching notes, README) is the number
the executed notebook computed: tools/sync_run_numbers.py writes them; these tests fail when one
differs, names a number no notebook quotes, or when a quoted number is used nowhere."""

import importlib.util
import pathlib
import shutil

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("sync_run_numbers", ROOT / "tools" / "sync_run_numbers.py")
sync_run_numbers = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sync_run_numbers)

NUMBERS = sync_run_numbers.all_numbers()
PAGES = sync_run_numbers.pages()


def test_the_chapters_quote_numbers_of_their_runs():
    chapters = {key.split(".")[0] for key in NUMBERS}
    assert chapters == {nb.stem for nb in sync_run_numbers.chapter_notebooks()}, (
        "every chapter quotes the numbers of its run that its text gives")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_quoted_number_is_the_one_the_notebook_computed(page):
    assert not sync_run_numbers.sync(page, NUMBERS, write=False), (
        f"{page.relative_to(ROOT)} quotes a number its notebook no longer computes: run python tools/sync_run_numbers.py")


def test_every_number_a_notebook_quotes_is_in_the_text():
    used = set()
    for page in PAGES:
        chapter = sync_run_numbers.chapter_of(page)
        used |= {key if "." in key else f"{chapter}.{key}" for key in sync_run_numbers.markers(page)}
    assert not set(NUMBERS) - used, f"quoted by a notebook but used by no page: {sorted(set(NUMBERS) - used)}"


def _page_with_a_marker() -> tuple[pathlib.Path, str]:
    for page in PAGES:
        if page.suffix == ".ipynb" and sync_run_numbers.markers(page):
            return page, sync_run_numbers.markers(page)[0]
    pytest.fail("no chapter notebook holds a marker")


def test_a_planted_stale_number_is_found_and_rewritten(tmp_path):
    """The check can fail: a copy of a chapter with one quoted number changed is stale, and
    syncing writes the notebook's number back."""
    page, key = _page_with_a_marker()
    copy = tmp_path / page.name
    shutil.copy(page, copy)
    notebook = nbformat.read(copy, as_version=4)
    marker = sync_run_numbers.MARKER
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and marker.search(cell.source):
            cell.source = marker.sub(lambda m: f"<!-- run:{m['key']} -->123456789<!-- /run -->", cell.source, count=1)
            break
    nbformat.write(notebook, copy)
    assert sync_run_numbers.sync(copy, NUMBERS, write=False)
    assert sync_run_numbers.sync(copy, NUMBERS, write=True)
    assert not sync_run_numbers.sync(copy, NUMBERS, write=False)
    assert "123456789" not in copy.read_text()


def test_a_marker_naming_no_quoted_number_is_an_error(tmp_path):
    page = tmp_path / "notes.md"
    page.write_text("In our run the spike came at step <!-- run:chapter1_grokking.no_such_number -->712<!-- /run -->.")
    with pytest.raises(sync_run_numbers.UnknownNumber, match="no_such_number"):
        sync_run_numbers.sync(page, NUMBERS, write=False)


def test_outside_a_chapter_a_marker_names_its_chapter(tmp_path):
    page = tmp_path / "notes.md"
    page.write_text("step <!-- run:grokked_at -->840<!-- /run -->")
    with pytest.raises(sync_run_numbers.UnknownNumber, match="chapterN_topic.name"):
        sync_run_numbers.sync(page, NUMBERS, write=False)
