"""Fixtures of the remote tests: exports served over loopback HTTP and an S3 API (moto).

Nothing leaves the machine: the HTTP server (`tests.range_server.RangeServer`) and moto's server
listen on 127.0.0.1 at free ports.
"""

from __future__ import annotations

import json
import logging
import shutil
import socket
from pathlib import Path

import numpy as np
import pytest

from cellucid.data import prepare
from cellucid.data.colstore import ColumnStore

from .data_fixtures import rich_adata
from .range_server import RangeServer

BUCKET = "cellucid-test"
REGION = "us-east-1"


def export_bytes(path: Path) -> int:
    """Total size of the files of an export directory."""
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def downgrade_to_v3(export: Path) -> None:
    """Rewrite a version-4 (tiled) export in place as version 3, the layout cellucid wrote
    before tiles: every per-cell file in obs order, genes (``.raw`` too) by obs row, no ``lod/``."""
    from cellucid.data.chunks import MatrixChunks
    from cellucid.data.colstore import write_column_store
    from cellucid.data.tiled_genes import TiledColumnStore
    manifest = json.loads((export / "manifest.json").read_text())
    rank = np.load(export / "lod/rank.npy")
    order = np.load(export / "lod/order.npy")
    for entry in manifest["embeddings"] + manifest["obs"]:
        if "file" in entry:
            np.save(export / entry["file"], np.load(export / entry["file"])[rank])
        entry.pop("bounds", None)
        entry.pop("invalid", None)
    stores = list(manifest["layers"].values())
    if manifest.get("raw"):
        stores.append(manifest["raw"]["matrix"])
    for rel in stores:
        store = TiledColumnStore(export / rel, lambda: order)
        matrix = store.columns(0, store.n_cols)
        shutil.rmtree(export / rel)
        write_column_store(MatrixChunks(matrix.tocsr()), export / rel)
    shutil.rmtree(export / "lod")
    manifest["version"] = 3
    manifest.pop("lod")
    (export / "manifest.json").write_text(json.dumps(manifest))


def downgrade_to_v2(export: Path) -> None:
    """Rewrite a version-3 export in place as version 2, the layout cellucid wrote before it
    kept ``.raw`` and the log1p base."""
    manifest = json.loads((export / "manifest.json").read_text())
    raw = manifest.pop("raw", None)
    if raw:
        shutil.rmtree(export / raw["matrix"])
        (export / raw["var"]).unlink()
    manifest.pop("log1p_base", None)
    manifest["version"] = 2
    (export / "manifest.json").write_text(json.dumps(manifest))


def downgrade_to_v1(export: Path) -> None:
    """Rewrite a version-2 export in place as version 1 (two ``.npy`` files per gene block, no
    export id), the layout cellucid 0.1 wrote."""
    manifest = json.loads((export / "manifest.json").read_text())
    for rel in manifest["layers"].values():
        store = ColumnStore(export / rel)
        for b in range(store.n_blocks()):
            start, stop = b * store.block, min(store.n_cols, (b + 1) * store.block)
            block = store.columns(start, stop)
            np.save(export / rel / f"block_{b:05d}.indices.npy", block.indices.astype(np.uint32))
            np.save(export / rel / f"block_{b:05d}.data.npy", block.data.astype(np.float32))
            (export / rel / f"block_{b:05d}.bin").unlink()
        meta = json.loads((export / rel / "columns.json").read_text())
        (export / rel / "columns.json").write_text(json.dumps({**meta, "version": 1}))
    manifest["version"] = 1
    manifest.pop("id", None)
    (export / "manifest.json").write_text(json.dumps(manifest))


@pytest.fixture(scope="module")
def atlas():
    """An AnnData of 4,000 cells × 1,200 genes (a 25 % dense matrix, a layer, a KNN graph)."""
    return rich_adata(n=4000, n_genes=1200, seed=5)


@pytest.fixture(scope="module")
def exports(atlas, tmp_path_factory):
    """A directory holding ``atlas.cellucid`` (version 4, tiled), ``two.cellucid`` (version 2)
    and ``old.cellucid`` (version 1), all of the same atlas."""
    root = tmp_path_factory.mktemp("served")
    prepare(atlas, root / "atlas.cellucid", progress=False, layers=["counts"])
    shutil.copytree(root / "atlas.cellucid", root / "two.cellucid")
    downgrade_to_v3(root / "two.cellucid")
    downgrade_to_v2(root / "two.cellucid")
    shutil.copytree(root / "two.cellucid", root / "old.cellucid")
    downgrade_to_v1(root / "old.cellucid")
    return root


@pytest.fixture(scope="module")
def http(exports):
    """The exports served over loopback HTTP with Range support; ``http.counters`` tallies."""
    with RangeServer(exports) as server:
        yield server


@pytest.fixture(scope="module")
def moto_s3():
    """An S3 API on loopback (moto's threaded server) with an empty bucket; yields
    ``storage_options`` for s3fs (endpoint and dummy credentials)."""
    pytest.importorskip("s3fs")
    server_module = pytest.importorskip("moto.server")
    import boto3
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    credentials = {"aws_access_key_id": "testing-key", "aws_secret_access_key": "testing-secret"}
    boto3.client("s3", endpoint_url=endpoint, region_name=REGION, **credentials
                 ).create_bucket(Bucket=BUCKET)
    options = {"key": credentials["aws_access_key_id"],
               "secret": credentials["aws_secret_access_key"],
               "client_kwargs": {"endpoint_url": endpoint, "region_name": REGION}}
    yield {"endpoint": endpoint, "storage_options": options, "credentials": credentials}
    server.stop()
