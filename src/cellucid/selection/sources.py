"""Where a selection finds the cells' coordinates: an array in obs order, or tiles of an order.

Both kinds answer ``select(classify_boxes, contains)`` with a bool mask over every cell, in obs
order:

* :class:`CellPositions` holds coordinates in obs order (an embedding in memory) and tests every
  cell, in ranges on several threads.
* :class:`TiledCells` reads cells tile by tile from a level-of-detail order (in memory or an
  export). Tiles whose box is wholly outside the selection are skipped, tiles wholly inside are
  taken without looking at their cells, and only the cells of the other tiles are tested. The
  answer is written in obs order through the order's permutation, touching only the cells that
  are selected, or only those that are not when they are fewer.

``classify_boxes(lo, hi)`` returns a class per box (see :mod:`cellucid.selection.polygon`);
``contains(coords)`` tests coordinates ``(k, dims)``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..data.buffers import filled_empty
from ..data.parallel import map_ranges
from .polygon import BOUNDARY, INSIDE, OUTSIDE

CHUNK = 1 << 20          # cells tested per piece of work
GATHER_COST = 2.5        # a cell tested through the order costs this many tested in obs order
Classify = Callable[[np.ndarray, np.ndarray], np.ndarray]
Contains = Callable[[np.ndarray], np.ndarray]


class CellPositions:
    """Coordinates ``(n, dims)`` in obs order, tested cell by cell."""

    def __init__(self, coords: np.ndarray) -> None:
        self.coords = coords
        self.n_cells, self.dims = coords.shape

    def select(self, classify_boxes: Classify, contains: Contains) -> np.ndarray:
        """Bool mask (obs order) of the cells ``contains`` accepts."""
        mask = filled_empty(self.n_cells, bool)

        def test(a: int, b: int) -> None:
            mask[a:b] = contains(self.coords[a:b])
        map_ranges(test, self.n_cells, CHUNK)
        return mask


class TiledCells:
    """Cells of one embedding in tiles of an order (see module docstring).

    ``starts``: tile starts (int64, ``n_tiles + 1``); ``lo``/``hi``: tile boxes of this
    embedding; ``positions(a, b)``: float32 coordinates of positions ``[a, b)`` of the order;
    ``rows(a, b)``: their obs rows; ``invalid``: per tile, a count that is 0 only when every
    cell of the tile has coordinates (a tile with cells without coordinates is never taken
    whole: they are never selected). ``coords``, the same coordinates in obs order when they are
    in memory, lets a selection whose edge crosses too many tiles test every cell in obs order
    instead (reading cells through the order costs about ``GATHER_COST`` sequential tests each).
    """

    def __init__(self, starts: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                 positions: Callable[[int, int], np.ndarray],
                 rows: Callable[[int, int], np.ndarray], invalid=None,
                 coords: np.ndarray | None = None) -> None:
        self.starts = np.asarray(starts, dtype=np.int64)
        self.lo, self.hi = lo, hi
        self.coords = coords
        self.invalid = np.zeros(len(lo), np.int64) if invalid is None else np.asarray(invalid)
        self.positions = positions
        self.rows = rows
        self.n_cells = int(self.starts[-1]) if self.starts.size else 0
        self.dims = lo.shape[1]

    def select(self, classify_boxes: Classify, contains: Contains) -> np.ndarray:
        """Bool mask (obs order) of the cells ``contains`` accepts, tile by tile."""
        classes = classify_boxes(self.lo, self.hi) if len(self.lo) else np.zeros(0, np.uint8)
        classes[(classes == INSIDE) & (self.invalid > 0)] = BOUNDARY
        counts = np.diff(self.starts)
        n_inside = int(counts[classes == INSIDE].sum())
        to_test = _runs(self.starts, (classes != INSIDE) & (classes != OUTSIDE))
        tested = int(sum(b - a for a, b in to_test))
        # write whichever is fewer: the selected cells, or the others
        mostly_in = n_inside + tested / 2 > self.n_cells / 2
        settled_class = OUTSIDE if mostly_in else INSIDE
        if self.coords is not None and \
                GATHER_COST * tested + int(counts[classes == settled_class].sum()) > self.n_cells:
            return CellPositions(self.coords).select(classify_boxes, contains)
        mask = filled_empty(self.n_cells, bool)
        mask.fill(mostly_in)
        settled = _runs(self.starts, classes == settled_class)

        def settle(i: int, _: int) -> None:
            mask[self.rows(*settled[i])] = not mostly_in

        def test(i: int, _: int) -> None:
            a, b = to_test[i]
            hit = contains(self.positions(a, b))
            rows = self.rows(a, b)
            mask[rows[~hit if mostly_in else hit]] = not mostly_in
        map_ranges(settle, len(settled), 1)
        map_ranges(test, len(to_test), 1)
        return mask


def _runs(starts: np.ndarray, wanted: np.ndarray) -> list[tuple[int, int]]:
    """Ranges of the order covering the ``wanted`` tiles, consecutive tiles joined up to
    ``CHUNK`` cells (a larger tile is a range of its own)."""
    runs: list[tuple[int, int]] = []
    for t in np.flatnonzero(wanted):
        a, b = int(starts[t]), int(starts[t + 1])
        if runs and runs[-1][1] == a and b - runs[-1][0] <= CHUNK:
            runs[-1] = (runs[-1][0], b)
        elif b > a:
            runs.append((a, b))
    return runs
