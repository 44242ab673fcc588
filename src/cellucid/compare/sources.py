"""The expression matrix of an opened dataset as a column block source (see `matrix`).

`dataset_source` picks the fastest way to stream one matrix (``X``, a layer or ``.raw``) of a
:class:`~cellucid.data.Dataset` gene block by gene block without densifying it whole:

- an AnnData in memory: the matrix itself (`SparseSource` or `DenseSource`), ``adata.raw.X``
  for ``.raw``;
- a backed ``.h5ad``, a ``.zarr`` store or an export directory: the column store (the gene cache
  of a row-oriented matrix, or the export's own store), read as CSC blocks straight from its
  memory-mapped files (`ColumnStoreSource`);
- a dask array (an AnnData whose ``X`` or layer is one): `daskstats.DaskSource`, whose
  statistics run as dask tasks on the active scheduler;
- anything else (a CSC matrix left on disk): the dataset's per-gene reader, one column at a time
  (`ColumnFunctionSource`).

`as_block_source` does the same for a bare matrix.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp

from ..data.colstore import ColumnStore
from ..data.daskarrays import is_dask_array
from ..data.layers import RAW
from .daskstats import DaskSource
from .matrices import checked_matrix
from .matrix import ColumnBlockSource, ColumnFunctionSource, DenseSource, SparseSource


def _anndata_matrix(dataset, key: str):
    """The object holding matrix ``key`` in the AnnData behind ``dataset`` (not a backed ``X``
    or ``.raw``: those are on disk)."""
    if dataset.kind not in ("anndata", "anndata-backed"):
        return None  # dataset.adata of a path would open the file backed: nothing in memory
    adata = dataset.adata
    if key in ("X", RAW):
        if adata.isbacked:
            return None
        return adata.X if key == "X" else adata.raw.X
    return adata.layers[key]


def in_memory_matrix(dataset, key: str):
    """The numpy array or scipy sparse matrix holding matrix ``key`` in memory, or None.

    Only datasets built from an AnnData have one: its ``X``, layers and ``.raw`` in memory, or
    the layers (not ``X`` nor ``.raw``) of an AnnData opened backed by anndata. ``key`` must be
    a known matrix (see `matrices.checked_matrix`).
    """
    matrix = _anndata_matrix(dataset, key)
    if sp.issparse(matrix) or isinstance(matrix, np.ndarray):
        return matrix
    return None


def dask_matrix(dataset, key: str):
    """The dask array holding matrix ``key`` (the AnnData's ``X``, a layer or ``.raw``), or None."""
    matrix = _anndata_matrix(dataset, key)
    return matrix if is_dask_array(matrix) else None


def as_block_source(matrix) -> ColumnBlockSource:
    """Wrap ``matrix`` as a column block source.

    Accepts a source already (returned as is), a scipy sparse matrix (`SparseSource`), a dask
    array (`DaskSource`, never computed whole) or anything numpy can turn into a 2-D numeric
    array (`DenseSource`). Raises ``ValueError`` otherwise.
    """
    if isinstance(matrix, ColumnBlockSource):
        return matrix
    if sp.issparse(matrix):
        return SparseSource(matrix)
    if is_dask_array(matrix):
        return DaskSource(matrix)
    if isinstance(matrix, np.ndarray) or hasattr(matrix, "__array__"):
        array = np.asarray(matrix)
        if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
            raise ValueError(f"the expression matrix must be numeric, got dtype {array.dtype}")
        return DenseSource(array)
    raise ValueError(f"cannot read an expression matrix from a {type(matrix).__name__}: pass a "
                     f"numpy array, a scipy sparse matrix, a dask array or a column block source")


class ColumnStoreSource:
    """A :class:`~cellucid.data.colstore.ColumnStore` read as CSC blocks of whole genes.

    Each block's indices and values are sliced out of the store's memory-mapped block files;
    nothing is densified. Blocks are sized by stored values (``nnz``), like `SparseSource`.
    """

    def __init__(self, store: ColumnStore) -> None:
        self.store = store
        self.n_obs, self.n_vars = int(store.n_rows), int(store.n_cols)
        self.nnz = int(store.indptr[-1])

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


def dataset_source(dataset, layer: str | None = None) -> ColumnBlockSource:
    """Stream matrix ``layer`` of ``dataset`` in gene blocks: ``"X"``, a layer's name, or
    `~cellucid.data.layers.RAW` for ``.raw`` (default: the dataset's default layer).

    Returns a column block source over the dataset's ``n_cells`` x genes of that matrix, in
    ``dataset.genes_of(layer).names`` order (pass those as ``gene_names`` to `rank_genes`). For
    a backed ``.h5ad`` or ``.zarr`` store whose matrix is not CSC, the first call builds the
    on-disk gene cache (once per file version; see :mod:`cellucid.data.cache`).

    Raises ``ValueError`` naming the dataset's layers for an unknown layer (or ``.raw`` asked of
    a dataset without one), and for a matrix without genes.
    """
    key = checked_matrix(dataset, layer).key
    array = dask_matrix(dataset, key)
    if array is not None:
        return DaskSource(array)
    matrix = in_memory_matrix(dataset, key)
    if matrix is not None:
        return SparseSource(matrix) if sp.issparse(matrix) else DenseSource(matrix)
    store = dataset.column_store(key)
    if store is not None:
        return ColumnStoreSource(store)
    return ColumnFunctionSource(dataset.column_reader(key), dataset.n_cells,
                                len(dataset.genes_of(key)))
