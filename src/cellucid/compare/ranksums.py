"""Wilcoxon rank sums of the group, one block of genes at a time.

For each gene, all compared cells (group and reference) are ranked together, ties getting their
average rank, and the ranks of the group's cells are summed. Each gene's compared values are
sorted once and the group's values located in them by binary search, which gives their average
ranks without ranking every cell. Ranks are half-integers, so the sums are exact in float64
whichever way they are computed: dense and sparse blocks give identical results.

Sparse blocks never materialise their zeros: all zeros of a gene tie, so they share one average
rank, placed after the gene's negative values and before its positive ones. Only the nonzero
values are sorted, which costs O(nnz log nnz) per gene instead of O(cells log cells).

For the tie correction, the same sorted values give each gene's ``sum(t**3 - t)`` over its runs
of ``t`` equal values (the zeros of a sparse gene are one run), as scipy's ``tiecorrect`` counts.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .groups import GROUP, Comparison
from .summary import sparse_entries

# A dense block with fewer nonzeros than this fraction is ranked through the sparse path.
SPARSE_RANKING_DENSITY = 0.5


def _rank_sum(ordered: np.ndarray, group: np.ndarray, n_zero: int, n_group_zero: int) -> float:
    """Sum of the group's average ranks for one gene.

    ``ordered`` holds the sorted values of the compared cells, except for ``n_zero`` zeros left
    out (sparse data), of which ``n_group_zero`` are in the group; ``group`` holds the group's
    values in ``ordered``, sorted. A value's average rank among ``ordered`` is
    ``(left + right + 1) / 2`` with ``left``/``right`` its first/last insertion points.
    """
    left = np.searchsorted(ordered, group, "left")
    right = np.searchsorted(ordered, group, "right")
    total = (int(left.sum()) + int(right.sum()) + group.size) / 2
    if n_zero:
        n_negative = int(np.searchsorted(ordered, 0, "left"))
        n_group_positive = group.size - int(np.searchsorted(group, 0, "right"))
        total += n_zero * n_group_positive + n_group_zero * (n_negative + (n_zero + 1) / 2)
    return total


def _tie_sum(ordered: np.ndarray, n_zero: int) -> float:
    """``sum(t**3 - t)`` over the runs of ``t`` equal values of ``ordered`` (sorted) and one run
    of ``n_zero`` zeros left out of it."""
    total = float(n_zero) ** 3 - n_zero
    if ordered.size:
        starts = np.flatnonzero(np.diff(ordered)) + 1
        runs = np.diff(np.concatenate(([0], starts, [ordered.size]))).astype(np.float64)
        total += float((runs**3 - runs).sum())
    return total


def dense_rank_sums(block: np.ndarray, comparison: Comparison, ties: bool = False
                    ) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-gene rank sums of the group for a dense ``(n_obs, k)`` block, and (``ties``) tie sums:
    float64 arrays of length k (tie sums None when not asked)."""
    compared = block if comparison.reference_is_rest else block[
        np.concatenate((comparison.group, comparison.reference))]
    # Sorting plus binary search beats ranking every cell (scipy.stats.rankdata) several times.
    ordered = np.sort(np.asfortranarray(compared), axis=0)
    group = np.sort(np.asfortranarray(block[comparison.group]), axis=0)
    k = block.shape[1]
    sums = np.array([_rank_sum(ordered[:, j], group[:, j], 0, 0) for j in range(k)],
                    dtype=np.float64)
    tie_sums = np.array([_tie_sum(ordered[:, j], 0) for j in range(k)]) if ties else None
    return sums, tie_sums


def sparse_rank_sums(values: np.ndarray, columns: np.ndarray, entry_labels: np.ndarray,
                     n_cols: int, comparison: Comparison, ties: bool = False
                     ) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-gene rank sums of the group, and (``ties``) tie sums, from a sparse block's compared
    nonzero entries.

    ``values``, ``columns`` and ``entry_labels`` are as `summary.sparse_entries` returns them:
    the nonzero values of the compared cells, their block-relative column (ascending) and their
    side. Returns float64 arrays of length ``n_cols`` (tie sums None when not asked).
    """
    n_cells = comparison.n_group + comparison.n_reference
    bounds = np.searchsorted(columns, np.arange(n_cols + 1))
    sums = np.empty(n_cols, dtype=np.float64)
    tie_sums = np.empty(n_cols, dtype=np.float64) if ties else None
    for j in range(n_cols):
        lo, hi = bounds[j], bounds[j + 1]
        column = values[lo:hi]
        ordered = np.sort(column)
        group = np.sort(column[entry_labels[lo:hi] == GROUP])
        n_zero = n_cells - (hi - lo)
        sums[j] = _rank_sum(ordered, group, n_zero, comparison.n_group - group.size)
        if ties:
            tie_sums[j] = _tie_sum(ordered, n_zero)
    return sums, tie_sums


def rank_sums(block, comparison: Comparison, labels: np.ndarray, entries=None,
              ties: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-gene rank sums of the group for one block (dense array or CSC matrix), and (``ties``)
    the tie sums of the tie correction (else None).

    ``labels`` are the comparison's cell labels; ``entries`` may pass the block's
    `summary.sparse_entries` when already computed. Dense blocks that are mostly zeros are ranked
    through the sparse path (same result, less work). Raises `summary.NonFiniteValues` for NaN
    or infinite values found while collecting sparse entries.
    """
    n_cols = block.shape[1]
    if entries is None:
        if not sp.issparse(block):
            if np.count_nonzero(block) >= SPARSE_RANKING_DENSITY * block.size:
                return dense_rank_sums(block, comparison, ties)
            block = sp.csc_matrix(block)
        entries = sparse_entries(block, labels)
    return sparse_rank_sums(*entries, n_cols, comparison, ties)
