"""Exact point-in-polygon for millions of points: a raster of the polygon, then the crossing rule.

The rule is the crossing number (even-odd) exactly as the viewer page applies it
(``web/geometry.js`` ``pointInPolygon``): for each edge from vertex ``i`` to the previous vertex
``j``, a point ``(x, y)`` crosses it when ``(yi > y) != (yj > y)`` and
``x < (xj - xi) * (y - yi) / (yj - yi) + xi``, in float64; it is inside when it crosses an odd
number of edges. Testing every point against every edge costs points × vertices, so:

1. The polygon's bounding box is cut into a grid (``GRID`` × ``GRID`` cells, and ``MARGIN`` more
   all round). Every cell an edge
   passes through, and its neighbours two cells around (so that rounding in placing a point
   cannot matter), is a *boundary* cell; every other cell lies wholly on one side of every edge,
   so its centre's answer — found for all centres at once by a scanline — is the answer of every
   point in it.
2. Points in boundary cells get the exact rule, against only the edges that span their row of
   the grid.

So the answer is the rule's answer for every point, at the cost of a few array passes per point.
Points outside the box, and NaN coordinates, are outside.
"""

from __future__ import annotations

import numpy as np

GRID = 1024
MARGIN = 2                 # boundary cells are widened by this many cells
PAIRS_PER_BATCH = 1 << 22  # (point, edge) pairs tested at once
OUTSIDE, INSIDE, BOUNDARY = 0, 1, 2


def check_polygon(points, what: str = "lasso polygon") -> np.ndarray:
    """``points`` as a float64 ``(V, 2)`` array of vertices (a third coordinate is dropped).

    Raises ``ValueError`` naming the problem: not a list of points, fewer than 3 points, or a
    coordinate that is NaN or infinite.
    """
    try:
        arr = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"the {what} must be a list of [x, y] points") from None
    if arr.size == 0:
        arr = arr.reshape(0, 2)
    if arr.ndim != 2 or arr.shape[1] < 2:
        raise ValueError(f"the {what} must be a list of [x, y] points, got an array of shape "
                         f"{arr.shape}")
    if arr.shape[0] < 3:
        raise ValueError(f"the {what} has {arr.shape[0]} point(s); a polygon needs at least 3")
    finite = np.isfinite(arr[:, :2]).all(axis=1)
    if not finite.all():
        bad = int(np.flatnonzero(~finite)[0])
        raise ValueError(f"the {what} has a coordinate that is not a finite number (point {bad}: "
                         f"{arr[bad, :2].tolist()})")
    return np.ascontiguousarray(arr[:, :2])


