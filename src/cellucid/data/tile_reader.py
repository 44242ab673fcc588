"""Reading a dataset tile by tile in its level-of-detail order: what a page that draws a point
budget asks for.

A :class:`TileReader` answers, for a list of tiles, each tile's positions in an embedding, its
values of an obs column or a gene, or its share of a selection mask — arrays in the order's
positions (tile ``t`` holds positions ``tiles.starts[t]`` to ``tiles.starts[t + 1]``).
Consecutive tiles asked together are read with one read (one range request of a remote export),
at most ``RUN_TILES`` tiles at a time.

:class:`MemoryTiles` reads a dataset whose values are in memory or read whole (an AnnData, an
``.h5ad`` file, a ``.zarr`` store, an export of version 1 to 3) through a :class:`~cellucid.data.
lod.LodOrder` computed for it; a tiled export (version 4) has its own reader
(:class:`cellucid.data.tiled_export.ExportTiles`, the dataset's ``lod``). :func:`dataset_tiles`
gives whichever applies.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from .lod import LodOrder, lod_order
from .parallel import map_ranges
from .tiles import TileIndex, bounds_of_ranges

RUN_TILES = 32
KEPT_COLUMNS = 2   # gene columns kept in memory by MemoryTiles (whole columns, obs order)


def tile_runs(tiles) -> list[tuple[int, int]]:
    """Runs ``[t0, t1)`` of consecutive tile numbers among ``tiles`` (sorted, de-duplicated),
    each at most ``RUN_TILES`` long."""
    ids = np.unique(np.asarray(tiles, dtype=np.int64))
    runs: list[tuple[int, int]] = []
    for t in ids.tolist():
        if runs and runs[-1][1] == t and t - runs[-1][0] < RUN_TILES:
            runs[-1] = (runs[-1][0], t + 1)
        else:
            runs.append((t, t + 1))
    return runs


class TileReader:
    """The tiles of one dataset (see module docstring); subclasses read ranges of the order.

    Every method taking ``tiles`` (tile numbers) returns a list with one array per tile, in the
    order asked, and raises ``IndexError`` for a tile that does not exist.
    """

    tiles: TileIndex

    @property
    def n_cells(self) -> int:
        """How many cells the order holds."""
        return self.tiles.n_cells

    def rows(self, start: int, stop: int) -> np.ndarray:
        """Obs rows of positions ``[start, stop)`` of the order."""
        raise NotImplementedError

    def bounds(self, embedding: str) -> tuple[np.ndarray, np.ndarray]:
        """Tile boxes ``(lo, hi)`` (float32 ``(n_tiles, dims)``) in ``embedding``."""
        raise NotImplementedError

    def invalid(self, embedding: str) -> np.ndarray:
        """Cells without coordinates in ``embedding``, per tile (0 only when there are none)."""
        self.bounds(embedding)
        return self.tiles.invalid(embedding)

    def position_range(self, embedding: str, start: int, stop: int) -> np.ndarray:
        """float32 ``(stop - start, dims)`` coordinates of positions ``[start, stop)``."""
        raise NotImplementedError

    def obs_range(self, name: str, start: int, stop: int) -> np.ndarray:
        """Encoded values (uint16 codes or float32) of obs column ``name`` there."""
        raise NotImplementedError

    def gene_range(self, gene: str, t0: int, t1: int, layer: str | None) -> np.ndarray:
        """float32 values of ``gene`` in the cells of tiles ``[t0, t1)``."""
        raise NotImplementedError

    def gene_extent(self, gene: str, layer: str | None = None) -> tuple[float, float]:
        """``(min, max)`` of ``gene``'s finite values over every cell (``(0, 0)`` when none)."""
        return finite_extent(self.dataset.gene_values(gene, layer))

    def _by_tile(self, tiles, read) -> list[np.ndarray]:
        """Read runs of ``tiles`` with ``read(t0, t1, start, stop)``, split per tile."""
        wanted = [int(t) for t in np.asarray(tiles, dtype=np.int64).ravel()]
        for t in wanted:
            self.tiles.cell_range(t)   # IndexError for a tile that does not exist
        found: dict[int, np.ndarray] = {}
        starts = self.tiles.starts
        for t0, t1 in tile_runs(wanted):
            a, b = int(starts[t0]), int(starts[t1])
            block = read(t0, t1, a, b)
            for t in range(t0, t1):
                found[t] = block[int(starts[t]) - a:int(starts[t + 1]) - a]
        return [found[t] for t in wanted]

    def positions(self, embedding: str, tiles) -> list[np.ndarray]:
        """Coordinates of each tile's cells in ``embedding`` (float32 ``(count, dims)``)."""
        return self._by_tile(tiles, lambda t0, t1, a, b: self.position_range(embedding, a, b))

    def obs_values(self, name: str, tiles) -> list[np.ndarray]:
        """Each tile's encoded values of obs column ``name``."""
        return self._by_tile(tiles, lambda t0, t1, a, b: self.obs_range(name, a, b))

    def gene_values(self, gene: str, tiles, layer: str | None = None) -> list[np.ndarray]:
        """Each tile's values (float32) of ``gene`` (a var name or symbol) in ``layer``."""
        return self._by_tile(tiles, lambda t0, t1, a, b: self.gene_range(gene, t0, t1, layer))

    def mask_values(self, mask: np.ndarray, tiles) -> list[np.ndarray]:
        """Each tile's entries of ``mask`` (one bool per cell, obs order): how a selection
        resolved over every cell is shown in the tiles drawn."""
        mask = np.asarray(mask)
        if mask.shape != (self.n_cells,):
            raise ValueError(f"the mask must have one entry per cell ({self.n_cells}), got "
                             f"{mask.shape}")
        return self._by_tile(tiles, lambda t0, t1, a, b: mask[self.rows(a, b)])


