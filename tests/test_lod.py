"""The level-of-detail order: a permutation, nested uniform levels, rare categories kept, tiles."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cellucid.data.lod import lod_order
from cellucid.data.tiles import TileIndex, cut_level


def clustered(n: int, dims: int = 2, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 10, (12, dims))
    return (centres[rng.integers(0, 12, n)] + rng.normal(0, 1, (n, dims))).astype(np.float32)


def check_order(order, coords, n, tile_size, name="emb"):
    """The invariants every order holds, whatever its input."""
    assert order.n_cells == n
    np.testing.assert_array_equal(np.sort(order.order), np.arange(n))
    np.testing.assert_array_equal(order.rank[order.order], np.arange(n))
    tiles = order.tiles
    counts = tiles.counts()
    assert tiles.n_cells == n and (counts > 0).all() and (counts <= tile_size).all()
    assert np.all(np.diff(tiles.levels.astype(int)) >= 0)
    lo, hi = tiles.bounds(name)
    valid = np.isfinite(coords).all(axis=1)
    for t in range(tiles.n_tiles):
        a, b = tiles.cell_range(t)
        cells = coords[order.order[a:b]]
        cells = cells[valid[order.order[a:b]]]
        assert (cells >= lo[t]).all() and (cells <= hi[t]).all(), t


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2500), st.integers(1, 3), st.integers(1, 400), st.integers(1, 700),
       st.integers(0, 5), st.integers(0, 3))
def test_every_order_is_a_tiled_permutation_keeping_every_category(n, dims, base, tile_size,
                                                                   n_rare, seed):
    coords = clustered(n, dims, seed)
    if n > 10:
        coords[::7] = np.nan   # cells without coordinates are ordered like the others
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 3, n).astype(np.uint16)
    codes[rng.permutation(n)[:n_rare]] = 3 + np.arange(min(n_rare, n))   # one cell each
    codes[:min(n, 2)] = 65535   # missing
    order = lod_order(coords, codes, base=base, tile_size=tile_size, seed=seed,
                      min_per_category=2, embedding="emb")
    check_order(order, coords, n, tile_size)
    first = order.order[:order.tiles.level_starts()[1]] if n else np.zeros(0, int)
    present = codes[codes != 65535]
    for c in np.unique(present):
        assert np.count_nonzero(codes[first] == c) >= min(2, np.count_nonzero(present == c)), c


def test_levels_double_and_every_prefix_is_a_uniform_sample():
    n, base = 200_000, 1000
    coords = clustered(n)
    # obs order grouped by cluster, as atlases often are: a prefix of obs rows would be biased
    by_cluster = np.argsort(coords[:, 0], kind="stable")
    coords = coords[by_cluster]
    order = lod_order(coords, base=base, tile_size=5000, embedding="emb")
    starts = order.tiles.level_starts()
    sizes = np.diff(starts)
    for k, size in enumerate(sizes[:-1]):
        expected = base * 2 ** k
        assert abs(size - expected) < 6 * np.sqrt(expected) + 1, (k, size)
    assert order.tiles.n_levels == int(np.log2(n / base + 1)) + 1
    halves = np.histogram(np.arange(n), bins=10)[0]   # ten equal slices of the obs order
    for k in range(len(sizes)):
        prefix = np.asarray(order.order[:starts[k + 1]])
        observed = np.histogram(prefix, bins=10, range=(0, n))[0]
        expected = halves / n * prefix.size
        chi2 = float(np.sum((observed - expected) ** 2 / expected))
        assert chi2 < 27.9, (k, chi2)   # p = 0.001 with 9 degrees of freedom, fixed seed


def test_the_same_data_gives_the_same_order_and_the_seed_changes_it():
    coords = clustered(5000)
    a = lod_order(coords, base=100, tile_size=300)
    b = lod_order(coords.copy(), base=100, tile_size=300)
    c = lod_order(coords, base=100, tile_size=300, seed=1)
    np.testing.assert_array_equal(a.order, b.order)
    np.testing.assert_array_equal(a.tiles.starts, b.tiles.starts)
    assert not np.array_equal(a.order, c.order)


def test_tiles_of_a_deep_level_are_small_in_space():
    coords = clustered(300_000, seed=3)
    order = lod_order(coords, base=2000, tile_size=4000, embedding="emb")
    lo, hi = order.tiles.bounds("emb")
    deepest = order.tiles.levels == np.bincount(order.tiles.levels).argmax()   # most tiles
    area = np.prod(hi[deepest] - lo[deepest], axis=1)
    extent = np.prod(np.ptp(coords, axis=0))
    assert deepest.sum() > 20 and np.median(area) < 0.02 * extent


def test_rare_categories_are_in_the_first_level_at_the_default_sizes():
    n = 400_000
    codes = np.zeros(n, np.uint16)
    codes[np.random.default_rng(0).permutation(n)[:3]] = 1   # three cells of a rare type
    codes[-1] = 2
    order = lod_order(clustered(n), codes)
    first = order.order[:order.tiles.level_starts()[1]]
    assert np.count_nonzero(codes[first] == 1) == 3 and np.count_nonzero(codes[first] == 2) == 1
    assert order.tiles.level_starts()[1] < 65_536 + 1000
    assert order.tiles.counts().max() <= 65_536


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="coordinates"):
        lod_order(np.zeros((5, 4), np.float32))
    with pytest.raises(ValueError, match="coordinates"):
        lod_order(np.zeros((5, 2), np.int64))
    with pytest.raises(ValueError, match="codes"):
        lod_order(np.zeros((5, 2), np.float32), np.zeros(4, np.uint16))
    with pytest.raises(ValueError, match="at least 1"):
        lod_order(np.zeros((5, 2), np.float32), tile_size=0)


def test_tile_index_checks_and_describes_itself():
    tiles = TileIndex([0, 3, 5, 9], [0, 1, 1])
    assert tiles.describe() == {"n_tiles": 3, "n_levels": 2, "level_starts": [0, 3, 9],
                                "level_tiles": [0, 1, 3]}
    assert tiles.tile_of(4) == 1 and tiles.cell_range(2) == (5, 9)
    with pytest.raises(IndexError, match="tile 3 does not exist"):
        tiles.cell_range(3)
    with pytest.raises(ValueError):
        TileIndex([0, 3, 2], [0, 0])
    with pytest.raises(ValueError, match="ordered by level"):
        TileIndex([0, 3, 5], [1, 0])
    with pytest.raises(KeyError, match="no tile boxes"):
        tiles.bounds("X_umap")


def test_cutting_a_level_splits_crowded_buckets_and_merges_small_ones():
    counts = np.zeros(16, np.int64)
    counts[[0, 1, 2, 3]] = 1
    counts[5] = 25
    tiles = cut_level(counts, 4, 10)
    assert sum(c for *_, c in tiles) == 29
    assert all(c <= 10 for *_, c in tiles)
    assert tiles[0] == (0, 4, 0, 4)   # four small buckets of one quadrant: one tile
    crowded = [t for t in tiles if t[:2] == (5, 6)]
    assert [c for *_, c in crowded] == [8, 8, 9]
