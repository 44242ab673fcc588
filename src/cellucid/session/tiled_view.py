"""One viewer's cells by tile: what a page that draws a point budget reads.

A viewer whose dataset has more cells than its point budget is *tiled*: its page draws a sample
of the cells, chosen tile by tile from a level-of-detail order (:mod:`cellucid.data.lod`), and
asks for the tiles' positions, obs rows, colours and selection bits (``server/tile_api.py``).
:class:`TiledView` answers those reads for one viewer, its data pushed from Python included: the
stored tiles of a tiled export, or an order computed in the kernel for any other dataset (in a
background thread from the moment a tiled viewer is made, so the page rarely waits for it).

An order computed here has levels and tiles sized to the budget (:func:`order_sizes`): the
coarsest level holds an eighth of the budget, so the first levels of a view fit in it.
"""

from __future__ import annotations

import threading

import numpy as np

from ..data.lod import TILE_SIZE
from ..data.tile_reader import TileReader, dataset_tiles, tile_runs
from ..data.tiles import bounds_of_ranges
from ..errors import DatasetError
from ..selection.selector import CellSelector

DEFAULT_POINT_BUDGET = 1_000_000
MIN_TILE_SIZE = 256
JITTER_FRACTION = 0.12   # 1-D embeddings: the page's vertical jitter, a fraction of the x span


def check_budget(budget) -> int:
    """``budget`` as an int ≥ 1; ``ValueError`` naming the problem otherwise."""
    if isinstance(budget, bool) or not isinstance(budget, (int, np.integer)) or budget < 1:
        raise ValueError(f"point_budget must be a whole number of cells ≥ 1 (the most cells the "
                         f"page draws at once), got {budget!r}")
    return int(budget)


