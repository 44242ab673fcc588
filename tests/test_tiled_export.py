"""The tiled export (format version 4): cells in level-of-detail order, read by tile and in obs order."""

from __future__ import annotations

import json
import shutil

import numpy as np
import anndata as ad
import pandas as pd
import pytest
import scipy.sparse as sp

import cellucid.data.tiled_writer as tiled_writer
from cellucid.data import open_dataset, prepare
from cellucid.data.layers import RAW
from cellucid.data.tiled_export import TileError
from cellucid.errors import DatasetError
from cellucid.selection.selector import CellSelector
from cellucid.selection.sources import TiledCells

from .data_fixtures import isolated_cache, rich_adata, write_h5ad  # noqa: F401
from .range_server import RangeServer
from .remote_fixtures import downgrade_to_v1, downgrade_to_v2, downgrade_to_v3
from .test_selection import crossing_truth, perspective_camera, screen_truth

N, GENES, RAW_GENES, BASE, TILE = 5000, 300, 320, 200, 600


@pytest.fixture(scope="module")
def atlas():
    """An AnnData whose colouring column has a category of two cells, a layer, a graph, and a
    ``.raw`` with genes of its own (more than X's)."""
    adata = rich_adata(n=N, n_genes=GENES, seed=11)
    raw = sp.random(N, RAW_GENES, density=0.05, format="csr", dtype=np.float32,
                    random_state=np.random.default_rng(12)) * 10
    adata.raw = ad.AnnData(raw, obs=pd.DataFrame(index=adata.obs_names),
                           var=pd.DataFrame(index=[f"RAW{j:04d}" for j in range(RAW_GENES)]))
    adata.uns["log1p"] = {"base": 2.0}
    labels = adata.obs["cluster"].astype(str).to_numpy()
    labels[[17, 4000]] = "rare"
    adata.obs["cluster"] = pd.Categorical(labels, categories=["a", "b", "c", "rare"])
    adata.uns["cluster_colors"] = ["#ff0000", "#00ff00", "#0000ff", "#000000"]
    return adata


@pytest.fixture(scope="module")
def small_tiles():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tiled_writer, "LEVEL_BASE", BASE)
        patch.setattr(tiled_writer, "TILE_CELLS", TILE)
        yield


@pytest.fixture(scope="module")
def export(atlas, small_tiles, tmp_path_factory):
    return prepare(atlas, tmp_path_factory.mktemp("tiled") / "atlas.cellucid", progress=False,
                   layers=["counts"])


def test_the_manifest_and_every_value_read_back_in_obs_order(atlas, export):
    ds, expected = open_dataset(export), open_dataset(atlas)
    assert ds.manifest() == expected.manifest()
    for name in ds.embedding_names:
        info = ds.embedding_info(name)
        step = (np.asarray(info.max) - np.asarray(info.min)) / 65534
        assert (np.abs(ds.embedding(name) - expected.embedding(name)) <= step).all(), name
    for name in ds.obs_names:
        if ds.obs_field(name).values is not None:
            np.testing.assert_array_equal(ds.obs_values(name), expected.obs_values(name))
    dense = atlas.X.toarray()
    np.testing.assert_array_equal(ds.layer().store.columns(0, GENES).toarray(), dense)
    np.testing.assert_array_equal(ds.layer("counts").store.columns(250, 300).toarray(),
                                  2 * dense[:, 250:300])
    for j in (0, 255, 256, 299):
        np.testing.assert_array_equal(ds.gene_values(f"ENSG{j:05d}"), dense[:, j])
    raw = atlas.raw.X.toarray()
    assert ds.has_raw and ds.log1p_base == 2.0 and ds.layers == ["X", "counts"]
    assert list(ds.genes_of(RAW).names) == list(atlas.raw.var_names)
    np.testing.assert_array_equal(ds.layer(RAW).store.columns(0, RAW_GENES).toarray(), raw)
    np.testing.assert_array_equal(ds.gene_values("RAW0317", RAW), raw[:, 317])
    np.testing.assert_array_equal(ds.knn_cells(9, 3), expected.knn_cells(9, 3))


def test_the_stored_order_is_tiled_and_keeps_every_category(atlas, export):
    manifest = json.loads((export / "manifest.json").read_text())
    lod = manifest["lod"]
    assert manifest["version"] == 4 and lod["category_field"] == "cluster"
    assert manifest["raw"] == {"matrix": "genes/002", "var": "genes/raw_var.json"}
    assert manifest["log1p_base"] == 2.0
    assert lod["base"] == BASE and lod["tile_size"] == TILE and lod["embedding"] == "X_umap"
    order, rank = np.load(export / lod["order"]), np.load(export / lod["rank"])
    np.testing.assert_array_equal(np.sort(order), np.arange(N))
    np.testing.assert_array_equal(rank[order], np.arange(N))
    starts = np.asarray(lod["tiles"])
    assert starts[-1] == N and np.diff(starts).max() <= TILE and lod["n_tiles"] == len(starts) - 1
    first = order[:lod["level_starts"][1]]
    assert set(atlas.obs["cluster"].iloc[first]) == {"a", "b", "c", "rare"}
    assert lod["level_starts"][2] - lod["level_starts"][1] > 1.5 * BASE   # the next level doubles