class MemoryTiles(TileReader):
    """Tiles of a dataset read through its obs-order arrays and a computed order ``lod``."""

    def __init__(self, dataset, lod: LodOrder) -> None:
        self.dataset = dataset
        self.lod = lod
        self.tiles = lod.tiles
        self._columns: OrderedDict[tuple, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def rows(self, start: int, stop: int) -> np.ndarray:
        """Obs rows of positions ``[start, stop)``."""
        return self.lod.order[start:stop]

    def bounds(self, embedding: str) -> tuple[np.ndarray, np.ndarray]:
        """Tile boxes in ``embedding``: those of the order's own embedding, else computed from
        the coordinates on first use (a pass over every cell) and kept."""
        if not self.tiles.has_bounds(embedding):
            coords = self.dataset.embedding(embedding)
            with self._lock:
                if not self.tiles.has_bounds(embedding):
                    self.tiles.add_bounds(embedding, *_gathered_bounds(coords, self.lod))
        return self.tiles.bounds(embedding)

    def position_range(self, embedding: str, start: int, stop: int) -> np.ndarray:
        """Coordinates of positions ``[start, stop)`` in ``embedding``."""
        return np.take(self.dataset.embedding(embedding), self.rows(start, stop), axis=0)

    def obs_range(self, name: str, start: int, stop: int) -> np.ndarray:
        """Values of obs column ``name`` at positions ``[start, stop)``."""
        return self.dataset.obs_values(name)[self.rows(start, stop)]

    def gene_range(self, gene: str, t0: int, t1: int, layer: str | None) -> np.ndarray:
        """Values of ``gene`` in tiles ``[t0, t1)`` (its whole column is read once and kept,
        with the last ``KEPT_COLUMNS`` genes asked for)."""
        column = self._gene_column(gene, layer)
        a, b = int(self.tiles.starts[t0]), int(self.tiles.starts[t1])
        return column[self.rows(a, b)]

    def gene_extent(self, gene: str, layer: str | None = None) -> tuple[float, float]:
        """``(min, max)`` of ``gene``'s finite values (from the column kept for its tiles)."""
        return finite_extent(self._gene_column(gene, layer))

    def _gene_column(self, gene: str, layer: str | None) -> np.ndarray:
        key = (layer or self.dataset.default_layer, self.dataset.genes_of(layer).position(gene))
        with self._lock:
            column = self._columns.get(key)
            if column is not None:
                self._columns.move_to_end(key)
        if column is None:
            column = self.dataset.gene_values(gene, layer)
            with self._lock:
                self._columns[key] = column
                while len(self._columns) > KEPT_COLUMNS:
                    self._columns.popitem(last=False)
        return column


def finite_extent(values: np.ndarray) -> tuple[float, float]:
    """``(min, max)`` of the finite entries of ``values``; ``(0.0, 0.0)`` when there are none."""
    finite = values if np.isfinite(values).all() else values[np.isfinite(values)]
    return (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)


def _gathered_bounds(coords: np.ndarray, lod: LodOrder):
    """Exact tile boxes of ``coords`` (obs order), gathering a range of tiles at a time:
    ``(lo, hi, invalid)``."""
    tiles = lod.tiles
    starts = tiles.starts
    step = max(1, (1 << 20) // max(1, int(tiles.counts().max(initial=1))))

    def part(t0: int, t1: int):
        a, b = int(starts[t0]), int(starts[t1])
        block = np.take(coords, lod.order[a:b], axis=0)
        return bounds_of_ranges(block, starts[t0:t1 + 1] - a)
    pieces = map_ranges(part, tiles.n_tiles, step)
    if not pieces:
        empty = np.zeros((0, coords.shape[1]), np.float32)
        return empty, empty, np.zeros(0, np.int64)
    return tuple(np.concatenate([p[i] for p in pieces]) for i in range(3))


def category_field(dataset, preferred: str | None = None) -> str | None:
    """The categorical obs column whose every category keeps cells in the coarsest level:
    ``preferred`` when it is categorical (or boolean), else the first categorical column with
    colours of its own (``uns[f"{name}_colors"]``), else the first categorical column, else
    None."""
    fields = [dataset.obs_field(name) for name in dataset.obs_names]
    categorical = [f for f in fields if f.kind in ("categorical", "boolean")]
    for field in categorical:
        if field.name == preferred:
            return field.name
    coloured = [f for f in categorical if f.kind == "categorical" and f.info.get("colors")]
    chosen = coloured or [f for f in categorical if f.kind == "categorical"]
    return chosen[0].name if chosen else None


def dataset_tiles(dataset, *, embedding: str | None = None, category: str | None = None,
                  seed: int | None = None, base: int | None = None,
                  tile_size: int | None = None) -> TileReader:
    """The tiles of ``dataset``: the stored ones of a tiled export, else an order computed now
    from ``embedding`` (default: the dataset's default) and the codes of ``category`` (default:
    :func:`category_field`), with levels of ``base`` cells and tiles of ``tile_size`` (defaults:
    those of :func:`~cellucid.data.lod.lod_order`). Raises ``KeyError`` for an unknown
    embedding or column.
    """
    stored = getattr(dataset, "lod", None)
    if stored is not None:
        return stored
    name = embedding or dataset.default_embedding
    coords = dataset.embedding(name)
    field = category_field(dataset, category)
    codes = dataset.obs_values(field) if field is not None else None
    given = {"seed": seed, "base": base, "tile_size": tile_size}
    options = {key: value for key, value in given.items() if value is not None}
    order = lod_order(coords, codes, embedding=name, category_field=field, **options)
    return MemoryTiles(dataset, order)
