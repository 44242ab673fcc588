"""What one block of whole genes contributes to a comparison: per-side sums, rank and tie sums.

The same function serves blocks streamed here (`rank`) and blocks reduced inside dask tasks
(`daskstats`), so both give the same numbers for the same block.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .groups import Comparison
from .matrix import checked_block
from .ranksums import rank_sums
from .summary import NonFiniteValues, Summaries, block_sums, sparse_entries


def block_statistics(block, comparison: Comparison, labels: np.ndarray, method: str,
                     start: int, stop: int, tie_correct: bool = False) -> Summaries:
    """The `Summaries` of genes ``[start, stop)`` from ``block`` holding every cell of those
    genes: group and reference sums, and for ``method == "wilcoxon"`` the group's rank sums (and
    the tie sums when ``tie_correct``).

    ``labels`` are ``comparison.labels()``. Raises ``ValueError`` for a block of the wrong shape
    and `NonFiniteValues` naming the (absolute) genes with NaN or infinite compared values.
    """
    block = checked_block(block, comparison.n_obs, start, stop)
    try:
        entries = sparse_entries(block, labels) if sp.issparse(block) else None
        group, reference = block_sums(block, comparison, labels, entries)
        ranked, ties = rank_sums(block, comparison, labels, entries, tie_correct) \
            if method == "wilcoxon" else (None, None)
    except NonFiniteValues as exc:
        raise NonFiniteValues([start + j for j in exc.genes]) from None
    return Summaries(group, reference, ranked, ties)
