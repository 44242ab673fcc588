"""A dataset over an in-memory AnnData follows the user's edits: names, values, versions, revision."""

from __future__ import annotations

import threading
import time

import anndata as ad
import numpy as np
import pandas as pd
import pytest

from cellucid.data import open_dataset, prepare
from cellucid.data.names import UnknownName
from cellucid.data.obs import MISSING_CODE

from .data_fixtures import isolated_cache, rich_adata, write_h5ad, write_zarr  # noqa: F401


def obs_entry(ds, name: str) -> dict:
    return next(e for e in ds.manifest()["obs"] if e["name"] == name)


def embedding_entry(ds, name: str) -> dict:
    return next(e for e in ds.manifest()["embeddings"] if e["name"] == name)


def address(series: pd.Series) -> int:
    return series.to_numpy().__array_interface__["data"][0]


def test_manifest_entries_carry_version_title_source_and_revision():
    ds = open_dataset(rich_adata())
    manifest = ds.manifest()
    assert ds.live and manifest["revision"] == ds.revision == 1
    for entry in manifest["obs"]:
        assert (entry["version"], entry["title"], entry["source"]) == (1, entry["name"], "obs")
    for entry in manifest["embeddings"]:
        assert (entry["version"], entry["title"]) == (1, entry["name"])
    assert embedding_entry(ds, "X_pca_3d")["source"] == "X_pca"


def test_unchanged_data_keeps_the_revision_and_the_manifest():
    ds = open_dataset(rich_adata())
    first = ds.manifest()
    assert ds.manifest() is first and ds.revision == 1
    ds.obs_values("score"), ds.embedding("X_umap"), ds.obs_names, ds.embedding_names
    assert ds.manifest() is first and ds.revision == 1


def test_categorical_added_after_open_is_listed_and_colourable():
    adata = rich_adata()
    ds = open_dataset(adata)
    ds.manifest()
    adata.obs["leiden_sub"] = pd.Categorical(["x", "y", None] * 100, categories=["y", "x", "z"])
    assert ds.revision == 2
    entry = obs_entry(ds, "leiden_sub")
    assert entry["kind"] == "categorical" and entry["version"] == 1 and entry["source"] == "obs"
    assert entry["categories"] == ["y", "x", "z"] and entry["counts"] == [100, 100, 0]
    assert entry["n_missing"] == 100 and entry["colors"] is None
    assert ds.manifest()["obs"][-1] is entry  # in column order: last
    assert ds.resolve_color_field("leiden_sub") == ("obs", "leiden_sub")
    np.testing.assert_array_equal(ds.obs_values("leiden_sub")[:3], [1, 0, MISSING_CODE])
    assert "leiden_sub" in ds.obs_names and ds.obs_field("leiden_sub").kind == "categorical"


def test_reassigned_numeric_column_gets_a_new_version_and_values():
    adata = rich_adata()
    ds = open_dataset(adata)
    revision = ds.manifest()["revision"]
    adata.obs["score"] = np.arange(300.0)
    entry = obs_entry(ds, "score")
    assert entry["version"] == 2 and (entry["min"], entry["max"]) == (0.0, 299.0)
    assert ds.manifest()["revision"] == revision + 1
    np.testing.assert_array_equal(ds.obs_values("score"), np.arange(300, dtype=np.float32))
    assert ds.obs_entry("score")[1] == 2
    adata.obs["score"] = np.arange(300.0)  # a new buffer holding the same values: no new version
    assert obs_entry(ds, "score")["version"] == 2 and ds.revision == revision + 1


def test_in_place_edit_is_caught_by_the_content_check():
    adata = rich_adata()
    ds = open_dataset(adata)
    ds.manifest()
    before = address(adata.obs["score"])
    adata.obs.loc[adata.obs.index[:10], "score"] = 5.0
    if address(adata.obs["score"]) == before:
        # the same buffer: the cheap fingerprint of the manifest cannot see the edit (documented)
        assert ds.revision == 1 and obs_entry(ds, "score")["version"] == 1
    assert ds.check_column("score") == 2
    assert ds.revision == 2 and obs_entry(ds, "score")["version"] == 2
    assert (ds.obs_values("score")[:10] == 5).all()
    assert ds.check_column("score") == 2 and ds.revision == 2  # nothing new: nothing bumped
    # a categorical's codes edited in place
    adata.obs.loc[adata.obs.index[:50], "cluster"] = "a"
    assert ds.check_column("cluster") == 2
    assert obs_entry(ds, "cluster")["counts"][0] == int((adata.obs["cluster"] == "a").sum())
    assert ds.check_column("flag") == 1


