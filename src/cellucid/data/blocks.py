"""A dataset's expression matrix (cells x genes), read the way its storage reads best.

`Dataset.layer(name)` answers with one of these, whatever holds the matrix: a numpy array
(`DenseSource`), a scipy sparse matrix (`SparseSource`) or a dask array (`DaskBlocks`) in the
AnnData in memory; the column store of a backed file's gene cache or of an export
(`ColumnStoreSource`); or a function reading one gene at a time (`ColumnFunctionSource`, a CSC
matrix left in a file). Each reads one gene (``column(j)``: float32, one value per cell), a few
genes (``gene_columns(positions)``) and, as a *column block source*, every gene in blocks
(``blocks(block_size)``: ``(start, stop, block)`` with ``block`` a floating dense array or a
CSC matrix of shape ``(n_obs, stop - start)``), never the whole matrix densified at once.
``store`` is the `ColumnStore` read from, or None.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import scipy.sparse as sp

from .colstore import ColumnStore
from .daskarrays import (block_grid, compute_batches, dask_column_reader, is_sparse_array,
                         require_dask, stack_blocks, take_columns)
from .expression import column_reader

Block = np.ndarray | sp.csc_matrix | sp.csc_array
TASK_BYTES = 48 * 2**20     # values one dask task of whole genes holds (before its scratch)
BATCH_BYTES = 1 * 2**30     # values of the gene blocks computed together


@runtime_checkable
class ColumnBlockSource(Protocol):
    """A cells x genes matrix read in blocks of genes (see the module docstring)."""

    n_obs: int
    n_vars: int

    def blocks(self, block_size: int) -> Iterator[tuple[int, int, Block]]:
        """Yield ``(start, stop, block)`` for consecutive gene ranges of at most ``block_size``."""
        ...


def float_block(values: np.ndarray) -> np.ndarray:
    """``values`` as a floating array: float16 and integer inputs widen, float32/64 stay as is."""
    if values.dtype in (np.float32, np.float64):
        return values
    if values.dtype == np.float16:
        return values.astype(np.float32)
    return values.astype(np.float64)


def gene_ranges(n_vars: int, block_size: int) -> list[tuple[int, int]]:
    """Consecutive ``[start, stop)`` ranges of ``block_size`` genes (the last may be shorter);
    `ValueError` for a block size below 1."""
    if block_size < 1:
        raise ValueError(f"block_size must be at least 1, got {block_size}")
    return [(a, min(a + block_size, n_vars)) for a in range(0, n_vars, block_size)]


def _float32(values) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(values).ravel(), dtype=np.float32)


class _Genes:
    """``gene_columns(positions)`` through ``column(j)``, one gene at a time (the default)."""

    store: ColumnStore | None = None

    def gene_columns(self, positions: Sequence[int]) -> Iterator[np.ndarray]:
        """Each gene's values in every cell, float32 ``(n_obs,)``, in ``positions`` order."""
        for j in positions:
            yield np.asarray(self.column(j), dtype=np.float32)


def _sparse_columns(picked, n_obs: int) -> Iterator[np.ndarray]:
    """The columns of a CSC or dense ``(n_obs, k)`` matrix, one float32 array at a time."""
    if not sp.issparse(picked):
        for i in range(picked.shape[1]):
            yield np.ascontiguousarray(picked[:, i], dtype=np.float32)
        return
    for i in range(picked.shape[1]):
        lo, hi = picked.indptr[i], picked.indptr[i + 1]
        out = np.zeros(n_obs, dtype=np.float32)
        out[picked.indices[lo:hi]] = picked.data[lo:hi]
        yield out


class DenseSource(_Genes):
    """A dense in-memory ``(n_obs, n_vars)`` array, read in column slices (views, no copies)."""

    def __init__(self, array: np.ndarray) -> None:
        array = np.asarray(array)
        if array.ndim != 2:
            raise ValueError(f"the expression matrix must be 2-D, got shape {array.shape}")
        self.array = array
        self.n_obs, self.n_vars = array.shape

    def column(self, j: int) -> np.ndarray:
        """Gene ``j`` in every cell (float32)."""
        return _float32(self.array[:, j])

    def blocks(self, block_size: int) -> Iterator[tuple[int, int, np.ndarray]]:
        """Yield ``(start, stop, array[:, start:stop])`` as floating arrays."""
        for start, stop in gene_ranges(self.n_vars, block_size):
            yield start, stop, float_block(self.array[:, start:stop])


