"""The on-disk gene cache: a column store of a backed matrix, built once and reused across sessions.

Reading one gene from a row-oriented (CSR or dense) matrix on disk means scanning the whole matrix.
The first gene read builds a :mod:`column store <cellucid.data.colstore>` of that matrix under
``$CELLUCID_CACHE_DIR`` (default ``$XDG_CACHE_HOME/cellucid`` or ``~/.cache/cellucid``), keyed on
the file's resolved path, size and modification time and the matrix's name, so a changed file gets
a fresh cache; caches of earlier versions of the same file are removed when the new one is built.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import uuid
from pathlib import Path

from .chunks import row_chunks
from .colstore import ColumnStore, ColumnStoreError, write_column_store
from .progress import progress_bar

_build_lock = threading.Lock()


def cache_root() -> Path:
    """Where gene caches live: ``$CELLUCID_CACHE_DIR``, else ``$XDG_CACHE_HOME/cellucid``."""
    env = os.environ.get("CELLUCID_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "cellucid"


def file_signature(path: str | os.PathLike) -> dict:
    """What identifies the current version of a file or store directory (path, size, mtime)."""
    p = Path(path).resolve()
    if p.is_dir():  # a .zarr store: sum over its files
        size, mtime, count = 0, 0, 0
        for root, _, files in os.walk(p):
            for name in files:
                st = os.stat(os.path.join(root, name))
                size, mtime, count = size + st.st_size, max(mtime, st.st_mtime_ns), count + 1
        return {"path": str(p), "size": size, "mtime_ns": mtime, "files": count}
    st = p.stat()
    return {"path": str(p), "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def cache_dir_for(path: str | os.PathLike, element: str) -> tuple[Path, dict]:
    """The cache directory of matrix ``element`` (``"X"``, ``"layers/counts"``) of file ``path``."""
    sig = {**file_signature(path), "element": element}
    key = hashlib.sha256(json.dumps(sig, sort_keys=True).encode()).hexdigest()[:24]
    return cache_root() / "genes" / key, sig


def _remove_stale(sig: dict, keep: Path) -> None:
    """Remove caches of other versions of the same file and element."""
    parent = keep.parent
    for meta_path in parent.glob("*/source.json"):
        if meta_path.parent == keep:
            continue
        try:
            other = json.loads(meta_path.read_text())
        except (OSError, ValueError):
            continue
        if other.get("path") == sig["path"] and other.get("element") == sig["element"]:
            shutil.rmtree(meta_path.parent, ignore_errors=True)


def cached_column_store(matrix, path: str | os.PathLike, element: str, *,
                        progress: bool = True) -> ColumnStore:
    """Return the column store of ``matrix`` (stored at ``path`` as ``element``), building it once.

    The build reads the matrix in row chunks with a progress bar and writes to a temporary
    directory that is renamed into place, so an interrupted build leaves no half-written cache.
    """
    target, sig = cache_dir_for(path, element)
    store = _open_if_complete(target)
    if store is not None:
        return store
    with _build_lock:
        store = _open_if_complete(target)
        if store is not None:
            return store
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.parent / f".{target.name}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            source = row_chunks(matrix)
            with progress_bar(source.n_rows, f"cellucid: caching genes of {Path(path).name}",
                              unit="cells", enabled=progress, plain_text=True,
                              leave=False) as bar:
                write_column_store(source, tmp, progress=bar.update)
            (tmp / "source.json").write_text(json.dumps(sig))
            try:
                os.rename(tmp, target)
            except OSError:  # another process finished first; use theirs
                shutil.rmtree(tmp, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _remove_stale(sig, target)
        return ColumnStore(target)


def _open_if_complete(target: Path) -> ColumnStore | None:
    if not (target / "source.json").exists():
        return None
    try:
        store = ColumnStore(target)
        store.validate()
        return store
    except ColumnStoreError:
        shutil.rmtree(target, ignore_errors=True)
        return None

