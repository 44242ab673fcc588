"""Radius queries in embedding coordinates, over a k-d tree built once per embedding.

The tree is built in a daemon thread after the first query of an embedding (about a second at
1M cells); until it is ready, and whenever a radius is expected to hold more than
``SCAN_FRACTION`` of the cells (estimated from the bounding box), the query scans the coordinates
instead: one vectorised pass costs a few milliseconds at 1M cells, less than turning a long answer
from the tree into an array. Above ``TREE_MAX_CELLS`` cells no tree is built at all (it would
take tens of seconds and gigabytes at tens of millions of cells): every query scans.
"""

from __future__ import annotations

import threading

import numpy as np
from scipy.spatial import cKDTree

SCAN_FRACTION = 0.01
TREE_MAX_CELLS = 10_000_000


class SpatialIndex:
    """Radius queries over one embedding's coordinates (invalid rows never match).

    ``lo``/``hi`` are the per-axis bounds of the valid rows (the manifest's ``min``/``max``).
    With ``background=True`` the tree is built in a daemon thread started after the first query
    has been answered, so that query does not share the CPU with the build.
    """

    def __init__(self, coords: np.ndarray, lo, hi, *, background: bool = True) -> None:
        self.coords = coords
        self.tree: cKDTree | None = None
        self.rows: np.ndarray | None = None
        self.extent = np.nan_to_num(np.asarray(hi, dtype=np.float64) - np.asarray(lo, np.float64))
        self._ready = threading.Event()
        self._started = threading.Lock()
        self._background = background
        if not background:
            self._build()

    def _build(self) -> None:
        valid = np.isfinite(self.coords).all(axis=1)
        rows = np.flatnonzero(valid).astype(np.uint32)
        tree = cKDTree(self.coords[valid], balanced_tree=False, compact_nodes=False)
        self.rows, self.tree = rows, tree
        self._ready.set()

    def start_build(self) -> None:
        """Start building the tree in a daemon thread, once; later calls do nothing."""
        if self._started.acquire(blocking=False):
            threading.Thread(target=self._build, name="cellucid-kdtree", daemon=True).start()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the tree is built (or ``timeout`` seconds pass); whether it is ready.

        Starts the build if no query has yet.
        """
        if self._background:
            self.start_build()
        return self._ready.wait(timeout)

    def expected_fraction(self, r: float) -> float:
        """Rough share of the cells within ``r`` of a point (bounding-box estimate, ≤ 1)."""
        span = np.maximum(self.extent, 1e-12)
        return float(np.prod(np.minimum(2 * r, span) / span))

    def within(self, center, r: float) -> np.ndarray:
        """Rows whose coordinates lie within Euclidean distance ``r`` of ``center``, sorted uint32."""
        center = np.asarray(center, dtype=np.float64)
        tree, rows = self.tree, self.rows
        if tree is None or self.expected_fraction(r) > SCAN_FRACTION:
            found = self._scan(center, r)
            if tree is None and self._background and len(self.coords) <= TREE_MAX_CELLS:
                self.start_build()
            return found
        hits = np.fromiter(tree.query_ball_point(center, r, return_sorted=False), dtype=np.int64)
        hits.sort()
        return rows[hits]

    def _scan(self, center: np.ndarray, r: float) -> np.ndarray:
        # float32 like the coordinates themselves; column by column, no (n, d) temporary
        dist2 = np.zeros(self.coords.shape[0], dtype=np.float32)
        step = np.empty_like(dist2)
        for k in range(self.coords.shape[1]):
            np.subtract(self.coords[:, k], np.float32(center[k]), out=step)
            np.multiply(step, step, out=step)
            dist2 += step
        with np.errstate(invalid="ignore"):
            return np.flatnonzero(dist2 <= np.float32(r) ** 2).astype(np.uint32)  # NaN: never
