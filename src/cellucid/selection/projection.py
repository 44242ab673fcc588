"""Where 3-D cells land on the screen, computed as the viewer page computes it.

The page's camera gives a view-projection matrix (16 numbers, column-major as WebGL stores it)
and the view's size in CSS pixels. A point ``(x, y, z)`` has clip coordinates
``c[r] = m[r] * x + m[4 + r] * y + m[8 + r] * z + m[12 + r]`` and, when ``c[3] > 0``, lands at
``((c[0] / c[3] + 1) / 2 * width, (1 - c[1] / c[3]) / 2 * height)`` (``web/camera.js``
``toClip``/``clipToScreen``); points behind the camera (``c[3] <= 0``) are never selected.
The arithmetic is the page's, in float64 and in the same order, so a cell the page finds inside
its lasso is found inside here too.
"""

from __future__ import annotations

import numpy as np


def check_camera(view_projection, width, height) -> tuple[np.ndarray, float, float]:
    """``(matrix as 16 float64, width, height)``; ``ValueError`` unless the matrix is 16 finite
    numbers and the view size two finite numbers above 0."""
    try:
        m = np.asarray(view_projection, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise ValueError("the view-projection matrix must be 16 numbers") from None
    if m.shape != (16,) or not np.isfinite(m).all():
        raise ValueError(f"the view-projection matrix must be 16 finite numbers (column-major), "
                         f"got {m.size} value(s)")
    try:
        w, h = float(width), float(height)
    except (TypeError, ValueError):
        raise ValueError("the viewport width and height must be numbers") from None
    if not (np.isfinite(w) and np.isfinite(h) and w > 0 and h > 0):
        raise ValueError(f"the viewport must be a width and a height above 0, got {width!r} × "
                         f"{height!r}")
    return m, w, h


def to_screen(xyz: np.ndarray, m: np.ndarray, width: float, height: float
              ) -> tuple[np.ndarray, np.ndarray]:
    """Screen ``(sx, sy)`` (float64) of points ``xyz`` ``(k, 3)``; NaN for a point behind the
    camera or without coordinates."""
    x = xyz[:, 0].astype(np.float64)
    y = xyz[:, 1].astype(np.float64)
    z = xyz[:, 2].astype(np.float64)
    clip = [m[r] * x + m[4 + r] * y + m[8 + r] * z + m[12 + r] for r in (0, 1, 3)]
    cx, cy, cw = clip
    with np.errstate(invalid="ignore", divide="ignore"):
        sx = (cx / cw + 1) / 2 * width
        sy = (1 - cy / cw) / 2 * height
    behind = ~(cw > 0)
    sx[behind] = np.nan
    sy[behind] = np.nan
    return sx, sy


def screen_boxes(lo: np.ndarray, hi: np.ndarray, m: np.ndarray, width: float, height: float
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Screen boxes of 3-D boxes ``[lo, hi]`` (``(k, 3)`` each): ``(slo, shi, known)`` where
    ``known`` is False for a box reaching behind the camera (its image is unbounded) or empty.

    In front of the camera the projection maps a box's convex hull to the convex hull of its
    eight projected corners, so the corners' bounds hold every point of the box.
    """
    k = lo.shape[0]
    slo = np.full((k, 2), np.inf)
    shi = np.full((k, 2), -np.inf)
    known = np.all(lo <= hi, axis=1)
    for corner in range(8):
        pick = [hi[:, a] if corner >> a & 1 else lo[:, a] for a in range(3)]
        sx, sy = to_screen(np.stack(pick, axis=1), m, width, height)
        known &= np.isfinite(sx) & np.isfinite(sy)
        for axis, s in enumerate((sx, sy)):
            slo[:, axis] = np.fmin(slo[:, axis], s)
            shi[:, axis] = np.fmax(shi[:, axis], s)
    return slo, shi, known
