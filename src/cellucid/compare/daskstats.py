"""Marker-gene statistics of a dask array, reduced by dask tasks where its chunks are computed.

`DaskSource` is a column block source (see `matrix`) whose ``summarise`` maps what `rank_genes`
needs over the array on the active dask scheduler (a ``dask.distributed`` Client if one is the
default) instead of bringing the matrix here:

- t-test: sums, sums of squares and nonzero counts add up over cells, so each chunk gives its
  own (one task per chunk, a few numbers per gene back), added here in chunk order. The matrix is
  read once, in its own chunks; a task holds one chunk.
- Wilcoxon: a rank sum needs every compared cell of a gene, so the array is read in blocks of
  whole genes, one task per block (it joins the block's pieces of every row chunk and returns
  the block's sums and rank sums: `blockstats.block_statistics`, as for an in-memory matrix).
  Blocks are sized to hold about ``task_bytes`` (dense: cells x genes; sparse: stored values,
  estimated from a few row chunks). ``batch_bytes`` of blocks are computed together: each batch
  reads a row-chunked matrix once, so fewer batches mean fewer reads and more memory.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ..data.blocks import BATCH_BYTES, TASK_BYTES, DaskBlocks, float_block, gene_ranges
from ..data.daskarrays import block_grid, chunk_bounds, compute_batches, compute_in_order, \
    stack_blocks
from ..data.progress import progress_bar
from .blockstats import block_statistics
from .groups import GROUP, REFERENCE, Comparison
from .summary import (
    NonFiniteValues,
    SideSums,
    Summaries,
    dense_sums,
    sparse_row_entries,
    sparse_sums,
)

SAMPLE_CHUNKS = 4           # row chunks read to estimate the stored values of each gene
INDEX_BYTES = 4             # a stored value's row index, next to its value


def split_by_weight(weights: np.ndarray, budget: float) -> list[tuple[int, int]]:
    """Consecutive ranges whose summed ``weights`` stay within ``budget`` (one item at least)."""
    total = np.cumsum(np.asarray(weights, dtype=np.float64))
    ranges, start, n = [], 0, len(total)
    while start < n:
        base = total[start - 1] if start else 0.0
        stop = min(n, max(start + 1, int(np.searchsorted(total, base + budget, side="right"))))
        ranges.append((start, stop))
        start = stop
    return ranges


def stored_per_column(block) -> np.ndarray:
    """Values a chunk stores per column: its non-zeros when dense."""
    if sp.issparse(block):
        csr = sp.csr_matrix(block)
        csr.sum_duplicates()
        return np.bincount(csr.indices, minlength=csr.shape[1])
    return np.count_nonzero(np.asarray(block), axis=0)


def chunk_sums(block, labels: np.ndarray, first_col: int) -> tuple[SideSums, SideSums]:
    """Group and reference sums of one chunk over its own genes; ``labels`` are its rows'.

    Raises `NonFiniteValues` naming absolute genes (``first_col`` is the chunk's first).
    """
    try:
        if sp.issparse(block):
            csr = sp.csr_matrix(block)
            csr.sum_duplicates()
            csr.data = float_block(csr.data)
            entries = sparse_row_entries(csr, labels)
            return sparse_sums(*entries, csr.shape[1])
        dense = float_block(np.asarray(block))
        return (dense_sums(dense, np.flatnonzero(labels == GROUP)),
                dense_sums(dense, np.flatnonzero(labels == REFERENCE)))
    except NonFiniteValues as exc:
        raise NonFiniteValues([first_col + j for j in exc.genes]) from None


def gene_block_statistics(pieces: list, comparison: Comparison, method: str, start: int,
                          stop: int, tie_correct: bool = False) -> Summaries:
    """`block_statistics` of genes ``[start, stop)`` from their pieces in every row chunk."""
    block = stack_blocks(pieces, "csc")
    return block_statistics(block, comparison, comparison.labels(), method, start, stop,
                            tie_correct)


class DaskSource(DaskBlocks):
    """A cells x genes dask array as a column block source (`cellucid.data.blocks.DaskBlocks`)
    whose statistics for `rank_genes` are computed by dask tasks (see the module docstring).

    ``task_bytes`` bounds the values one Wilcoxon task holds, ``batch_bytes`` those of the tasks
    computed together. Chunks may be numpy arrays or scipy sparse matrices.
    """

    def __init__(self, array, *, task_bytes: int = TASK_BYTES,
                 batch_bytes: int = BATCH_BYTES) -> None:
        super().__init__(array, task_bytes=task_bytes, batch_bytes=batch_bytes)

    # -- planning -------------------------------------------------------------------------------

    def gene_blocks(self, block_size: int | None = None) -> list[tuple[int, int]]:
        """The ``[start, stop)`` gene blocks a Wilcoxon pass computes one task each.

        ``block_size`` genes each when given; else sized to ``task_bytes``: cells x genes of a
        dense array, stored values (estimated from `SAMPLE_CHUNKS` row chunks) of a sparse one.
        """
        if block_size is not None:
            return gene_ranges(self.n_vars, int(block_size))
        if not self.sparse:
            width = self.task_bytes // max(1, self.n_obs * self.value_bytes())
            return gene_ranges(self.n_vars, max(1, min(self.n_vars, width)))
        per_gene = self.estimated_values_per_gene() * (self.value_bytes() + INDEX_BYTES)
        return split_by_weight(per_gene, self.task_bytes)

    def estimated_values_per_gene(self) -> np.ndarray:
        """Stored values of each gene over all cells, extrapolated from a few row chunks."""
        import dask
        n_chunks = len(self.array.chunks[0])
        picks = np.unique(np.linspace(0, n_chunks - 1, min(SAMPLE_CHUNKS, n_chunks)).round())
        picks = [int(i) for i in picks]
        cols = chunk_bounds(self.array.chunks[1])
        grid = block_grid(self.array)
        count = dask.delayed(stored_per_column, pure=True)
        spans = [(i, j) for i in picks for j in range(grid.shape[1])]
        counts = np.zeros(self.n_vars)
        for (_, j), part in zip(spans, dask.compute(*[count(grid[i, j]) for i, j in spans])):
            counts[cols[j]:cols[j + 1]] += part
        rows = sum(self.array.chunks[0][i] for i in picks)
        return counts * (self.n_obs / max(1, rows))

    def summarise(self, comparison: Comparison, method: str, *, block_size: int | None = None,
                  progress: bool = False, tie_correct: bool = False) -> Summaries:
        """The `Summaries` of every gene (sums; for Wilcoxon rank sums, and tie sums when
        ``tie_correct``), computed as dask tasks.

        ``block_size`` sets the genes per Wilcoxon task (default: `gene_blocks`); the t-test
        reduces chunk by chunk whatever it is. Raises `NonFiniteValues` naming the genes with
        NaN or infinite compared values.
        """
        if method == "wilcoxon":
            return self._by_gene_blocks(comparison, method, block_size, progress, tie_correct)
        return self._by_chunks(comparison, progress)

    def _by_chunks(self, comparison: Comparison, progress: bool):
        import dask
        labels = comparison.labels()
        rows, cols = chunk_bounds(self.array.chunks[0]), chunk_bounds(self.array.chunks[1])
        grid = block_grid(self.array)
        spans = [(i, j) for i in range(grid.shape[0]) for j in range(grid.shape[1])]
        tasks = [dask.delayed(chunk_sums, pure=True)(grid[i, j], labels[rows[i]:rows[i + 1]],
                                                     int(cols[j])) for i, j in spans]
        found = Summaries.zeros(self.n_vars, ranks=False, ties=False)
        with progress_bar(len(tasks), "ranking genes", unit="chunk", enabled=progress,
                          leave=False) as bar:
            for (_, j), (g, r) in zip(spans, compute_in_order(tasks)):
                found.group.add(cols[j], cols[j + 1], g)
                found.reference.add(cols[j], cols[j + 1], r)
                bar.update(1)
        return found

    def _by_gene_blocks(self, comparison: Comparison, method: str, block_size: int | None,
                        progress: bool, tie_correct: bool) -> Summaries:
        import dask
        blocks = self.gene_blocks(block_size)
        shared = dask.delayed(comparison, pure=True)  # one copy in the graph for all tasks
        tasks = [self.block_task(gene_block_statistics, a, b, shared, method, a, b, tie_correct)
                 for a, b in blocks]
        found = Summaries.zeros(self.n_vars, ranks=method == "wilcoxon", ties=tie_correct)
        with progress_bar(self.n_vars, "ranking genes", unit="gene", enabled=progress,
                          leave=False) as bar:
            results = compute_batches(tasks, self.batch(blocks))
            for (a, b), block in zip(blocks, results):
                found.put(a, b, block)
                bar.update(b - a)
        return found
