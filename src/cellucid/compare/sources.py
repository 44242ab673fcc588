"""A matrix as a column block source (see `matrix`): a bare matrix, or a dataset's.

`dataset_source` streams one matrix of an opened :class:`~cellucid.data.Dataset` (``X``, a layer
or ``.raw``) gene block by gene block: the dataset answers how its storage reads best
(`Dataset.layer`: the matrix in memory, a column store on disk, a dask array); a dask array's
statistics then run as dask tasks on the active scheduler (`daskstats.DaskSource`).
`as_block_source` does the same for a bare matrix.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..data.blocks import (ColumnBlockSource, ColumnFunctionSource, ColumnStoreSource,
                           DaskBlocks, DenseSource, SparseSource)
from ..data.daskarrays import is_dask_array
from .daskstats import DaskSource
from .matrices import checked_matrix

__all__ = ["ColumnFunctionSource", "ColumnStoreSource", "DenseSource", "SparseSource",
           "as_block_source", "dataset_source"]


def as_block_source(matrix) -> ColumnBlockSource:
    """Wrap ``matrix`` as a column block source.

    Accepts a source already (returned as is; a dask one gains its dask statistics,
    `DaskSource`), a scipy sparse matrix (`SparseSource`), a dask array (`DaskSource`, never
    computed whole) or anything numpy can turn into a 2-D numeric array (`DenseSource`). Raises
    ``ValueError`` otherwise.
    """
    if isinstance(matrix, DaskBlocks) and not isinstance(matrix, DaskSource):
        return DaskSource(matrix.array, task_bytes=matrix.task_bytes,
                          batch_bytes=matrix.batch_bytes)
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


def dataset_source(dataset, layer: str | None = None) -> ColumnBlockSource:
    """Stream matrix ``layer`` of ``dataset`` in gene blocks: ``"X"``, a layer's name, or
    `~cellucid.data.layers.RAW` for ``.raw`` (default: the dataset's default layer).

    Returns a column block source over the dataset's ``n_cells`` x genes of that matrix, in
    ``dataset.genes_of(layer).names`` order (pass those as ``gene_names`` to `rank_genes`). For
    a backed ``.h5ad`` or ``.zarr`` store whose matrix is not CSC, the first call builds the
    on-disk gene cache (once per file version; see :mod:`cellucid.data.cache`).

    Raises `~cellucid.data.names.UnknownLayer` naming the dataset's layers for an unknown layer
    (or ``.raw`` asked of a dataset without one), and ``ValueError`` for a matrix without genes.
    """
    return as_block_source(dataset.layer(checked_matrix(dataset, layer).key))
