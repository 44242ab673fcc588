"""open_dataset over every input kind, and its errors."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import anndata as ad
import h5py
import numpy as np
import pytest

from cellucid.data import open_dataset, prepare
from cellucid.errors import DatasetError

from .data_fixtures import isolated_cache, rich_adata, write_h5ad, write_zarr  # noqa: F401

KINDS = ["anndata", "backed", "h5ad", "zarr", "zarr3", "export"]


@pytest.fixture(scope="module")
def reference():
    return rich_adata()


def open_kind(kind: str, adata, tmp_path: Path, **options):
    if kind == "anndata":
        return open_dataset(adata, **options)
    if kind == "backed":
        return open_dataset(ad.read_h5ad(write_h5ad(adata, tmp_path / "b.h5ad"), backed="r"),
                            **options)
    if kind == "h5ad":
        return open_dataset(write_h5ad(adata, tmp_path / "d.h5ad"), **options)
    if kind == "zarr":
        return open_dataset(write_zarr(adata, tmp_path / "d.zarr"), **options)
    if kind == "zarr3":
        with ad.settings.override(zarr_write_format=3):
            return open_dataset(write_zarr(adata, tmp_path / "d3.zarr"), **options)
    prepare(adata, tmp_path / "export", progress=False, layers="all")
    return open_dataset(tmp_path / "export", **options)


@pytest.mark.parametrize("kind", KINDS)
def test_every_input_kind_serves_the_same_data(kind, reference, tmp_path):
    expected = open_dataset(reference)
    ds = open_kind(kind, reference, tmp_path)
    try:
        assert ds.n_cells == 300 and ds.n_genes == 40
        assert ds.default_embedding == "X_umap"
        manifest = ds.manifest()
        assert manifest == expected.manifest()
        json.dumps(manifest)  # JSON-ready
        names = [e["name"] for e in manifest["embeddings"]]
        assert set(names) == {"X_umap", "X_pca", "X_pca_3d", "X_tsne_3d", "X_line"}
        tolerance = 1e-3 if kind == "export" else 0
        for name in names:
            got = ds.embedding(name)
            assert got.dtype == np.float32 and got.flags["C_CONTIGUOUS"]
            np.testing.assert_allclose(got, expected.embedding(name), atol=tolerance)
        for field in manifest["obs"]:
            if field["kind"] != "uncolorable":
                np.testing.assert_array_equal(ds.obs_values(field["name"]),
                                              expected.obs_values(field["name"]))
        dense = reference.X.toarray()
        for j in (0, 7, 39):
            np.testing.assert_array_equal(ds.gene_values(f"ENSG{j:05d}"), dense[:, j])
        np.testing.assert_array_equal(ds.gene_values("ENSG00003", layer="counts"),
                                      2 * dense[:, 3])
        np.testing.assert_array_equal(ds.knn_cells(5, 2), expected.knn_cells(5, 2))
        np.testing.assert_array_equal(ds.radius_cells("X_umap", [0, 0], 2.0),
                                      expected.radius_cells("X_umap", [0, 0], 2.0))
    finally:
        ds.close()


@pytest.mark.parametrize("kind", ["anndata", "h5ad", "export"])
def test_embedding_option_and_adata(kind, reference, tmp_path):
    ds = open_kind(kind, reference, tmp_path, embedding="X_pca_3d")
    assert ds.default_embedding == "X_pca_3d"
    if kind == "export":
        assert ds.adata is None
    else:
        assert ds.adata.n_obs == 300
        if kind == "h5ad":
            assert ds.adata.isbacked
    ds.close()


def test_h5ad_keeps_x_on_disk(reference, tmp_path):
    ds = open_dataset(write_h5ad(reference, tmp_path / "d.h5ad"))
    assert ds._adata is None  # no AnnData (nor its X) loaded until asked for
    assert ds.kind == "h5ad"
    ds.close()


def test_unknown_embedding_names_closest(reference):
    with pytest.raises(KeyError, match="X_umap"):
        open_dataset(reference, embedding="X_umpa")


def test_missing_path_says_what_was_looked_for(tmp_path):
    missing = tmp_path / "nothere.h5ad"
    with pytest.raises(FileNotFoundError, match="nothere.h5ad") as info:
        open_dataset(missing)
    assert ".h5ad" in str(info.value) and "export" in str(info.value)


def test_text_file_is_not_anndata(tmp_path):
    path = tmp_path / "cells.h5ad"
    path.write_text("barcode,cluster\nAAAC,1\n")
    with pytest.raises(DatasetError, match="not an AnnData"):
        open_dataset(path)


def test_hdf5_without_anndata_groups(tmp_path):
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as f:
        f["matrix"] = np.zeros((3, 3))
    with pytest.raises(DatasetError, match="not an AnnData file.*found: matrix"):
        open_dataset(path)


def test_plain_directory_is_rejected(tmp_path):
    (tmp_path / "notes.txt").write_text("hi")
    with pytest.raises(DatasetError, match="neither a cellucid export"):
        open_dataset(tmp_path)


def test_wrong_object_type():
    with pytest.raises(DatasetError, match="cannot show a dict"):
        open_dataset({"X": 1})


@pytest.mark.parametrize("kind", ["anndata", "h5ad"])
def test_no_usable_embedding_lists_obsm_keys(kind, tmp_path):
    adata = ad.AnnData(np.zeros((5, 2), np.float32))
    adata.obsm["X_sparse"] = __import__("scipy.sparse").sparse.csr_matrix(np.ones((5, 2)))
    adata.obsm["labels"] = np.array([["a"], ["b"], ["c"], ["d"], ["e"]])
    source = adata if kind == "anndata" else write_h5ad(adata, tmp_path / "e.h5ad")
    with pytest.raises(DatasetError) as info:
        open_dataset(source)
    message = str(info.value)
    assert "'X_sparse'" in message and "'labels'" in message
    assert 'adata.obsm["X_umap"]' in message and "sc.tl.umap" in message
    assert isinstance(info.value, ValueError)


def test_empty_obsm_says_how_to_add_one():
    with pytest.raises(DatasetError, match="obsm is empty.*X_umap"):
        open_dataset(ad.AnnData(np.zeros((4, 2), np.float32)))


def test_nan_rows_warn_once_and_keep_indices():
    adata = rich_adata(n=50)
    adata.obsm["X_umap"][[3, 7]] = np.nan
    adata.obsm["X_umap"][9, 1] = np.inf
    adata.obsm["X_pca"][3, 0] = np.nan
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = open_dataset(adata)
    relevant = [w for w in caught if "NaN or infinite" in str(w.message)]
    assert len(relevant) == 1
    assert "3 cells in 'X_umap'" in str(relevant[0].message)
    coords = ds.embedding("X_umap")
    assert coords.shape == (50, 2)
    assert np.isnan(coords[[3, 7, 9]]).all() and np.isfinite(np.delete(coords, [3, 7, 9], 0)).all()
    info = {e["name"]: e for e in ds.manifest()["embeddings"]}
    assert info["X_umap"]["n_invalid"] == 3 and np.isfinite(info["X_umap"]["min"]).all()
    assert 3 not in ds.radius_cells("X_umap", [0, 0], 1e6)
    assert np.isfinite(adata.obsm["X_umap"][9, 0])  # the user's array is untouched


def _prepared(tmp_path) -> Path:
    out = tmp_path / "export"
    prepare(rich_adata(n=60), out, progress=False)
    return out


def test_corrupt_export_missing_file(tmp_path):
    out = _prepared(tmp_path)
    (out / "embeddings" / "000.npy").unlink()
    with pytest.raises(DatasetError, match="corrupt cellucid export.*embeddings/000.npy.*prepare"):
        open_dataset(out)


def test_corrupt_export_bad_manifest(tmp_path):
    out = _prepared(tmp_path)
    (out / "manifest.json").write_text("{not json")
    with pytest.raises(DatasetError, match="corrupt cellucid export.*manifest.json"):
        open_dataset(out)


def test_corrupt_export_truncated_array(tmp_path):
    out = _prepared(tmp_path)
    np.save(out / "obs" / "0001.npy", np.zeros(3, np.float32))
    with pytest.raises(DatasetError, match="corrupt.*obs/0001.npy.*expected \\(60,\\)"):
        open_dataset(out)


def test_corrupt_export_missing_gene_store(tmp_path):
    out = _prepared(tmp_path)
    (out / "genes" / "000" / "indptr.npy").unlink()
    with pytest.raises(DatasetError, match="corrupt.*layer X"):
        open_dataset(out)


def test_corrupt_export_missing_manifest_key(tmp_path):
    out = _prepared(tmp_path)
    manifest = json.loads((out / "manifest.json").read_text())
    del manifest["layers"]
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DatasetError, match="corrupt.*incomplete"):
        open_dataset(out)


def test_export_of_another_version(tmp_path):
    out = _prepared(tmp_path)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["version"] = 99
    (out / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DatasetError, match="version 99"):
        open_dataset(out)


@pytest.mark.parametrize("kind", ["anndata", "h5ad"])
def test_one_dimensional_and_dataframe_obsm(kind, tmp_path):
    import pandas as pd
    adata = ad.AnnData(np.zeros((4, 1), np.float32))
    adata.obsm["pseudotime"] = np.array([0.0, 1, 2, np.inf])
    adata.obsm["spatial"] = pd.DataFrame({"x": [1, 2, 3, 4.0], "y": [0, 0, 1, 1]},
                                         index=adata.obs_names)
    source = adata if kind == "anndata" else write_h5ad(adata, tmp_path / "p.h5ad")
    with pytest.warns(UserWarning, match="1 cells in 'pseudotime'"):
        ds = open_dataset(source)
    assert ds.embedding_names == ["pseudotime", "spatial"]
    assert ds.default_embedding == "pseudotime"  # no UMAP: the first
    np.testing.assert_array_equal(ds.embedding("pseudotime").ravel(), [0, 1, 2, np.nan])
    np.testing.assert_array_equal(ds.embedding("spatial"), [[1, 0], [2, 0], [3, 1], [4, 1]])


def test_cell_names_come_from_the_obs_index_alone(tmp_path):
    adata = rich_adata(n=50)
    for path in (write_h5ad(adata, tmp_path / "a.h5ad"), write_zarr(adata, tmp_path / "a.zarr")):
        ds = open_dataset(path)
        assert list(ds.cell_names) == list(adata.obs_names)
        assert ds._adata is None   # the AnnData itself was not opened
    live = open_dataset(adata)
    adata.obs_names = [f"renamed{i}" for i in range(50)]
    assert live.cell_names[3] == "renamed3"
    prepare(adata, tmp_path / "export", progress=False)
    assert open_dataset(tmp_path / "export").cell_names is None
