"""The level-of-detail order of cells: nested uniform samples, each cut into spatial tiles.

Level ``k`` holds about ``base * 2**k`` cells (65,536, 131,072, …; the last level what is left),
chosen at random, so levels ``0..k`` together are a uniform random sample of about
``base * (2**(k + 1) - 1)`` cells: a page that draws the first levels draws a fair picture of
all cells. Every category of a chosen categorical column keeps at least ``min_per_category``
cells (or all it has) in level 0, so rare populations show at the coarsest level. Within a
level, cells are grouped by spatial bucket (a 64 × 64 grid in 2-D, 16³ in 3-D, 4,096 bins in
1-D, with grid lines at the quantiles of each axis) in Morton order, and the level is cut into
tiles of at most ``tile_size`` cells (:mod:`cellucid.data.tiles`).

The order is a permutation: ``order[p]`` is the obs row of the cell at position ``p`` of the
order, ``rank[i]`` the position of obs row ``i``. It depends only on the coordinates, the codes
and ``seed``: the same data gives the same order in the kernel and in ``cellucid prepare``.

Building it for tens of millions of cells is a few passes over the coordinates plus a counting
sort by (level, bucket) done in ranges of cells on several threads (:mod:`cellucid.data.parallel`).
"""

from __future__ import annotations

import threading

import numpy as np

from .parallel import map_ranges
from .tiles import TileIndex, cut_level

BASE = 65_536
TILE_SIZE = 65_536
MIN_PER_CATEGORY = 4
SEED = 0
MISSING_CODE = 65_535
BUCKET_BITS = 12            # spatial buckets per level: 4,096
LEVEL_BITS = 4              # levels 0..15: up to 65,536 * (2**16 - 1) cells
FINE_BINS = 4096            # per axis, before grouping into quantile bins
SAMPLE = 1 << 20            # cells whose coordinates place the quantile grid lines
CHUNK = 1 << 20             # cells per piece of work


class LodOrder:
    """A level-of-detail order (see module docstring): ``order``, ``tiles`` and, on first use,
    ``rank``. ``embedding`` names the embedding whose tile boxes ``tiles`` holds."""

    def __init__(self, order: np.ndarray, tiles: TileIndex, *, embedding: str | None = None,
                 seed: int = SEED, category_field: str | None = None,
                 rank: np.ndarray | None = None) -> None:
        self.order = order
        self.tiles = tiles
        self.embedding = embedding
        self.seed = seed
        self.category_field = category_field
        self._rank = rank
        self._lock = threading.Lock()

    @property
    def n_cells(self) -> int:
        """How many cells the order holds."""
        return int(len(self.order))

    @property
    def rank(self) -> np.ndarray:
        """The inverse permutation (uint32, obs row → position), computed on first use."""
        if self._rank is None:
            with self._lock:
                if self._rank is None:
                    self._rank = inverse_permutation(self.order)
        return self._rank

    def rows(self, start: int, stop: int) -> np.ndarray:
        """Obs rows of positions ``[start, stop)`` of the order."""
        return np.asarray(self.order[start:stop])

    def __repr__(self) -> str:
        return f"<LodOrder {self.n_cells} cells, {self.tiles.n_levels} levels, " \
               f"{self.tiles.n_tiles} tiles>"


def inverse_permutation(order: np.ndarray) -> np.ndarray:
    """``rank`` with ``rank[order[p]] == p`` (uint32), written in ranges on several threads."""
    n = len(order)
    rank = np.empty(n, dtype=np.uint32)

    def fill(a: int, b: int) -> None:
        rank[np.asarray(order[a:b])] = np.arange(a, b, dtype=np.uint32)
    map_ranges(fill, n, 4 * CHUNK)
    return rank


def level_of(u: np.ndarray, n: int, base: int) -> np.ndarray:
    """Level of cells with uniform numbers ``u`` in ``[0, 1)``: ``floor(log2(u n / base + 1))``,
    so about ``base * 2**k`` of ``n`` cells get level ``k`` (uint8)."""
    p = u * np.float32(n / base)
    p += np.float32(1)
    np.log2(p, out=p)
    return p.astype(np.uint8)


