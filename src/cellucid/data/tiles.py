"""Tiles of a level-of-detail order: ranges of consecutive cells, each within one level.

A tile is cells ``[starts[t], starts[t + 1])`` of the order, all of level ``levels[t]``; tiles of
a level are consecutive and in spatial (Morton) order of the embedding the order was made in.
Each tile has a bounding box per embedding (``bounds(name)``: ``lo``/``hi`` of shape
``(n_tiles, dims)``) that holds every valid cell of the tile; a tile without a valid cell has
``lo = +inf``, ``hi = -inf``; ``invalid(name)`` counts the tile's cells without coordinates
(NaN) there, which no box holds (a count that may be too large, but is 0 only when every cell
of the tile has coordinates). Boxes may be larger than the cells' own extent (boxes of the
spatial buckets the tile was cut from): they are meant for culling and for classifying tiles
against a selection, where a box that is too large only costs time.
"""

from __future__ import annotations

import numpy as np


class TileIndex:
    """The tiles of an order (see module docstring).

    ``starts``: int64 ``(n_tiles + 1,)``, first cell of each tile then the number of cells;
    ``levels``: uint8 ``(n_tiles,)``; ``bounds``: ``{embedding: (lo, hi)}``. Raises
    ``ValueError`` when the arrays disagree.
    """

    def __init__(self, starts, levels, bounds: dict | None = None) -> None:
        self.starts = np.asarray(starts, dtype=np.int64)
        self.levels = np.asarray(levels, dtype=np.uint8)
        if self.starts.ndim != 1 or self.starts.size != self.levels.size + 1 or \
                (self.starts.size and self.starts[0] != 0) or np.any(np.diff(self.starts) < 0):
            raise ValueError("tile starts must be non-decreasing from 0, one more than levels")
        if np.any(np.diff(self.levels.astype(np.int16)) < 0):
            raise ValueError("tiles must be ordered by level")
        self._bounds: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        for name, box in (bounds or {}).items():
            self.add_bounds(name, *box)

    @property
    def n_tiles(self) -> int:
        """How many tiles there are."""
        return int(self.levels.size)

    @property
    def n_cells(self) -> int:
        """How many cells the tiles hold together."""
        return int(self.starts[-1]) if self.starts.size else 0

    @property
    def n_levels(self) -> int:
        """How many levels there are (the last tile's level + 1)."""
        return int(self.levels[-1]) + 1 if self.levels.size else 0

    def counts(self) -> np.ndarray:
        """Cells per tile (int64)."""
        return np.diff(self.starts)

    def cell_range(self, t: int) -> tuple[int, int]:
        """``(start, stop)`` of tile ``t`` in the order; ``IndexError`` outside the tiles."""
        if not 0 <= t < self.n_tiles:
            raise IndexError(f"tile {t} does not exist: there are {self.n_tiles} tiles "
                             f"(0..{self.n_tiles - 1})")
        return int(self.starts[t]), int(self.starts[t + 1])

    def level_tiles(self) -> np.ndarray:
        """First tile of each level, then the number of tiles: int64 ``(n_levels + 1,)``."""
        return np.searchsorted(self.levels, np.arange(self.n_levels + 1), side="left")

    def level_starts(self) -> np.ndarray:
        """First cell of each level, then the number of cells: int64 ``(n_levels + 1,)``.
        Cells ``[0, level_starts()[k + 1])`` are levels ``0..k``."""
        return self.starts[self.level_tiles()]

    def tile_of(self, position: int) -> int:
        """The tile holding the cell at ``position`` of the order."""
        return int(np.searchsorted(self.starts, position, side="right")) - 1

    def has_bounds(self, name: str) -> bool:
        """Whether boxes of embedding ``name`` are known."""
        return name in self._bounds

    def bounds(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """``(lo, hi)`` boxes of embedding ``name``, float32 ``(n_tiles, dims)``; ``KeyError``
        when they are not known."""
        return self._boxes(name)[:2]

    def invalid(self, name: str) -> np.ndarray:
        """Cells without coordinates in embedding ``name``, per tile (int64); ``KeyError`` when
        the boxes of ``name`` are not known."""
        return self._boxes(name)[2]

    def _boxes(self, name: str):
        try:
            return self._bounds[name]
        except KeyError:
            raise KeyError(f"no tile boxes for embedding {name!r} (known: "
                           f"{sorted(self._bounds)})") from None

    def add_bounds(self, name: str, lo, hi, invalid=None) -> None:
        """Record the boxes of embedding ``name`` and the cells without coordinates of each tile
        (default none); ``ValueError`` when their shapes are wrong."""
        lo = np.asarray(lo, dtype=np.float32)
        hi = np.asarray(hi, dtype=np.float32)
        invalid = np.zeros(self.n_tiles, np.int64) if invalid is None else \
            np.asarray(invalid, dtype=np.int64)
        if lo.shape != hi.shape or lo.ndim != 2 or lo.shape[0] != self.n_tiles or \
                invalid.shape != (self.n_tiles,):
            raise ValueError(f"tile boxes of {name!r} must be two ({self.n_tiles}, dims) "
                             f"arrays and {self.n_tiles} counts, got {lo.shape}, {hi.shape} and "
                             f"{invalid.shape}")
        self._bounds[name] = (lo, hi, invalid)

    def describe(self) -> dict:
        """A JSON-able summary: tile and level counts and where each level starts."""
        return {"n_tiles": self.n_tiles, "n_levels": self.n_levels,
                "level_starts": self.level_starts().tolist(),
                "level_tiles": self.level_tiles().tolist()}

    def __repr__(self) -> str:
        return f"<TileIndex {self.n_cells} cells in {self.n_tiles} tiles, {self.n_levels} levels>"


def bounds_of_ranges(coords: np.ndarray, starts: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact boxes of consecutive ranges ``[starts[t], starts[t + 1])`` of ``coords`` ``(n, d)``
    (NaN rows ignored; an empty or all-NaN range gets ``+inf``/``-inf``), and the NaN rows of
    each range: ``(lo, hi, invalid)``."""
    n_tiles = len(starts) - 1
    dims = coords.shape[1]
    lo = np.full((n_tiles, dims), np.inf, dtype=np.float32)
    hi = np.full((n_tiles, dims), -np.inf, dtype=np.float32)
    invalid = np.zeros(n_tiles, dtype=np.int64)
    filled = np.flatnonzero(np.diff(starts) > 0)
    if filled.size:
        at = starts[filled] - starts[0]
        for k in range(dims):
            column = coords[:, k]
            lo[filled, k] = np.fmin.reduceat(column, at)
            hi[filled, k] = np.fmax.reduceat(column, at)
        invalid[filled] = np.add.reduceat(np.isnan(coords[:, 0]).astype(np.int64), at)
    lo[np.isnan(lo)] = np.inf   # an all-NaN range
    hi[np.isnan(hi)] = -np.inf
    return lo, hi, invalid


def cut_level(counts: np.ndarray, arity: int, tile_size: int) -> list[tuple[int, int, int, int]]:
    """Cut one level, whose cells sit in spatial buckets (Morton order), into tiles.

    ``counts``: cells per bucket; the number of buckets is a power of ``arity`` (4 in 2-D: a
    quadtree). A bucket range holding at most ``tile_size`` cells is one tile; a larger one is
    split into its ``arity`` quadrants, and a single bucket that is too large into equal pieces.
    Consecutive small tiles are then merged while they fit. Returns ``(first bucket, stop
    bucket, first cell, cells)`` per tile, cells counted from the start of the level.
    """
    csum = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])
    leaves: list[tuple[int, int]] = []
    stack = [(0, len(counts))]
    while stack:
        b0, b1 = stack.pop()
        total = int(csum[b1] - csum[b0])
        if total == 0:
            continue
        if total <= tile_size or b1 - b0 == 1:
            leaves.append((b0, b1))
            continue
        step = (b1 - b0) // arity
        stack.extend((b0 + i * step, b0 + (i + 1) * step) for i in reversed(range(arity)))
    tiles: list[tuple[int, int, int, int]] = []
    for b0, b1 in leaves:
        first, total = int(csum[b0]), int(csum[b1] - csum[b0])
        if total > tile_size:   # one crowded bucket: equal pieces, all with its box
            pieces = -(-total // tile_size)
            edges = first + (np.arange(pieces + 1) * total) // pieces
            tiles.extend((b0, b1, int(a), int(z - a)) for a, z in zip(edges[:-1], edges[1:]))
        elif tiles and tiles[-1][1] == b0 and tiles[-1][3] + total <= tile_size and \
                tiles[-1][3] <= tile_size // 2:
            p0, _, p_first, p_count = tiles[-1]
            tiles[-1] = (p0, b1, p_first, p_count + total)
        else:
            tiles.append((b0, b1, first, total))
    return tiles
