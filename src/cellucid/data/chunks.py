"""Reading an expression matrix in row chunks, whatever holds it, so it never has to fit in memory.

A chunk source has ``n_rows``, ``n_cols``, ``column_counts()`` (stored values per column) and
``chunks()`` yielding ``(first_row, sparse matrix)`` pieces in row order. Both are cheap to call
twice: the column-store writer makes one pass to count and one to fill. A dask array gets a source
whose chunks are computed as dask tasks (:mod:`cellucid.data.daskchunks`).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp

from .daskarrays import is_dask_array
from .daskchunks import DaskRowChunks

TARGET_VALUES = 4_000_000  # stored values per chunk: ~32 MB of indices + data


def encoding_of(node) -> str:
    """The anndata ``encoding-type`` of an h5py/zarr node (``"array"`` for a bare array)."""
    enc = node.attrs.get("encoding-type", None)
    if enc is None:
        return "array" if hasattr(node, "dtype") else "group"
    return enc.decode() if isinstance(enc, bytes) else str(enc)


def csc_arrays(matrix):
    """``(indptr, indices, data)`` of a matrix stored CSC, else None.

    ``matrix`` is a scipy matrix, an anndata CSC group of an h5py/zarr store, or anndata's backed
    sparse dataset; the arrays of a store are returned unread (they slice like numpy arrays).
    """
    if sp.issparse(matrix):
        return (matrix.indptr, matrix.indices, matrix.data) if matrix.format == "csc" else None
    node = getattr(matrix, "group", matrix)  # anndata's backed sparse dataset wraps a group
    if hasattr(node, "attrs") and encoding_of(node) == "csc_matrix":
        return node["indptr"], node["indices"], node["data"]
    return None


def stored_shape(node) -> tuple[int, int]:
    """``(rows, columns)`` of a matrix in an h5py/zarr store (a sparse group or a dense array),
    read from its metadata."""
    node = getattr(node, "group", node)  # anndata's backed sparse dataset wraps a group
    shape = node.attrs["shape"] if encoding_of(node) in ("csr_matrix", "csc_matrix") \
        else node.shape
    return int(shape[0]), int(shape[1])


class StoreSparseChunks:
    """Row chunks of a CSR matrix stored as an anndata group (h5py or zarr)."""

    def __init__(self, group, chunk_rows: int | None = None) -> None:
        self.group = group
        self.indptr = np.asarray(group["indptr"][:], dtype=np.int64)
        shape = group.attrs["shape"]
        self.n_rows, self.n_cols = int(shape[0]), int(shape[1])
        self.chunk_rows = chunk_rows

    def _bounds(self) -> Iterator[tuple[int, int]]:
        if self.chunk_rows:
            for a in range(0, self.n_rows, self.chunk_rows):
                yield a, min(self.n_rows, a + self.chunk_rows)
            return
        a = 0
        while a < self.n_rows:
            target = self.indptr[a] + TARGET_VALUES
            b = int(np.searchsorted(self.indptr, target, side="right")) - 1
            b = min(self.n_rows, max(b, a + 1))
            yield a, b
            a = b

    def column_counts(self) -> np.ndarray:
        """Stored values per column (reads only the column indices)."""
        counts = np.zeros(self.n_cols, dtype=np.int64)
        indices = self.group["indices"]
        for a, b in self._bounds():
            lo, hi = self.indptr[a], self.indptr[b]
            counts += np.bincount(np.asarray(indices[lo:hi]), minlength=self.n_cols)
        return counts

    def chunks(self) -> Iterator[tuple[int, sp.csr_matrix]]:
        """``(first_row, csr)`` pieces in row order."""
        indices, data = self.group["indices"], self.group["data"]
        for a, b in self._bounds():
            lo, hi = self.indptr[a], self.indptr[b]
            piece = sp.csr_matrix((np.asarray(data[lo:hi]), np.asarray(indices[lo:hi]),
                                   self.indptr[a:b + 1] - lo), shape=(b - a, self.n_cols))
            yield a, piece


class MatrixChunks:
    """Row chunks of anything that slices by rows: numpy, scipy, h5py/zarr arrays, backed, lazy."""

    def __init__(self, matrix, chunk_rows: int | None = None) -> None:
        self.matrix = matrix
        self.n_rows, self.n_cols = (int(s) for s in matrix.shape)
        self.chunk_rows = chunk_rows or self._auto_rows()

    def _auto_rows(self) -> int:
        if sp.issparse(self.matrix) and self.n_rows:
            per_row = max(1.0, self.matrix.nnz / self.n_rows)
        else:
            per_row = float(max(1, self.n_cols))
        return max(1, int(TARGET_VALUES / per_row))

    def _piece(self, a: int, b: int) -> sp.csr_matrix:
        piece = self.matrix[a:b]
        if hasattr(piece, "compute"):  # a lazy array (a dask array has its own source)
            piece = piece.compute()
        if sp.issparse(piece):
            piece = sp.csr_matrix(piece)
        else:
            piece = sp.csr_matrix(np.asarray(piece))
        piece.sum_duplicates()
        return piece

    def chunks(self) -> Iterator[tuple[int, sp.csr_matrix]]:
        """``(first_row, csr)`` pieces in row order."""
        for a in range(0, self.n_rows, self.chunk_rows):
            yield a, self._piece(a, min(self.n_rows, a + self.chunk_rows))

    def column_counts(self) -> np.ndarray:
        """Stored (non-zero) values per column."""
        counts = np.zeros(self.n_cols, dtype=np.int64)
        for _, piece in self.chunks():
            counts += np.bincount(piece.indices, minlength=self.n_cols)
        return counts


def row_chunks(matrix, chunk_rows: int | None = None, *, progress_desc: str | None = None):
    """The chunk source for ``matrix``: an anndata CSR group of a store, a dask array, or anything
    row-sliceable. ``progress_desc`` names the progress bar of a dask array's counting pass
    (no bar when None; the other sources count without one)."""
    if is_dask_array(matrix):
        return DaskRowChunks(matrix, chunk_rows, progress_desc=progress_desc)
    if hasattr(matrix, "attrs") and encoding_of(matrix) == "csr_matrix":
        return StoreSparseChunks(matrix, chunk_rows)
    group = getattr(matrix, "group", None)  # anndata's backed sparse dataset
    if group is not None and encoding_of(group) == "csr_matrix":
        return StoreSparseChunks(group, chunk_rows)
    return MatrixChunks(matrix, chunk_rows)
