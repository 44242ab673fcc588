"""Graph neighbourhoods: cells within a number of hops of a seed over the KNN graph."""

from __future__ import annotations

import numpy as np


class CellGraph:
    """A cell-cell graph in CSR form (only the structure: ``indptr`` and ``indices``)."""

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, name: str) -> None:
        self.indptr = np.asarray(indptr, dtype=np.int64)
        self.indices = np.asarray(indices)
        self.name = name
        self.n = len(self.indptr) - 1

    def hops(self, seed: int, hops: int) -> tuple[np.ndarray, int]:
        """Cells within ``hops`` hops of ``seed`` (seed included), sorted uint32, and hops reached.

        The second value is the number of hops that still found new cells (≤ ``hops``); it is
        smaller when the seed's connected component was exhausted first.
        """
        visited, reached = self.hops_mask(seed, hops)
        return np.flatnonzero(visited).astype(np.uint32), reached

    def hops_mask(self, seed: int, hops: int) -> tuple[np.ndarray, int]:
        """Like :meth:`hops`, the cells as a bool mask over every cell."""
        visited = np.zeros(self.n, dtype=bool)
        visited[seed] = True
        frontier = np.array([seed], dtype=np.int64)
        reached = 0
        for _ in range(hops):
            starts = self.indptr[frontier]
            lengths = self.indptr[frontier + 1] - starts
            total = int(lengths.sum())
            if total == 0:
                break
            # flat positions of every neighbour of every frontier cell, without a Python loop
            offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths)
            neighbours = self.indices[offsets + np.arange(total)]
            fresh = neighbours[~visited[neighbours]]
            if fresh.size == 0:
                break
            fresh = np.unique(fresh)
            visited[fresh] = True
            frontier = fresh.astype(np.int64)
            reached += 1
        return visited, reached
