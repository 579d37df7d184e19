"""The platforms the README promises can install the course, and those it rules out cannot.

Each test resolves ``requirements.txt`` (or ``pyproject.toml``'s loose bounds, for the path the
README gives Intel Macs and macOS 13) for another Python and operating system with ``uv pip
compile --python-version V --python-platform P --only-binary :all:``, which evaluates each
platform's markers and wheel tags as pip would there, and fails on a resolver error. It needs
the package index, which answers slowly (about two minutes for all of them with an empty uv
cache): ``.ci/run`` runs this module beside the first pass, with ``REQUIRE_PLATFORM_CHECK=1``,
which makes an unreachable index an error (offline, the tests are skipped otherwise).

What this cannot show is that the course *runs* there: Linux x86-64 is where CI runs it, and
``tools/floor_environment.sh`` runs it at the loose bounds' floor.
"""

import os
import re
import socket
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# What the README's "Set up" section names: Python 3.11.5 to 3.14 on these systems.
PYTHONS = ["3.11.5", "3.12", "3.13", "3.14"]
SYSTEMS = {
    "Linux x86-64": ("x86_64-unknown-linux-gnu", None),
    "Linux ARM64": ("aarch64-unknown-linux-gnu", None),
    "macOS 14 on Apple silicon": ("aarch64-apple-darwin", "14.0"),
    "Windows x86-64": ("x86_64-pc-windows-msvc", None),
}
# What it rules out for the pins, each with the package the resolver names.
RULED_OUT = {
    "Python 3.11.4": ("3.11.4", "x86_64-unknown-linux-gnu", None, "soupsieve"),
    "Python 3.10": ("3.10", "x86_64-unknown-linux-gnu", None, "python"),
    "macOS 13 on Apple silicon": ("3.12", "aarch64-apple-darwin", "13.0", "torch"),
    "an Intel Mac on macOS 14": ("3.12", "x86_64-apple-darwin", "14.0", "wheel"),  # torch's, or another's first
}
# The README's path for those Macs: `pip install -e ".[lab]"`, Python 3.10 to 3.12 on an Intel Mac.
LOOSE_PATH = {
    "an Intel Mac on macOS 10.15, Python 3.10": ("3.10", "x86_64-apple-darwin", "10.15"),
    "an Intel Mac on macOS 14, Python 3.12": ("3.12", "x86_64-apple-darwin", "14.0"),
    "macOS 13 on Apple silicon, Python 3.12": ("3.12", "aarch64-apple-darwin", "13.0"),
}


def uv_binary() -> str | None:
    try:
        from uv import find_uv_bin
    except ImportError:
        return None
    return find_uv_bin()


def index_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=5).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def uv():
    if os.environ.get("PLATFORM_CHECK_RUNS_BESIDE") == "1":
        pytest.skip(".ci/run runs this module beside the rest (it waits on the index, not the CPU)")
    binary = uv_binary()
    problem = None if binary else "uv is not installed (it is in requirements.txt)"
    if problem is None and not index_reachable():
        problem = "the package index (pypi.org) cannot be reached"
    if problem:
        if os.environ.get("REQUIRE_PLATFORM_CHECK") == "1":
            pytest.fail(f"REQUIRE_PLATFORM_CHECK=1 but {problem}")
        pytest.skip(problem)
    return binary


