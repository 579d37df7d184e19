"""The runs the notebooks use, for the tests that assert the chapters' claims on them.

These tests (marked ``course_runs``) load from the real run cache (``$INTERP_COURSE_CACHE``
or ``.run_cache/``), not the empty one every other test gets, and train what is missing there
with all the machine's threads, exactly as a notebook would: in a cold cache the runs are
trained once, here, and the notebooks that nbval executes afterwards load them. To check the
course under other numerics, point ``$INTERP_COURSE_CACHE`` at another folder and set the
numerics in the environment (see ``tools/other_numerics.py``).
"""

from __future__ import annotations

import contextlib
import os

import torch

from interp_course.core import run_cache

THREADS_AT_START = torch.get_num_threads()  # conftest.py sets 1 thread for the unit tests
REAL_CACHE = os.environ.get(run_cache.CACHE_ENV_VAR)  # read before any test changes it


@contextlib.contextmanager
def course_cache():
    """The course's real run cache and all threads, for the duration of the block."""
    saved_cache, saved_threads = os.environ.get(run_cache.CACHE_ENV_VAR), torch.get_num_threads()
    if REAL_CACHE is None:
        os.environ.pop(run_cache.CACHE_ENV_VAR, None)
    else:
        os.environ[run_cache.CACHE_ENV_VAR] = REAL_CACHE
    torch.set_num_threads(THREADS_AT_START)
    try:
        yield
    finally:
        torch.set_num_threads(saved_threads)
        if saved_cache is None:
            os.environ.pop(run_cache.CACHE_ENV_VAR, None)
        else:
            os.environ[run_cache.CACHE_ENV_VAR] = saved_cache


def load(load_or_train, config):
    """``load_or_train(config)`` from the course's run cache, quietly."""
    with course_cache():
        return load_or_train(config, progress=False, verbose=False)
