"""prepare() and the export format: options, chunked reading, round trips."""

from __future__ import annotations

import json
import tempfile

import anndata as ad
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from cellucid.data import open_dataset, prepare
from cellucid.data.colstore import ColumnStore
from cellucid.data.layers import RAW
from cellucid.data.quantize import dequantize, quantize
from cellucid.errors import DatasetError

from .data_fixtures import isolated_cache, rich_adata, write_h5ad, write_zarr  # noqa: F401
from .remote_fixtures import downgrade_to_v2, downgrade_to_v3


def test_quantization_error_is_bounded():
    rng = np.random.default_rng(1)
    coords = rng.normal(0, 50, (1000, 3)).astype(np.float32)
    coords[5] = np.nan
    lo, hi = np.nanmin(coords, 0), np.nanmax(coords, 0)
    q = quantize(coords, lo, hi)
    assert q.dtype == np.uint16 and (q[5] == 65535).all()
    back = dequantize(q, lo, hi)
    assert np.isnan(back[5]).all()
    step = (hi - lo) / 65534
    assert (np.abs(np.delete(back - coords, 5, 0)) <= step * 0.5 + 1e-5 * np.abs(hi)).all()
    flat = quantize(np.ones((4, 1)), [1.0], [1.0])
    np.testing.assert_array_equal(dequantize(flat, [1.0], [1.0]), np.ones((4, 1)))


@pytest.mark.parametrize("source", ["anndata", "h5ad", "zarr", "backed"])
def test_prepare_from_every_source_with_small_chunks(source, tmp_path):
    adata = rich_adata(n=150, n_genes=300)
    if source == "anndata":
        data = adata
    elif source == "h5ad":
        data = write_h5ad(adata, tmp_path / "in.h5ad")
    elif source == "zarr":
        data = write_zarr(adata, tmp_path / "in.zarr")
    else:
        data = ad.read_h5ad(write_h5ad(adata, tmp_path / "in.h5ad"), backed="r")
    out = prepare(data, tmp_path / "out", chunk_cells=7, progress=False, layers=["counts"])
    ds = open_dataset(out)
    assert ds.kind == "export" and ds.adata is None
    assert ds.manifest()["layers"] == ["X", "counts"]
    dense = adata.X.toarray()
    for j in range(0, 300, 37):
        np.testing.assert_array_equal(ds.gene_values(f"ENSG{j:05d}"), dense[:, j])
    np.testing.assert_array_equal(ds.gene_values("ENSG00299", layer="counts"), 2 * dense[:, 299])
    expected = open_dataset(adata)
    np.testing.assert_array_equal(ds.knn_cells(3, 4), expected.knn_cells(3, 4))
    assert ds.manifest() == expected.manifest()


def test_float32_option_keeps_exact_coordinates(tmp_path):
    adata = rich_adata(n=80)
    prepare(adata, tmp_path / "out", float32=True, progress=False)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert {e["encoding"] for e in manifest["embeddings"]} == {"float32"}
    ds = open_dataset(tmp_path / "out")
    np.testing.assert_array_equal(ds.embedding("X_umap"), adata.obsm["X_umap"])
    assert manifest["format"] == "cellucid-export" and manifest["version"] == 4


def test_quantized_export_is_close_and_smaller(tmp_path):
    adata = rich_adata(n=80)
    prepare(adata, tmp_path / "out", progress=False)
    ds = open_dataset(tmp_path / "out")
    coords = ds.embedding("X_umap")
    span = np.ptp(adata.obsm["X_umap"], axis=0)
    assert (np.abs(coords - adata.obsm["X_umap"]) <= span / 65534).all()
    assert np.load(tmp_path / "out" / "embeddings" / "002.npy").dtype == np.uint16


def test_dense_and_csc_matrices_and_options(tmp_path):
    for fmt in (None, "csc"):
        adata = rich_adata(n=60, sparse=fmt)
        out = prepare(adata, tmp_path / f"out-{fmt}", progress=False, embedding="X_pca",
                      gene_symbols="symbol")
        ds = open_dataset(out)
        assert ds.default_embedding == "X_pca" and ds.gene_symbols == "symbol"
        dense = adata.X if fmt is None else adata.X.toarray()
        np.testing.assert_array_equal(ds.gene_values("Sym5"), dense[:, 5])
        assert open_dataset(out, embedding="X_umap").default_embedding == "X_umap"
        with pytest.raises(KeyError):
            open_dataset(out, gene_symbols="other")


