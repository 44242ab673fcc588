"""Reading one gene's values for every cell from an expression matrix held in memory.

``column_reader(matrix)`` returns a function ``read(j) -> float32 (n_cells,)`` suited to the matrix:
dense arrays are sliced, CSC columns read directly, and CSR matrices scanned once per gene with a
vectorised mask, which costs no extra memory beyond one boolean per stored value. A dask array
is read as one task per row chunk on the active dask scheduler (:mod:`cellucid.data.daskarrays`).
``csc_reader`` also reads a CSC matrix left on disk in an h5py/zarr store, one column at a time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp

from .daskarrays import dask_column_reader, is_dask_array

ColumnReader = Callable[[int], np.ndarray]


def _dense_reader(matrix) -> ColumnReader:
    def read(j: int) -> np.ndarray:
        return np.ascontiguousarray(np.asarray(matrix[:, j]).ravel(), dtype=np.float32)
    return read


def csc_reader(indptr, indices, data, n_rows: int) -> ColumnReader:
    """Return ``read(j)`` over a CSC matrix given as its three arrays.

    ``indices`` and ``data`` may be numpy arrays or h5py/zarr arrays of a store: only the slice of
    column ``j`` is read. ``indptr`` is read whole, now.
    """
    indptr = np.asarray(indptr[:], dtype=np.int64)

    def read(j: int) -> np.ndarray:
        lo, hi = indptr[j], indptr[j + 1]
        out = np.zeros(n_rows, dtype=np.float32)
        out[np.asarray(indices[lo:hi])] = np.asarray(data[lo:hi])
        return out
    return read


def _csr_reader(matrix: sp.csr_matrix | sp.csr_array) -> ColumnReader:
    n = matrix.shape[0]

    def read(j: int) -> np.ndarray:
        hits = np.flatnonzero(matrix.indices == j)
        rows = np.searchsorted(matrix.indptr, hits, side="right") - 1
        out = np.zeros(n, dtype=np.float32)
        out[rows] = matrix.data[hits]
        return out
    return read


def _generic_reader(matrix) -> ColumnReader:
    def read(j: int) -> np.ndarray:
        col = matrix[:, j]
        if hasattr(col, "compute"):  # a lazy array (a dask array has its own reader)
            col = col.compute()
        if sp.issparse(col):
            col = col.toarray()
        return np.ascontiguousarray(np.asarray(col).ravel(), dtype=np.float32)
    return read


def column_reader(matrix) -> ColumnReader:
    """Return ``read(j)`` giving column ``j`` of ``matrix`` as float32 ``(n_rows,)``."""
    if isinstance(matrix, np.ndarray):
        return _dense_reader(matrix)
    if sp.issparse(matrix):
        if matrix.format == "csr":
            return _csr_reader(matrix)
        csc = matrix if matrix.format == "csc" else sp.csc_matrix(matrix)
        return csc_reader(csc.indptr, csc.indices, csc.data, csc.shape[0])
    if is_dask_array(matrix):
        return dask_column_reader(matrix)
    return _generic_reader(matrix)
