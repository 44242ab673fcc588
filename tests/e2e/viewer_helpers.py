"""Ground truth and page helpers shared by the end-to-end tests.

Tests may read the page's camera (``window.__cellucid``) to compute where a cell is drawn, but
every interaction goes through Playwright's real mouse and keyboard.
"""

from __future__ import annotations

import io
import math

import numpy as np


def points_in_polygon(xy: np.ndarray, polygon) -> np.ndarray:
    """Boolean mask of rows of ``xy`` inside ``polygon`` by the even-odd rule (as the page)."""
    poly = np.asarray(polygon, dtype=np.float64)[:, :2]
    x = xy[:, 0].astype(np.float64)
    y = xy[:, 1].astype(np.float64)
    inside = np.zeros(len(xy), dtype=bool)
    j = len(poly) - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(len(poly)):
            xi, yi = poly[i]
            xj, yj = poly[j]
            crosses = (yi > y) != (yj > y)
            inside ^= crosses & (x < ((xj - xi) * (y - yi)) / (yj - yi) + xi)
            j = i
    return inside


def bfs_hops(graph, seed: int, hops: int) -> list[int]:
    """Cells within ``hops`` hops of ``seed`` over the rows of a CSR adjacency (seed included)."""
    graph = graph.tocsr()
    seen = {seed}
    frontier = [seed]
    for _ in range(hops):
        nxt = set()
        for c in frontier:
            nxt.update(graph.indices[graph.indptr[c]:graph.indptr[c + 1]].tolist())
        nxt -= seen
        if not nxt:
            break
        seen |= nxt
        frontier = list(nxt)
    return sorted(seen)


def clustered_points(rng, n: int, dims: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` float32 points in 12 Gaussian clusters of ``dims`` dimensions, and their cluster."""
    centres = rng.normal(scale=8, size=(12, dims))
    labels = rng.integers(0, 12, size=n)
    return (centres[labels] + rng.normal(size=(n, dims))).astype(np.float32), labels


def as_float32(a) -> np.ndarray:
    """Coordinates as the page holds them: float32 values, compared in float64."""
    return np.asarray(a, dtype=np.float32).astype(np.float64)


def canvas_box(page) -> dict:
    return page.locator("[data-testid=cellucid-canvas]").bounding_box()


def screen_positions(page) -> np.ndarray:
    """Page-pixel positions of every cell, as drawn (n×2)."""
    flat = page.evaluate(
        """() => { const c = window.__cellucid; const n = c.app.n; const out = new Array(n * 2);
                   for (let i = 0; i < n; i++) { const p = c.pagePoint(i); out[2*i] = p.x; out[2*i+1] = p.y; }
                   return out; }""")
    return np.asarray(flat, dtype=np.float64).reshape(-1, 2)


def isolated_cells(page, min_gap_px: float = 14.0, margin_px: float = 40.0) -> list[int]:
    """Cells with no other cell within ``min_gap_px`` on screen, well inside the canvas."""
    pos = screen_positions(page)
    box = canvas_box(page)
    out = []
    for i, (x, y) in enumerate(pos):
        if not (box["x"] + margin_px < x < box["x"] + box["width"] - margin_px
                and box["y"] + margin_px < y < box["y"] + box["height"] - margin_px):
            continue
        d = np.hypot(pos[:, 0] - x, pos[:, 1] - y)
        d[i] = np.inf
        if d.min() >= min_gap_px:
            out.append(i)
    return out


def empty_spot(page, min_gap_px: float = 40.0) -> tuple[float, float]:
    """A page position inside the canvas with no cell within ``min_gap_px``."""
    pos = screen_positions(page)
    box = canvas_box(page)
    for fy in np.linspace(0.05, 0.95, 19):
        for fx in np.linspace(0.05, 0.95, 19):
            x, y = box["x"] + fx * box["width"], box["y"] + fy * box["height"]
            if np.hypot(pos[:, 0] - x, pos[:, 1] - y).min() >= min_gap_px:
                return float(x), float(y)
    raise AssertionError("no empty spot on the canvas")


def drag(page, points, *, modifiers=(), steps_between: int = 1) -> None:
    """Press at the first point, move through the rest, release at the last (real mouse)."""
    for key in modifiers:
        page.keyboard.down(key)
    page.mouse.move(*points[0])
    page.mouse.down()
    for p in points[1:]:
        page.mouse.move(*p, steps=steps_between)
    page.mouse.up()
    for key in modifiers:
        page.keyboard.up(key)


def circle_path(cx: float, cy: float, rx: float, ry: float, n: int = 48) -> list[tuple[float, float]]:
    pts = [(cx + rx * math.cos(2 * math.pi * k / n), cy + ry * math.sin(2 * math.pi * k / n))
           for k in range(n + 1)]
    return pts


def canvas_pixels(page) -> np.ndarray:
    """RGB pixels of the canvas as shown (H×W×3 uint8)."""
    from PIL import Image

    png = page.locator("[data-testid=cellucid-canvas]").screenshot()
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"))


def count_color(pixels: np.ndarray, rgb, tol: int = 40) -> int:
    """Pixels within ``tol`` (per channel) of ``rgb``."""
    diff = np.abs(pixels.astype(np.int16) - np.asarray(rgb, dtype=np.int16)).max(axis=2)
    return int((diff <= tol).sum())


def background_fraction(pixels: np.ndarray) -> float:
    """Fraction of pixels equal to the most common colour (the background)."""
    flat = pixels.reshape(-1, 3)
    colors, counts = np.unique(flat, axis=0, return_counts=True)
    return float(counts.max() / len(flat))
