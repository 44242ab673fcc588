"""Exports and ``.zarr`` stores on an S3 API on loopback (moto's server): written by ``prepare``,
read by ``show``/``open_dataset``, credentials checked, and the command line with env config."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import httpx
import numpy as np
import pytest

import cellucid
from cellucid.data import open_dataset, prepare
from cellucid.data.remote_zarr import SlowRemoteGenes

from .data_fixtures import isolated_cache, rich_adata, write_h5ad, write_zarr  # noqa: F401
from .remote_fixtures import BUCKET, moto_s3  # noqa: F401


@pytest.fixture(scope="module")
def adata():
    return rich_adata(n=600, n_genes=300, seed=2)


def test_prepare_writes_to_s3_and_show_reads_from_it(moto_s3, adata, capsys):
    options = moto_s3["storage_options"]
    url = f"s3://{BUCKET}/atlas.cellucid"
    assert prepare(adata, url, progress=False, storage_options=options, layers="all") == url
    with pytest.raises(FileExistsError, match="not empty.*overwrite"):
        prepare(adata, url, progress=False, storage_options=options)
    viewer = cellucid.show(url, storage_options=options, color="ENSG00042")
    capsys.readouterr()
    try:
        assert viewer.dataset.kind == "export" and viewer.dataset.path == url
        client = httpx.Client(base_url=viewer.server_url.rstrip("/") + "/_cellucid/data/",
                              params={"viewerId": viewer.viewer_id,
                                      "viewerToken": viewer.viewer_token})
        response = client.get("gene", params={"name": "ENSG00042"})
        assert response.status_code == 200
        values = np.frombuffer(response.content, np.float32)
        np.testing.assert_array_equal(values, adata.X[:, 42].toarray().ravel())
        client.close()
    finally:
        viewer.stop()
    ds = open_dataset(url, storage_options=options)
    dense = adata.X.toarray()
    for j in (0, 255, 256, 299):
        np.testing.assert_array_equal(ds.gene_values(f"ENSG{j:05d}"), dense[:, j])
    np.testing.assert_array_equal(ds.knn_cells(5, 2), open_dataset(adata).knn_cells(5, 2))
    assert ds.manifest() == open_dataset(adata).manifest()


def test_overwrite_replaces_the_export(moto_s3, adata):
    options = moto_s3["storage_options"]
    url = f"s3://{BUCKET}/replaced.cellucid"
    prepare(rich_adata(n=50, n_genes=10), url, progress=False, storage_options=options)
    first = open_dataset(url, storage_options=options)
    first.gene_values("ENSG00001")   # cached under the first export's id
    prepare(adata, url, progress=False, storage_options=options, overwrite=True)
    second = open_dataset(url, storage_options=options)
    assert second.n_cells == 600
    np.testing.assert_array_equal(second.gene_values("ENSG00001"),
                                  adata.X[:, 1].toarray().ravel())


def test_remote_zarr_opens_lazily_and_warns_on_the_first_gene(moto_s3, adata, tmp_path):
    import fsspec
    options = moto_s3["storage_options"]
    local = write_zarr(adata, tmp_path / "a.zarr")
    fs, _ = fsspec.core.url_to_fs(f"s3://{BUCKET}", **options)
    fs.put(local, f"{BUCKET}/a.zarr", recursive=True)
    ds = open_dataset(f"s3://{BUCKET}/a.zarr", storage_options=options)
    assert ds.kind == "zarr" and ds.adata is None and ds.n_cells == 600
    np.testing.assert_array_equal(ds.obs_values("cluster"), adata.obs["cluster"].cat.codes)
    np.testing.assert_array_equal(ds.embedding("X_umap"), adata.obsm["X_umap"])
    with pytest.warns(SlowRemoteGenes, match="cellucid prepare s3://cellucid-test/a.zarr"):
        first = ds.gene_values("ENSG00007")
    np.testing.assert_array_equal(first, adata.X[:, 7].toarray().ravel())
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # once per matrix, not per gene
        np.testing.assert_array_equal(ds.gene_values("ENSG00299", layer="counts"),
                                      2 * adata.X[:, 299].toarray().ravel())
        np.testing.assert_array_equal(ds.gene_values("ENSG00008"),
                                      adata.X[:, 8].toarray().ravel())
    # and it can be prepared from where it is, into the same bucket
    out = f"s3://{BUCKET}/from-zarr.cellucid"
    prepare(f"s3://{BUCKET}/a.zarr", out, progress=False, storage_options=options)
    np.testing.assert_array_equal(open_dataset(out, storage_options=options)
                                  .gene_values("ENSG00007"), first)


def test_wrong_credentials_are_a_permission_error_without_secrets(moto_s3, adata):
    import boto3
    endpoint = moto_s3["endpoint"]
    url = f"s3://{BUCKET}/guarded.cellucid"
    prepare(adata, url, progress=False, storage_options=moto_s3["storage_options"])
    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                       **moto_s3["credentials"])
    iam.create_user(UserName="reader")
    iam.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",
                                                 "Resource": "*"}]}))
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    good = {"key": key["AccessKeyId"], "secret": key["SecretAccessKey"],
            "client_kwargs": {"endpoint_url": endpoint, "region_name": "us-east-1"},
            "skip_instance_cache": True}
    wrong = {**good, "secret": "definitely-not-the-secret"}
    httpx.post(f"{endpoint}/moto-api/reset-auth", content=b"0").raise_for_status()
    try:
        np.testing.assert_array_equal(open_dataset(url, storage_options=good)
                                      .gene_values("ENSG00003"), adata.X[:, 3].toarray().ravel())
        with pytest.raises(PermissionError) as refused:
            open_dataset(url, storage_options=wrong)
    finally:
        httpx.post(f"{endpoint}/moto-api/reset-auth", content=b"inf").raise_for_status()
    message = str(refused.value)
    assert url in message and "credentials" in message
    assert "definitely-not-the-secret" not in message and key["SecretAccessKey"] not in message


def test_missing_bucket_and_missing_export(moto_s3):
    options = moto_s3["storage_options"]
    for url in ("s3://no-such-bucket-here/x.cellucid", f"s3://{BUCKET}/nothing-here.cellucid"):
        with pytest.raises(FileNotFoundError, match=f"nothing to show at {url}"):
            open_dataset(url, storage_options=options)


def test_command_line_prepare_and_env_configuration(moto_s3, adata, tmp_path):
    """``cellucid prepare in.h5ad s3://…`` with the endpoint and credentials from the
    environment only (fsspec's ``FSSPEC_S3_*`` variables, AWS's own)."""
    source = write_h5ad(adata, tmp_path / "in.h5ad")
    url = f"s3://{BUCKET}/cli.cellucid"
    env = {**os.environ, "FSSPEC_S3_ENDPOINT_URL": moto_s3["endpoint"],
           "AWS_ACCESS_KEY_ID": "cli-key", "AWS_SECRET_ACCESS_KEY": "cli-secret-value",
           "AWS_DEFAULT_REGION": "us-east-1"}
    done = subprocess.run([sys.executable, "-m", "cellucid.cli", "prepare", source, url],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert f"wrote {url}" in done.stdout and "cli-secret-value" not in done.stdout + done.stderr
    ds = open_dataset(url, storage_options=moto_s3["storage_options"])
    np.testing.assert_array_equal(ds.gene_values("ENSG00011"), adata.X[:, 11].toarray().ravel())
    again = subprocess.run([sys.executable, "-m", "cellucid.cli", "prepare", source, url],
                           env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 1 and "not empty" in again.stderr