class SparseSource(_Genes):
    """A scipy sparse matrix in memory; each block of columns is sliced out and made CSC.

    Only the block is converted, so a CSR matrix is never copied whole. Slicing columns of a CSR
    matrix scans all its stored values, so blocks are sized by stored values (``nnz``) rather
    than by cells, to keep the number of scans small. One gene of a CSR matrix is a vectorised
    scan of its stored values (no copy); a few genes are one pass for all of them.
    """

    def __init__(self, matrix) -> None:
        if not sp.issparse(matrix):
            raise ValueError(f"SparseSource needs a scipy sparse matrix, "
                             f"got {type(matrix).__name__}")
        if matrix.ndim != 2:
            raise ValueError(f"the expression matrix must be 2-D, got shape {matrix.shape}")
        if matrix.format not in ("csr", "csc"):
            matrix = sp.csc_matrix(matrix)
        self.matrix = matrix
        self.n_obs, self.n_vars = matrix.shape
        self.nnz = int(matrix.nnz)
        self.column = column_reader(matrix)

    def blocks(self, block_size: int) -> Iterator[tuple[int, int, sp.csc_matrix]]:
        """Yield ``(start, stop, CSC block)`` with floating data."""
        for start, stop in gene_ranges(self.n_vars, block_size):
            block = sp.csc_matrix(self.matrix[:, start:stop])
            block.data = float_block(block.data)
            yield start, stop, block

    def gene_columns(self, positions: Sequence[int]) -> Iterator[np.ndarray]:
        """Each gene's values, in ``positions`` order: one pass over the matrix for all."""
        yield from _sparse_columns(sp.csc_matrix(self.matrix[:, positions]), self.n_obs)


class ColumnFunctionSource(_Genes):
    """Genes read one at a time through ``column(j)``, a 1-D array of ``n_obs`` values.

    Each block stacks its columns into one dense ``(n_obs, k)`` array in column-major order.
    """

    def __init__(self, column: Callable[[int], np.ndarray], n_obs: int, n_vars: int) -> None:
        if not callable(column):
            raise ValueError("ColumnFunctionSource needs a callable column(j)")
        if n_obs < 0 or n_vars < 0:
            raise ValueError(f"n_obs and n_vars must be non-negative, got {n_obs} and {n_vars}")
        self.column = column
        self.n_obs, self.n_vars = int(n_obs), int(n_vars)

    def blocks(self, block_size: int) -> Iterator[tuple[int, int, np.ndarray]]:
        """Yield ``(start, stop, dense block)`` built from ``column(start) ... column(stop-1)``.

        Raises ``ValueError`` when a column does not have ``n_obs`` values.
        """
        for start, stop in gene_ranges(self.n_vars, block_size):
            block = None
            for j in range(start, stop):
                values = float_block(np.asarray(self.column(j)).ravel())
                if values.shape != (self.n_obs,):
                    raise ValueError(f"column({j}) returned {values.shape[0]} values, "
                                     f"expected one per cell ({self.n_obs})")
                if block is None:
                    block = np.empty((self.n_obs, stop - start), dtype=values.dtype, order="F")
                block[:, j - start] = values
            yield start, stop, block