def test_raw_and_log1p_base_are_kept_and_versions_3_and_2_still_open(tmp_path):
    adata = rich_adata(n=60, n_genes=50)
    adata.raw = adata
    adata = adata[:, :20].copy()
    adata.uns["log1p"] = {"base": 2.0}
    out = prepare(write_h5ad(adata, tmp_path / "in.h5ad"), tmp_path / "out", progress=False)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["version"] == 4 and manifest["log1p_base"] == 2.0
    assert manifest["raw"] == {"matrix": "genes/001", "var": "genes/raw_var.json"}
    with open_dataset(out) as ds:
        assert ds.has_raw and ds.log1p_base == 2.0 and ds.layers == ["X"]
        assert list(ds.genes_of(RAW).names) == list(adata.raw.var_names) and ds.n_genes == 20
        np.testing.assert_array_equal(ds.gene_values(adata.raw.var_names[45], RAW),
                                      adata.raw.X[:, 45].toarray().ravel())
        with pytest.raises(KeyError, match="unknown gene"):
            ds.gene_values(adata.raw.var_names[45])   # not one of X's genes
    downgrade_to_v3(out)           # as written before tiles: .raw and the base, by obs row
    with open_dataset(out) as ds:
        assert ds.has_raw and ds.log1p_base == 2.0 and ds.lod is None
        np.testing.assert_array_equal(ds.gene_values(adata.raw.var_names[45], RAW),
                                      adata.raw.X[:, 45].toarray().ravel())
    downgrade_to_v2(out)           # as written before .raw was kept
    with open_dataset(out) as ds:
        assert not ds.has_raw and ds.log1p_base is None and ds.manifest()["raw"] is None


def test_prepare_refuses_to_overwrite_unless_asked(tmp_path):
    adata = rich_adata(n=30)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        prepare(adata, tmp_path / "out", progress=False)
    prepare(adata, tmp_path / "out", progress=False, overwrite=True)
    assert not (tmp_path / "out" / "keep.txt").exists()
    with pytest.raises(DatasetError, match="already a cellucid export"):
        prepare(tmp_path / "out", tmp_path / "again", progress=False)
    assert not list(tmp_path.glob(".out*.tmp"))


def test_prepare_shows_progress(tmp_path, capsys):
    prepare(rich_adata(n=30), tmp_path / "out")
    assert "cellucid prepare" in capsys.readouterr().err


def test_column_store_blocks(tmp_path):
    matrix = sp.random(50, 600, density=0.05, format="csr", random_state=3, dtype=np.float32)
    from cellucid.data.chunks import MatrixChunks
    from cellucid.data.colstore import write_column_store
    write_column_store(MatrixChunks(matrix, chunk_rows=9), tmp_path / "cs", block=100)
    store = ColumnStore(tmp_path / "cs")
    assert store.n_blocks() == 6
    dense = matrix.toarray()
    for j in range(600):
        np.testing.assert_array_equal(store.column(j), dense[:, j])


class LazyMatrix:
    """A dask-like matrix: slicing rows gives a lazy piece whose compute() returns numpy."""

    def __init__(self, dense):
        self.dense, self.shape = dense, dense.shape

    def __getitem__(self, rows):
        piece = self.dense[rows]
        return type("Piece", (), {"compute": lambda self: piece})()


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 40), st.integers(1, 30), st.integers(1, 50), st.integers(1, 12),
       st.floats(0, 1), st.booleans())
def test_column_store_round_trip(n_rows, n_cols, chunk, block, density, lazy):
    from cellucid.data.chunks import MatrixChunks
    from cellucid.data.colstore import write_column_store
    rng = np.random.default_rng(n_rows * 31 + n_cols)
    dense = np.where(rng.random((n_rows, n_cols)) < density, rng.normal(size=(n_rows, n_cols)),
                     0).astype(np.float32)
    matrix = LazyMatrix(dense) if lazy else sp.csr_matrix(dense)
    with tempfile.TemporaryDirectory() as tmp:
        write_column_store(MatrixChunks(matrix, chunk_rows=chunk), tmp, block=block)
        store = ColumnStore(tmp)
        store.validate()
        for j in range(n_cols):
            np.testing.assert_array_equal(store.column(j), dense[:, j])
