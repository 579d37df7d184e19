#!/usr/bin/env bash
# Execute chapter notebooks top to bottom, in place, the way they are committed:
# one clean run, outputs kept, then the saved widget state dropped (it would make the
# website fetch the widget manager from a CDN; the website shows static figures instead).
# nbclient's store_widget_state=False cannot be used: it breaks ipywidgets' Output widget.
# The execution is tools/notebook_client.py's (nbclient waiting in slices: plain nbclient, as
# in `jupyter nbconvert --execute`, now and then waits for ever at a widget cell).
# Usage: bash tools/execute_notebook.sh book/chapter1_grokking.ipynb [...]
set -euo pipefail
for notebook in "$@"; do
  python "$(dirname "$0")/notebook_client.py" --cell-timeout 1800 "$notebook"
  python - "$notebook" <<'PY'
import sys

import nbformat

path = sys.argv[1]
notebook = nbformat.read(path, as_version=4)
notebook.metadata.pop("widgets", None)
nbformat.write(notebook, path)
PY
done
