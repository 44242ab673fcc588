"""The column store: an expression matrix laid out by gene, in blocks of genes, read in place.

Layout of a column-store directory (used both by the export format and the gene cache), version 2::

    columns.json          {"format": "cellucid-columns", "version": 2, "n_rows", "n_cols",
                           "block", "nnz"}
    indptr.npy            int64 (n_cols + 1): where each column's values start
    block_00000.bin       columns [0, block): for each column in order, its rows (uint32 LE)
                          then its values (float32 LE), no header
    block_00001.bin       ... columns [block, 2 * block), and so on

Column ``j`` of block ``b = j // block`` is the bytes ``8 * (indptr[j] - indptr[b * block])`` to
``8 * (indptr[j + 1] - indptr[b * block])`` of that block's file: one contiguous read, whether the
file is memory-mapped here or fetched with a range request from remote storage. Version 1 (still
read) kept rows and values in two ``.npy`` files per block (``block_00000.indices.npy``,
``block_00000.data.npy``), so one column was two slices of two files. Version 3 (the genes of a
tiled export, :mod:`cellucid.data.tiled_genes`) keeps each value next to its row — ``(row,
value)`` pairs — so that any run of a column's values is one contiguous read too.

Where the files live is a *files* object: :class:`LocalFiles` memory-maps a directory;
:class:`cellucid.data.remote.RemoteFiles` reads ranges through fsspec. Writing reads the matrix in
row chunks twice (count, then fill), so the matrix never has to fit in memory.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ..errors import DatasetError

FORMAT = "cellucid-columns"
VERSION = 2
READABLE_VERSIONS = (1, 2, 3)
PAIRS_VERSION = 3
DEFAULT_BLOCK = 256
WORD = np.dtype("<u4")     # rows, and values seen as raw 32-bit words
VALUE = np.dtype("<f4")


class ColumnStoreError(DatasetError):
    """A column-store directory that is missing files or inconsistent (a ``ValueError``)."""


class LocalFiles:
    """The files of a column store in a local directory, memory-mapped on first use."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        self.label = str(self.path)
        self._maps: dict[str, np.ndarray] = {}

    def read_json(self, name: str) -> dict:
        """The parsed JSON file ``name``; ``ColumnStoreError`` if unreadable."""
        try:
            return json.loads((self.path / name).read_text())
        except (OSError, ValueError) as exc:
            raise ColumnStoreError(f"{self.label}: cannot read {name} ({exc})") from None

    def read_array(self, name: str) -> np.ndarray:
        """The whole ``.npy`` file ``name`` in memory; ``ColumnStoreError`` if unreadable."""
        try:
            return np.load(self.path / name)
        except (OSError, ValueError) as exc:
            raise ColumnStoreError(f"{self.label}: cannot read {name} ({exc})") from None

    def _map(self, name: str, dtype: np.dtype, n: int) -> np.ndarray:
        arr = self._maps.get(name)
        if arr is None:
            path = self.path / name
            try:
                if name.endswith(".npy"):   # of any shape: its values in C order
                    arr = np.load(path, mmap_mode="r").reshape(-1)
                elif path.stat().st_size == 0:   # an empty file cannot be memory-mapped
                    arr = np.zeros(0, dtype)
                else:
                    arr = np.memmap(path, dtype=dtype, mode="r")
            except (OSError, ValueError) as exc:
                raise ColumnStoreError(f"{self.label}: cannot read {name} ({exc})") from None
            if arr.shape != (n,) or arr.dtype != dtype:
                raise ColumnStoreError(f"{self.label}: {name} holds {arr.shape[0]} "
                                       f"{arr.dtype} values, expected {n} {dtype}")
            self._maps[name] = arr
        return arr

    def elements(self, name: str, dtype, n: int, start: int, stop: int) -> np.ndarray:
        """Elements ``[start, stop)`` of file ``name`` holding ``n`` values of ``dtype``
        (``.npy`` or headerless); ``ColumnStoreError`` if the file is missing or of another size."""
        return self._map(name, np.dtype(dtype), n)[start:stop]

    def check(self, name: str, dtype, n: int) -> None:
        """Raise ``ColumnStoreError`` unless file ``name`` holds exactly ``n`` ``dtype`` values."""
        self._map(name, np.dtype(dtype), n)


