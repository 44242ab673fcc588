"""What one block of whole genes contributes to a comparison: per-side sums and rank sums.

The same function serves blocks streamed here (`rank`) and blocks reduced inside dask tasks
(`daskstats`), so both give the same numbers for the same block.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .groups import Comparison
from .matrix import checked_block
from .ranksums import rank_sums
from .summary import NonFiniteValues, SideSums, block_sums, sparse_entries


def block_statistics(block, comparison: Comparison, labels: np.ndarray, method: str,
                     start: int, stop: int) -> tuple[SideSums, SideSums, np.ndarray | None]:
    """Group sums, reference sums and (``method == "wilcoxon"``) the group's rank sums of genes
    ``[start, stop)``, from ``block`` holding every cell of those genes.

    ``labels`` are ``comparison.labels()``. Raises ``ValueError`` for a block of the wrong shape
    and `NonFiniteValues` naming the (absolute) genes with NaN or infinite compared values.
    """
    block = checked_block(block, comparison.n_obs, start, stop)
    try:
        entries = sparse_entries(block, labels) if sp.issparse(block) else None
        group, reference = block_sums(block, comparison, labels, entries)
        ranked = rank_sums(block, comparison, labels, entries) if method == "wilcoxon" else None
    except NonFiniteValues as exc:
        raise NonFiniteValues([start + j for j in exc.genes]) from None
    return group, reference, ranked