def order_sizes(budget: int) -> dict:
    """Level and tile size of an order computed for a viewer drawing ``budget`` cells."""
    size = int(min(TILE_SIZE, max(MIN_TILE_SIZE, budget // 8)))
    return {"base": size, "tile_size": size}


def one_d_jitter(rows: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """The page's vertical jitter of the cells of obs ``rows`` in a 1-D embedding spanning
    ``[lo, hi]`` (``web/data.js`` ``hash01``, the same integer hash), float32."""
    h = (np.asarray(rows, dtype=np.uint64) + np.uint64(0x9E3779B9)) & np.uint64(0xFFFFFFFF)
    h = ((h ^ (h >> np.uint64(16))) * np.uint64(0x85EBCA6B)) & np.uint64(0xFFFFFFFF)
    h = ((h ^ (h >> np.uint64(13))) * np.uint64(0xC2B2AE35)) & np.uint64(0xFFFFFFFF)
    h ^= h >> np.uint64(16)
    half = ((hi - lo) or 1.0) * JITTER_FRACTION
    return ((h.astype(np.float64) / 4294967296.0 * 2 - 1) * half).astype(np.float32)


class TiledView:
    """The tiles of one viewer's data (``data``: its `data.overlay.DatasetView`); ``budget`` is
    the most cells its page draws at once, and the view is ``tiled`` when there are more
    cells."""

    def __init__(self, data, budget: int) -> None:
        self.data = data
        self.budget = check_budget(budget)
        self.tiled = data.dataset.n_cells > self.budget
        self._reader: TileReader | None = None
        self._error: BaseException | None = None
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._pushed_bounds: dict[tuple, np.ndarray] = {}

    # -- the order --------------------------------------------------------------------------
    def start(self) -> None:
        """Start computing the order in a daemon thread (a tiled viewer's page will ask)."""
        threading.Thread(target=self._build, name="cellucid-lod", daemon=True).start()

    def _build(self) -> None:
        with self._lock:
            if self._reader is not None or self._error is not None:
                return
            try:
                self._reader = dataset_tiles(self.data.dataset, **order_sizes(self.budget))
            except BaseException as exc:   # kept, raised to whoever asks for tiles
                self._error = exc
            finally:
                self._ready.set()

    @property
    def reader(self) -> TileReader:
        """The dataset's tiles (computed on first use when not started); raises what computing
        the order raised."""
        if not self._ready.is_set():
            self._build()
        self._ready.wait()
        if self._error is not None:
            raise self._error
        return self._reader

    def has_reader(self) -> bool:
        """Whether the tiles are known (without computing them)."""
        return self._ready.is_set() and self._reader is not None

    def selector(self) -> CellSelector:
        """Exact selections over every cell: through the tiles when the view is tiled (or they
        are known), else by testing every cell."""
        dataset = self.data.dataset
        if self.tiled or self.has_reader():
            return CellSelector(dataset, self.reader)
        return CellSelector(dataset)

    def index(self) -> dict:
        """The tile index: starts and levels of every tile, where each level starts."""
        tiles = self.reader.tiles
        return {"n_cells": tiles.n_cells, "n_tiles": tiles.n_tiles, "n_levels": tiles.n_levels,
                "starts": tiles.starts.tolist(), "levels": tiles.levels.tolist(),
                "level_starts": tiles.level_starts().tolist(), "budget": self.budget,
                "tiled": self.tiled}

    # -- per-tile values ---------------------------------------------------------------------
    def check_tiles(self, tiles: list[int]) -> None:
        """``IndexError`` naming a tile that does not exist."""
        n = self.reader.tiles.n_tiles
        for t in tiles:
            if not 0 <= t < n:
                raise IndexError(f"tile {t} does not exist: there are {n} tiles (0..{n - 1})")

    def cells_in(self, tiles: list[int]) -> int:
        """How many cells ``tiles`` hold together."""
        counts = self.reader.tiles.counts()
        return int(counts[np.asarray(tiles, dtype=np.int64)].sum()) if tiles else 0

    def bounds(self, embedding: str) -> np.ndarray:
        """Tile boxes of ``embedding``: float32 ``(n_tiles, 2, dims)`` (``[t, 0]`` the low
        corner, ``[t, 1]`` the high one; a tile without a valid cell has ``+inf``/``-inf``)."""
        info, version = self.data.embedding_entry(embedding)
        if self.data.pushed.owns(embedding):
            return self._pushed_box(info.name, version, info.coords)
        lo, hi = self.reader.bounds(info.name)
        return np.stack([lo, hi], axis=1)

    def _pushed_box(self, key: str, version: int, coords: np.ndarray) -> np.ndarray:
        held = self._pushed_bounds.get((key, version))
        if held is None:
            reader = self.reader
            starts = reader.tiles.starts
            rows = reader.rows(0, reader.n_cells)
            lo, hi, _ = bounds_of_ranges(np.take(coords, rows, axis=0), starts)
            held = np.stack([lo, hi], axis=1)
            self._pushed_bounds = {(key, version): held}   # only the newest is kept
        return held

    def positions(self, embedding: str, tiles: list[int]) -> np.ndarray:
        """float32 ``(cells, dims)`` coordinates of the cells of ``tiles`` (ascending)."""
        info, _ = self.data.embedding_entry(embedding)
        if self.data.pushed.owns(embedding):
            return np.take(info.coords, self.rows(tiles), axis=0)
        return _joined(self.reader.positions(info.name, tiles), (0, info.dims), np.float32)

    def rows(self, tiles: list[int]) -> np.ndarray:
        """uint32 obs rows of the cells of ``tiles``."""
        reader = self.reader
        starts = reader.tiles.starts
        parts = [reader.rows(int(starts[a]), int(starts[b])) for a, b in tile_runs(tiles)]
        return _joined(parts, (0,), np.uint32)

    def obs(self, name: str, tiles: list[int]) -> tuple[np.ndarray, int]:
        """Encoded values (uint16 codes or float32) of obs column ``name`` (a pushed one too)
        in ``tiles``, and the column's version. `UnknownName` for an unknown column,
        `DatasetError` for one that cannot be coloured."""
        if self.data.pushed.owns(name):
            values, version = self.data.obs_values(name)
            return values[self.rows(tiles)], version
        field, version = self.data.dataset.obs_entry(name)
        if field.kind == "uncolorable":
            raise DatasetError(f"obs column {name!r} cannot be coloured: "
                               f"{field.info.get('reason', 'no colour mapping')}")
        parts = self.reader.obs_values(name, tiles)
        dtype = np.float32 if field.kind == "continuous" else np.uint16
        return _joined(parts, (0,), dtype), version

    def gene(self, gene: str, layer: str | None, tiles: list[int]
             ) -> tuple[np.ndarray, tuple[float, float]]:
        """float32 values of ``gene`` in ``tiles`` and its ``(min, max)`` over every cell."""
        reader = self.reader
        values = _joined(reader.gene_values(gene, tiles, layer), (0,), np.float32)
        return values, reader.gene_extent(gene, layer)

    def mask_bits(self, mask: np.ndarray, tiles: list[int]) -> np.ndarray:
        """The entries of ``mask`` (obs order) in ``tiles``, packed per tile: each tile's bits
        start on a byte (bit ``i`` of a tile is bit ``i & 7`` of its byte ``i >> 3``)."""
        parts = [np.packbits(values, bitorder="little")
                 for values in self.reader.mask_values(mask, tiles)]
        return _joined(parts, (0,), np.uint8)

    def extent(self, embedding: str, visible: np.ndarray | None) -> dict:
        """``{"min", "max", "count"}`` of the ``visible`` cells (all when None) with coordinates
        in ``embedding``; min/max are None when there are none."""
        info, _ = self.data.embedding_entry(embedding)
        if visible is None:
            return {"min": list(info.min), "max": list(info.max),
                    "count": self.data.dataset.n_cells - int(info.n_invalid)}
        lo = np.full(info.dims, np.inf)
        hi = np.full(info.dims, -np.inf)
        count = 0
        reader = self.reader
        for a, b in tile_runs(range(reader.tiles.n_tiles)):
            tiles = list(range(a, b))
            coords = self.positions(embedding, tiles)
            keep = np.concatenate(reader.mask_values(visible, tiles)) & \
                np.isfinite(coords).all(axis=1)
            if keep.any():
                lo = np.fmin(lo, coords[keep].min(axis=0))
                hi = np.fmax(hi, coords[keep].max(axis=0))
                count += int(keep.sum())
        if not count:
            return {"min": None, "max": None, "count": 0}
        return {"min": lo.tolist(), "max": hi.tolist(), "count": count}

    def one_d_cells(self, embedding: str) -> np.ndarray:
        """A 1-D embedding as the page draws it: ``(n, 2)`` float32 of x and the jitter."""
        info, _ = self.data.embedding_entry(embedding)
        x = np.asarray(info.coords, dtype=np.float32).reshape(-1)
        jitter = one_d_jitter(np.arange(x.shape[0]), float(info.min[0]), float(info.max[0]))
        jitter[~np.isfinite(x)] = np.nan
        return np.stack([x, jitter], axis=1)


def _joined(parts: list[np.ndarray], empty_shape: tuple, dtype) -> np.ndarray:
    if not parts:
        return np.zeros(empty_shape, dtype=dtype)
    return parts[0] if len(parts) == 1 else np.concatenate(parts)
