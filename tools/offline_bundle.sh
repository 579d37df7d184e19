#!/usr/bin/env bash
# Make an install bundle for a room without internet: every pinned package as a file, the
# course itself, and (if you have trained them) the course's trained runs.
#
#   bash tools/offline_bundle.sh BUNDLE_DIR [pip download options]
#
# Run it on a machine like the learners' (same OS and Python version), or pass pip's
# --platform / --python-version / --only-binary=:all: options to download for another one.
# Copy BUNDLE_DIR to a USB stick; BUNDLE_DIR/INSTALL.txt says what to run on each laptop.
set -euo pipefail
out="${1:?usage: bash tools/offline_bundle.sh BUNDLE_DIR [pip download options]}"
shift
mkdir -p "$out/wheels"
out="$(cd "$out" && pwd)"  # resolved where you ran the command, before moving to the checkout
cache="$(cd "${INTERP_COURSE_CACHE:-$(dirname "$0")/../.run_cache}" 2>/dev/null && pwd || true)"
cd "$(dirname "$0")/.."

# Every pinned package (the course itself, the "-e ." line, is installed from its source),
# plus what pip needs to install the course from source without an index.
grep -v '^-e ' requirements.txt > "$out/requirements-pinned.txt"
python3 -m pip download --quiet -r "$out/requirements-pinned.txt" -d "$out/wheels" "$@"
python3 -m pip download --quiet "setuptools>=61" wheel -d "$out/wheels" "$@"

git archive --format=tar.gz --prefix=interp-course/ -o "$out/interp-course.tar.gz" HEAD
# The trained runs of the run cache ($INTERP_COURSE_CACHE if set): finished runs only.
rm -f "$out/run-cache.tar.gz"
if [ -n "$cache" ]; then
  echo "trained runs packed from $cache: $(python3 tools/pack_run_cache.py "$cache" "$out/run-cache.tar.gz")"
fi

cat > "$out/INSTALL.txt" <<'TXT'
Installing the course without internet
=====================================

On each laptop, from the folder that holds this file (Python 3.11.5 to 3.14):

  tar xzf interp-course.tar.gz
  cd interp-course
  python3 -m venv .venv
  .venv/bin/pip install --no-index --find-links ../wheels -r requirements.txt
  tar xzf ../run-cache.tar.gz      # if the bundle has it: the trained runs, no waiting
  .venv/bin/jupyter lab --ServerApp.root_dir=. book/chapter1_grokking.ipynb

On Windows use .venv\Scripts\pip and .venv\Scripts\jupyter instead of .venv/bin/...
TXT
du -sh "$out" | cut -f1 | xargs echo "bundle size:"
ls "$out"
