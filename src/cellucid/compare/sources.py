"""The expression matrix of an opened dataset as a column block source (see `matrix`).

`dataset_source` picks the fastest way to stream one layer of a :class:`~cellucid.data.Dataset`
gene block by gene block without densifying it whole:

- an AnnData in memory: the matrix itself (`SparseSource` or `DenseSource`);
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
from .daskstats import DaskSource
from .matrix import ColumnBlockSource, ColumnFunctionSource, DenseSource, SparseSource


def check_layer(dataset, layer: str | None) -> str:
    """The layer to read: ``layer``, or the dataset's default layer when None.

    Raises ``ValueError`` naming the dataset's layers when ``layer`` is not one of them, and
    when the dataset has no genes.
    """
    name = dataset.default_layer if layer is None else layer
    if name not in dataset.layers:
        listed = ", ".join(map(repr, dataset.layers)) or "none"
        raise ValueError(f"unknown layer {name!r}: this dataset's layers are {listed}")
    if dataset.n_genes == 0:
        raise ValueError(f"layer {name!r} has no genes: there is nothing to compare")
    return name


def _anndata_matrix(dataset, layer: str):
    """The object holding ``layer`` in the AnnData behind ``dataset`` (not a backed ``X``)."""
    if dataset.kind not in ("anndata", "anndata-backed"):
        return None  # dataset.adata of a path would open the file backed: nothing in memory
    adata = dataset.adata
    if layer == "X":
        return None if adata.isbacked else adata.X
    return adata.layers[layer]


def in_memory_matrix(dataset, layer: str):
    """The numpy array or scipy sparse matrix holding ``layer`` in memory, or None.

    Only datasets built from an AnnData have one: its ``X`` and layers in memory, or the layers
    (not ``X``) of an AnnData opened backed by anndata. ``layer`` must be a known layer.
    """
    matrix = _anndata_matrix(dataset, layer)
    if sp.issparse(matrix) or isinstance(matrix, np.ndarray):
        return matrix
    return None


def dask_matrix(dataset, layer: str):
    """The dask array holding ``layer`` (the AnnData's ``X`` or a layer), or None."""
    matrix = _anndata_matrix(dataset, layer)
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
    """Stream ``layer`` (default: the dataset's default layer) of ``dataset`` in gene blocks.

    Returns a column block source over the dataset's ``n_cells`` x ``n_genes`` matrix, in
    ``dataset.genes.names`` order (pass those as ``gene_names`` to `rank_genes`). For a backed
    ``.h5ad`` or ``.zarr`` store whose matrix is not CSC, the first call builds the on-disk gene
    cache (once per file version; see :mod:`cellucid.data.cache`).

    Raises ``ValueError`` naming the dataset's layers for an unknown layer, and for a dataset
    without genes.
    """
    layer = check_layer(dataset, layer)
    array = dask_matrix(dataset, layer)
    if array is not None:
        return DaskSource(array)
    matrix = in_memory_matrix(dataset, layer)
    if matrix is not None:
        return SparseSource(matrix) if sp.issparse(matrix) else DenseSource(matrix)
    store = dataset.column_store(layer)
    if store is not None:
        return ColumnStoreSource(store)
    return ColumnFunctionSource(dataset.column_reader(layer), dataset.n_cells, dataset.n_genes)