def _deinterleave(words: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split version-2 words (each column's rows, then its values) into rows and values."""
    if len(counts) == 1:
        n = int(counts[0])
        return words[:n], words[n:2 * n].view(VALUE)
    starts = np.cumsum(counts) - counts
    row_pos = np.arange(int(counts.sum()), dtype=np.int64) + np.repeat(starts, counts)
    return words[row_pos], words[row_pos + np.repeat(counts, counts)].view(VALUE)


class ColumnStore:
    """Read access to a column store (see module docstring), local or remote.

    ``source`` is a directory path or a files object (:class:`LocalFiles`,
    :class:`~cellucid.data.remote.RemoteFiles`). Raises ``ColumnStoreError`` when
    ``columns.json`` or ``indptr.npy`` is unreadable or inconsistent, or the store is of a version
    this cellucid does not read.
    """

    def __init__(self, source) -> None:
        self.files = source if hasattr(source, "elements") else LocalFiles(source)
        self.path = getattr(self.files, "path", None)
        label = self.files.label
        meta = self.files.read_json("columns.json")
        if meta.get("format") != FORMAT or meta.get("version") not in READABLE_VERSIONS:
            newer = isinstance(meta.get("version"), int) and meta["version"] > max(READABLE_VERSIONS)
            raise ColumnStoreError(
                f"{label}: a version {meta.get('version')} column store, written by a newer "
                "cellucid: upgrade cellucid" if newer else f"{label}: not a cellucid column store")
        self.version = int(meta["version"])
        self.n_rows, self.n_cols = int(meta["n_rows"]), int(meta["n_cols"])
        self.block = int(meta["block"])
        self.indptr = np.asarray(self.files.read_array("indptr.npy"), dtype=np.int64)
        if self.indptr.shape != (self.n_cols + 1,):
            raise ColumnStoreError(f"{label}: indptr.npy has shape {self.indptr.shape}, "
                                   f"expected ({self.n_cols + 1},)")

    def n_blocks(self) -> int:
        """How many gene blocks the store has."""
        return -(-self.n_cols // self.block) if self.n_cols else 0

    def _block_size(self, b: int) -> tuple[int, int]:
        """``(first value, number of values)`` of block ``b``."""
        base = int(self.indptr[b * self.block])
        return base, int(self.indptr[min(self.n_cols, (b + 1) * self.block)]) - base

    def block_files(self, b: int) -> list[tuple[str, np.dtype, int]]:
        """``(name, dtype, elements)`` of each file of block ``b``."""
        n = self._block_size(b)[1]
        if self.version == 1:
            return [(f"block_{b:05d}.indices.npy", np.dtype(np.uint32), n),
                    (f"block_{b:05d}.data.npy", np.dtype(np.float32), n)]
        return [(f"block_{b:05d}.bin", WORD, 2 * n)]

    def check_block(self, b: int) -> None:
        """Raise ``ColumnStoreError`` unless block ``b``'s files exist with their full length."""
        if self._block_size(b)[1]:
            for name, dtype, n in self.block_files(b):
                self.files.check(name, dtype, n)

    def validate(self) -> None:
        """Check that every block file is present with the right length (``ColumnStoreError``)."""
        for b in range(self.n_blocks()):
            self.check_block(b)

    def _slice(self, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows and values of columns ``[start, stop)``, all in one block, in column order."""
        b = start // self.block
        base, n = self._block_size(b)
        lo, hi = int(self.indptr[start]) - base, int(self.indptr[stop]) - base
        if hi == lo:
            return np.zeros(0, np.uint32), np.zeros(0, np.float32)
        if self.version == 1:
            (rows_name, rows_dtype, _), (values_name, values_dtype, _) = self.block_files(b)
            return (self.files.elements(rows_name, rows_dtype, n, lo, hi),
                    self.files.elements(values_name, values_dtype, n, lo, hi))
        words = self.files.elements(f"block_{b:05d}.bin", WORD, 2 * n, 2 * lo, 2 * hi)
        if self.version == PAIRS_VERSION:
            return words[0::2], words[1::2].view(VALUE)
        return _deinterleave(words, np.diff(self.indptr[start:stop + 1]))

    def columns(self, start: int, stop: int) -> sp.csc_matrix:
        """Columns ``[start, stop)`` as a CSC matrix (float32; copies, not memory maps)."""
        indices, data = [], []
        j = start
        while j < stop:  # a range of columns may span several block files
            end = min(stop, (j // self.block + 1) * self.block)
            rows, values = self._slice(j, end)
            indices.append(np.asarray(rows, dtype=np.int32))
            data.append(np.array(values, dtype=np.float32))
            j = end
        local_ptr = self.indptr[start:stop + 1] - self.indptr[start]
        return sp.csc_matrix((np.concatenate(data) if data else np.zeros(0, np.float32),
                              np.concatenate(indices) if indices else np.zeros(0, np.int32),
                              local_ptr), shape=(self.n_rows, stop - start))

    def column(self, j: int) -> np.ndarray:
        """Column ``j`` as a dense float32 array of ``n_rows`` values."""
        rows, values = self._slice(j, j + 1)
        out = np.zeros(self.n_rows, dtype=np.float32)
        out[rows] = values
        return out


def _block_file(path: Path, n_words: int) -> np.ndarray:
    if n_words == 0:
        path.write_bytes(b"")
        return np.zeros(0, WORD)
    return np.memmap(path, dtype=WORD, mode="w+", shape=(n_words,))


def _write_meta(out: Path, n_rows: int, n_cols: int, block: int, nnz: int) -> None:
    meta = {"format": FORMAT, "version": VERSION, "n_rows": n_rows, "n_cols": n_cols,
            "block": block, "nnz": nnz}
    (out / "columns.json").write_text(json.dumps(meta))


def write_column_store(source, out_dir: str | os.PathLike, *, block: int = DEFAULT_BLOCK,
                       progress=None) -> Path:
    """Write the row-chunk ``source`` (see :mod:`cellucid.data.chunks`) as a column store.

    ``progress`` is an optional callable ``progress(rows_done)`` called after each chunk of the
    fill pass. Returns the directory written. Raises ``ColumnStoreError`` when the matrix changed
    between the counting and the filling pass.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    n_rows, n_cols = source.n_rows, source.n_cols
    counts = np.asarray(source.column_counts(), dtype=np.int64)
    indptr = np.zeros(n_cols + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    np.save(out / "indptr.npy", indptr)
    n_blocks = -(-n_cols // block) if n_cols else 0
    maps = []
    for b in range(n_blocks):
        lo, hi = indptr[b * block], indptr[min(n_cols, (b + 1) * block)]
        maps.append(_block_file(out / f"block_{b:05d}.bin", 2 * int(hi - lo)))
    cursor = indptr[:-1].copy()
    for first_row, piece in source.chunks():
        csc = piece.tocsc()
        csc.sort_indices()
        cptr = csc.indptr.astype(np.int64)
        chunk_counts = np.diff(cptr)
        column_start = np.repeat(indptr[:-1], chunk_counts)   # per value: its column's start
        dest = np.repeat(cursor, chunk_counts) + np.arange(cptr[-1], dtype=np.int64) - \
            np.repeat(cptr[:-1], chunk_counts)
        # a value at position `dest` of column j lands, in its block's words, at
        # (dest - base) + (start_j - base) for its row and `count_j` words further for its value
        row_pos = dest + column_start
        value_pos = row_pos + np.repeat(counts, chunk_counts)
        rows = csc.indices.astype(WORD) + np.uint32(first_row)
        values = csc.data.astype(VALUE, copy=False).view(WORD)
        for b, words in enumerate(maps):
            a, z = cptr[b * block], cptr[min(n_cols, (b + 1) * block)]
            if z > a:
                shift = 2 * indptr[b * block]
                words[row_pos[a:z] - shift] = rows[a:z]
                words[value_pos[a:z] - shift] = values[a:z]
        cursor += chunk_counts
        if progress is not None:
            progress(piece.shape[0])
    if not np.array_equal(cursor, indptr[1:]):
        raise ColumnStoreError("the matrix changed while it was being read (column counts differ)")
    for words in maps:
        if isinstance(words, np.memmap):
            words.flush()
    del maps
    _write_meta(out, n_rows, n_cols, block, int(indptr[-1]))
    return out
