"""Loaded by pytest for every test, the notebooks in book/ included (tests/conftest.py covers tests/ only)."""

pytest_plugins = ("tests.kernel_watchdog",)