def test_tiles_read_back_what_the_dataset_holds(atlas, export):
    ds = open_dataset(export)
    tiles = ds.lod
    n_tiles = tiles.tiles.n_tiles
    asked = [n_tiles - 1, 0, 1, 2, 5]
    rows = [tiles.rows(*tiles.tiles.cell_range(t)) for t in asked]
    for name in ("X_umap", "X_tsne_3d"):
        for got, r in zip(tiles.positions(name, asked), rows):
            np.testing.assert_array_equal(got, ds.embedding(name)[r])
        lo, hi = tiles.bounds(name)
        for t, got in zip(asked, tiles.positions(name, asked)):
            assert (got >= lo[t]).all() and (got <= hi[t]).all()
    for got, r in zip(tiles.obs_values("score", asked), rows):
        np.testing.assert_array_equal(got, ds.obs_values("score")[r])
    dense = atlas.X.toarray()
    for got, r in zip(tiles.gene_values("ENSG00007", asked), rows):
        np.testing.assert_array_equal(got, dense[r, 7])
    for got, r in zip(tiles.gene_values("ENSG00007", asked, layer="counts"), rows):
        np.testing.assert_array_equal(got, 2 * dense[r, 7])
    for layer, scale in ((None, 1), ("counts", 2)):   # the colour range over every cell
        column = scale * dense[:, 7]
        assert tiles.gene_extent("ENSG00007", layer) == (column.min(), column.max())
    raw = atlas.raw.X.toarray()
    for got, r in zip(tiles.gene_values("RAW0310", asked, layer=RAW), rows):
        np.testing.assert_array_equal(got, raw[r, 310])   # a gene that only .raw has
    mask = np.random.default_rng(0).random(N) < 0.3
    for got, r in zip(tiles.mask_values(mask, asked), rows):
        np.testing.assert_array_equal(got, mask[r])
    with pytest.raises(IndexError, match=f"tile {n_tiles} does not exist"):
        tiles.positions("X_umap", [n_tiles])
    with pytest.raises(KeyError, match="X_umap"):
        tiles.positions("X_umapp", [0])
    with pytest.raises(KeyError, match="gene"):
        tiles.gene_values("NOPE", [0])


def test_a_lasso_over_the_stored_tiles_is_exact(export):
    ds = open_dataset(export)
    selector = CellSelector(ds)
    assert isinstance(selector.cells("X_umap"), TiledCells)
    for name in ("X_umap", "X_pca"):   # tiles are spatial in the first only; exact in both
        for polygon in ([[-4, -4], [5, -3], [4, 5], [-3, 3]], [[-50, -50], [50, -50], [0, 50]]):
            np.testing.assert_array_equal(selector.lasso(name, polygon),
                                          crossing_truth(ds.embedding(name), polygon))
    m = perspective_camera([6, 4, 9], [0, 0, 0])
    polygon = [[380, 230], [520, 240], [500, 380], [390, 360]]   # about 3,000 of 5,000 cells
    np.testing.assert_array_equal(
        selector.screen_lasso("X_pca_3d", polygon, m, 900, 600),
        screen_truth(ds.embedding("X_pca_3d"), m, 900, 600, polygon))


@pytest.mark.parametrize("source", ["csc", "h5ad-chunks", "dask"])
def test_every_kind_of_matrix_is_written_the_same(atlas, export, source, small_tiles, tmp_path):
    adata = atlas.copy()
    if source == "csc":
        adata.X = sp.csc_matrix(adata.X)
        data = adata
    elif source == "h5ad-chunks":
        data = write_h5ad(adata, tmp_path / "in.h5ad")
    else:
        import dask.array as da
        adata.X = da.from_array(adata.X, chunks=(700, GENES), asarray=False)
        data = adata
    out = prepare(data, tmp_path / "out", progress=False, chunk_cells=777)
    ds = open_dataset(out)
    np.testing.assert_array_equal(ds.layer().store.columns(0, GENES).toarray(),
                                  atlas.X.toarray())
    np.testing.assert_array_equal(np.load(out / "lod/order.npy"), np.load(export / "lod/order.npy"))


