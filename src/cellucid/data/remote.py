"""Reading files of a remote directory through fsspec: whole files and byte ranges, disk-cached.

:class:`RemoteFiles` is what the export reader and the column store use for a URL: each read is
one request (``cat_file``, with ``start``/``end`` for a range), kept in the local disk cache of
:mod:`cellucid.data.remote_cache` under the export's identity, so reading the same thing again —
in this session or a later one — costs no request. Nothing is cached in memory here: the
:class:`~cellucid.data.dataset.Dataset` keeps what it keeps (coordinates, obs values) itself.
"""

from __future__ import annotations

import ast
import json
import threading

import numpy as np

from .colstore import ColumnStoreError
from .fs import Location, RemoteError, TruncatedError
from .remote_cache import DiskCache, cache_key

NPY_PREFIX_BYTES = 12   # magic (6) + version (2) + header length (2 or 4)
NPY_HEAD_BYTES = 128    # what np.save writes before the data of a short header


class RemoteFiles:
    """Files under ``rel`` of a remote :class:`~cellucid.data.fs.Location`, read on demand.

    ``namespace`` names this version of the data (an export's id): cached bytes are only reused
    for the same namespace, so a rewritten export never serves stale cache entries. ``stats``
    counts requests, bytes fetched and cache hits (for tests and benchmarks).
    """

    def __init__(self, location: Location, namespace: str, cache: DiskCache, rel: str = "",
                 stats: dict | None = None) -> None:
        self.location = location
        self.namespace = namespace
        self.cache = cache
        self.rel = rel.strip("/")
        self.label = location.name(self.rel)
        self.stats = stats if stats is not None else {"requests": 0, "bytes": 0, "cache_hits": 0}
        self._npy_layout_cache: dict[str, tuple[int, np.dtype, tuple]] = {}
        self._lock = threading.Lock()

    def sub(self, rel: str) -> RemoteFiles:
        """The files under ``rel`` of this directory (same cache, namespace and counters)."""
        return RemoteFiles(self.location, self.namespace, self.cache, self._rel(rel.strip("/")),
                           self.stats)

    def _rel(self, name: str) -> str:
        # names come from the export's own JSON: never let one leave the export's directory
        if not name or name.startswith("/") or "://" in name or "\\" in name or \
                ".." in name.split("/"):
            raise RemoteError(f"{self.label}: the export names a file outside itself ({name!r})")
        return f"{self.rel}/{name}" if self.rel else name

    def _fetch(self, name: str, start: int | None, stop: int | None) -> bytes:
        rel = self._rel(name)
        key = cache_key(self.location.display, self.namespace, rel, f"{start}-{stop}")
        data = self.cache.get(key)
        if data is not None:
            with self._lock:
                self.stats["cache_hits"] += 1
            return data
        try:
            if start is None:
                data = self.location.fs.cat_file(self.location.path(rel))
            else:
                data = self.location.fs.cat_file(self.location.path(rel), start=start, end=stop)
        except Exception as exc:   # noqa: BLE001 — every backend has its own exception types
            raise self.location.error(exc, rel) from None
        with self._lock:
            self.stats["requests"] += 1
            self.stats["bytes"] += len(data)
        if start is not None:
            expected = stop - start
            if len(data) > expected and len(data) >= stop:   # a server that ignored the range
                data = data[start:stop]
            if len(data) != expected:
                raise TruncatedError(f"{self.location.name(rel)} is shorter than the export says "
                                     f"(asked for bytes {start}–{stop}, got {len(data)}): a "
                                     "truncated upload? Write the export again with "
                                     "`cellucid prepare`.")
        self.cache.put(key, data)
        return data

    def read(self, name: str) -> bytes:
        """The whole file ``name`` (from the cache when there); `RemoteError` if unreadable."""
        return self._fetch(name, None, None)

    def read_range(self, name: str, start: int, stop: int) -> bytes:
        """Bytes ``[start, stop)`` of ``name``; `TruncatedError` when the file is shorter."""
        if stop <= start:
            return b""
        return self._fetch(name, int(start), int(stop))

    def read_json(self, name: str) -> dict:
        """The parsed JSON file ``name``; `RemoteError` if unreadable or not JSON."""
        try:
            return json.loads(self.read(name))
        except ValueError as exc:
            raise RemoteError(f"{self.location.name(self._rel(name))} is not valid JSON "
                              f"({exc})") from None

    def read_array(self, name: str) -> np.ndarray:
        """The whole ``.npy`` file ``name``; `RemoteError` if unreadable or not ``.npy``."""
        import io
        try:
            return np.load(io.BytesIO(self.read(name)), allow_pickle=False)
        except (ValueError, OSError, EOFError) as exc:
            raise RemoteError(f"{self.location.name(self._rel(name))} is not a complete .npy "
                              f"file ({exc}): a truncated upload? Write the export again with "
                              "`cellucid prepare`.") from None

    def _npy_layout(self, name: str) -> tuple[int, np.dtype, tuple]:
        """``(data offset, dtype, shape)`` of a ``.npy`` file, from its header (read once, in one
        request when it is short, as ``np.save`` writes it)."""
        layout = self._npy_layout_cache.get(name)
        if layout is None:
            try:
                head = self.read_range(name, 0, NPY_HEAD_BYTES)
            except TruncatedError:   # a file shorter than that: its prefix first
                head = self.read_range(name, 0, NPY_PREFIX_BYTES)
            if head[:6] != b"\x93NUMPY":
                raise RemoteError(f"{self.location.name(self._rel(name))} is not a .npy file")
            size_bytes = 2 if head[6] == 1 else 4
            header_len = int.from_bytes(head[8:8 + size_bytes], "little")
            offset = 8 + size_bytes + header_len
            text = (head[8 + size_bytes:offset] if offset <= len(head) else
                    self.read_range(name, 8 + size_bytes, offset)).decode("latin1")
            header = ast.literal_eval(text)
            layout = (offset, np.dtype(header["descr"]), tuple(header["shape"]))
            self._npy_layout_cache[name] = layout
        return layout

    def elements(self, name: str, dtype, n: int, start: int, stop: int) -> np.ndarray:
        """Elements ``[start, stop)`` of file ``name`` holding ``n`` values of ``dtype`` (a
        ``.npy`` file of any shape counts its values in C order): one range read (plus, for a
        ``.npy`` file, its header once)."""
        dtype = np.dtype(dtype)
        offset = 0
        if name.endswith(".npy"):
            offset, stored, shape = self._npy_layout(name)
            if stored != dtype or int(np.prod(shape)) != n:
                raise RemoteError(f"{self.location.name(self._rel(name))} holds {shape} "
                                       f"{stored}, expected ({n},) {dtype}")
        data = self.read_range(name, offset + start * dtype.itemsize,
                               offset + stop * dtype.itemsize)
        return np.frombuffer(data, dtype=dtype)

    def check(self, name: str, dtype, n: int) -> None:
        """Raise ``ColumnStoreError`` unless ``name`` holds ``n`` values of ``dtype`` (one request
        for the size; an old ``.npy`` file's header too)."""
        dtype = np.dtype(dtype)
        offset = self._npy_layout(name)[0] if name.endswith(".npy") else 0
        try:
            size = self.location.fs.size(self.location.path(self._rel(name)))
        except Exception as exc:   # noqa: BLE001
            raise self.location.error(exc, self._rel(name)) from None
        if size != offset + n * dtype.itemsize:
            raise ColumnStoreError(f"{self.location.name(self._rel(name))} has {size} bytes, "
                                   f"expected {offset + n * dtype.itemsize}")
