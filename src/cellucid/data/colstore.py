"""The column store: an expression matrix laid out by gene, in blocks of genes, memory-mapped.

Layout of a column-store directory (used both by the export format and the gene cache)::

    columns.json                  {"format": "cellucid-columns", "version": 1, "n_rows",
                                   "n_cols", "block", "nnz"}
    indptr.npy                    int64 (n_cols + 1): where each column's values start
    block_00000.indices.npy       uint32: row (cell) of each value of columns [0, block)
    block_00000.data.npy          float32: the values
    block_00001.indices.npy       ... columns [block, 2 * block), and so on

Column ``j`` lives in block ``j // block`` at ``indptr[j] - indptr[first column of the block]``.
Reading one gene touches two small slices of two memory-mapped files. Writing reads the matrix in
row chunks twice (count, then fill), so the matrix never has to fit in memory.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import scipy.sparse as sp

FORMAT = "cellucid-columns"
VERSION = 1
DEFAULT_BLOCK = 256


class ColumnStoreError(ValueError):
    """A column-store directory that is missing files or inconsistent."""


class ColumnStore:
    """Read access to a column-store directory (see module docstring)."""

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)
        try:
            meta = json.loads((self.path / "columns.json").read_text())
        except (OSError, ValueError) as exc:
            raise ColumnStoreError(f"{self.path}: cannot read columns.json ({exc})") from exc
        if meta.get("format") != FORMAT or meta.get("version") != VERSION:
            raise ColumnStoreError(f"{self.path}: not a version {VERSION} column store")
        self.n_rows, self.n_cols = int(meta["n_rows"]), int(meta["n_cols"])
        self.block = int(meta["block"])
        try:
            self.indptr = np.load(self.path / "indptr.npy")
        except (OSError, ValueError) as exc:
            raise ColumnStoreError(f"{self.path}: cannot read indptr.npy ({exc})") from exc
        if self.indptr.shape != (self.n_cols + 1,):
            raise ColumnStoreError(f"{self.path}: indptr.npy has shape {self.indptr.shape}, "
                                   f"expected ({self.n_cols + 1},)")
        self._blocks: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def n_blocks(self) -> int:
        """How many gene blocks the store has."""
        return -(-self.n_cols // self.block) if self.n_cols else 0

    def _block(self, b: int) -> tuple[np.ndarray, np.ndarray]:
        pair = self._blocks.get(b)
        if pair is None:
            stem = self.path / f"block_{b:05d}"
            expected = int(self.indptr[min(self.n_cols, (b + 1) * self.block)]
                           - self.indptr[b * self.block])
            try:
                indices = np.load(f"{stem}.indices.npy", mmap_mode="r") if expected else \
                    np.zeros(0, np.uint32)
                data = np.load(f"{stem}.data.npy", mmap_mode="r") if expected else \
                    np.zeros(0, np.float32)
            except (OSError, ValueError) as exc:
                raise ColumnStoreError(f"{self.path}: cannot read block {b} ({exc})") from exc
            if indices.shape != (expected,) or data.shape != (expected,):
                raise ColumnStoreError(f"{self.path}: block {b} holds {indices.shape[0]} values, "
                                       f"expected {expected}")
            pair = (indices, data)
            self._blocks[b] = pair
        return pair

    def validate(self) -> None:
        """Check that every block file is present with the right length (``ColumnStoreError``)."""
        for b in range(self.n_blocks()):
            self._block(b)

    def columns(self, start: int, stop: int) -> sp.csc_matrix:
        """Columns ``[start, stop)`` as a CSC matrix (float32; copies, not memory maps)."""
        indptr = self.indptr
        indices, data = [], []
        j = start
        while j < stop:  # a range of columns may span several block files
            b = j // self.block
            end = min(stop, (b + 1) * self.block)
            block_indices, block_data = self._block(b)
            base = indptr[b * self.block]
            lo, hi = indptr[j] - base, indptr[end] - base
            indices.append(np.asarray(block_indices[lo:hi], dtype=np.int32))
            data.append(np.array(block_data[lo:hi]))
            j = end
        local_ptr = indptr[start:stop + 1] - indptr[start]
        return sp.csc_matrix((np.concatenate(data) if data else np.zeros(0, np.float32),
                              np.concatenate(indices) if indices else np.zeros(0, np.int32),
                              local_ptr), shape=(self.n_rows, stop - start))

    def column(self, j: int) -> np.ndarray:
        """Column ``j`` as a dense float32 array of ``n_rows`` values."""
        b = j // self.block
        indices, data = self._block(b)
        base = self.indptr[b * self.block]
        lo, hi = self.indptr[j] - base, self.indptr[j + 1] - base
        out = np.zeros(self.n_rows, dtype=np.float32)
        out[indices[lo:hi]] = data[lo:hi]
        return out


def _save_empty_or_map(path: Path, n: int, dtype) -> np.ndarray:
    if n == 0:
        np.save(path, np.zeros(0, dtype=dtype))
        return np.zeros(0, dtype=dtype)
    return np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=(n,))


def _write_meta(out: Path, n_rows: int, n_cols: int, block: int, nnz: int) -> None:
    meta = {"format": FORMAT, "version": VERSION, "n_rows": n_rows, "n_cols": n_cols,
            "block": block, "nnz": nnz}
    (out / "columns.json").write_text(json.dumps(meta))


def write_column_store(source, out_dir: str | os.PathLike, *, block: int = DEFAULT_BLOCK,
                       progress=None) -> Path:
    """Write the row-chunk ``source`` (see :mod:`cellucid.data.chunks`) as a column store.

    ``progress`` is an optional callable ``progress(rows_done)`` called after each chunk of the
    fill pass. Returns the directory written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    n_rows, n_cols = source.n_rows, source.n_cols
    counts = source.column_counts()
    indptr = np.zeros(n_cols + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    np.save(out / "indptr.npy", indptr)
    n_blocks = -(-n_cols // block) if n_cols else 0
    maps = []
    for b in range(n_blocks):
        lo, hi = indptr[b * block], indptr[min(n_cols, (b + 1) * block)]
        maps.append((_save_empty_or_map(out / f"block_{b:05d}.indices.npy", int(hi - lo), np.uint32),
                     _save_empty_or_map(out / f"block_{b:05d}.data.npy", int(hi - lo), np.float32)))
    cursor = indptr[:-1].copy()
    for first_row, piece in source.chunks():
        csc = piece.tocsc()
        csc.sort_indices()
        cptr = csc.indptr.astype(np.int64)
        chunk_counts = np.diff(cptr)
        dest = np.repeat(cursor - cptr[:-1], chunk_counts) + np.arange(cptr[-1], dtype=np.int64)
        rows = csc.indices.astype(np.uint32) + np.uint32(first_row)
        values = csc.data.astype(np.float32, copy=False)
        for b, (indices_map, data_map) in enumerate(maps):
            a, z = cptr[b * block], cptr[min(n_cols, (b + 1) * block)]
            if z > a:
                local = dest[a:z] - indptr[b * block]
                indices_map[local] = rows[a:z]
                data_map[local] = values[a:z]
        cursor += chunk_counts
        if progress is not None:
            progress(piece.shape[0])
    if not np.array_equal(cursor, indptr[1:]):
        raise ColumnStoreError("the matrix changed while it was being read (column counts differ)")
    for indices_map, data_map in maps:
        for m in (indices_map, data_map):
            if isinstance(m, np.memmap):
                m.flush()
    del maps
    _write_meta(out, n_rows, n_cols, block, int(indptr[-1]))
    return out


def write_column_store_from_csc(indptr, indices, data, n_rows: int, out_dir: str | os.PathLike,
                                *, block: int = DEFAULT_BLOCK, progress=None) -> Path:
    """Write a matrix already in CSC form (arrays that slice, in memory or in a store).

    ``progress(columns_done)`` is called after each block. Returns the directory written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    indptr = np.asarray(indptr[:], dtype=np.int64)
    n_cols = len(indptr) - 1
    np.save(out / "indptr.npy", indptr - indptr[0])
    for b in range(-(-n_cols // block) if n_cols else 0):
        c0, c1 = b * block, min(n_cols, (b + 1) * block)
        lo, hi = indptr[c0], indptr[c1]
        np.save(out / f"block_{b:05d}.indices.npy", np.asarray(indices[lo:hi]).astype(np.uint32))
        np.save(out / f"block_{b:05d}.data.npy", np.asarray(data[lo:hi]).astype(np.float32))
        if progress is not None:
            progress(c1 - c0)
    _write_meta(out, n_rows, n_cols, block, int(indptr[-1] - indptr[0]))
    return out
