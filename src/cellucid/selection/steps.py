"""A selection step the page describes and the kernel resolves over every cell.

A page that draws only a sample of the cells sends what the user did — the lasso's polygon, the
proximity tool's centre and radius, the KNN seed and hops, the legend category, the clicked
cell — instead of the cells, and the kernel finds the cells among all of them. ``source`` says
which (docs/protocol.md, "Selections resolved in the kernel"):

=============== =====================================================================
``lasso``       ``embedding`` and ``polygon`` (data coordinates) in 1-D and 2-D; in 3-D
                ``screen``: ``{"polygon", "viewProjection", "width", "height"}``
``proximity``   ``embedding``, ``center`` (one number per dimension), ``radius``
``knn``         ``seed`` (a cell), ``hops``
``annotation``  ``field`` (an obs column) and ``category`` (one of its categories)
``click``       ``cell``
``clear``       nothing: no cells
``python``      nothing: the cells ``Viewer.select`` asked for
=============== =====================================================================

:func:`check_step` checks the fields (``ValueError`` naming the bad one, before anything is
computed); :func:`step_mask` computes the step's cells through a :class:`StepCells` (the
viewer's cells: its selector, obs columns and sets); :func:`apply_mode` combines them with the
selection before the step.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from .masks import PYTHON
from .polygon import check_polygon
from .projection import check_camera

SOURCES = ("lasso", "proximity", "knn", "annotation", "click", "clear", "python")
MODES = ("replace", "add", "subtract")
MAX_HOPS = 50
MAX_FIELD_LENGTH = 256


class StepCells(Protocol):
    """What resolving a step needs of a viewer's cells; every method returns a bool mask in obs
    order and raises ``KeyError`` for an unknown name, ``ValueError`` for bad values."""

    n_cells: int

    def dims(self, embedding: str) -> int: ...
    def lasso(self, embedding: str, polygon) -> np.ndarray: ...
    def screen_lasso(self, embedding: str, polygon, view_projection, width, height
                     ) -> np.ndarray: ...
    def radius(self, embedding: str, center, radius: float) -> np.ndarray: ...
    def knn(self, seed: int, hops: int) -> np.ndarray: ...
    def category(self, field: str, category: str) -> np.ndarray: ...
    def held(self, name: str) -> np.ndarray: ...


def _text(payload: dict, key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not 0 < len(value) <= MAX_FIELD_LENGTH:
        raise ValueError(f"'selection.{key}' must be a name of 1 to {MAX_FIELD_LENGTH} "
                         f"characters, got {str(value)[:60]!r}")
    return value


def _number(payload: dict, key: str) -> float:
    value = payload.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(value):
        raise ValueError(f"'selection.{key}' must be a finite number, got {str(value)[:40]!r}")
    return float(value)


def _cell(payload: dict, key: str, n_cells: int) -> int:
    value = payload.get(key)
    if type(value) is not int or not 0 <= value < n_cells:
        raise ValueError(f"'selection.{key}' must be a cell in [0, {n_cells}), got "
                         f"{str(value)[:40]!r}")
    return value


def _screen(payload: dict) -> dict:
    screen = payload.get("screen")
    if not isinstance(screen, dict):
        raise ValueError("a lasso in a 3-D embedding needs 'screen': {polygon, viewProjection, "
                         "width, height} (the outline on screen and the camera that drew it)")
    check_polygon(screen.get("polygon"), "screen polygon")
    check_camera(screen.get("viewProjection"), screen.get("width"), screen.get("height"))
    return screen


def check_step(payload: dict, cells: StepCells) -> None:
    """Check a step's ``source``, ``mode`` and the fields its source needs; ``ValueError``
    naming the field that is missing or wrong (a polygon of fewer than 3 points or with a
    non-finite coordinate, an unknown embedding, a cell out of range, …)."""
    source = payload.get("source")
    if source not in SOURCES:
        raise ValueError(f"a 'selection' without 'cells' is a step for the kernel to resolve; "
                         f"its 'source' must be one of {', '.join(SOURCES)}, got "
                         f"{str(source)[:40]!r}")
    mode = payload.setdefault("mode", "replace")
    if mode not in MODES:
        raise ValueError(f"'selection.mode' must be one of {', '.join(MODES)}, got "
                         f"{str(mode)[:40]!r}")
    if source in ("lasso", "proximity"):
        dims = cells.dims(_text(payload, "embedding"))
        if source == "lasso" and dims == 3:
            _screen(payload)
        elif source == "lasso":
            check_polygon(payload.get("polygon"))
        else:
            _check_center(payload, dims)
    elif source == "knn":
        _cell(payload, "seed", cells.n_cells)
        hops = payload.get("hops")
        if type(hops) is not int or not 0 <= hops <= MAX_HOPS:
            raise ValueError(f"'selection.hops' must be an integer in [0, {MAX_HOPS}], got "
                             f"{str(hops)[:40]!r}")
    elif source == "annotation":
        _text(payload, "field")
        if not isinstance(payload.get("category"), str):
            raise ValueError("'selection.category' must be the category's name (a string)")
    elif source == "click":
        _cell(payload, "cell", cells.n_cells)


def _check_center(payload: dict, dims: int) -> None:
    center = payload.get("center")
    if not isinstance(center, list) or len(center) != dims or not all(
            not isinstance(v, bool) and isinstance(v, (int, float)) and math.isfinite(v)
            for v in center):
        raise ValueError(f"'selection.center' must be {dims} finite numbers (the embedding's "
                         f"dimensions), got {str(center)[:80]}")
    if _number(payload, "radius") < 0:
        raise ValueError(f"'selection.radius' must be ≥ 0, got {payload['radius']}")


def step_mask(payload: dict, cells: StepCells) -> np.ndarray:
    """The cells of a checked step (a bool mask over every cell, obs order)."""
    source = payload["source"]
    if source == "lasso":
        embedding = payload["embedding"]
        if cells.dims(embedding) == 3:
            s = payload["screen"]
            return cells.screen_lasso(embedding, s["polygon"], s["viewProjection"], s["width"],
                                      s["height"])
        return cells.lasso(embedding, payload["polygon"])
    if source == "proximity":
        return cells.radius(payload["embedding"], payload["center"], float(payload["radius"]))
    if source == "knn":
        return cells.knn(payload["seed"], payload["hops"])
    if source == "annotation":
        return cells.category(payload["field"], payload["category"])
    mask = np.zeros(cells.n_cells, dtype=bool)
    if source == "click":
        mask[payload["cell"]] = True
    elif source == "python":
        mask |= cells.held(PYTHON)
    return mask


def apply_mode(previous: np.ndarray, step: np.ndarray, mode: str) -> np.ndarray:
    """The selection after a step: ``step`` (replace), ``previous | step`` (add) or
    ``previous & ~step`` (subtract). May return ``step`` itself."""
    if mode == "add":
        return previous | step
    if mode == "subtract":
        return previous & ~step
    return step
