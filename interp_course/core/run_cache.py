"""The run cache: trained runs saved on disk, keyed by their config and the code that trained them.

A run is trained once and then loaded by every chapter, test and book build that asks for the
same config. Each run is one file, ``<kind>-<hash of key>.pt``, holding the key (the config and
a fingerprint of the code that trained it, see :mod:`interp_course.core.runs`), the recorded
metrics, the weights at chosen steps, and a checksum of all of it.

Safety rules (DESIGN.md):

* a file is written under a temporary name and renamed into place, so a crash or an
  interrupt mid-write never leaves a half file under the real name;
* a file that fails to load, has the wrong config or format, or fails its checksum is
  reported, moved aside (``*.pt.bad-<time>``) and rebuilt;
* files are read with ``torch.load(weights_only=True)``: plain tensors, numbers, strings,
  lists and dicts only, never arbitrary pickled objects.

The cache directory is ``$INTERP_COURSE_CACHE`` if set; otherwise ``.run_cache/`` at the root
of the course checkout (when the course is installed from a checkout), else
``~/.cache/interp-course``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any, Callable

import torch

FORMAT_VERSION = 1
CACHE_ENV_VAR = "INTERP_COURSE_CACHE"


class CorruptRunWarning(UserWarning):
    """A cached run could not be used and is being rebuilt."""


def cache_dir() -> Path:
    """Where runs are stored (created if missing)."""
    if os.environ.get(CACHE_ENV_VAR):
        path = Path(os.environ[CACHE_ENV_VAR]).expanduser()
    else:
        checkout = Path(__file__).resolve().parents[2]
        if (checkout / "pyproject.toml").is_file() and (checkout / "_toc.yml").is_file():
            path = checkout / ".run_cache"
        else:
            path = Path.home() / ".cache" / "interp-course"
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_key(config: dict) -> str:
    """A short stable hash of a JSON-able config."""
    text = json.dumps(config, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_path(kind: str, config: dict) -> Path:
    return cache_dir() / f"{kind}-{config_key(config)}.pt"


def checksum(payload: Any) -> str:
    """SHA-256 over every tensor, number and string in a nested payload, in a fixed order."""
    digest = hashlib.sha256()

    def visit(obj: Any) -> None:
        if isinstance(obj, torch.Tensor):
            t = obj.detach().cpu().contiguous()
            digest.update(f"T{t.dtype}{tuple(t.shape)}".encode())
            digest.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
        elif isinstance(obj, dict):
            digest.update(b"D")
            for key in sorted(obj):
                digest.update(str(key).encode())
                visit(obj[key])
        elif isinstance(obj, (list, tuple)):
            digest.update(f"L{len(obj)}".encode())
            for item in obj:
                visit(item)
        else:
            digest.update(repr(obj).encode())

    visit(payload)
    return digest.hexdigest()


def save_run(path: Path, kind: str, config: dict, payload: dict) -> None:
    """Write a run atomically: to a temporary file in the same folder, then rename."""
    record = {
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "config_json": json.dumps(config, sort_keys=True),
        "payload": payload,
        "checksum": checksum(payload),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(record, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class InvalidRunFile(Exception):
    """A cache file exists but cannot be trusted."""


def load_run(path: Path, kind: str, config: dict) -> dict:
    """Load and validate a run file; raise :class:`InvalidRunFile` saying why it is unusable."""
    try:
        record = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # truncated zip, garbage bytes, disallowed pickle
        raise InvalidRunFile(f"it does not load ({type(error).__name__}: {error})") from error
    if not isinstance(record, dict):
        raise InvalidRunFile("it does not hold a run record")
    if record.get("format_version") != FORMAT_VERSION:
        raise InvalidRunFile(
            f"format version {record.get('format_version')!r}, expected {FORMAT_VERSION}"
        )
    if record.get("kind") != kind or record.get("config_json") != json.dumps(config, sort_keys=True):
        raise InvalidRunFile("it was saved for a different config")
    payload = record.get("payload")
    if not isinstance(payload, dict) or record.get("checksum") != checksum(payload):
        raise InvalidRunFile("its contents do not match their checksum (the file is corrupted)")
    return payload


def load_or_build(kind: str, config: dict, build: Callable[[], dict], verbose: bool = True) -> dict:
    """The payload of the run ``(kind, config)``: loaded from the cache if a valid file is
    there, else built with ``build()`` (e.g. trained) and saved.

    A file that exists but is invalid is reported with a :class:`CorruptRunWarning`, renamed
    to ``<name>.bad-<unix time>`` and rebuilt.
    """
    path = run_path(kind, config)
    if path.exists():
        try:
            payload = load_run(path, kind, config)
            if verbose:
                print(f"Loaded the {kind} run from the cache ({path.name}).")
            return payload
        except InvalidRunFile as why:
            aside = path.with_name(f"{path.name}.bad-{int(time.time())}")
            os.replace(path, aside)
            warnings.warn(
                f"The cached run {path} is unusable: {why}. Moved it to {aside.name}; "
                "training it again.",
                CorruptRunWarning,
                stacklevel=2,
            )
    payload = build()
    save_run(path, kind, config, payload)
    if verbose:
        print(f"Saved the {kind} run to the cache ({path.name}).")
    return payload
