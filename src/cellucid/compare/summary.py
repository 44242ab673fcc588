"""Per-gene sums over the two sides of a comparison, one block of genes at a time.

For each gene of a block and each side (group, reference) this gives the sum of the values, the
sum of their squares, the number of nonzero values and the number of negative values: enough for
means, variances, the fraction of expressing cells, and for telling scaled data (negative values)
from log-normalised expression. Sums accumulate in float64; squares are taken in the block's own
dtype, as scanpy does (``x * x`` before a float64 mean), so float32 data gives scanpy's variances.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .groups import GROUP, OUTSIDE, REFERENCE, Comparison


@dataclass
class SideSums:
    """Per-gene ``sum``, ``sumsq`` (float64), ``nnz`` and ``negative`` (int64: values above and
    below 0) over one side's cells."""

    sum: np.ndarray
    sumsq: np.ndarray
    nnz: np.ndarray
    negative: np.ndarray

    @classmethod
    def zeros(cls, n_vars: int) -> SideSums:
        """All-zero sums for ``n_vars`` genes."""
        return cls(np.zeros(n_vars), np.zeros(n_vars), np.zeros(n_vars, dtype=np.int64),
                   np.zeros(n_vars, dtype=np.int64))

    def put(self, start: int, stop: int, other: SideSums) -> None:
        """Write a block's sums into genes ``[start, stop)``."""
        self.sum[start:stop] = other.sum
        self.sumsq[start:stop] = other.sumsq
        self.nnz[start:stop] = other.nnz
        self.negative[start:stop] = other.negative

    def add(self, start: int, stop: int, other: SideSums) -> None:
        """Add a chunk's sums (some of the cells) to genes ``[start, stop)``."""
        self.sum[start:stop] += other.sum
        self.sumsq[start:stop] += other.sumsq
        self.nnz[start:stop] += other.nnz
        self.negative[start:stop] += other.negative


@dataclass
class Summaries:
    """What a comparison needs of every gene: both sides' sums and, for Wilcoxon, the group's
    rank sums and (for the tie correction) each gene's ``sum(t**3 - t)`` over its groups of ``t``
    tied values; None where not computed."""

    group: SideSums
    reference: SideSums
    rank_sums: np.ndarray | None = None
    tie_sums: np.ndarray | None = None

    @classmethod
    def zeros(cls, n_vars: int, ranks: bool, ties: bool) -> Summaries:
        """Zeros for ``n_vars`` genes, with rank sums when ``ranks``, tie sums when ``ties``."""
        return cls(SideSums.zeros(n_vars), SideSums.zeros(n_vars),
                   np.zeros(n_vars) if ranks else None, np.zeros(n_vars) if ties else None)

    def put(self, start: int, stop: int, block: Summaries) -> None:
        """Write a block's summaries into genes ``[start, stop)``."""
        self.group.put(start, stop, block.group)
        self.reference.put(start, stop, block.reference)
        for mine, theirs in ((self.rank_sums, block.rank_sums), (self.tie_sums, block.tie_sums)):
            if mine is not None:
                mine[start:stop] = theirs


class NonFiniteValues(ValueError):
    """Expression values that are NaN or infinite in the compared cells."""

    def __init__(self, genes: list[int]) -> None:
        super().__init__(f"NaN or infinite values in block columns {genes}")
        self.genes = genes

    def __reduce__(self):
        # raised in a dask task and re-raised here: pickled with its genes, not its message
        return type(self), (self.genes,)


def _check_finite(values: np.ndarray, columns: np.ndarray | None) -> None:
    """Raise `NonFiniteValues` with the block-relative columns holding NaN or inf values.

    ``columns`` gives the column of each value (sparse data), or ``None`` when ``values`` is a
    dense 2-D block.
    """
    bad = ~np.isfinite(values)
    if not bad.any():
        return
    if columns is None:
        genes = np.flatnonzero(bad.any(axis=0))
    else:
        genes = np.unique(columns[bad])
    raise NonFiniteValues([int(g) for g in genes])


def dense_sums(block: np.ndarray, rows: np.ndarray) -> SideSums:
    """Sums over ``block[rows]`` of a dense block.

    Raises `NonFiniteValues` when those rows hold NaN or infinite values.
    """
    part = block[rows]
    _check_finite(part, None)
    # counting needs a boolean copy of the block: skipped for non-negative data (one min pass)
    negative = np.count_nonzero(part < 0, axis=0) if part.size and part.min() < 0 else 0
    return SideSums(
        sum=part.sum(axis=0, dtype=np.float64),
        sumsq=np.multiply(part, part).sum(axis=0, dtype=np.float64),
        nnz=np.count_nonzero(part, axis=0).astype(np.int64),
        negative=np.zeros(part.shape[1], dtype=np.int64) + negative,
    )


def sparse_entries(block: sp.csc_matrix, labels: np.ndarray):
    """The stored nonzero values of a CSC block that fall in the comparison.

    Returns ``(values, columns, labels)``: one entry per stored nonzero value whose cell's label
    is not `OUTSIDE`, with its block-relative column and its cell's label. Explicit zeros are
    dropped. Raises `NonFiniteValues` when a kept value is NaN or infinite.
    """
    k = block.shape[1]
    columns = np.repeat(np.arange(k, dtype=np.int64), np.diff(block.indptr))
    entry_labels = labels[block.indices]
    keep = (entry_labels != OUTSIDE) & (block.data != 0)
    values, columns, entry_labels = block.data[keep], columns[keep], entry_labels[keep]
    _check_finite(values, columns)
    return values, columns, entry_labels


def sparse_row_entries(block: sp.csr_matrix, labels: np.ndarray):
    """`sparse_entries` of a CSR block of whole rows: ``labels`` gives its rows' labels.

    Entries come in row order, so per gene in the same (row) order as from a CSC block.
    """
    entry_labels = np.repeat(labels, np.diff(block.indptr))
    keep = (entry_labels != OUTSIDE) & (block.data != 0)
    values, columns = block.data[keep], block.indices[keep].astype(np.int64)
    _check_finite(values, columns)
    return values, columns, entry_labels[keep]


def sparse_sums(values: np.ndarray, columns: np.ndarray, entry_labels: np.ndarray,
                n_cols: int) -> tuple[SideSums, SideSums]:
    """Group and reference sums from a CSC block's entries (see `sparse_entries`)."""
    slot = columns * 3 + entry_labels
    size = 3 * n_cols
    totals = np.bincount(slot, weights=values, minlength=size).reshape(n_cols, 3)
    squares = np.bincount(slot, weights=np.multiply(values, values),
                          minlength=size).reshape(n_cols, 3)
    counts = np.bincount(slot, minlength=size).reshape(n_cols, 3)
    negatives = np.bincount(slot[values < 0], minlength=size).reshape(n_cols, 3)
    return tuple(SideSums(totals[:, side], squares[:, side], counts[:, side].astype(np.int64),
                          negatives[:, side].astype(np.int64))
                 for side in (GROUP, REFERENCE))


def block_sums(block, comparison: Comparison, labels: np.ndarray,
               entries=None) -> tuple[SideSums, SideSums]:
    """Group and reference sums for one block (dense array or CSC matrix).

    ``entries`` may pass the block's `sparse_entries` when already computed. Raises
    `NonFiniteValues` for NaN or infinite values in the compared cells.
    """
    if sp.issparse(block):
        if entries is None:
            entries = sparse_entries(block, labels)
        return sparse_sums(*entries, block.shape[1])
    return dense_sums(block, comparison.group), dense_sums(block, comparison.reference)
