"""The local disk cache of remote reads, with a size cap: least recently used files go first.

Each read of remote data (a whole file or a byte range) is one file under
``$CELLUCID_CACHE_DIR/remote/`` named by a hash of where it came from. Reading a cached file marks
it used (its modification time); when the cache grows past ``$CELLUCID_CACHE_MAX_BYTES`` (default
5 GB; ``500M``, ``2G`` and plain byte counts are understood; ``0`` turns the cache off) the least
recently used files are removed until it is under 90 % of the cap. Several processes may share the
directory: every file is written whole under a temporary name and renamed into place.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from pathlib import Path

from .cache import cache_root

DEFAULT_MAX_BYTES = 5 * 10**9
KEEP_AFTER_EVICTION = 0.9
_UNITS = {"": 1, "B": 1, "K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12,
          "KI": 2**10, "MI": 2**20, "GI": 2**30, "TI": 2**40}


def max_cache_bytes() -> int:
    """The cap from ``$CELLUCID_CACHE_MAX_BYTES`` (``ValueError`` if unreadable), else 5 GB."""
    raw = os.environ.get("CELLUCID_CACHE_MAX_BYTES", "").strip()
    if not raw:
        return DEFAULT_MAX_BYTES
    number = raw.rstrip("bB").rstrip()
    unit = ""
    while number and number[-1].isalpha():
        unit, number = number[-1].upper() + unit, number[:-1]
    try:
        value = float(number) * _UNITS[unit]
    except (ValueError, KeyError):
        raise ValueError(f"CELLUCID_CACHE_MAX_BYTES={raw!r} is not a size (e.g. 5000000000, "
                         "500M, 2G)") from None
    return max(0, int(value))


def cache_key(*parts: str) -> str:
    """A file name for the cached copy of what ``parts`` identify."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:40]


class DiskCache:
    """Bytes kept on disk under ``root`` by key, the total held under ``max_bytes``."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = Path(root)
        self.max_bytes = int(max_bytes)
        self._total: int | None = None   # bytes held, counted on the first write
        self._lock = threading.Lock()

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / key

    def get(self, key: str) -> bytes | None:
        """The bytes stored under ``key``, or None; a hit marks the file as just used."""
        if self.max_bytes <= 0:
            return None
        path = self._path(key)
        try:
            data = path.read_bytes()
            os.utime(path)
        except OSError:   # absent, or evicted by another process meanwhile
            return None
        return data

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` (nothing when larger than the cap), then evict if needed.

        A cache that cannot be written (full disk, read-only directory) is skipped silently:
        the read it would have saved is simply made again.
        """
        if not 0 < len(data) <= self.max_bytes:
            return
        path = self._path(key)
        tmp = path.parent / f".{key}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except OSError:
            tmp.unlink(missing_ok=True)
            return
        with self._lock:
            if self._total is None:
                self._total = self._scan_total()
            else:
                self._total += len(data)
            if self._total > self.max_bytes:
                self._evict()

    def _files(self) -> list[os.DirEntry]:
        found = []
        try:
            for sub in os.scandir(self.root):
                if sub.is_dir():
                    found += [e for e in os.scandir(sub.path)
                              if e.is_file() and not e.name.startswith(".")]
        except OSError:
            pass
        return found

    def _scan_total(self) -> int:
        total = 0
        for entry in self._files():
            try:
                total += entry.stat().st_size
            except OSError:
                continue
        return total

    def _evict(self) -> None:
        """Remove least recently used files until the cache holds at most 90 % of the cap."""
        stats = []
        for entry in self._files():
            try:
                st = entry.stat()
            except OSError:
                continue
            stats.append((st.st_mtime_ns, st.st_size, entry.path))
        stats.sort()
        total = sum(size for _, size, _ in stats)
        goal = self.max_bytes * KEEP_AFTER_EVICTION
        for _, size, path in stats:
            if total <= goal:
                break
            try:
                os.remove(path)
            except OSError:
                continue
            total -= size
        self._total = total

    def total_bytes(self) -> int:
        """Bytes held now (a scan of the directory)."""
        return self._scan_total()


def remote_cache() -> DiskCache:
    """The cache of remote reads under ``$CELLUCID_CACHE_DIR/remote`` with the configured cap."""
    return DiskCache(cache_root() / "remote", max_cache_bytes())
