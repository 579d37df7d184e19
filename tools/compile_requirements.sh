#!/usr/bin/env bash
# Regenerate requirements.txt from requirements.in: every package, transitive ones included,
# pinned to one version. Run it after editing requirements.in, then commit both files.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m piptools compile --help >/dev/null 2>&1 || { echo "needs pip-tools: pip install pip-tools" >&2; exit 1; }
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
# Start from the current pins, so that only what requirements.in changed moves
# (pip-compile keeps an output file's pins where they still satisfy the input).
grep -v '^-e ' requirements.txt | grep -v '^#' > "$tmp" || true
python -m piptools compile --quiet --no-header --strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links -o "$tmp" requirements.in
{
  echo "# Every package the course needs, pinned. Generated from requirements.in by"
  echo "# tools/compile_requirements.sh; do not edit by hand."
  echo "#"
  echo "# torch is pinned without a build tag: on macOS and Windows PyPI's wheel is the CPU build;"
  echo "# on Linux the README shows how to take the (much smaller) CPU-only wheel."
  # A local CPU build (2.13.0+cpu) satisfies ==2.13.0; pin the public version.
  sed -E 's/^torch==([0-9.]+)\+[a-z0-9]+/torch==\1/' "$tmp"
  echo
  echo "# The course itself (its support package and solutions/), so notebooks import it from any folder."
  echo "-e ."
} > requirements.txt
echo "wrote requirements.txt ($(grep -c '==' requirements.txt) pinned packages)"
