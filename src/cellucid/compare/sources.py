"""The expression matrix of an opened dataset as a column block source (see `matrix`).

`dataset_source` picks the fastest way to stream one layer of a :class:`~cellucid.data.Dataset`
gene block by gene block without densifying it whole:

- an AnnData in memory: the matrix itself (`SparseSource` or `DenseSource`);
- a backed ``.h5ad``, a ``.zarr`` store or an export directory: the column store (the gene cache
  of a row-oriented matrix, or the export's own store), read as CSC blocks straight from its
  memory-mapped files (`ColumnStoreSource`);
- anything else (a CSC matrix left on disk, a dask array): the dataset's per-gene reader, one
  column at a time (`ColumnFunctionSource`).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import scipy.sparse as sp

from ..data.colstore import ColumnStore
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


def in_memory_matrix(dataset, layer: str):
    """The numpy array or scipy sparse matrix holding ``layer`` in memory, or None.

    Only datasets built from an AnnData have one: its ``X`` and layers in memory, or the layers
    (not ``X``) of an AnnData opened backed by anndata. ``layer`` must be a known layer.
    """
    if dataset.kind not in ("anndata", "anndata-backed"):
        return None  # dataset.adata of a path would open the file backed: nothing in memory
    adata = dataset.adata
    if layer == "X":
        matrix = None if adata.isbacked else adata.X
    else:
        matrix = adata.layers[layer]
    if sp.issparse(matrix) or isinstance(matrix, np.ndarray):
        return matrix
    return None


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
    matrix = in_memory_matrix(dataset, layer)
    if matrix is not None:
        return SparseSource(matrix) if sp.issparse(matrix) else DenseSource(matrix)
    store = dataset.column_store(layer)
    if store is not None:
        return ColumnStoreSource(store)
    return ColumnFunctionSource(dataset.column_reader(layer), dataset.n_cells, dataset.n_genes)
