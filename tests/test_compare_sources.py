"""cellucid.compare.dataset_source: one dataset, opened every way, ranks genes the same, as scanpy.

Tolerances. Every dataset kind stores the same float32 values, and the sources differ only in how
blocks reach the statistics (CSC slices of the matrix or of the column store, or dense columns),
so frames agree to float64 summation order: ``rtol=1e-9`` (``atol=0``, so tiny p-values count).
Against scanpy the tolerances of ``test_compare_stats`` apply (float32 scores).
"""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scanpy as sc
import scipy.sparse as sp

import cellucid
from cellucid.compare import (
    ColumnFunctionSource,
    ColumnStoreSource,
    DenseSource,
    MatrixChoice,
    SparseSource,
    choose_matrix,
    dataset_source,
    rank_genes,
)
from cellucid.data import open_dataset
from cellucid.data.layers import RAW

from .data_fixtures import isolated_cache, write_h5ad, write_zarr  # noqa: F401
from .test_compare_stats import assert_same_ranking, scanpy_frame, sides

SAME_FRAME_TOL = dict(check_exact=False, rtol=1e-9, atol=0)
KINDS = ("memory", "h5ad", "anndata-backed", "zarr", "export", "h5ad-csc")


def small_adata(n_cells: int = 300, n_genes: int = 60, seed: int = 5) -> ad.AnnData:
    """Poisson counts (CSR float32) in ``layers["counts"]``, normalised + log1p in ``X``;
    cluster A expresses the first genes more. Every gene is expressed somewhere."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(rng.gamma(1.0, 0.6, n_genes), (n_cells, n_genes)).astype(np.float32)
    cluster = np.array(["A", "B", "C"])[rng.integers(0, 3, n_cells)]
    counts[cluster == "A", :4] += rng.poisson(3.0, ((cluster == "A").sum(), 4))
    counts[0] += 1
    adata = ad.AnnData(sp.csr_matrix(counts))
    adata.obs_names = [f"cell{i}" for i in range(n_cells)]
    adata.var_names = [f"Gene{j}" for j in range(n_genes)]
    adata.obs["cluster"] = pd.Categorical(cluster)
    adata.obsm["X_umap"] = rng.normal(size=(n_cells, 2)).astype(np.float32)
    adata.layers["counts"] = adata.X.copy()
    sc.pp.normalize_total(adata, target_sum=1e4)
    sc.pp.log1p(adata)
    return adata


@pytest.fixture(scope="module")
def adata() -> ad.AnnData:
    return small_adata()


@pytest.fixture(scope="module")
def scaled() -> ad.AnnData:
    """`small_adata` as a scanpy workflow leaves it: log1p of all 60 genes in ``.raw`` (CSR),
    ``X`` the 40 first genes scaled (dense, negative values)."""
    adata = small_adata()
    adata.raw = adata
    adata = adata[:, :40].copy()
    adata.X = adata.X.toarray()
    sc.pp.scale(adata)
    return adata


def written_as(kind: str, adata: ad.AnnData, folder):
    """What `open_dataset` opens to get ``adata`` as ``kind``: itself, a file, a backed AnnData."""
    if kind == "memory":
        return adata
    if kind == "h5ad":
        return write_h5ad(adata, folder / "x.h5ad")
    if kind == "anndata-backed":
        return ad.read_h5ad(write_h5ad(adata, folder / "backed.h5ad"), backed="r")
    if kind == "zarr":
        return write_zarr(adata, folder / "x.zarr")
    if kind == "export":
        return cellucid.prepare(adata, folder / "x.cellucid", layers="all", progress=False)
    if kind == "h5ad-csc":
        csc = adata.copy()
        csc.X = sp.csc_matrix(csc.X)
        return write_h5ad(csc, folder / "csc.h5ad")
    raise AssertionError(kind)


@pytest.fixture
def open_kind(adata, tmp_path):
    """``open_kind(kind, data=adata)``: the dataset of ``data`` opened as ``kind`` (`KINDS`)."""
    opened = []

    def open_as(kind: str, data: ad.AnnData | None = None):
        folder = tmp_path / f"{kind}-{len(opened)}"
        folder.mkdir()
        dataset = open_dataset(written_as(kind, adata if data is None else data, folder))
        opened.append(dataset)
        return dataset

    yield open_as
    for dataset in opened:
        dataset.close()


def rank(dataset, method: str, layer: str | None = None, **options) -> pd.DataFrame:
    labels = np.asarray(dataset.obs_field("cluster").info["categories"])[
        dataset.obs_values("cluster")]
    return rank_genes(dataset_source(dataset, layer), labels == "A", method=method,
                      gene_names=dataset.genes_of(layer).names, **options)


# ---------------------------------------------------------------------------------------------
# Which source each kind gets


@pytest.mark.parametrize("kind, expected", [
    ("memory", SparseSource), ("h5ad", ColumnStoreSource), ("anndata-backed", ColumnStoreSource),
    ("zarr", ColumnStoreSource), ("export", ColumnStoreSource),
    ("h5ad-csc", ColumnFunctionSource),
])
def test_each_dataset_kind_streams_from_its_fastest_source(open_kind, kind, expected):
    dataset = open_kind(kind)
    source = dataset_source(dataset)
    assert isinstance(source, expected)
    assert (source.n_obs, source.n_vars) == (dataset.n_cells, dataset.n_genes)


def test_layers_in_memory_are_read_in_place(adata, open_kind):
    assert isinstance(dataset_source(open_kind("memory"), "counts"), SparseSource)
    # anndata keeps the layers of a backed AnnData in memory; only X is on disk
    assert isinstance(dataset_source(open_kind("anndata-backed"), "counts"), SparseSource)
    dense = adata.copy()
    dense.X = dense.X.toarray()
    with open_dataset(dense) as dataset:
        source = dataset_source(dataset)
        assert isinstance(source, DenseSource) and source.array is dense.X


@pytest.mark.parametrize("start, stop", [(0, 60), (3, 4), (250, 700), (255, 257), (999, 1000)])
def test_column_store_blocks_span_the_stores_block_files(tmp_path, start, stop):
    """Gene ranges inside one block file of the store and across several give the right CSC."""
    rng = np.random.default_rng(2)
    n_cells, n_genes = 50, 1000  # the store keeps 256 genes per block file
    matrix = sp.random(n_cells, n_genes, density=0.05, dtype=np.float32,
                       random_state=rng).toarray()
    matrix[:, 256] = 0  # a gene with no stored value at a block file's first column
    adata = ad.AnnData(sp.csr_matrix(matrix))
    adata.obsm["X_umap"] = rng.normal(size=(n_cells, 2))
    with open_dataset(write_h5ad(adata, tmp_path / "wide.h5ad")) as dataset:
        source = dataset_source(dataset)
        assert isinstance(source, ColumnStoreSource)
        block = source.columns(start, stop)
        assert block.format == "csc" and block.dtype == np.float32
        np.testing.assert_array_equal(block.toarray(), matrix[:, start:stop])
        ranges = [(a, b) for a, b, _ in source.blocks(300)]
        assert ranges == [(0, 300), (300, 600), (600, 900), (900, 1000)]


# ---------------------------------------------------------------------------------------------
# The same ranking whatever the kind, and scanpy's


@pytest.mark.parametrize("method", ["wilcoxon", "t-test"])
@pytest.mark.parametrize("layer", [None, "counts"])
def test_every_dataset_kind_gives_the_same_frame(open_kind, method, layer):
    expected = rank(open_kind("memory"), method, layer)
    for kind in KINDS[1:]:
        got = rank(open_kind(kind), method, layer)
        pd.testing.assert_frame_equal(got, expected, **SAME_FRAME_TOL, obj=kind)


@pytest.mark.parametrize("method", ["wilcoxon", "t-test"])
@pytest.mark.parametrize("kind", ["memory", "h5ad", "export"])
def test_dataset_ranking_matches_scanpy(adata, open_kind, method, kind):
    labels = adata.obs["cluster"].to_numpy()
    theirs = scanpy_frame(adata, labels, "A", "rest", method)
    ours = rank(open_kind(kind), method)
    assert_same_ranking(ours, theirs)
    assert set(ours["names"][:4]) == {f"Gene{j}" for j in range(4)}


def test_named_reference_through_a_column_store_matches_scanpy(adata, open_kind):
    labels = adata.obs["cluster"].to_numpy()
    group, ref = sides(labels, "A", "B")
    ours = rank_genes(dataset_source(open_kind("export")), group, ref,
                      gene_names=adata.var_names, block_size=7)
    assert_same_ranking(ours, scanpy_frame(adata, labels, "A", "B", "wilcoxon"))


@pytest.mark.parametrize("method", ["wilcoxon", "t-test"])
def test_every_dataset_kind_keeps_raw_and_compares_it_by_default(scaled, open_kind, method):
    """.raw (60 genes; X has 40) is found, read lazily from files, and ranks as scanpy's
    default (use_raw=None) does."""
    labels = scaled.obs["cluster"].to_numpy()
    theirs = scanpy_frame(scaled, labels, "A", "rest", method, use_raw=True)
    assert len(theirs) == 60
    expected = None
    for kind in KINDS[:-1]:
        dataset = open_kind(kind, scaled)
        assert dataset.has_raw and len(dataset.genes_of(RAW)) == 60 and dataset.n_genes == 40
        assert choose_matrix(dataset) == MatrixChoice(RAW)
        source = dataset_source(dataset, RAW)
        assert isinstance(source, SparseSource if kind == "memory" else ColumnStoreSource), kind
        frame = rank(dataset, method, RAW)
        if expected is None:
            assert_same_ranking(frame, theirs)
            expected = frame
        pd.testing.assert_frame_equal(frame, expected, **SAME_FRAME_TOL, obj=kind)


def test_prepare_can_leave_raw_out(scaled, tmp_path):
    out = cellucid.prepare(scaled, tmp_path / "noraw.cellucid", raw=False, progress=False)
    with open_dataset(out) as dataset:
        assert not dataset.has_raw and dataset.manifest()["raw"] is None
        assert choose_matrix(dataset).label == "X"


# ---------------------------------------------------------------------------------------------
# Bad input


def test_unknown_layer_is_one_error_everywhere(open_kind):
    from cellucid.data.layers import RAW, UnknownLayer

    dataset = open_kind("export")
    # The comparison, the dataset's gene values and its matrices raise the same error: a
    # KeyError like every unknown name (404 over HTTP), a ValueError as a bad argument.
    for ask in (lambda: dataset_source(dataset, "count"), lambda: dataset.layer("count"),
                lambda: dataset.gene_values("Sym1", "count")):
        with pytest.raises(UnknownLayer, match=r"unknown layer 'count'; closest: 'counts'") as e:
            ask()
        assert isinstance(e.value, KeyError) and isinstance(e.value, ValueError)
    no_raw = open_dataset(ad.AnnData(np.zeros((4, 2), np.float32),
                                     obsm={"X_umap": np.zeros((4, 2), np.float32)}))
    with pytest.raises(UnknownLayer, match=r"this dataset has no \.raw: name X or a layer"):
        dataset_source(no_raw, RAW)


def test_dataset_without_genes_is_refused():
    adata = ad.AnnData(np.zeros((10, 0), dtype=np.float32))
    adata.obsm["X_umap"] = np.zeros((10, 2), dtype=np.float32)
    with open_dataset(adata) as dataset:
        with pytest.raises(ValueError, match="X has no genes"):
            dataset_source(dataset)
