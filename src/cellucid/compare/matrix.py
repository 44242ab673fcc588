"""Streaming an expression matrix (cells x genes) in blocks of genes.

The comparison never holds more than one block of genes at a time. A *column block source* is any
object with ``n_obs`` (cells), ``n_vars`` (genes) and ``blocks(block_size)``, a generator of
``(start, stop, block)`` where ``block`` holds genes ``[start, stop)`` for every cell, as a dense
floating array of shape ``(n_obs, stop - start)`` or a scipy sparse CSC matrix of that shape.

Adapters: `DenseSource` (a numpy array in memory), `SparseSource` (a scipy sparse matrix in
memory, any format) and `ColumnFunctionSource` (a function ``column(j)`` returning one gene's
values, as on-disk column stores provide). `sources.as_block_source` picks one for a given object;
`daskstats.DaskSource` reads a dask array.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Protocol, runtime_checkable

import numpy as np
import scipy.sparse as sp

Block = np.ndarray | sp.csc_matrix | sp.csc_array

# About 40 MB of float32 per dense block, and a few hundred MB of sorting scratch per sparse block.
DENSE_BLOCK_ELEMENTS = 10_000_000
SPARSE_BLOCK_NNZ = 4_000_000


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


def _ranges(n_vars: int, block_size: int) -> Iterator[tuple[int, int]]:
    if block_size < 1:
        raise ValueError(f"block_size must be at least 1, got {block_size}")
    for start in range(0, n_vars, block_size):
        yield start, min(start + block_size, n_vars)


class DenseSource:
    """A dense in-memory ``(n_obs, n_vars)`` array, read in column slices (views, no copies)."""

    def __init__(self, array: np.ndarray) -> None:
        array = np.asarray(array)
        if array.ndim != 2:
            raise ValueError(f"the expression matrix must be 2-D, got shape {array.shape}")
        self.array = array
        self.n_obs, self.n_vars = array.shape

    def blocks(self, block_size: int) -> Iterator[tuple[int, int, np.ndarray]]:
        """Yield ``(start, stop, array[:, start:stop])`` as floating arrays."""
        for start, stop in _ranges(self.n_vars, block_size):
            yield start, stop, float_block(self.array[:, start:stop])


class SparseSource:
    """A scipy sparse matrix in memory; each block of columns is sliced out and made CSC.

    Only the block is converted, so a CSR matrix is never copied whole. Slicing columns of a CSR
    matrix scans all its stored values, so blocks are sized by stored values (``nnz``) rather
    than by cells, to keep the number of scans small.
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

    def blocks(self, block_size: int) -> Iterator[tuple[int, int, sp.csc_matrix]]:
        """Yield ``(start, stop, CSC block)`` with floating data."""
        for start, stop in _ranges(self.n_vars, block_size):
            block = sp.csc_matrix(self.matrix[:, start:stop])
            block.data = float_block(block.data)
            yield start, stop, block


class ColumnFunctionSource:
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
        for start, stop in _ranges(self.n_vars, block_size):
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


def checked_block(block, n_obs: int, start: int, stop: int) -> Block:
    """A source's block as the statistics expect it: a floating dense array or CSC matrix.

    Other sparse formats are converted to CSC. Raises ``ValueError`` when the block's shape is
    not ``(n_obs, stop - start)``.
    """
    if sp.issparse(block):
        if block.format != "csc":
            block = sp.csc_matrix(block)
        if block.data.dtype not in (np.float32, np.float64):
            block = block.astype(float_block(block.data[:0]).dtype)
    else:
        block = float_block(np.asarray(block))
    if block.shape != (n_obs, stop - start):
        raise ValueError(f"the matrix source gave a block of shape {block.shape} for genes "
                         f"[{start}, {stop}), expected ({n_obs}, {stop - start})")
    return block


def default_block_size(source: ColumnBlockSource) -> int:
    """Genes per block for ``source``: bounded by stored values for sparse in-memory matrices,
    by cells x genes otherwise. Always at least 1."""
    if source.n_vars == 0:
        return 1
    nnz = getattr(source, "nnz", None)
    if nnz is not None:
        per_gene = max(1.0, nnz / source.n_vars)
        return max(1, min(source.n_vars, int(SPARSE_BLOCK_NNZ / per_gene)))
    return max(1, min(source.n_vars, DENSE_BLOCK_ELEMENTS // max(1, source.n_obs)))