def test_uns_colours_added_or_changed_after_open():
    adata = rich_adata()
    ds = open_dataset(adata)
    assert obs_entry(ds, "batch")["colors"] is None
    adata.uns["batch_colors"] = ["#112233", "#445566"]
    entry = obs_entry(ds, "batch")
    assert entry["colors"] == ["#112233", "#445566"] and entry["version"] == 2
    assert ds.revision == 2
    adata.uns["batch_colors"][1] = "#abcdef"  # the same list, edited
    assert obs_entry(ds, "batch")["colors"] == ["#112233", "#abcdef"]
    assert ds.revision == 3
    adata.uns["cluster_colors"] = ["#000000", "#111111", "#222222"]
    assert obs_entry(ds, "cluster")["colors"] == ["#000000", "#111111", "#222222"]


def test_obsm_entries_added_after_open_are_drawable():
    adata = rich_adata()
    ds = open_dataset(adata)
    ds.manifest()
    rng = np.random.default_rng(1)
    new = rng.normal(size=(300, 2))
    wide = rng.normal(size=(300, 8))
    adata.obsm["X_new"] = new
    adata.obsm["X_wide"] = wide
    names = ds.embedding_names
    assert {"X_new", "X_wide", "X_wide_3d"} <= set(names) and ds.revision == 2
    np.testing.assert_array_equal(ds.embedding("X_new"), new.astype(np.float32))
    np.testing.assert_array_equal(ds.embedding("X_wide_3d"), wide[:, :3].astype(np.float32))
    assert ds.embedding_info("X_wide").dims == 2 and ds.embedding_info("X_wide_3d").dims == 3
    entry = embedding_entry(ds, "X_wide_3d")
    assert (entry["source"], entry["version"], entry["title"]) == ("X_wide", 1, "X_wide_3d")
    expected = np.flatnonzero(np.linalg.norm(new - new[7], axis=1) <= 0.4)
    np.testing.assert_array_equal(ds.radius_cells("X_new", new[7], 0.4), expected)
    near = np.flatnonzero(np.linalg.norm(wide[:, :3] - wide[3, :3], axis=1) <= 0.8)
    np.testing.assert_array_equal(ds.radius_cells("X_wide_3d", wide[3, :3], 0.8), near)


def test_changed_embedding_is_served_and_searched_with_its_new_coordinates():
    adata = rich_adata()
    ds = open_dataset(adata)
    ds.radius_cells("X_umap", [0, 0], 1.0)  # builds the index of the old coordinates
    moved = adata.obsm["X_umap"] + 100
    adata.obsm["X_umap"] = moved
    assert embedding_entry(ds, "X_umap")["version"] == 2
    np.testing.assert_array_equal(ds.embedding("X_umap"), moved)
    assert ds.radius_cells("X_umap", [0, 0], 1.0).size == 0
    expected = np.flatnonzero(np.linalg.norm(moved - moved[5], axis=1) <= 1.0)
    np.testing.assert_array_equal(ds.radius_cells("X_umap", moved[5], 1.0), expected)
    assert ds.spatial_index("X_umap").coords is ds.embedding("X_umap")


def test_in_place_obsm_edit_is_caught_by_the_embedding_check():
    adata = rich_adata()
    ds = open_dataset(adata)
    adata.obsm["X_umap"][:5] = 42.0
    assert ds.check_embedding("X_umap") == 2
    assert (ds.embedding("X_umap")[:5] == 42).all() and ds.revision == 2


