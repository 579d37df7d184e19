"""Shared test setup.

- Every test gets its own empty run cache (``$INTERP_COURSE_CACHE`` set to a temporary
  folder), so no test can read a stale run from, or write into, the real one.
- The unit tests train tiny models, for which one thread is faster than two and immune to a
  busy machine (two processes each spinning two threads on two cores slow down many times).

Neither applies to the notebooks that nbval executes (``book/``), nor to the tests of the
chapters' claims, which load the notebooks' runs through ``tests/course_runs.py``: they use the
real cache. Those tests and the notebooks are marked ``course_runs``, so that
``pytest -m course_runs`` checks the course's claims alone (CI's second pass does, under other
numerics).
"""

import pytest
import torch

from interp_course.core import run_cache
from tests import course_runs  # noqa: F401  (records the thread count and the real cache first)

torch.set_num_threads(1)


def pytest_collection_modifyitems(items):
    for item in items:  # nbval's notebook cells train and load the course's runs too
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.course_runs)


@pytest.fixture(autouse=True)
def temporary_run_cache(tmp_path_factory, monkeypatch):
    folder = tmp_path_factory.mktemp("run_cache")
    monkeypatch.setenv(run_cache.CACHE_ENV_VAR, str(folder))
    return folder
