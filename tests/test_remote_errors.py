"""Remote data that cannot be read: each failure is a clear error naming the URL without secrets,
and a failing remote read of one viewer never takes the server down for another."""

from __future__ import annotations

import json
import os
import shutil
import sys

import httpx
import numpy as np
import pytest

import cellucid
from cellucid.data import open_dataset, prepare
from cellucid.data.remote_cache import DiskCache, max_cache_bytes
from cellucid.data.urls import is_url, redact, redact_url, scrub, secrets_of
from cellucid.errors import DatasetError

from .data_fixtures import isolated_cache, rich_adata  # noqa: F401
from .range_server import RangeServer
from .remote_fixtures import free_port

pytest.importorskip("fsspec")
pytest.importorskip("aiohttp")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A directory of exports (``good``, ``truncated``, ``future``) served over HTTP."""
    root = tmp_path_factory.mktemp("bad")
    adata = rich_adata(n=2000, n_genes=600, seed=9)
    prepare(adata, root / "good.cellucid", progress=False)
    for name in ("truncated", "future", "badobs"):
        shutil.copytree(root / "good.cellucid", root / f"{name}.cellucid")
    block = root / "truncated.cellucid" / "genes" / "000" / "block_00001.bin"
    block.write_bytes(block.read_bytes()[: block.stat().st_size // 2])
    manifest_path = root / "future.cellucid" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["version"] = 7
    manifest_path.write_text(json.dumps(manifest))
    obs = root / "badobs.cellucid" / "obs" / "0000.npy"
    obs.write_bytes(obs.read_bytes()[:200])
    with RangeServer(root) as server:
        yield server, adata


def test_unreachable_storage_names_the_url_without_secrets():
    url = f"http://alice:hunter22@127.0.0.1:{free_port()}/atlas.cellucid?token=s3cr3t-token"
    with pytest.raises(DatasetError) as failed:
        open_dataset(url)
    message = str(failed.value)
    assert "cannot reach" in message and "127.0.0.1" in message
    assert "hunter22" not in message and "s3cr3t-token" not in message and "alice" not in message


def test_missing_export_is_file_not_found(served):
    server, _ = served
    with pytest.raises(FileNotFoundError, match=f"nothing to show at {server.url}/nope.cellucid"):
        open_dataset(f"{server.url}/nope.cellucid")


def test_token_in_the_query_string(tmp_path):
    prepare(rich_adata(n=80), tmp_path / "x.cellucid", progress=False)
    with RangeServer(tmp_path, token="right-token-123") as server:
        ds = open_dataset(f"{server.url}/x.cellucid?token=right-token-123")
        assert ds.path == f"{server.url}/x.cellucid"   # the page and the log never see it
        ds.gene_values("ENSG00004")   # every file is asked for with the query
        with pytest.raises(PermissionError) as refused:
            open_dataset(f"{server.url}/x.cellucid?token=wrong-token-456")
        bearer = {"headers": {"Authorization": "Bearer right-token-123"}}
        open_dataset(f"{server.url}/x.cellucid", storage_options=bearer).embedding("X_umap")
        with pytest.raises(PermissionError) as refused_header:
            open_dataset(f"{server.url}/x.cellucid",
                         storage_options={"headers": {"Authorization": "Bearer nope-789"}})
    message = str(refused.value)
    assert f"{server.url}/x.cellucid/manifest.json" in message and "credentials" in message
    assert "wrong-token-456" not in message and "nope-789" not in str(refused_header.value)


def test_export_from_the_future_says_upgrade(served):
    server, _ = served
    with pytest.raises(DatasetError, match="written by a newer cellucid.*version 7.*upgrade"):
        open_dataset(f"{server.url}/future.cellucid")


def test_truncated_gene_object(served):
    server, adata = served
    ds = open_dataset(f"{server.url}/truncated.cellucid")
    np.testing.assert_array_equal(ds.gene_values("ENSG00003"), adata.X[:, 3].toarray().ravel())
    with pytest.raises(DatasetError, match="truncated.cellucid/genes/000/block_00001.bin is "
                                           "shorter than the export says"):
        ds.gene_values("ENSG00511")   # the last gene of the block: past the cut


def test_a_failing_remote_read_is_a_4xx_and_other_viewers_go_on(served, capsys):
    server, adata = served
    broken = cellucid.show_anndata(f"{server.url}/truncated.cellucid")
    damaged_obs = cellucid.show_anndata(f"{server.url}/badobs.cellucid")
    healthy = cellucid.show_anndata(f"{server.url}/good.cellucid")
    capsys.readouterr()

    def get(viewer, endpoint, **params):
        return httpx.get(f"{viewer.server_url.rstrip('/')}/_cellucid/data/{endpoint}",
                         params={"viewerId": viewer.viewer_id,
                                 "viewerToken": viewer.viewer_token, **params}, timeout=60)
    try:
        failed = get(broken, "gene", name="ENSG00511")
        assert failed.status_code == 400
        assert "shorter than the export says" in failed.json()["message"]
        obs = get(damaged_obs, "obs", name=damaged_obs.dataset.obs_names[0])
        assert obs.status_code == 400 and "corrupt" in obs.json()["message"]
        ok = get(healthy, "gene", name="ENSG00511")
        assert ok.status_code == 200
        np.testing.assert_array_equal(np.frombuffer(ok.content, np.float32),
                                      adata.X[:, 511].toarray().ravel())
        assert get(broken, "gene", name="ENSG00004").status_code == 200   # the rest still reads
    finally:
        for viewer in (broken, damaged_obs, healthy):
            viewer.stop()


def test_a_url_without_the_remote_extra_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "fsspec", None)   # `import fsspec` now fails
    with pytest.raises(ImportError, match=r"pip install 'cellucid\[remote\]'"):
        open_dataset("s3://bucket/atlas.cellucid")


def test_http_is_read_only_for_prepare():
    with pytest.raises(DatasetError, match="read-only"):
        prepare(rich_adata(n=30), "https://example.invalid/x.cellucid", progress=False)


def test_redaction():
    assert redact_url("https://u:p@host:1/a/b?X-Amz-Signature=abc#f") == "https://host:1/a/b"
    text = "403, message='Forbidden', url='http://bob:pw@127.0.0.1:9/x?token=t0ken'"
    assert redact(text) == "403, message='Forbidden', url='http://127.0.0.1:9/x'"
    secrets = secrets_of("https://bob:pa55word@h/x?sig=zzzz1",
                         {"key": "AKIAEXAMPLE", "client_kwargs": {"endpoint_url": "http://h"},
                          "headers": {"Authorization": "Bearer tok-tok"}})
    assert {"pa55word", "zzzz1", "AKIAEXAMPLE", "Bearer tok-tok"} <= set(secrets)
    assert "http://h" not in secrets
    assert scrub("key AKIAEXAMPLE refused", secrets) == "key *** refused"
    assert is_url("s3://b/x") and is_url("simplecache::s3://b/x") and is_url("file:///tmp/x")
    assert not is_url("C://data/x.h5ad") and not is_url("/tmp/x.h5ad") and not is_url(3)


def test_cache_cap_evicts_least_recently_used(tmp_path, monkeypatch):
    cache = DiskCache(tmp_path / "c", max_bytes=1000)
    for i in range(3):
        cache.put(f"k{i:02d}aa", bytes([i]) * 300)
        os.utime(cache._path(f"k{i:02d}aa"), ns=(i * 10**9, i * 10**9))
    assert cache.get("k00aa") is not None   # used just now: kept over newer files
    cache.put("k04aa", b"x" * 300)
    assert cache.total_bytes() <= 900
    assert cache.get("k01aa") is None   # the least recently used went
    assert all(cache.get(k) is not None for k in ("k00aa", "k02aa", "k04aa"))
    cache.put("huge", b"y" * 2000)   # larger than the cap: never kept
    assert cache.get("huge") is None
    monkeypatch.setenv("CELLUCID_CACHE_MAX_BYTES", "2G")
    assert max_cache_bytes() == 2 * 10**9
    monkeypatch.setenv("CELLUCID_CACHE_MAX_BYTES", "512MiB")
    assert max_cache_bytes() == 512 * 2**20
    monkeypatch.setenv("CELLUCID_CACHE_MAX_BYTES", "lots")
    with pytest.raises(ValueError, match="CELLUCID_CACHE_MAX_BYTES"):
        max_cache_bytes()


def test_cache_off_reads_again(tmp_path, monkeypatch):
    monkeypatch.setenv("CELLUCID_CACHE_MAX_BYTES", "0")
    prepare(rich_adata(n=80), tmp_path / "x.cellucid", progress=False)
    with RangeServer(tmp_path) as server:
        ds = open_dataset(f"{server.url}/x.cellucid")
        ds.gene_values("ENSG00002")
        served = server.counters.bytes
        ds.gene_values("ENSG00002")
        assert server.counters.bytes > served


def test_a_manifest_cannot_name_files_outside_the_export(tmp_path):
    prepare(rich_adata(n=40), tmp_path / "x.cellucid", progress=False)
    manifest_path = tmp_path / "x.cellucid" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["obs"][0]["file"] = "../secret.npy"
    manifest_path.write_text(json.dumps(manifest))
    (tmp_path / "secret.npy").write_bytes(b"not for you")
    with RangeServer(tmp_path) as server:
        ds = open_dataset(f"{server.url}/x.cellucid")
        with pytest.raises(DatasetError, match="names a file outside itself"):
            ds.obs_values(manifest["obs"][0]["name"])
        assert not [p for p, _, _ in server.counters.log if "secret" in p]
