"""Shared test setup.

- Every test gets its own empty run cache (``$INTERP_COURSE_CACHE`` set to a temporary
  folder), so no test can read a stale run from, or write into, the real one.
- The unit tests train tiny models, for which one thread is faster than two and immune to a
  busy machine (two processes each spinning two threads on two cores slow down many times).

Neither applies to the notebooks that nbval executes (``book/``): they use the real cache.
"""

import pytest
import torch

from interp_course.core import run_cache

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def temporary_run_cache(tmp_path_factory, monkeypatch):
    folder = tmp_path_factory.mktemp("run_cache")
    monkeypatch.setenv(run_cache.CACHE_ENV_VAR, str(folder))
    return folder
