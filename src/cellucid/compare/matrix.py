"""How a comparison reads an expression matrix (cells x genes): in blocks of genes.

The comparison never holds more than one block of genes at a time. A *column block source* is any
object with ``n_obs`` (cells), ``n_vars`` (genes) and ``blocks(block_size)``, a generator of
``(start, stop, block)`` where ``block`` holds genes ``[start, stop)`` for every cell, as a dense
floating array of shape ``(n_obs, stop - start)`` or a scipy sparse CSC matrix of that shape.

The sources a dataset's matrices are read through live in the data layer
(`cellucid.data.blocks`: `DenseSource`, `SparseSource`, `ColumnFunctionSource`,
`ColumnStoreSource`, `DaskBlocks`); `sources.as_block_source` picks one for a given object, and
`daskstats.DaskSource` computes a dask array's statistics where its chunks are. Here: what a
block must be (`checked_block`) and how many genes a block holds (`default_block_size`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..data.blocks import Block, ColumnBlockSource, float_block

# About 40 MB of float32 per dense block, and a few hundred MB of sorting scratch per sparse block.
DENSE_BLOCK_ELEMENTS = 10_000_000
SPARSE_BLOCK_NNZ = 4_000_000


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
