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
  lists and dicts only, never arbitrary pickled objects;
* a cache that cannot be written (a read-only course folder, a full disk, a path that is a
  file) never loses a run: the run is kept in memory for the session, with one warning;
  a file that vanishes between the check and the load is simply trained again;
* a run whose numbers went NaN or inf is never saved (it is kept in memory, with a warning);
* temporary files left by a save that was killed are removed once they are stale;
* files are written readable by everyone (mode 0644 under the usual umask), so that one
  cache can be shared on a multi-user server.

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

FORMAT_VERSION = 2  # 2: checkpoint steps stored as ints, not strings
CACHE_ENV_VAR = "INTERP_COURSE_CACHE"


class CorruptRunWarning(UserWarning):
    """A cached run could not be used and is being rebuilt."""


class CacheNotWritableWarning(UserWarning):
    """The run cache cannot be written; runs are kept in memory for this session."""


class NonFiniteRunWarning(UserWarning):
    """A run's numbers went NaN or inf; it is not saved."""


# Runs that could not be saved (an unwritable cache, or NaN), by the path they would have had.
_IN_MEMORY: dict[Path, dict] = {}
_WARNED_UNWRITABLE: set[Path] = set()
STALE_TEMPORARY_SECONDS = 600  # a save takes seconds; a temporary this old was left by a kill


def cache_dir() -> Path:
    """Where runs are stored (created if missing and possible: a folder that cannot be
    created is reported when a run is saved, see :func:`load_or_build`)."""
    if os.environ.get(CACHE_ENV_VAR):
        path = Path(os.environ[CACHE_ENV_VAR]).expanduser()
    else:
        checkout = Path(__file__).resolve().parents[2]
        if (checkout / "pyproject.toml").is_file() and (checkout / "_toc.yml").is_file():
            path = checkout / ".run_cache"
        else:
            path = Path.home() / ".cache" / "interp-course"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:  # read-only, or a file is in the way: load_or_build keeps runs in memory
        pass
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
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes it 0600; a shared cache needs 0644
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def remove_stale_temporaries(folder: Path, older_than: float = STALE_TEMPORARY_SECONDS) -> list[Path]:
    """Delete ``*.pt.*.tmp`` files older than ``older_than`` seconds (left by a save that was
    killed; a save in progress in another process is younger); the paths removed."""
    removed = []
    now = time.time()
    for tmp in folder.glob("*.pt.*.tmp"):
        try:
            if now - tmp.stat().st_mtime > older_than:
                tmp.unlink()
                removed.append(tmp)
        except OSError:  # gone already, or not ours to delete
            pass
    return removed


def non_finite_entries(payload: Any, where: str = "") -> list[str]:
    """The names of the floating-point tensors in ``payload`` that hold a NaN or an inf."""
    if isinstance(payload, torch.Tensor):
        bad = payload.is_floating_point() and not bool(torch.isfinite(payload).all())
        return [where or "the run"] if bad else []
    if isinstance(payload, dict):
        return [name for key, value in payload.items() for name in non_finite_entries(value, f"{where}/{key}".lstrip("/"))]
    return []


class InvalidRunFile(Exception):
    """A cache file exists but cannot be trusted."""


def load_run(path: Path, kind: str, config: dict) -> dict:
    """Load and validate a run file; raise :class:`InvalidRunFile` saying why it is unusable."""
    try:
        record = torch.load(path, map_location="cpu", weights_only=True)
    except (FileNotFoundError, NotADirectoryError):  # there is no file (it may have just vanished)
        raise
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


def load_or_build(
    kind: str,
    config: dict,
    build: Callable[[], dict],
    verbose: bool = True,
    validate: Callable[[dict], None] | None = None,
) -> dict:
    """The payload of the run ``(kind, config)``: loaded from the cache if a valid file is
    there, else built with ``build()`` (e.g. trained) and saved.

    A file that exists but is invalid (by the checks of :func:`load_run`, or by ``validate``,
    which raises :class:`InvalidRunFile` for a payload of the wrong schema or shapes) is
    reported with a :class:`CorruptRunWarning`, renamed to ``<name>.bad-<unix time>`` and
    rebuilt. A run that cannot be saved, because the cache cannot be written
    (:class:`CacheNotWritableWarning`, once per folder) or because it went NaN
    (:class:`NonFiniteRunWarning`), is kept in memory for the rest of the session.
    """
    path = run_path(kind, config)
    if path in _IN_MEMORY:
        return _IN_MEMORY[path]
    try:
        payload = load_run(path, kind, config)
        if validate is not None:
            validate(payload)
    except (FileNotFoundError, NotADirectoryError):
        pass  # not trained yet (or the file vanished just now)
    except InvalidRunFile as why:
        _move_aside(path, why)
    else:
        if verbose:
            print(f"Loaded the {kind} run from the cache ({path.name}).")
        return payload
    payload = build()
    bad = non_finite_entries(payload)
    if bad:
        shown = ", ".join(bad[:3]) + (f" and {len(bad) - 3} more" if len(bad) > 3 else "")
        warnings.warn(
            f"The {kind} run went NaN or inf ({shown}); it is not saved to the run cache. "
            "Check its config (learning rate, sizes, importances).",
            NonFiniteRunWarning,
            stacklevel=2,
        )
        _IN_MEMORY[path] = payload
        return payload
    remove_stale_temporaries(path.parent)
    try:
        save_run(path, kind, config, payload)
    except OSError as error:
        _IN_MEMORY[path] = payload
        if path.parent not in _WARNED_UNWRITABLE:
            _WARNED_UNWRITABLE.add(path.parent)
            warnings.warn(
                f"The run cache {path.parent} cannot be written ({type(error).__name__}: {error}). "
                f"This run, and any other trained in this session, is kept in memory only and will be "
                f"trained again next time. To keep runs, set {CACHE_ENV_VAR} to a folder you can write.",
                CacheNotWritableWarning,
                stacklevel=2,
            )
        return payload
    if verbose:
        print(f"Saved the {kind} run to the cache ({path.name}).")
    return payload


def _move_aside(path: Path, why: InvalidRunFile) -> None:
    """Rename an unusable run file to ``<name>.bad-<unix time>`` (or say why it stays)."""
    aside = path.with_name(f"{path.name}.bad-{int(time.time())}")
    try:
        os.replace(path, aside)
        where = f"Moved it to {aside.name}"
    except FileNotFoundError:
        return  # another process moved it already
    except OSError as error:  # a read-only folder
        where = f"It could not be moved aside ({type(error).__name__}: {error})"
    warnings.warn(
        f"The cached run {path} is unusable: {why}. {where}; training it again.",
        CorruptRunWarning,
        stacklevel=3,
    )