def test_older_versions_still_open_and_a_newer_one_is_refused(atlas, export, tmp_path):
    dense, raw = atlas.X.toarray(), atlas.raw.X.toarray()
    expected = open_dataset(export)
    steps = [downgrade_to_v3, downgrade_to_v2, downgrade_to_v1]
    for version in (3, 2, 1):
        old = tmp_path / f"v{version}"
        shutil.copytree(export, old)
        for step in steps[:4 - version]:
            step(old)
        ds = open_dataset(old)
        assert json.loads((old / "manifest.json").read_text())["version"] == version
        assert ds.lod is None
        np.testing.assert_array_equal(ds.gene_values("ENSG00042"), dense[:, 42])
        np.testing.assert_array_equal(ds.embedding("X_umap"), expected.embedding("X_umap"))
        if version == 3:   # .raw and the log1p base, as cellucid wrote them before tiles
            assert ds.manifest() == expected.manifest() and ds.log1p_base == 2.0
            np.testing.assert_array_equal(ds.gene_values("RAW0310", RAW), raw[:, 310])
        else:
            assert ds.manifest() == {**expected.manifest(), "raw": None}
            assert not ds.has_raw and ds.log1p_base is None
    newer = tmp_path / "v5"
    shutil.copytree(export, newer)
    manifest = json.loads((newer / "manifest.json").read_text())
    (newer / "manifest.json").write_text(json.dumps({**manifest, "version": 3}))
    with pytest.raises(DatasetError, match="says format version 3 but has a level-of-detail"):
        open_dataset(newer)   # tiled files read as if in obs order would be wrong, not slow
    (newer / "manifest.json").write_text(json.dumps({**manifest, "version": 5}))
    with pytest.raises(DatasetError, match="newer cellucid .export format version 5.*upgrade"):
        open_dataset(newer)


def truncate(path, keep: float) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])


def test_a_truncated_or_missing_file_names_the_tile(export, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(export, broken)
    manifest = json.loads((broken / "manifest.json").read_text())
    umap = next(e for e in manifest["embeddings"] if e["name"] == "X_umap")
    truncate(broken / umap["file"], 0.6)
    ds = open_dataset(broken)
    tiles = ds.lod
    last = tiles.tiles.n_tiles - 1
    assert tiles.positions("X_umap", [0])[0].shape[1] == 2   # the coarse tiles are intact
    with pytest.raises(TileError, match=rf"tile \d+ \(level \d+, cells .*\) of embedding "
                                        rf"'X_umap' .*{umap['file']} is truncated.*prepare"):
        tiles.positions("X_umap", [last])
    with pytest.raises(DatasetError, match=f"{umap['file']}.*truncated"):
        ds.embedding("X_umap")
    np.testing.assert_array_equal(tiles.obs_values("score", [last])[0],
                                  ds.obs_values("score")[tiles.rows(*tiles.tiles.cell_range(last))])
    (broken / manifest["obs"][1]["file"]).unlink()
    with pytest.raises(DatasetError, match=f"cannot read {manifest['obs'][1]['file']}"):
        open_dataset(broken)


def test_tiles_over_http_are_one_range_per_run_and_a_truncated_one_is_named(export, tmp_path):
    site = tmp_path / "site"
    shutil.copytree(export, site / "atlas.cellucid")
    with RangeServer(site) as server:
        ds = open_dataset(f"{server.url}/atlas.cellucid")
        tiles = ds.lod
        local = open_dataset(export).lod
        tiles.bounds("X_umap")   # the boxes: read once
        tiles.positions("X_umap", [10])   # and the file's .npy header
        server.counters.reset()
        got = tiles.positions("X_umap", [0, 1, 2, 3, 7])
        for t, block in zip([0, 1, 2, 3, 7], got):
            np.testing.assert_array_equal(block, local.positions("X_umap", [t])[0])
        umap = "atlas.cellucid/" + next(e["file"] for e in ds.lod.manifest["embeddings"]
                                        if e["name"] == "X_umap")
        assert [p for p, _, _ in server.counters.log] == [umap, umap]   # tiles 0-3, then 7
        tiles.gene_values("ENSG00001", [0])   # the layer's columns.json, indptr, the tile index
        server.counters.reset()
        gene = tiles.gene_values("ENSG00003", [4, 5])
        np.testing.assert_array_equal(gene[1], local.gene_values("ENSG00003", [5])[0])
        reads = sorted(p.rsplit("/", 1)[1] for p, _, _ in server.counters.log)
        assert reads == ["block_00000.bin", "tiles.npy"]   # its tile offsets, then its values
        np.testing.assert_array_equal(tiles.gene_values("RAW0310", [4], layer=RAW)[0],
                                      local.gene_values("RAW0310", [4], layer=RAW)[0])
        np.testing.assert_array_equal(ds.gene_values("RAW0310", RAW),
                                      local.dataset.gene_values("RAW0310", RAW))
        truncate(site / umap, 0.5)
        fresh = open_dataset(f"{server.url}/atlas.cellucid")
        last = fresh.lod.tiles.n_tiles - 1
        with pytest.raises(TileError, match=rf"tile {last} \(level .* of embedding 'X_umap'"):
            fresh.lod.positions("X_umap", [last])


def test_the_category_column_can_be_chosen_and_must_be_categorical(atlas, tmp_path):
    out = prepare(atlas, tmp_path / "a", progress=False, keep_categories="batch")
    assert json.loads((out / "manifest.json").read_text())["lod"]["category_field"] == "batch"
    with pytest.raises(DatasetError, match="'score' is continuous"):
        prepare(atlas, tmp_path / "b", progress=False, keep_categories="score")
    with pytest.raises(KeyError, match="clusterr"):
        prepare(atlas, tmp_path / "c", progress=False, keep_categories="clusterr")