def _uniforms(seed: int, a: int, b: int) -> np.ndarray:
    # one generator per piece: the numbers do not depend on how the work is spread on threads
    return np.random.default_rng([seed, a // CHUNK]).random(b - a, dtype=np.float32)


def spread_bits(values: np.ndarray, dims: int) -> np.ndarray:
    """Morton spreading: bit ``i`` of each value moved to bit ``i * dims`` (int64)."""
    values = np.asarray(values, dtype=np.int64)
    out = np.zeros_like(values)
    for bit in range(BUCKET_BITS // dims):
        out |= ((values >> bit) & 1) << (bit * dims)
    return out


class SpatialGrid:
    """The spatial buckets of one embedding, numbered in Morton order.

    Each axis is cut into ``2 ** (12 / dims)`` bins at the quantiles of a sample of the cells
    (so crowded regions get more grid lines), resolved to ``FINE_BINS`` equal steps of the
    axis: a cell's bin is one lookup of its step.
    """

    def __init__(self, coords: np.ndarray, seed: int) -> None:
        n, self.dims = coords.shape
        per_axis = 1 << (BUCKET_BITS // self.dims)
        rng = np.random.default_rng([seed, 1 << 30])
        sample = np.take(coords, np.sort(rng.integers(0, n, SAMPLE)), axis=0) if n > SAMPLE \
            else coords
        self.lo = np.zeros(self.dims, np.float32)
        self.scale = np.zeros(self.dims, np.float32)
        self.lookup = []   # per axis: fine step -> its bin, Morton-spread and shifted
        for k in range(self.dims):
            values = np.asarray(sample[:, k], dtype=np.float32)
            values = values[np.isfinite(values)]
            lo = float(values.min()) if values.size else 0.0
            hi = float(values.max()) if values.size else 0.0
            self.lo[k] = lo
            self.scale[k] = (FINE_BINS - 1e-3) / (hi - lo) if hi > lo else 0.0
            steps = self.steps(values, k)
            edges = np.quantile(steps, np.arange(1, per_axis) / per_axis, method="lower") \
                if values.size else np.zeros(0, np.int64)
            bins = np.searchsorted(np.unique(edges), np.arange(FINE_BINS), side="right")
            self.lookup.append((spread_bits(bins, self.dims) << k).astype(np.uint16))

    def steps(self, values: np.ndarray, k: int) -> np.ndarray:
        """The fine step (int32 in ``[0, FINE_BINS)``) of values on axis ``k`` (NaN: the last)."""
        f = np.asarray(values, dtype=np.float32) - self.lo[k]
        f *= self.scale[k]
        np.fmax(np.fmin(f, np.float32(FINE_BINS - 1)), np.float32(0), out=f)
        return f.astype(np.int32)

    def buckets(self, coords: np.ndarray) -> np.ndarray:
        """Morton bucket (uint16, < 4,096) of each row of ``coords``."""
        key = self.lookup[0][self.steps(coords[:, 0], 0)]
        for k in range(1, self.dims):
            key |= self.lookup[k][self.steps(coords[:, k], k)]
        return key


def lod_order(coords, codes=None, *, seed: int = SEED, base: int = BASE,
              tile_size: int = TILE_SIZE, min_per_category: int = MIN_PER_CATEGORY,
              embedding: str | None = None, category_field: str | None = None) -> LodOrder:
    """The level-of-detail order of cells at ``coords`` (see module docstring).

    ``coords``: ``(n, dims)`` coordinates (1 ≤ dims ≤ 3; float32 is read without a copy; NaN
    rows are cells without a position), whose tile boxes the result holds under ``embedding``.
    ``codes``: the categorical codes (uint16, 65535 = missing, as the dataset's obs columns
    hold them) whose every category keeps ``min_per_category`` cells in level 0, or None.
    Raises ``ValueError`` for coordinates or codes of the wrong shape, more than 2³² cells, or
    ``base``/``tile_size`` below 1.
    """
    coords = _checked_coords(coords)
    n, dims = coords.shape
    if base < 1 or tile_size < 1:
        raise ValueError(f"base and tile_size must be at least 1, got {base} and {tile_size}")
    if n > base * ((1 << (1 << LEVEL_BITS)) - 1) or n >= 1 << 32:
        raise ValueError(f"{n} cells are more than a level-of-detail order holds (2³² - 1)")
    if codes is not None:
        codes = np.asarray(codes)
        if codes.shape != (n,) or codes.dtype.kind not in "iu":
            raise ValueError(f"codes must be {n} integer category codes, got {codes.shape} "
                             f"{codes.dtype}")
    grid = SpatialGrid(coords, seed) if n else None
    key = np.empty(n, dtype=np.uint16)

    if codes is not None:
        codes = _uint16_codes(codes)
    first_level = np.uint16(1 << BUCKET_BITS)

    def first_pass(a: int, b: int):
        level = level_of(_uniforms(seed, a, b), n, base).astype(np.uint16)
        k = grid.buckets(coords[a:b])
        k |= level << BUCKET_BITS
        key[a:b] = k
        counted = np.bincount(k, minlength=1 << 16)
        if codes is None:
            return counted, None, None
        c = codes[a:b]
        return counted, np.bincount(c, minlength=1 << 16), \
            np.bincount(c[k < first_level], minlength=1 << 16)
    passes = map_ranges(first_pass, n, CHUNK)
    piece_counts = np.array([p[0] for p in passes], dtype=np.int64).reshape(-1, 1 << 16)
    if codes is not None and min_per_category > 0 and n:
        total = sum(p[1] for p in passes)
        have = sum(p[2] for p in passes)
        need = np.minimum(total, min_per_category) - have
        need[MISSING_CODE] = 0
        if np.any(need > 0):
            _promote(key, piece_counts, codes, need, seed)
    del passes
    order, lo, hi, invalid = _sort_by_key(coords, key, piece_counts)
    tiles = _tiles(piece_counts.sum(axis=0), (lo, hi, invalid), dims, tile_size,
                   embedding or "default")
    return LodOrder(order, tiles, embedding=embedding, seed=seed, category_field=category_field)


def _checked_coords(coords) -> np.ndarray:
    arr = np.asarray(coords)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or not 1 <= arr.shape[1] <= 3 or arr.dtype.kind != "f":
        raise ValueError(f"coordinates must be an (n, 1-3) float array, got {arr.shape} "
                         f"{arr.dtype}")
    return arr


def _uint16_codes(codes: np.ndarray) -> np.ndarray:
    """Category codes as uint16 with 65535 for missing (negative or too large codes)."""
    if codes.dtype == np.uint16:
        return codes
    c = codes.astype(np.int64)
    return np.where((c < 0) | (c >= MISSING_CODE), MISSING_CODE, c).astype(np.uint16)


def _promote(key: np.ndarray, piece_counts: np.ndarray, codes: np.ndarray, need: np.ndarray,
             seed: int) -> None:
    """Move to level 0 the ``need[c]`` cells category ``c`` lacks there: those with the smallest
    random numbers among its other cells, i.e. the next ones it would have had. Updates ``key``
    and ``piece_counts``."""
    first_level = np.uint16(1 << BUCKET_BITS)
    lacking = need > 0

    def candidates(a: int, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        c = codes[a:b]
        pick = np.flatnonzero(lacking[c] & (key[a:b] >= first_level))
        u = _uniforms(seed, a, b)[pick] if pick.size else np.zeros(0, np.float32)
        return pick + a, c[pick], u
    found = map_ranges(candidates, len(key), CHUNK)
    cells = np.concatenate([f[0] for f in found])
    cats = np.concatenate([f[1] for f in found])
    u = np.concatenate([f[2] for f in found])
    by_category = np.lexsort((u, cats))
    cells, cats = cells[by_category], cats[by_category]
    group_start = np.searchsorted(cats, cats, side="left")
    chosen = cells[np.arange(cats.size) - group_start < need[cats]]
    old = key[chosen]
    new = old & np.uint16(first_level - 1)
    key[chosen] = new
    pieces = chosen // CHUNK
    np.subtract.at(piece_counts, (pieces, old), 1)
    np.add.at(piece_counts, (pieces, new), 1)


def _sort_by_key(coords: np.ndarray, key: np.ndarray, piece_counts: np.ndarray):
    """Stable counting sort of the cells by ``key`` (each piece sorted on its own and written to
    its place), with the exact box of each key's cells and how many have no coordinates.
    Returns ``(order, lo, hi, invalid)``."""
    n, dims = coords.shape
    counts = piece_counts.sum(axis=0)
    key_start = np.cumsum(counts) - counts
    piece_start = key_start + np.cumsum(piece_counts, axis=0) - piece_counts
    order = np.empty(n, dtype=np.uint32)

    def place(a: int, b: int):
        i = a // CHUNK
        kc = key[a:b]
        local = np.argsort(kc, kind="stable")
        sorted_keys = kc[local]
        within = np.cumsum(piece_counts[i]) - piece_counts[i]
        dest = (piece_start[i] - within)[sorted_keys]
        dest += np.arange(b - a)
        local += a
        order[dest] = local
        local -= a
        present = np.flatnonzero(piece_counts[i])
        block = np.take(coords[a:b], local, axis=0).astype(np.float32, copy=False)
        at = within[present]
        if not at.size:
            return present, at, block[:0], block[:0]
        nan = np.isnan(block[:, 0])
        if nan.any():   # fmin/fmax skip NaN rows (an all-NaN bucket's bound is NaN: see below)
            return present, np.add.reduceat(nan.astype(np.int64), at), \
                np.fmin.reduceat(block, at, axis=0), np.fmax.reduceat(block, at, axis=0)
        return present, np.zeros(at.size, np.int64), np.minimum.reduceat(block, at, axis=0), \
            np.maximum.reduceat(block, at, axis=0)
    lo = np.full((1 << 16, dims), np.inf, dtype=np.float32)
    hi = np.full((1 << 16, dims), -np.inf, dtype=np.float32)
    invalid = np.zeros(1 << 16, dtype=np.int64)
    for present, nan, mins, maxs in map_ranges(place, n, CHUNK):
        invalid[present] += nan
        lo[present] = np.fmin(lo[present], mins)
        hi[present] = np.fmax(hi[present], maxs)
    lo[np.isnan(lo)] = np.inf
    hi[np.isnan(hi)] = -np.inf
    return order, lo, hi, invalid


def _tiles(counts: np.ndarray, buckets, dims: int, tile_size: int, name: str) -> TileIndex:
    """Cut every level into tiles; their boxes are the union of their buckets' boxes
    (``buckets``: ``(lo, hi, invalid)`` per key)."""
    lo, hi, invalid = buckets
    per_level = 1 << BUCKET_BITS
    level_counts = counts.reshape(-1, per_level)
    level_start = np.concatenate([[0], np.cumsum(level_counts.sum(axis=1))])
    starts, levels, boxes_lo, boxes_hi, nan = [], [], [], [], []
    for level in range(level_counts.shape[0]):
        for b0, b1, first, _ in cut_level(level_counts[level], 1 << dims, tile_size):
            starts.append(level_start[level] + first)
            levels.append(level)
            rows = slice(level * per_level + b0, level * per_level + b1)
            boxes_lo.append(lo[rows].min(axis=0))
            boxes_hi.append(hi[rows].max(axis=0))
            nan.append(int(invalid[rows].sum()))   # a split bucket's pieces each get its count
    starts.append(level_start[-1])
    shape = (len(levels), dims)
    return TileIndex(np.asarray(starts, dtype=np.int64), np.asarray(levels, dtype=np.uint8),
                     {name: (np.asarray(boxes_lo, np.float32).reshape(shape),
                             np.asarray(boxes_hi, np.float32).reshape(shape),
                             np.asarray(nan, dtype=np.int64))})
