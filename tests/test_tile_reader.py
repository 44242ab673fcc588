"""Tiles of a dataset shown without a tiled export: an order computed at show, read through it."""

from __future__ import annotations

import numpy as np
import pytest

from cellucid.data import open_dataset
from cellucid.data.lod import lod_order
from cellucid.data.tile_reader import MemoryTiles, category_field, dataset_tiles, tile_runs

from .data_fixtures import isolated_cache, rich_adata, write_h5ad, write_zarr  # noqa: F401


@pytest.fixture(scope="module")
def atlas():
    return rich_adata(n=4000, n_genes=30, seed=3)


def test_runs_of_tiles_are_consecutive_and_bounded():
    assert tile_runs([5, 1, 2, 3, 9, 2]) == [(1, 4), (5, 6), (9, 10)]
    assert tile_runs(range(70)) == [(0, 32), (32, 64), (64, 70)]
    assert tile_runs([]) == []


@pytest.mark.parametrize("kind", ["anndata", "h5ad", "zarr"])
def test_tiles_of_any_input_read_what_the_dataset_holds(atlas, kind, tmp_path):
    data = {"anndata": lambda: atlas, "h5ad": lambda: write_h5ad(atlas, tmp_path / "a.h5ad"),
            "zarr": lambda: write_zarr(atlas, tmp_path / "a.zarr")}[kind]()
    ds = open_dataset(data)
    order = lod_order(ds.embedding("X_umap"), ds.obs_values("cluster"), base=100,
                      tile_size=300, embedding="X_umap")
    tiles = MemoryTiles(ds, order)
    asked = [tiles.tiles.n_tiles - 1, 0, 3, 4]
    rows = [order.order[slice(*tiles.tiles.cell_range(t))] for t in asked]
    dense = atlas.X.toarray()
    for got, r in zip(tiles.positions("X_pca_3d", asked), rows):
        np.testing.assert_array_equal(got, ds.embedding("X_pca_3d")[r])
    for got, r in zip(tiles.obs_values("cluster", asked), rows):
        np.testing.assert_array_equal(got, ds.obs_values("cluster")[r])
    for _ in range(2):   # the second time from the gene kept in memory
        for got, r in zip(tiles.gene_values("ENSG00004", asked), rows):
            np.testing.assert_array_equal(got, dense[r, 4])
    for got, r in zip(tiles.gene_values("ENSG00004", asked, layer="counts"), rows):
        np.testing.assert_array_equal(got, 2 * dense[r, 4])
    lo, hi = tiles.bounds("X_pca")   # another embedding's boxes: computed on first use
    for t in range(tiles.tiles.n_tiles):
        cells = ds.embedding("X_pca")[order.order[slice(*tiles.tiles.cell_range(t))]]
        assert (cells >= lo[t]).all() and (cells <= hi[t]).all()
    mask = np.arange(ds.n_cells) % 3 == 0
    for got, r in zip(tiles.mask_values(mask, asked), rows):
        np.testing.assert_array_equal(got, mask[r])
    with pytest.raises(ValueError, match="one entry per cell"):
        tiles.mask_values(mask[:-1], [0])


def test_dataset_tiles_picks_the_stored_or_computes_them(atlas, tmp_path):
    ds = open_dataset(atlas)
    assert category_field(ds) == "cluster"   # the categorical column with colours
    assert category_field(ds, "batch") == "batch" and category_field(ds, "score") == "cluster"
    tiles = dataset_tiles(ds, seed=4)
    assert isinstance(tiles, MemoryTiles) and tiles.lod.embedding == "X_umap"
    assert tiles.lod.category_field == "cluster" and tiles.lod.seed == 4
    first = tiles.lod.order[:tiles.tiles.level_starts()[1]]
    assert set(atlas.obs["cluster"].iloc[first]) == set(atlas.obs["cluster"])
    from cellucid.data import prepare
    stored = open_dataset(prepare(atlas, tmp_path / "x", progress=False))
    assert dataset_tiles(stored) is stored.lod
