"""Radius queries in embedding coordinates, over a k-d tree built once per embedding."""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree


class SpatialIndex:
    """A k-d tree over the valid (finite) rows of one embedding's coordinates."""

    def __init__(self, coords: np.ndarray) -> None:
        valid = np.isfinite(coords).all(axis=1)
        self.rows = np.flatnonzero(valid).astype(np.uint32)
        self.tree = cKDTree(coords[valid], balanced_tree=False, compact_nodes=False)

    def within(self, center, r: float) -> np.ndarray:
        """Rows whose coordinates lie within Euclidean distance ``r`` of ``center``, sorted uint32."""
        found = self.tree.query_ball_point(np.asarray(center, dtype=np.float64), r,
                                           return_sorted=False)
        hits = np.fromiter(found, dtype=np.int64, count=len(found))
        hits.sort()
        return self.rows[hits]
