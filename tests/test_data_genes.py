"""Genes: search, lookup by name or symbol, values from X or a layer, and the on-disk gene cache."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from cellucid.data import open_dataset
from cellucid.data.cache import cache_root
from cellucid.data.expression import column_reader
from cellucid.data.genes import GeneIndex

from .data_fixtures import isolated_cache, rich_adata, write_h5ad, write_zarr  # noqa: F401


def test_search_orders_exact_prefix_then_rest():
    index = GeneIndex(["XCD3", "CD3E", "CD3", "ACTB", "cd3d"])
    genes, total = index.search("cd3")
    assert [g["name"] for g in genes] == ["CD3", "CD3E", "cd3d", "XCD3"] and total == 4
    genes, total = index.search("CD3", limit=2)
    assert len(genes) == 2 and total == 4
    assert index.search("") == ([], 0)


def test_symbols_are_searched_and_resolved():
    ds = open_dataset(rich_adata(), gene_symbols="symbol")
    assert ds.manifest()["gene_symbols"] == "symbol"
    genes, total = ds.search_genes("sym12")
    assert genes[0] == {"name": "ENSG00012", "symbol": "Sym12"} and total == 1
    np.testing.assert_array_equal(ds.gene_values("Sym12"), ds.gene_values("ENSG00012"))
    assert ds.resolve_color_field("Sym12") == ("gene", "ENSG00012")
    assert ds.resolve_color_field("sym12") == ("gene", "ENSG00012")  # unique case-insensitive
    with pytest.raises(KeyError, match="Sym12"):
        ds.gene_values("Sym12x")


def test_unknown_symbol_column_and_layer():
    with pytest.raises(KeyError, match="symbol"):
        open_dataset(rich_adata(), gene_symbols="symbols")
    with pytest.raises(KeyError, match="counts"):
        open_dataset(rich_adata(), layer="count")
    ds = open_dataset(rich_adata(), layer="counts")
    assert ds.manifest()["layers"] == ["X", "counts"] and ds.default_layer == "counts"
    np.testing.assert_array_equal(ds.gene_values("ENSG00001"),
                                  ds.gene_values("ENSG00001", layer="X") * 2)
    with pytest.raises(KeyError, match="'counts'"):
        ds.gene_values("ENSG00001", layer="counst")


def test_resolve_prefers_obs_and_names_closest_of_both():
    adata = rich_adata()
    adata.obs["ENSG00001"] = 1.0
    ds = open_dataset(adata)
    assert ds.resolve_color_field("ENSG00001") == ("obs", "ENSG00001")
    with pytest.raises(KeyError) as info:
        ds.resolve_color_field("clusterr")
    assert "'cluster'" in str(info.value)
    with pytest.raises(KeyError) as info:
        ds.resolve_color_field("ENSG000O2")
    assert "closest: 'ENSG00002'" in str(info.value)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float32, st.tuples(st.integers(1, 30), st.integers(1, 8)),
              elements=st.sampled_from([0.0, 0.0, 1.0, 2.5, -3.0])))
def test_column_readers_agree_for_every_format(dense):
    for matrix in (dense, sp.csr_matrix(dense), sp.csc_matrix(dense), sp.coo_matrix(dense)):
        read = column_reader(matrix)
        for j in range(dense.shape[1]):
            got = read(j)
            assert got.dtype == np.float32 and got.shape == (dense.shape[0],)
            np.testing.assert_array_equal(got, dense[:, j])


@pytest.mark.parametrize("fmt", ["csr", "csc", None])
@pytest.mark.parametrize("store", ["h5ad", "zarr"])
def test_backed_matrices_read_every_gene(fmt, store, tmp_path):
    adata = rich_adata(n=120, n_genes=300, sparse=fmt)  # > one 256-gene block
    write = write_h5ad if store == "h5ad" else write_zarr
    ds = open_dataset(write(adata, tmp_path / f"d.{store}"))
    dense = adata.X.toarray() if fmt else adata.X
    for j in (0, 255, 256, 299):
        np.testing.assert_array_equal(ds.gene_values(f"ENSG{j:05d}"), dense[:, j])
    ds.close()


def _cache_dirs() -> list[str]:
    genes = cache_root() / "genes"
    return sorted(p.name for p in genes.iterdir() if not p.name.startswith(".")) \
        if genes.exists() else []


def test_gene_cache_is_built_once_reused_and_invalidated(tmp_path, isolated_cache, capsys):
    adata = rich_adata(n=80)
    path = write_h5ad(adata, tmp_path / "d.h5ad")
    assert cache_root() == isolated_cache
    ds = open_dataset(path)
    assert _cache_dirs() == []
    first = ds.gene_values("ENSG00003")
    assert "caching genes" in capsys.readouterr().err  # the progress bar
    built = _cache_dirs()
    assert len(built) == 1
    ds.close()

    again = open_dataset(path)  # a new session reuses the cache: no progress bar
    np.testing.assert_array_equal(again.gene_values("ENSG00003"), first)
    assert "caching genes" not in capsys.readouterr().err
    assert _cache_dirs() == built
    again.close()

    adata.X = adata.X * 3
    time.sleep(0.01)
    write_h5ad(adata, path)
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 10**9))
    changed = open_dataset(path)
    np.testing.assert_array_equal(changed.gene_values("ENSG00003"), first * 3)
    after = _cache_dirs()
    assert len(after) == 1 and after != built  # the stale cache was removed
    changed.close()


def test_damaged_cache_is_rebuilt(tmp_path, isolated_cache):
    path = write_h5ad(rich_adata(n=50), tmp_path / "d.h5ad")
    ds = open_dataset(path)
    expected = ds.gene_values("ENSG00002")
    (cache_root() / "genes" / _cache_dirs()[0] / "block_00000.bin").unlink()
    ds.close()
    ds = open_dataset(path)
    np.testing.assert_array_equal(ds.gene_values("ENSG00002"), expected)
    ds.close()


def test_concurrent_first_reads_build_the_cache_once(tmp_path, isolated_cache, capsys):
    from concurrent.futures import ThreadPoolExecutor
    adata = rich_adata(n=200)
    ds = open_dataset(write_h5ad(adata, tmp_path / "d.h5ad"))
    dense = adata.X.toarray()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda j: ds.gene_values(f"ENSG{j:05d}"), range(16)))
    for j, values in enumerate(results):
        np.testing.assert_array_equal(values, dense[:, j])
    assert capsys.readouterr().err.count("caching genes") >= 1
    assert len(_cache_dirs()) == 1
    ds.close()


@pytest.mark.filterwarnings("ignore")
def test_legacy_h5ad_falls_back_to_anndata(tmp_path):
    import h5py

    from cellucid.errors import DatasetError
    path = tmp_path / "old.h5ad"
    with h5py.File(path, "w") as f:  # anndata < 0.7 stored obs/var as compound datasets
        f["obs"] = np.zeros(3, dtype=[("index", "S5"), ("a", "f4")])
        f["var"] = np.zeros(2, dtype=[("index", "S5")])
        f["X"] = np.zeros((3, 2))
    with pytest.raises(DatasetError, match="obsm is empty"):
        open_dataset(path)


def test_cache_location_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("CELLUCID_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "cellucid"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_root() == tmp_path / "home" / ".cache" / "cellucid"
    monkeypatch.setenv("CELLUCID_CACHE_DIR", str(tmp_path / "mine"))
    assert cache_root() == tmp_path / "mine"