class ColumnStoreSource(_Genes):
    """A `ColumnStore` read as CSC blocks of whole genes.

    Each block's indices and values are sliced out of the store's memory-mapped block files;
    nothing is densified. Blocks are sized by stored values (``nnz``), like `SparseSource`.
    """

    def __init__(self, store: ColumnStore) -> None:
        self.store = store
        self.n_obs, self.n_vars = int(store.n_rows), int(store.n_cols)
        self.nnz = int(store.indptr[-1])

    def column(self, j: int) -> np.ndarray:
        """Gene ``j`` in every cell (float32), from its block of the store."""
        return self.store.column(j)

    def blocks(self, block_size: int) -> Iterator[tuple[int, int, sp.csc_matrix]]:
        """Yield ``(start, stop, CSC block)`` with float32 data for genes ``[start, stop)``."""
        if block_size < 1:
            raise ValueError(f"block_size must be at least 1, got {block_size}")
        for start in range(0, self.n_vars, block_size):
            stop = min(start + block_size, self.n_vars)
            yield start, stop, self.columns(start, stop)

    def columns(self, start: int, stop: int) -> sp.csc_matrix:
        """Genes ``[start, stop)`` as a CSC matrix (its arrays are copies, not memory maps)."""
        return self.store.columns(start, stop)


class DaskBlocks(_Genes):
    """A cells x genes dask array, computed by dask a batch of gene blocks at a time.

    ``task_bytes`` bounds the values one task holds, ``batch_bytes`` those of the tasks computed
    together. Chunks may be numpy arrays or scipy sparse matrices. Statistics computed where the
    chunks are (`cellucid.compare.DaskSource`) build on this.
    """

    def __init__(self, array, *, task_bytes: int = TASK_BYTES,
                 batch_bytes: int = BATCH_BYTES) -> None:
        require_dask()
        if array.ndim != 2:
            raise ValueError(f"the expression matrix must be 2-D, got shape {array.shape}")
        self.array = array
        self.n_obs, self.n_vars = (int(s) for s in array.shape)
        self.sparse = is_sparse_array(array)
        self.task_bytes, self.batch_bytes = int(task_bytes), int(batch_bytes)
        self.column = dask_column_reader(array)

    def value_bytes(self) -> int:
        """Bytes of one stored value (at least 4: values are read as float32 or wider)."""
        return max(4, np.dtype(self.array.dtype).itemsize)

    def batch(self, blocks: list[tuple[int, int]]) -> int:
        """How many of ``blocks`` (gene ranges) to compute together, within ``batch_bytes``."""
        per_block = self.task_bytes if self.sparse else \
            max((b - a) for a, b in blocks) * self.n_obs * self.value_bytes()
        return max(1, self.batch_bytes // max(1, per_block))

    def block_task(self, function, start: int, stop: int, *args):
        """A delayed ``function(pieces, *args)`` over the pieces of genes ``[start, stop)`` in
        every row chunk."""
        import dask
        pieces = block_grid(self.array[:, start:stop]).tolist()
        return dask.delayed(function, pure=True)(pieces, *args)

    def blocks(self, block_size: int):
        """Yield ``(start, stop, block)``: whole genes computed by dask, a batch at a time."""
        ranges = gene_ranges(self.n_vars, block_size)
        tasks = [self.block_task(gene_block, a, b) for a, b in ranges]
        for (a, b), block in zip(ranges, compute_batches(tasks, self.batch(ranges))):
            yield a, b, block

    def gene_columns(self, positions: Sequence[int]) -> Iterator[np.ndarray]:
        """Each gene's values, in ``positions`` order: one dask computation for all of them
        (a task per chunk, keeping only these genes)."""
        yield from _sparse_columns(take_columns(self.array, positions), self.n_obs)


def gene_block(pieces: list):
    """Genes of every cell joined from their pieces in every row chunk (CSC or dense)."""
    return stack_blocks(pieces, "csc")


def matrix_source(matrix) -> ColumnBlockSource:
    """The source reading ``matrix`` held in memory: a dask array (`DaskBlocks`), a scipy sparse
    matrix (`SparseSource`), a numpy array (`DenseSource`); anything else one gene at a time."""
    from .daskarrays import is_dask_array

    if is_dask_array(matrix):
        return DaskBlocks(matrix)
    if sp.issparse(matrix):
        return SparseSource(matrix)
    if isinstance(matrix, np.ndarray):
        return DenseSource(matrix)
    return ColumnFunctionSource(column_reader(matrix), *matrix.shape)
