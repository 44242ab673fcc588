"""An export served by a plain HTTP server on loopback: opened lazily, read by range, cached.

The server counts the bytes it sends, so each test says exactly what a look at the data costs.
"""

from __future__ import annotations

import httpx
import numpy as np
import pytest

import cellucid
from cellucid.data import open_dataset

from .data_fixtures import isolated_cache, rich_adata, write_zarr  # noqa: F401
from .range_server import RangeServer
from .remote_fixtures import atlas, export_bytes, exports, http  # noqa: F401

pytest.importorskip("fsspec")
pytest.importorskip("aiohttp")


def typed(response: httpx.Response) -> np.ndarray:
    assert response.status_code == 200, response.text
    shape = tuple(int(s) for s in response.headers["x-cellucid-shape"].split(","))
    return np.frombuffer(response.content, np.dtype(response.headers["x-cellucid-dtype"])
                         ).reshape(shape)


@pytest.fixture
def page_of(capsys):
    """``page_of(url)``: a viewer of ``url`` and an httpx client of its dataset API."""
    made = []

    def make(url: str, **options):
        viewer = cellucid.show_anndata(url, **options)
        capsys.readouterr()
        client = httpx.Client(base_url=viewer.server_url.rstrip("/") + "/_cellucid/data/",
                              params={"viewerId": viewer.viewer_id,
                                      "viewerToken": viewer.viewer_token}, timeout=60)
        made.append((viewer, client))
        return viewer, client
    yield make
    for viewer, client in made:
        client.close()
        viewer.stop()


def test_open_reads_the_manifest_and_gene_names_only(http):
    http.counters.reset()
    ds = open_dataset(f"{http.url}/atlas.cellucid")
    assert [path for path, _, _ in http.counters.log] == \
        ["atlas.cellucid/manifest.json", "atlas.cellucid/genes/var.json"]
    assert ds.kind == "export" and ds.n_cells == 4000 and ds.n_genes == 1200
    assert ds.path == f"{http.url}/atlas.cellucid"
    assert ds.manifest()["layers"] == ["X", "counts"]


def test_colour_by_a_gene_reads_one_range_and_then_the_cache(http, atlas, exports, page_of):
    total = export_bytes(exports / "atlas.cellucid")
    http.counters.reset()
    viewer, client = page_of(f"{http.url}/atlas.cellucid")
    manifest = client.get("manifest").json()
    coords = typed(client.get("embedding", params={"name": manifest["default_embedding"]}))
    step = np.ptp(atlas.obsm["X_umap"]) / 6e4   # uint16 quantization
    np.testing.assert_allclose(coords, atlas.obsm["X_umap"], atol=step)
    codes = typed(client.get("obs", params={"name": "cluster"}))
    np.testing.assert_array_equal(codes, atlas.obs["cluster"].cat.codes)
    before_gene = http.counters.bytes
    values = typed(client.get("gene", params={"name": "ENSG00700"}))
    np.testing.assert_array_equal(values, atlas.X[:, 700].toarray().ravel())
    gene_requests = [entry for entry in http.counters.log if "block_" in entry[0]]
    assert len(gene_requests) == 1 and gene_requests[0][1].startswith("bytes=")
    gene_bytes = http.counters.bytes - before_gene
    assert gene_bytes < 40_000   # columns.json + indptr + one gene's ~1,000 values
    # coordinates + obs + one gene: a small part of the export
    assert http.counters.bytes < total / 20, (http.counters.bytes, total)

    served = http.counters.bytes
    again = typed(client.get("gene", params={"name": "ENSG00700"}))
    np.testing.assert_array_equal(again, values)
    assert http.counters.bytes == served   # from the local cache: nothing new served
    # a second viewer of the same export (a new session) finds the gene in the disk cache too
    seen = len(http.counters.log)
    _, other = page_of(f"{http.url}/atlas.cellucid")
    np.testing.assert_array_equal(typed(other.get("gene", params={"name": "ENSG00700"})), values)
    # only the manifest is asked for again (it says which version of the export is there)
    assert [p for p, _, _ in http.counters.log[seen:]] == ["atlas.cellucid/manifest.json"]


