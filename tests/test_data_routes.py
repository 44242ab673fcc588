"""The dataset API through the real server: binary payloads, JSON, tokens and errors."""

from __future__ import annotations

import httpx
import numpy as np
import pytest

from cellucid.data import open_dataset
from cellucid.viewer import Viewer

from .data_fixtures import isolated_cache, rich_adata  # noqa: F401


@pytest.fixture(scope="module")
def served():
    adata = rich_adata()
    dataset = open_dataset(adata, gene_symbols="symbol")
    viewer = Viewer(dataset)
    client = httpx.Client(base_url=viewer.server_url.rstrip("/") + "/_cellucid/data/",
                          params={"viewerId": viewer.viewer_id,
                                  "viewerToken": viewer.viewer_token})
    yield adata, dataset, viewer, client
    client.close()
    viewer.stop()


def typed(response: httpx.Response) -> np.ndarray:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/octet-stream"
    shape = tuple(int(s) for s in response.headers["x-cellucid-shape"].split(","))
    dtype = np.dtype(response.headers["x-cellucid-dtype"]).newbyteorder("<")
    return np.frombuffer(response.content, dtype=dtype).reshape(shape)


def test_manifest(served):
    _, dataset, _, client = served
    body = client.get("manifest").json()
    assert body == {"status": "ok", **dataset.manifest()}


def test_per_cell_payloads(served):
    adata, dataset, _, client = served
    np.testing.assert_array_equal(typed(client.get("embedding", params={"name": "X_pca_3d"})),
                                  adata.obsm["X_pca"][:, :3])
    codes = typed(client.get("obs", params={"name": "cluster"}))
    assert codes.dtype == np.uint16
    np.testing.assert_array_equal(codes, adata.obs["cluster"].cat.codes)
    assert typed(client.get("obs", params={"name": "score"})).dtype == np.float32
    response = client.get("gene", params={"name": "Sym4"})
    values = typed(response)
    np.testing.assert_array_equal(values, adata.X[:, 4].toarray().ravel())
    assert float(response.headers["x-cellucid-max"]) == values.max()
    assert float(response.headers["x-cellucid-min"]) == values.min()
    counts = typed(client.get("gene", params={"name": "ENSG00004", "layer": "counts"}))
    np.testing.assert_array_equal(counts, 2 * values)


def test_search_knn_radius(served):
    _, dataset, _, client = served
    body = client.get("genes", params={"q": "sym1", "limit": 3}).json()
    assert body["status"] == "ok" and body["total"] == 11 and len(body["genes"]) == 3
    assert body["genes"][0] == {"name": "ENSG00001", "symbol": "Sym1"}
    response = client.get("knn", params={"seed": 5, "hops": 2})
    np.testing.assert_array_equal(typed(response), dataset.knn_cells(5, 2))
    assert int(response.headers["x-cellucid-hops-reached"]) == 2
    cells = typed(client.get("radius", params={"embedding": "X_umap", "x": 0.5, "y": -1,
                                               "r": 2.5}))
    np.testing.assert_array_equal(cells, dataset.radius_cells("X_umap", [0.5, -1], 2.5))
    assert cells.dtype == np.uint32


@pytest.mark.parametrize("path, params, status, text", [
    ("embedding", {"name": "X_uamp"}, 404, "closest: 'X_umap'"),
    ("embedding", {}, 400, "missing query parameter 'name'"),
    ("obs", {"name": "clustr"}, 404, "'cluster'"),
    ("obs", {"name": "barcode"}, 400, "identifier"),
    ("gene", {"name": "Sym4x"}, 404, "'Sym4'"),
    ("gene", {"name": "Sym4", "layer": "nope"}, 404, "unknown layer"),
    ("genes", {"limit": "many"}, 400, "integer"),
    ("knn", {"seed": 300, "hops": 1}, 400, "between 0 and 299"),
    ("knn", {"seed": 1, "hops": 51}, 400, "between 0 and 50"),
    ("knn", {"seed": "1e3", "hops": 1}, 400, "integer"),
    ("radius", {"embedding": "X_umap", "x": 0, "r": 1}, 400, "'y'"),
    ("radius", {"embedding": "X_umap", "x": "nan", "y": 0, "r": 1}, 400, "finite"),
    ("radius", {"embedding": "X_umap", "x": 0, "y": 0, "r": -1}, 400, "'r'"),
    ("radius", {"embedding": "X_umup", "x": 0, "y": 0, "r": 1}, 404, "X_umap"),
])
def test_bad_requests_are_4xx_json(served, path, params, status, text):
    response = served[3].get(path, params=params)
    assert response.status_code == status
    body = response.json()
    assert body["status"] == "error" and text in body["message"]


def test_token_is_checked_first(served):
    _, _, viewer, client = served
    for params in ({"viewerId": viewer.viewer_id, "viewerToken": "wrong"},
                   {"viewerId": viewer.viewer_id}):
        url = viewer.server_url.rstrip("/") + "/_cellucid/data/embedding"
        response = httpx.get(url, params={**params, "name": "nothing"})
        assert response.status_code == 403


def test_no_graph_is_404(tmp_path):
    import anndata as ad
    adata = ad.AnnData(np.zeros((5, 1), np.float32), obsm={"X_umap": np.zeros((5, 2))})
    viewer = Viewer(open_dataset(adata))
    try:
        response = httpx.get(viewer.server_url.rstrip("/") + "/_cellucid/data/knn",
                             params={"viewerId": viewer.viewer_id,
                                     "viewerToken": viewer.viewer_token, "seed": 0, "hops": 1})
        assert response.status_code == 404 and "sc.pp.neighbors" in response.json()["message"]
    finally:
        viewer.stop()


def test_backed_h5ad_through_show_anndata(tmp_path, capsys):
    import cellucid

    from .data_fixtures import write_h5ad
    adata = rich_adata(n=120)
    viewer = cellucid.show_anndata(write_h5ad(adata, tmp_path / "d.h5ad"), layer="counts",
                                   gene_symbols="symbol")
    capsys.readouterr()
    try:
        base = viewer.server_url.rstrip("/") + "/_cellucid/data/"
        auth = {"viewerId": viewer.viewer_id, "viewerToken": viewer.viewer_token}
        manifest = httpx.get(base + "manifest", params=auth).json()
        assert manifest["default_layer"] == "counts" and manifest["gene_symbols"] == "symbol"
        values = typed(httpx.get(base + "gene", params={**auth, "name": "Sym7"}))
        np.testing.assert_array_equal(values, 2 * adata.X[:, 7].toarray().ravel())
        assert viewer.dataset.kind == "h5ad"
    finally:
        viewer.stop()
