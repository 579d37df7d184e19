"""Pack the trained runs of a run cache into a tar.gz for tools/offline_bundle.sh.

Only finished runs (``*.pt``) go in: not the temporaries a killed save left (``*.tmp``) nor
the unusable files moved aside (``*.bad-*``). They are stored under ``.run_cache/``, so
that unpacking the archive in a checkout gives it the runs.

Usage: python tools/pack_run_cache.py CACHE_DIR ARCHIVE   (prints how many runs it packed;
writes no archive when there are none)
"""

from __future__ import annotations

import pathlib
import sys
import tarfile


def pack(cache: pathlib.Path, archive: pathlib.Path) -> int:
    runs = sorted(p for p in cache.glob("*.pt") if p.is_file())
    if runs:
        with tarfile.open(archive, "w:gz") as tar:
            for run in runs:
                tar.add(run, arcname=f".run_cache/{run.name}")
    return len(runs)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-2])
    print(pack(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])))