def test_knn_reads_the_graph_once(http, atlas, page_of):
    _, client = page_of(f"{http.url}/atlas.cellucid")
    http.counters.reset()
    cells = typed(client.get("knn", params={"seed": 17, "hops": 2}))
    expected = open_dataset(atlas).knn_cells(17, 2)
    np.testing.assert_array_equal(cells, expected)
    assert sorted(p for p, _, _ in http.counters.log) == \
        ["atlas.cellucid/graph/indices.npy", "atlas.cellucid/graph/indptr.npy"]
    typed(client.get("knn", params={"seed": 18, "hops": 3}))
    assert http.counters.requests == 2


def test_layers_and_gene_blocks(http, atlas):
    ds = open_dataset(f"{http.url}/atlas.cellucid")
    dense = atlas.X.toarray()
    for j in (0, 255, 256, 511, 1199):
        np.testing.assert_array_equal(ds.gene_values(f"ENSG{j:05d}"), dense[:, j])
    np.testing.assert_array_equal(ds.gene_values("ENSG00003", layer="counts"), 2 * dense[:, 3])
    block = ds.layer().store.columns(250, 300)   # compare's block reads span block files
    np.testing.assert_array_equal(block.toarray(), dense[:, 250:300])


def test_version_1_exports_are_still_read(http, atlas, exports):
    dense = atlas.X.toarray()
    local = open_dataset(exports / "old.cellucid")
    remote = open_dataset(f"{http.url}/old.cellucid")
    for ds in (local, remote):
        for j in (3, 256, 1199):
            np.testing.assert_array_equal(ds.gene_values(f"ENSG{j:05d}"), dense[:, j])
        np.testing.assert_array_equal(ds.obs_values("cluster"), atlas.obs["cluster"].cat.codes)
    http.counters.reset()
    remote.gene_values("ENSG00900")
    reads = [(p, r) for p, r, _ in http.counters.log]
    # rows and values of a version-1 block are two .npy files: headers once, then two ranges
    assert {p for p, _ in reads} == {"old.cellucid/genes/000/block_00003.indices.npy",
                                     "old.cellucid/genes/000/block_00003.data.npy"}
    assert all(r is not None for _, r in reads)


def test_file_urls_open_the_local_directory(exports, atlas):
    ds = open_dataset((exports / "atlas.cellucid").as_uri())
    assert ds.path == str(exports / "atlas.cellucid")
    np.testing.assert_array_equal(ds.gene_values("ENSG00001"), atlas.X[:, 1].toarray().ravel())


def test_command_line_serves_a_url_and_prints_no_secret(tmp_path):
    import sys

    from .test_cli import Served, get_json

    cellucid.prepare(rich_adata(n=120), tmp_path / "x.cellucid", progress=False)
    with RangeServer(tmp_path, token="tok-in-the-url") as server:
        url = f"{server.url}/x.cellucid?token=tok-in-the-url"
        served = Served([sys.executable, "-m", "cellucid.cli", "serve", url, "--port", "0",
                         "--no-browser", "--color", "ENSG00002"],
                        env={"CELLUCID_CACHE_DIR": str(tmp_path / "cache")})
        try:
            viewer_url = served.url()
            line = served.line("cellucid: serving")
            assert f"serving {server.url}/x.cellucid (120 cells)" in line
            query = viewer_url.split("?", 1)[1]
            info = get_json(f"{viewer_url.split('?')[0]}_cellucid/info?{query}")
            assert info["n_cells"] == 120 and info["color"]["field"] == "ENSG00002"
            assert served.interrupt() == 0
        finally:
            served.kill()
        assert not any("tok-in-the-url" in line for line in served.seen)


def test_a_zarr_store_over_http(tmp_path):
    import warnings

    from cellucid.data.remote_zarr import SlowRemoteGenes

    adata = rich_adata(n=300, n_genes=50, sparse="csc")
    write_zarr(adata, tmp_path / "a.zarr")
    with RangeServer(tmp_path) as server:
        ds = open_dataset(f"{server.url}/a.zarr")
        assert ds.kind == "zarr" and ds.path == f"{server.url}/a.zarr"
        np.testing.assert_array_equal(ds.obs_values("cluster"), adata.obs["cluster"].cat.codes)
        with warnings.catch_warnings():
            warnings.simplefilter("error", SlowRemoteGenes)   # stored by gene: no warning
            np.testing.assert_array_equal(ds.gene_values("ENSG00005"),
                                          adata.X[:, 5].toarray().ravel())
        with pytest.warns(SlowRemoteGenes, match="layers/counts is stored by cell"):
            np.testing.assert_array_equal(ds.gene_values("ENSG00005", layer="counts"),
                                          2 * adata.X[:, 5].toarray().ravel())
