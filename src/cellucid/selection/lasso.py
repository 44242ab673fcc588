"""Lasso and radius selections over every cell, as bool masks in obs order.

Each function takes the cells as a :class:`~cellucid.selection.sources.CellPositions` (an
embedding in memory, tested cell by cell) or a :class:`~cellucid.selection.sources.TiledCells`
(tiles of a level-of-detail order, most of them decided by their box alone), and an optional
``within`` mask (the cells that can be selected, e.g. those shown); the answer is exact either
way. Bad input raises ``ValueError`` saying what was wrong.
"""

from __future__ import annotations

import numpy as np

from .polygon import BOUNDARY, INSIDE, OUTSIDE, PolygonTest, check_polygon
from .projection import check_camera, screen_boxes, to_screen

RELATIVE_SLACK = 1e-5   # radius boxes: float32 distances may round either way


def polygon_mask(cells, polygon, *, within=None) -> np.ndarray:
    """Cells of a 2-D embedding inside ``polygon`` (``[[x, y], ...]`` in data coordinates), by
    the page's crossing rule (:mod:`cellucid.selection.polygon`). Raises ``ValueError`` for a
    polygon with fewer than 3 points or a non-finite coordinate, and for an embedding that is
    not 2-D (a 3-D lasso is :func:`screen_polygon_mask`)."""
    test = PolygonTest(check_polygon(polygon))
    if cells.dims != 2:
        raise ValueError(f"a lasso in data coordinates needs a 2-D embedding, this one is "
                         f"{cells.dims}-D" + ("; for 3-D give the screen polygon and the camera "
                                             "(screen_polygon_mask)" if cells.dims == 3 else ""))

    def contains(coords: np.ndarray) -> np.ndarray:
        return test.contains(coords[:, 0], coords[:, 1])
    return _restrict(cells.select(test.classify_boxes, contains), within, cells.n_cells)


def screen_polygon_mask(cells, polygon, view_projection, width, height, *, within=None
                        ) -> np.ndarray:
    """Cells of a 3-D embedding whose screen position lies inside ``polygon`` (``[[x, y], ...]``
    in CSS pixels, y down), seen through ``view_projection`` (16 numbers, column-major) in a view
    of ``width`` × ``height`` pixels, as the page projects them (:mod:`.projection`). Raises
    ``ValueError`` for a bad polygon or camera, or an embedding that is not 3-D."""
    test = PolygonTest(check_polygon(polygon, "screen polygon"))
    m, w, h = check_camera(view_projection, width, height)
    if cells.dims != 3:
        raise ValueError(f"a screen-space lasso needs a 3-D embedding, this one is {cells.dims}-D")

    def classify(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        slo, shi, known = screen_boxes(lo, hi, m, w, h)
        classes = np.full(lo.shape[0], BOUNDARY, dtype=np.uint8)
        classes[known] = test.classify_boxes(slo[known], shi[known])
        classes[~np.all(lo <= hi, axis=1)] = OUTSIDE
        return classes

    def contains(coords: np.ndarray) -> np.ndarray:
        return test.contains(*to_screen(coords, m, w, h))
    return _restrict(cells.select(classify, contains), within, cells.n_cells)


def radius_mask(cells, center, radius: float, *, within=None) -> np.ndarray:
    """Cells within Euclidean distance ``radius`` of ``center`` (one number per dimension),
    computed in float32 as the dataset's radius query is. Raises ``ValueError`` for a centre of
    the wrong length or not finite, or a radius that is negative or not finite."""
    c = np.asarray(center, dtype=np.float64).ravel()
    if c.shape != (cells.dims,) or not np.isfinite(c).all():
        raise ValueError(f"the centre must be {cells.dims} finite numbers, got {c.tolist()}")
    r = float(radius)
    if not np.isfinite(r) or r < 0:
        raise ValueError(f"the radius must be a finite number ≥ 0, got {radius!r}")
    limit = np.float32(r) ** 2
    c32 = c.astype(np.float32)

    def classify(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        lo64, hi64 = lo.astype(np.float64), hi.astype(np.float64)
        near = np.sum(np.maximum(np.maximum(lo64 - c, c - hi64), 0) ** 2, axis=1)
        far = np.sum(np.maximum(np.abs(c - lo64), np.abs(c - hi64)) ** 2, axis=1)
        slack = RELATIVE_SLACK * (r * r + np.sum(np.maximum(np.abs(lo64), np.abs(hi64)) ** 2,
                                                 axis=1))
        classes = np.full(lo.shape[0], BOUNDARY, dtype=np.uint8)
        classes[far < r * r - slack] = INSIDE
        classes[(near > r * r + slack) | ~np.all(lo <= hi, axis=1)] = OUTSIDE
        return classes

    def contains(coords: np.ndarray) -> np.ndarray:
        dist2 = np.zeros(coords.shape[0], dtype=np.float32)
        step = np.empty_like(dist2)
        for k in range(coords.shape[1]):
            np.subtract(coords[:, k], c32[k], out=step)
            np.multiply(step, step, out=step)
            dist2 += step
        with np.errstate(invalid="ignore"):
            return dist2 <= limit
    return _restrict(cells.select(classify, contains), within, cells.n_cells)


def _restrict(mask: np.ndarray, within, n_cells: int) -> np.ndarray:
    if within is None:
        return mask
    within = np.asarray(within)
    if within.shape != (n_cells,) or within.dtype != bool:
        raise ValueError(f"within must be a bool mask of the {n_cells} cells, got {within.shape} "
                         f"{within.dtype}")
    mask &= within
    return mask