def test_removed_names_disappear_and_are_unknown():
    adata = rich_adata()
    ds = open_dataset(adata)
    ds.manifest()
    del adata.obs["score"]
    assert "score" not in [e["name"] for e in ds.manifest()["obs"]] and ds.revision == 2
    for read in (ds.obs_values, ds.obs_field, ds.check_column):
        with pytest.raises(UnknownName, match="unknown obs column 'score'"):
            read("score")
    with pytest.raises(KeyError):
        ds.resolve_color_field("score")
    del adata.obsm["X_pca"]
    names = [e["name"] for e in ds.manifest()["embeddings"]]
    assert "X_pca" not in names and "X_pca_3d" not in names and ds.revision == 3
    with pytest.raises(UnknownName):
        ds.radius_cells("X_pca_3d", [0, 0, 0], 1)
    adata.obs["score"] = np.ones(300)  # back again: a version it never had
    assert obs_entry(ds, "score")["version"] == 2 and ds.revision == 4


def test_default_embedding_kept_while_it_exists():
    adata = rich_adata()
    ds = open_dataset(adata, embedding="X_tsne_3d")
    adata.obsm["X_umap"] = adata.obsm["X_umap"] * 2
    assert ds.default_embedding == "X_tsne_3d"
    del adata.obsm["X_tsne_3d"]
    assert ds.default_embedding == "X_umap" == ds.manifest()["default_embedding"]


def test_extension_dtypes_are_followed():
    adata = rich_adata()
    adata.obs["nullable"] = pd.array([1, None, 3] * 100, dtype="Int64")
    adata.obs["text"] = pd.array(["u", "v", None] * 100, dtype="string")
    ds = open_dataset(adata)
    ds.manifest()
    adata.obs.loc[adata.obs.index[:3], "nullable"] = 7
    adata.obs.loc[adata.obs.index[:3], "text"] = "w"
    assert ds.check_column("nullable") == 2 and obs_entry(ds, "nullable")["max"] == 7.0
    assert ds.check_column("text") == 2 and "w" in obs_entry(ds, "text")["categories"]


def test_concurrent_edits_give_unknown_names_never_other_errors():
    rng = np.random.default_rng(2)
    adata = rich_adata()
    ds = open_dataset(adata)
    stop = time.monotonic() + 1.0
    failures: list[BaseException] = []

    def edit():
        i = 0
        while time.monotonic() < stop:
            i += 1
            adata.obs[f"x{i % 5}"] = rng.random(300)
            if f"x{(i + 2) % 5}" in adata.obs:
                del adata.obs[f"x{(i + 2) % 5}"]
            adata.obsm[f"E{i % 3}"] = rng.normal(size=(300, 2))
            if i % 4 == 0 and "E1" in adata.obsm:
                del adata.obsm["E1"]

    def read():
        while time.monotonic() < stop:
            manifest = ds.manifest()
            for entry in manifest["obs"] + manifest["embeddings"]:
                try:
                    if "dims" in entry:
                        ds.radius_cells(entry["name"], [0.0] * entry["dims"], 0.5)
                    elif entry["kind"] != "uncolorable":
                        ds.obs_values(entry["name"])
                except UnknownName:
                    pass
                except BaseException as exc:  # noqa: BLE001 — collected for the assertion
                    failures.append(exc)

    threads = [threading.Thread(target=edit)] + [threading.Thread(target=read) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures[:3]
    assert ds.revision > 1


@pytest.mark.parametrize("kind", ["backed", "h5ad", "zarr", "export"])
def test_file_datasets_are_static(kind, tmp_path):
    adata = rich_adata()
    if kind == "backed":
        ds = open_dataset(ad.read_h5ad(write_h5ad(adata, tmp_path / "b.h5ad"), backed="r"))
    elif kind == "h5ad":
        ds = open_dataset(write_h5ad(adata, tmp_path / "d.h5ad"))
    elif kind == "zarr":
        ds = open_dataset(write_zarr(adata, tmp_path / "d.zarr"))
    else:
        ds = open_dataset(prepare(adata, tmp_path / "export", progress=False))
    manifest = ds.manifest()
    assert not ds.live and manifest["revision"] == ds.revision == 1
    assert {e["version"] for e in manifest["obs"] + manifest["embeddings"]} == {1}
    assert all(e["title"] == e["name"] and e["source"] == "obs" for e in manifest["obs"])
    assert ds.check_column("score") == 1 and ds.check_embedding("X_umap") == 1
    if kind == "backed":
        ds.adata.obs["later"] = 1.0  # a backed AnnData is read once, at open
        assert "later" not in ds.obs_names and ds.manifest()["revision"] == 1
