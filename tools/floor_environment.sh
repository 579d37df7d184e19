#!/usr/bin/env bash
# The loose path's floor: a virtual environment with every dependency of pyproject.toml at its
# lower bound (torch 2.2.0, numpy 1.24.0, ...) on the oldest Python it allows, then the course's
# tests there: the unit tests and checks (not the notebooks), and chapters 1 and 5's claims on
# runs trained in that environment. This is the path the README gives machines that cannot
# install the pins (an Intel Mac, whose last torch is 2.2.2; macOS 13 and earlier).
#
#   bash tools/floor_environment.sh [PYTHON]      # PYTHON: an interpreter, default python3.10
#
# It downloads about 3 GB on Linux (PyPI's torch 2.2.0 carries CUDA libraries) into a venv in
# $FLOOR_VENV (default /tmp/interp-course-floor) and trains into its own run cache beside it.
# Not part of the test command: it takes minutes of downloads and about ten of training.
set -euo pipefail
cd "$(dirname "$0")/.."
python_bin="${1:-python3.10}"
venv="${FLOOR_VENV:-/tmp/interp-course-floor}"

# pyproject.toml's lower bounds as pins (">=X" becomes "==X"; markers kept).
floor_pins=$(python3 - <<'EOF'
import re, tomllib
deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]
pins = []
for dep in deps:
    name, spec = re.match(r"([A-Za-z0-9_.-]+)\s*([^;]*)", dep).groups()
    low = re.search(r">=\s*([0-9][^,\s]*)", spec)
    if low:
        version = low.group(1) + (".0" if low.group(1).count(".") == 1 else "")
        pins.append(f"{name}=={version}")
print(" ".join(pins))
EOF
)
# What the tests need besides the course, and the [lab] extra's JupyterLab, at the versions
# requirements.txt pins.
test_pins=$(grep -i -E '^(pytest|nbval|pyyaml|markdown-it-py|mdit-py-plugins|psutil|jupyterlab)==' requirements.txt | tr '\n' ' ')

start=$(date +%s)
rm -rf "$venv"
"$python_bin" -m venv "$venv"
"$venv/bin/pip" install --quiet $floor_pins $test_pins "ipykernel<7"
"$venv/bin/pip" install --quiet --no-deps -e .
echo "floor environment: $("$venv/bin/python" -c 'import sys, torch, numpy, matplotlib; print(f"Python {sys.version.split()[0]}, torch {torch.__version__}, numpy {numpy.__version__}, matplotlib {matplotlib.__version__}")')"
installed=$(date +%s)

export INTERP_COURSE_CACHE="$venv-run-cache"
export INTERP_COURSE_LOOSE_PATH=1  # the room check judges this environment as the loose path, as on an Intel Mac
# tests/test_workflows.py lints the publishing workflow with check-jsonschema, a contributor's
# tool that is not part of the course.
"$venv/bin/python" -m pytest -q -m "not course_runs" tests --ignore tests/test_workflows.py \
  --ignore tests/test_platforms.py
tested=$(date +%s)
"$venv/bin/python" -m pytest -q -m course_runs tests/chapter1_grokking/test_claims.py tests/chapter5_induction/test_claims.py
done_at=$(date +%s)
echo "floor environment: install $((installed - start)) s, unit tests $((tested - installed)) s, chapters 1 and 5's claims (training included) $((done_at - tested)) s"