def pins_only(tmp_path, plant: dict[str, str] | None = None) -> Path:
    """requirements.txt without the course itself (``-e .``), with ``plant``'s pins put in."""
    lines = []
    for line in (REPO / "requirements.txt").read_text().splitlines():
        if line.startswith("-e "):
            continue
        name = re.match(r"([A-Za-z0-9_.-]+)==", line)
        if plant and name and name.group(1).lower() in plant:
            line = f"{name.group(1)}=={plant[name.group(1).lower()]}"
        lines.append(line)
    path = tmp_path / "pins.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def resolve(uv: str, requirements: Path, python: str, platform: str, macos: str | None, *extra: str,
            offline_first: bool = False):
    """``uv pip compile`` for that Python and platform. With ``offline_first``, from uv's cache
    alone (half a second instead of ten), then from the index if the cache lacks something."""
    env = dict(os.environ)
    if macos:
        env["MACOSX_DEPLOYMENT_TARGET"] = macos
    command = [uv, "pip", "compile", str(requirements), *extra, "--python-version", python, "--python-platform",
               platform, "--only-binary", ":all:", "--no-header", "--quiet"]
    if offline_first:
        result = subprocess.run([*command, "--offline"], capture_output=True, text=True, env=env, timeout=300, cwd=REPO)
        if result.returncode == 0 or not re.search(r"offline|network", result.stderr, flags=re.I):
            return result
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, cwd=REPO)


def resolve_all(uv, requirements, cases: dict, *extra):
    """Every case (python, platform, macOS) resolved: the first of each platform from the index,
    together (which fills uv's cache), then the rest from the cache where it can."""
    first = {}
    for name, (_, platform, _) in cases.items():
        first.setdefault(platform, name)
    with ThreadPoolExecutor(max_workers=len(first)) as pool:
        futures = {name: pool.submit(resolve, uv, requirements, *cases[name], *extra) for name in first.values()}
        results = {name: future.result() for name, future in futures.items()}
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(resolve, uv, requirements, *case, *extra, offline_first=True)
                   for name, case in cases.items() if name not in results}
        results.update({name: future.result() for name, future in futures.items()})
    return {name: results[name] for name in cases}


def test_the_pins_install_with_every_python_on_every_system_the_readme_names(uv, tmp_path):
    cases = {f"{system}, Python {python}": (python, platform, macos)
             for system, (platform, macos) in SYSTEMS.items() for python in PYTHONS}
    results = resolve_all(uv, pins_only(tmp_path), cases)
    failed = {name: r.stderr.strip().splitlines()[-3:] for name, r in results.items() if r.returncode != 0}
    assert not failed, f"requirements.txt cannot be installed on: {failed}"


def test_the_pins_cannot_install_where_the_readme_says_they_cannot(uv, tmp_path):
    results = resolve_all(uv, pins_only(tmp_path), {name: case[:3] for name, case in RULED_OUT.items()})
    for name, (*_, package) in RULED_OUT.items():
        assert results[name].returncode != 0, f"requirements.txt now installs on {name}: update the README"
        assert package in results[name].stderr.lower(), (name, results[name].stderr)


def test_a_planted_pin_with_no_wheel_for_a_platform_fails_the_check(uv, tmp_path):
    # numpy 1.24.0 has no wheel for Python 3.12 or later: the platform check must catch it.
    planted = pins_only(tmp_path, plant={"numpy": "1.24.0"})
    results = resolve_all(uv, planted, {"Windows, 3.12": ("3.12", "x86_64-pc-windows-msvc", None)})
    assert results["Windows, 3.12"].returncode != 0 and "numpy" in results["Windows, 3.12"].stderr


def test_the_loose_path_installs_on_the_macs_the_pins_rule_out(uv):
    results = resolve_all(uv, REPO / "pyproject.toml", LOOSE_PATH, "--extra", "lab")
    for name, result in results.items():
        assert result.returncode == 0, (name, result.stderr)
        pins = dict(re.findall(r"^([a-z0-9_.-]+)==(\S+)", result.stdout, flags=re.M))
        assert {"torch", "numpy", "jupyterlab", "ipykernel"} <= pins.keys(), (name, pins)
        if "Intel" in name:  # torch 2.2.2 is the last for Intel Macs, built against NumPy 1
            assert pins["torch"] == "2.2.2" and pins["numpy"].startswith("1."), (name, pins)
        assert pins["ipykernel"].startswith("6."), (name, pins)