class PolygonTest:
    """The exact crossing-number test of one polygon (see module docstring).

    ``vertices`` is what :func:`check_polygon` returns. ``contains(x, y)`` answers for arrays of
    points; ``classify_boxes(lo, hi)`` says for axis-aligned boxes whether every point in them is
    outside, every point inside, or either (so their points must be tested).
    """

    def __init__(self, vertices: np.ndarray, grid: int = GRID) -> None:
        v = check_polygon(vertices)
        self.xi, self.yi = v[:, 0], v[:, 1]
        self.xj, self.yj = np.roll(self.xi, 1), np.roll(self.yi, 1)   # the previous vertex
        self.x0, self.y0 = float(self.xi.min()), float(self.yi.min())
        self.x1, self.y1 = float(self.xi.max()), float(self.yi.max())
        scale = max(abs(self.x0), abs(self.x1), abs(self.y0), abs(self.y1), 1e-300)
        # a box too thin to grid (in float64 terms) is tested point by point
        self.gridded = min(self.x1 - self.x0, self.y1 - self.y0) > scale * 1e-9 * grid
        # the grid reaches MARGIN cells beyond the box, so that a point rounded out of the
        # box still lands on a boundary cell
        self.dx = (self.x1 - self.x0) / grid if self.gridded else 1.0
        self.dy = (self.y1 - self.y0) / grid if self.gridded else 1.0
        self.nx = self.ny = grid + 2 * MARGIN if self.gridded else 1
        self.ox = self.x0 - MARGIN * self.dx if self.gridded else self.x0
        self.oy = self.y0 - MARGIN * self.dy if self.gridded else self.y0
        self._edge_rows()
        self.cells = self._cell_classes() if self.gridded else None
        if self.gridded:   # summed-area tables for classify_boxes
            self._sum_inside = _summed(self.cells == INSIDE)
            self._sum_outside = _summed(self.cells == OUTSIDE)

    # -- the exact rule ----------------------------------------------------------------------

    def _rows_of(self, y: np.ndarray) -> np.ndarray:
        """Grid row (unpadded, clipped to the grid) of each y, as int64."""
        f = (np.asarray(y, dtype=np.float64) - self.oy) / self.dy
        np.fmax(np.fmin(f, self.ny - 1), 0, out=f)
        return f.astype(np.int64)

    def _edge_rows(self) -> None:
        """For each grid row, the edges whose y-range meets it or a row next to it (CSR)."""
        sloped = np.flatnonzero(self.yi != self.yj)   # a horizontal edge is never crossed
        lo = self._rows_of(np.minimum(self.yi, self.yj)[sloped]) - 1
        hi = self._rows_of(np.maximum(self.yi, self.yj)[sloped]) + 1
        lo, hi = np.maximum(lo, 0), np.minimum(hi, self.ny - 1)
        spans = hi - lo + 1
        rows = np.repeat(lo, spans) + _ramp(spans)
        edges = np.repeat(sloped, spans)
        by_row = np.argsort(rows, kind="stable")
        self.row_edges = edges[by_row]
        self.row_ptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=self.ny))])

    def exact(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The rule itself for points ``(x, y)``: a bool array (tests only the edges of each
        point's grid row, in batches of at most ``PAIRS_PER_BATCH`` pairs)."""
        x = np.asarray(x, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        rows = self._rows_of(y)
        lengths = self.row_ptr[rows + 1] - self.row_ptr[rows]
        inside = np.zeros(x.shape[0], dtype=bool)
        ends = np.cumsum(lengths)
        start = 0
        while start < x.shape[0]:
            stop = max(start + 1, int(np.searchsorted(ends, ends[start] - lengths[start] +
                                                      PAIRS_PER_BATCH, side="right")))
            part = slice(start, stop)
            inside[part] = self._exact_batch(x[part], y[part], rows[part], lengths[part])
            start = stop
        return inside

    def _exact_batch(self, x, y, rows, lengths) -> np.ndarray:
        point = np.repeat(np.arange(x.shape[0]), lengths)
        edge = self.row_edges[np.repeat(self.row_ptr[rows], lengths) + _ramp(lengths)]
        px, py = x[point], y[point]
        xi, yi, xj, yj = self.xi[edge], self.yi[edge], self.xj[edge], self.yj[edge]
        with np.errstate(invalid="ignore", divide="ignore"):
            crosses = ((yi > py) != (yj > py)) & (px < (xj - xi) * (py - yi) / (yj - yi) + xi)
        hits = np.bincount(point[crosses], minlength=x.shape[0])
        return (hits & 1).astype(bool)

    # -- the raster ---------------------------------------------------------------------------

    def _cell_classes(self) -> np.ndarray:
        """Class of every cell, padded by one outside cell all round: ``(ny + 2, nx + 2)`` uint8."""
        boundary = np.zeros((self.ny, self.nx), dtype=bool)
        ax, ay = self.xi, self.yi
        bx, by = self.xj, self.yj
        steps = np.ceil(2 * np.maximum(np.abs(bx - ax) / self.dx, np.abs(by - ay) / self.dy))
        steps = steps.astype(np.int64) + 1
        t = _ramp(steps) / np.repeat(steps, steps)
        edge = np.repeat(np.arange(ax.size), steps)
        sx = ax[edge] + (bx - ax)[edge] * t
        sy = ay[edge] + (by - ay)[edge] * t
        boundary[self._rows_of(sy), self._columns_of(sx)] = True
        boundary = _dilate(boundary, 1 + MARGIN)
        parity = self._centre_parity()
        cells = np.zeros((self.ny + 2, self.nx + 2), dtype=np.uint8)
        cells[1:-1, 1:-1] = np.where(boundary, BOUNDARY, parity)
        return cells

    def _columns_of(self, x: np.ndarray) -> np.ndarray:
        f = (np.asarray(x, dtype=np.float64) - self.ox) / self.dx
        np.fmax(np.fmin(f, self.nx - 1), 0, out=f)
        return f.astype(np.int64)

    def _centre_parity(self) -> np.ndarray:
        """The rule at every cell centre (uint8 0/1), all rows at once: each crossing of a row's
        centre line flips the cells whose centres lie left of it."""
        centres_x = self.ox + (np.arange(self.nx) + 0.5) * self.dx
        lengths = np.diff(self.row_ptr)
        row = np.repeat(np.arange(self.ny), lengths)
        edge = self.row_edges
        cy = self.oy + (row + 0.5) * self.dy
        xi, yi, xj, yj = self.xi[edge], self.yi[edge], self.xj[edge], self.yj[edge]
        spans = (yi > cy) != (yj > cy)
        with np.errstate(invalid="ignore", divide="ignore"):
            at = (xj - xi) * (cy - yi) / (yj - yi) + xi
        left_of = np.searchsorted(centres_x, at[spans], side="left")  # centres with x < at
        hist = np.bincount(row[spans] * (self.nx + 1) + left_of,
                           minlength=self.ny * (self.nx + 1)).reshape(self.ny, self.nx + 1)
        # crossings of row r right of centre c: those with left_of > c
        right = np.cumsum(hist[:, ::-1], axis=1)[:, ::-1][:, 1:]
        return (right & 1).astype(np.uint8)

    def cell_index(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Flat index into the padded cell grid of each point (float32 or float64 input; NaN
        and points beyond the box land on the outside border)."""
        ix = _padded_step(x, self.ox, self.dx, self.nx)
        iy = _padded_step(y, self.oy, self.dy, self.ny)
        iy *= self.nx + 2
        iy += ix
        return iy

    def contains(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Whether each point ``(x, y)`` is inside (bool array; the rule's exact answer)."""
        x = np.asarray(x)
        y = np.asarray(y)
        if not self.gridded:
            near = (x >= self.x0) & (x <= self.x1) & (y >= self.y0) & (y <= self.y1)
            inside = np.zeros(x.shape[0], dtype=bool)
            inside[near] = self.exact(x[near], y[near])
            return inside
        cls = self.cells.ravel()[self.cell_index(x, y)]
        inside = cls == INSIDE
        check = np.flatnonzero(cls == BOUNDARY)
        if check.size:
            inside[check] = self.exact(x[check], y[check])
        return inside

    def classify_boxes(self, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        """For boxes ``[lo, hi]`` (``(k, 2)`` arrays): ``OUTSIDE`` when no point in the box is
        inside, ``INSIDE`` when every point is, else ``BOUNDARY`` (uint8). An empty box
        (``lo > hi``, as a tile without valid cells has) is ``OUTSIDE``."""
        lo = np.asarray(lo, dtype=np.float64)
        hi = np.asarray(hi, dtype=np.float64)
        empty = ~(lo[:, 0] <= hi[:, 0]) | ~(lo[:, 1] <= hi[:, 1])
        apart = (hi[:, 0] < self.x0) | (lo[:, 0] > self.x1) | (hi[:, 1] < self.y0) | \
            (lo[:, 1] > self.y1)
        out = np.full(lo.shape[0], BOUNDARY, dtype=np.uint8)
        out[empty | apart] = OUTSIDE
        if not self.gridded:
            return out
        c0 = np.maximum(_padded_step(lo[:, 0], self.ox, self.dx, self.nx) - 1, 0)
        c1 = np.minimum(_padded_step(hi[:, 0], self.ox, self.dx, self.nx) + 1, self.nx + 1)
        r0 = np.maximum(_padded_step(lo[:, 1], self.oy, self.dy, self.ny) - 1, 0)
        r1 = np.minimum(_padded_step(hi[:, 1], self.oy, self.dy, self.ny) + 1, self.ny + 1)
        area = (c1 - c0 + 1) * (r1 - r0 + 1)
        undecided = ~(empty | apart)
        inside = _box_sum(self._sum_inside, r0, r1, c0, c1) == area
        outside = _box_sum(self._sum_outside, r0, r1, c0, c1) == area
        out[undecided & inside] = INSIDE
        out[undecided & outside] = OUTSIDE
        return out


def _ramp(lengths: np.ndarray) -> np.ndarray:
    """``[0, 1, …, lengths[0] - 1, 0, 1, …]``: the position within each run (int64)."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    starts = np.cumsum(lengths) - lengths
    return np.arange(total, dtype=np.int64) - np.repeat(starts, lengths)


def _padded_step(values: np.ndarray, origin: float, step: float, count: int) -> np.ndarray:
    """Cell of each value in a grid of ``count`` cells padded by one cell each side (int32 in
    ``[0, count + 1]``); NaN goes to the far border. float32 input is computed in float32 when
    its rounding stays far below a cell."""
    values = np.asarray(values)
    dtype = np.float32 if values.dtype == np.float32 and \
        max(abs(origin), abs(origin + step * count)) * 2.0 ** -20 < step else np.float64
    f = np.subtract(values, dtype(origin), dtype=dtype)
    f *= dtype(1.0 / step)
    f += dtype(1.0)
    np.fmin(f, dtype(count + 1), out=f)
    np.fmax(f, dtype(0.0), out=f)
    return f.astype(np.int32)


def _dilate(mask: np.ndarray, radius: int) -> np.ndarray:
    """``mask`` grown by ``radius`` cells in every direction (a square)."""
    out = mask.copy()
    for _ in range(radius):
        grown = out.copy()
        grown[1:, :] |= out[:-1, :]
        grown[:-1, :] |= out[1:, :]
        out = grown.copy()
        out[:, 1:] |= grown[:, :-1]
        out[:, :-1] |= grown[:, 1:]
    return out


def _summed(mask: np.ndarray) -> np.ndarray:
    """Summed-area table with a zero row and column in front (int64)."""
    table = np.zeros((mask.shape[0] + 1, mask.shape[1] + 1), dtype=np.int64)
    table[1:, 1:] = mask.cumsum(axis=0).cumsum(axis=1)
    return table


def _box_sum(table: np.ndarray, r0, r1, c0, c1) -> np.ndarray:
    """Sum of cells ``[r0, r1] × [c0, c1]`` (inclusive) from a summed-area table."""
    return table[r1 + 1, c1 + 1] - table[r0, c1 + 1] - table[r1 + 1, c0] + table[r0, c0]
