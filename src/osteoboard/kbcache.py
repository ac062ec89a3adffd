"""The compiled knowledge base, cached on disk.

Loading the knowledge base reads its YAML files, lints every rule and compiles each condition
twice (CEL's program and the Python function): most of the time of a command-line run. The
loaded result is pickled into the user's cache directory under a name made of the knowledge
base's sha256 and a fingerprint of the code that builds and reads it (every Python file of the
package and the interpreter's version), so that changing a knowledge file, or the code, starts
afresh. A knowledge base is cached only after it passed its lint.

- ``OSTEOBOARD_CACHE_DIR``: where (default ``$XDG_CACHE_HOME/osteoboard``, else
  ``~/.cache/osteoboard``); ``OSTEOBOARD_KB_CACHE=0`` turns the cache off.
- A file is written to a temporary name and renamed into place, so a reader never sees half of
  one; at most :data:`KEEP` files are kept (the oldest go).
- A cache that cannot be written or read (read-only home, a truncated file, another version's
  pickle) is passed over silently: the knowledge base is built from its files as without one.
- A pickle runs code when read, so only a file the current user owns, in a directory that
  nobody else may write to, is read.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import logging
import os
import pickle
import stat
import sys
import tempfile
from pathlib import Path
from typing import TypeVar

__all__ = [
    "KEEP",
    "cache_dir",
    "code_fingerprint",
    "files_below",
    "fingerprint_of",
    "path_for",
    "read",
    "write",
]

log = logging.getLogger(__name__)

#: Cached knowledge bases kept at most (one per knowledge-base hash and code version).
KEEP = 8

_T = TypeVar("_T")


def cache_dir() -> Path | None:
    """The cache directory, or None when the cache is turned off."""
    if os.environ.get("OSTEOBOARD_KB_CACHE", "1").strip().lower() in {"0", "false", "no", "off"}:
        return None
    configured = os.environ.get("OSTEOBOARD_CACHE_DIR")
    if configured:
        return Path(configured)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "osteoboard"


@functools.cache
def code_fingerprint() -> str:
    """sha256 over the package's Python files (path and bytes) and the interpreter version."""
    return fingerprint_of(Path(__file__).resolve().parent)


def fingerprint_of(package: Path) -> str:
    """sha256 over the Python files below ``package`` (path and bytes) and the interpreter
    version."""
    h = hashlib.sha256(sys.version.encode())
    for parts in files_below(package, (".py",)):
        h.update("/".join(parts).encode())
        h.update(b"\0")
        with open(os.path.join(package, *parts), "rb") as handle:
            h.update(handle.read())
    return h.hexdigest()


def files_below(directory: Path, suffixes: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The files below ``directory`` with one of these suffixes (``.py``), as the parts of
    their relative paths, sorted as their paths sort; folders that are links are not
    entered. (:func:`os.scandir` is several times faster at this than :mod:`pathlib`, which
    counts on every start of the command line.)"""
    found: list[tuple[str, ...]] = []

    def walk(folder: str, parts: tuple[str, ...]) -> None:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    walk(entry.path, (*parts, entry.name))
                elif entry.is_file() and os.path.splitext(entry.name)[1] in suffixes:
                    found.append((*parts, entry.name))

    walk(os.fspath(directory), ())
    found.sort()
    return found


def path_for(sha256: str) -> Path | None:
    """Where the knowledge base with this hash is cached (None when the cache is off)."""
    directory = cache_dir()
    if directory is None:
        return None
    return directory / f"kb-{sha256[:20]}-{code_fingerprint()[:16]}.pickle"


def _trusted(path: Path) -> bool:
    """Whether the file and its directory belong to this user and nobody else may write."""
    getuid = getattr(os, "getuid", None)
    try:
        for item in (path, path.parent):
            info = item.stat()
            if getuid is not None and info.st_uid != getuid():
                return False
            if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
                return False
    except OSError:
        return False
    return True


def read(sha256: str, kind: type[_T]) -> _T | None:
    """The cached object for this hash, if there is a readable one of ``kind``."""
    path = path_for(sha256)
    if path is None or not path.is_file() or not _trusted(path):
        return None
    collecting = gc.isenabled()
    gc.disable()  # the objects read all live on: walking them while they are made is wasted
    try:
        with path.open("rb") as handle:
            loaded = pickle.load(handle)
    except Exception as exc:  # any unreadable cache is only a missed shortcut
        log.debug("knowledge-base cache %s not read: %s", path.name, exc)
        return None
    finally:
        if collecting:
            gc.enable()
    if not isinstance(loaded, kind) or getattr(loaded, "sha256", None) != sha256:
        return None
    return loaded


def write(sha256: str, value: object) -> Path | None:
    """Cache ``value`` under this hash; the path written, or None when nothing was."""
    path = path_for(sha256)
    if path is None:
        return None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=".kb-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except Exception as exc:  # a read-only or full disk: run without the cache
        log.debug("knowledge-base cache not written: %s", exc)
        return None
    _prune(path.parent)
    return path


def _prune(directory: Path) -> None:
    """Keep the :data:`KEEP` most recently written cache files."""
    try:
        files = sorted(
            directory.glob("kb-*.pickle"), key=lambda p: p.stat().st_mtime_ns, reverse=True
        )
        for old in files[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError as exc:
        log.debug("knowledge-base cache not pruned: %s", exc)
