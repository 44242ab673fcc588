"""Real data: scanpy's bundled pbmc68k_reduced (700 cells), as a user would open it."""

from __future__ import annotations

import numpy as np
import pytest

from cellucid.data import open_dataset

from .data_fixtures import isolated_cache  # noqa: F401

sc = pytest.importorskip("scanpy")


@pytest.fixture(scope="module")
def pbmc():
    return sc.datasets.pbmc68k_reduced()


@pytest.mark.parametrize("as_file", [False, True])
def test_pbmc68k_opens_with_its_embeddings_colours_and_genes(pbmc, as_file, tmp_path):
    source = pbmc
    if as_file:
        source = str(tmp_path / "pbmc.h5ad")
        pbmc.write_h5ad(source)
    ds = open_dataset(source)
    manifest = ds.manifest()
    assert ds.n_cells == 700 and ds.n_genes == pbmc.n_vars
    assert ds.default_embedding == "X_umap"
    dims = {e["name"]: e["dims"] for e in manifest["embeddings"]}
    assert dims["X_umap"] == 2 and dims["X_pca"] == 2 and dims["X_pca_3d"] == 3
    np.testing.assert_allclose(ds.embedding("X_pca_3d"), pbmc.obsm["X_pca"][:, :3], rtol=1e-6)
    obs = {f["name"]: f for f in manifest["obs"]}
    for key in ("louvain", "bulk_labels"):
        assert obs[key]["kind"] == "categorical"
        assert obs[key]["categories"] == list(pbmc.obs[key].cat.categories)
        assert obs[key]["colors"] == [c.lower() for c in pbmc.uns[f"{key}_colors"]]
        assert sum(obs[key]["counts"]) == 700
        np.testing.assert_array_equal(ds.obs_values(key), pbmc.obs[key].cat.codes)
    for key in ("n_genes", "percent_mito"):
        assert obs[key]["kind"] == "continuous"
        values = ds.obs_values(key)
        assert values.dtype == np.float32
        np.testing.assert_allclose(values, pbmc.obs[key].to_numpy(), rtol=1e-6)
    assert manifest["has_graph"]
    np.testing.assert_allclose(ds.gene_values("CD79A"), pbmc[:, "CD79A"].X.ravel(), rtol=1e-6)
    genes, total = ds.search_genes("CD79")
    assert sorted(g["name"] for g in genes) == ["CD79A", "CD79B"] and total == 2
    assert ds.resolve_color_field("louvain") == ("obs", "louvain")
    assert ds.resolve_color_field("CD79A") == ("gene", "CD79A")
    with pytest.raises(KeyError, match="'louvain'"):
        ds.resolve_color_field("louvian")
    with pytest.raises(KeyError, match="'CD79A'"):
        ds.resolve_color_field("CD79X")
    cells = ds.knn_cells(0, 1)
    row = pbmc.obsp["connectivities"][0]
    assert set(cells.tolist()) == {0, *row.indices.tolist()}
    ds.close()


def test_set_color_by_agrees_with_the_manifest(pbmc):
    from cellucid.viewer import Viewer
    viewer = Viewer(open_dataset(pbmc))
    try:
        manifest = viewer.dataset.manifest()
        for field in manifest["obs"]:
            if field["kind"] != "uncolorable":
                viewer.set_color_by(field["name"])  # no page yet: queued, returns at once
        for gene in list(pbmc.var_names[:20]):
            viewer.set_color_by(gene)
        kinds = [c["kind"] for c in viewer.pending_commands if c["type"] == "setColorBy"]
        assert kinds.count("obs") == len([f for f in manifest["obs"]
                                          if f["kind"] != "uncolorable"])
        assert kinds.count("gene") == 20
        with pytest.raises(KeyError, match="closest: 'louvain'"):
            viewer.set_color_by("louvian")
        with pytest.raises(KeyError, match="'CD79A'"):
            viewer.set_color_by("CD79AA")
    finally:
        viewer.stop()
