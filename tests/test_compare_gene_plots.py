"""cellucid.compare.gene_summary / violin_values: scanpy's dot plot numbers, bounded violins.

Tolerances. scanpy's dot plot means are pandas group means of the float32 values, accumulated in
float32 (with compensation); ours accumulate in float64: ``rtol=1e-6, atol=1e-7``. Fractions of
expressing cells are counts over counts (``rtol=1e-12``). Violin quantiles are numpy's linear
quantiles of the same float32 values taken as float64: ``rtol=1e-12``. Every dataset kind stores
the same float32 values, so kinds agree exactly.
"""

from __future__ import annotations

import warnings

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scanpy as sc
import scipy.sparse as sp

import cellucid
from cellucid.compare import MAX_GENES, gene_summary, violin_values
from cellucid.compare.gene_plots import QUANTILE_COLUMNS, VIOLIN_POINTS, VIOLIN_TOTAL_POINTS
from cellucid.data import open_dataset

from .data_fixtures import isolated_cache, write_h5ad  # noqa: F401

GENES = ["CD79A", "MS4A1", "CST3", "NKG7", "LYZ"]
MEAN_TOL = dict(rtol=1e-6, atol=1e-7)
FRACTION_TOL = dict(rtol=1e-12, atol=0)
QUANTILE_TOL = dict(rtol=1e-12, atol=0)


@pytest.fixture(scope="module")
def pbmc() -> ad.AnnData:
    """scanpy's pbmc68k_reduced: ``.X`` scaled (dense, negatives), ``.raw`` log1p (CSR)."""
    return sc.datasets.pbmc68k_reduced()


def log_adata(pbmc: ad.AnnData) -> ad.AnnData:
    """pbmc's log1p ``.raw`` as ``X`` (CSR), with its obs and embeddings."""
    adata = pbmc.raw.to_adata()
    adata.obsm["X_umap"] = pbmc.obsm["X_umap"]
    return adata


def scaled_adata(pbmc: ad.AnnData) -> ad.AnnData:
    """pbmc's scaled dense ``X`` alone (no ``.raw``), with its obs and embeddings."""
    adata = ad.AnnData(pbmc.X.copy(), obs=pbmc.obs.copy(), var=pbmc.var[[]].copy())
    adata.obsm["X_umap"] = pbmc.obsm["X_umap"]
    return adata


def open_as(adata: ad.AnnData, kind: str, tmp_path):
    if kind == "memory":
        return open_dataset(adata)
    if kind == "h5ad":
        return open_dataset(write_h5ad(adata, tmp_path / "x.h5ad"))
    return open_dataset(cellucid.prepare(adata, tmp_path / "x.cellucid", progress=False))


def grouping(dataset, column: str = "louvain"):
    return dataset.obs_values(column), dataset.obs_field(column).info["categories"]


def scanpy_dotplot(adata: ad.AnnData, genes, groupby: str = "louvain"):
    """scanpy's (mean, fraction) frames of the dot plot: groups x genes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plot = sc.pl.dotplot(adata, genes, groupby, return_fig=True, use_raw=False)
    return plot.dot_color_df, plot.dot_size_df


def wide(summary: pd.DataFrame, column: str) -> pd.DataFrame:
    return summary.pivot(index="group", columns="gene", values=column)


# ---------------------------------------------------------------------------------------------
# Dot plot statistics


@pytest.mark.parametrize("data", ["log", "scaled"])
@pytest.mark.parametrize("kind", ["memory", "h5ad", "export"])
def test_dot_plot_statistics_match_scanpy(pbmc, tmp_path, data, kind):
    """Means over every cell of a group; a cell expresses a gene when its value is above 0."""
    adata = log_adata(pbmc) if data == "log" else scaled_adata(pbmc)
    means, fractions = scanpy_dotplot(adata, GENES)
    with open_as(adata, kind, tmp_path) as dataset:
        summary = gene_summary(dataset, GENES, *grouping(dataset))
    assert list(summary.columns) == ["gene", "group", "mean_expression", "fraction_expressing",
                                     "n_cells"]
    assert list(summary["gene"]) == [g for g in GENES for _ in range(11)]
    assert list(summary["group"][:11]) == [str(i) for i in range(11)]
    ours_means = wide(summary, "mean_expression").loc[means.index, GENES]
    ours_fractions = wide(summary, "fraction_expressing").loc[fractions.index, GENES]
    np.testing.assert_allclose(ours_means, means[GENES], **MEAN_TOL)
    np.testing.assert_allclose(ours_fractions, fractions[GENES], **FRACTION_TOL)
    sizes = adata.obs["louvain"].value_counts()
    np.testing.assert_array_equal(wide(summary, "n_cells").loc[sizes.index, "CST3"], sizes)
    if data == "scaled":  # negative values are not expression: fractions differ from nonzero
        assert (ours_fractions.to_numpy() < 0.5).any()


def test_cells_without_a_category_are_left_out_as_scanpy_does(pbmc):
    adata = log_adata(pbmc)
    labels = adata.obs["louvain"].astype(object).to_numpy()
    labels[::7] = np.nan
    adata.obs["partial"] = pd.Categorical(labels, categories=adata.obs["louvain"].cat.categories)
    means, fractions = scanpy_dotplot(adata, GENES, "partial")
    with open_dataset(adata) as dataset:
        codes, categories = grouping(dataset, "partial")
        assert (codes == 65535).sum() == 100
        summary = gene_summary(dataset, GENES, codes, categories)
    assert summary["n_cells"].sum() == 5 * 600
    np.testing.assert_allclose(wide(summary, "mean_expression").loc[means.index, GENES],
                               means[GENES], **MEAN_TOL)
    np.testing.assert_allclose(wide(summary, "fraction_expressing").loc[fractions.index, GENES],
                               fractions[GENES], **FRACTION_TOL)


def test_empty_group_has_nan_statistics_and_layers_are_read(pbmc):
    adata = log_adata(pbmc)
    adata.layers["doubled"] = adata.X * 2
    with open_dataset(adata) as dataset:
        codes, categories = grouping(dataset)
        summary = gene_summary(dataset, ["CST3", "cst3"], codes, categories + ["nobody"],
                               layer="doubled")
        plain = gene_summary(dataset, ["CST3"], codes, categories)
    assert list(summary["gene"].unique()) == ["CST3", "cst3"]  # as asked, case-insensitive
    empty = summary[summary["group"] == "nobody"]
    assert (empty["n_cells"] == 0).all() and empty["mean_expression"].isna().all()
    assert empty["fraction_expressing"].isna().all()
    first = summary[(summary["gene"] == "CST3") & (summary["group"] != "nobody")]
    np.testing.assert_allclose(first["mean_expression"], 2 * plain["mean_expression"],
                               rtol=1e-12)
    np.testing.assert_array_equal(first["fraction_expressing"], plain["fraction_expressing"])


# ---------------------------------------------------------------------------------------------
# Violins


def full_group_values(adata: ad.AnnData, gene: str, labels: np.ndarray, group: str):
    column = adata[:, gene].X
    column = column.toarray() if sp.issparse(column) else np.asarray(column)
    return column.ravel()[labels == group]


@pytest.mark.parametrize("kind", ["memory", "h5ad", "export"])
def test_violin_quantiles_match_numpy_on_every_cell(pbmc, tmp_path, kind):
    adata = log_adata(pbmc)
    labels = adata.obs["louvain"].astype(str).to_numpy()
    with open_as(adata, kind, tmp_path) as dataset:
        violins = violin_values(dataset, GENES, *grouping(dataset), max_points=40)
    assert list(violins.columns) == ["gene", "group", "n_cells", "mean", *QUANTILE_COLUMNS,
                                     "values"]
    for row in violins.itertuples():
        full = full_group_values(adata, row.gene, labels, row.group).astype(np.float64)
        expected = np.quantile(full, [0, 0.25, 0.5, 0.75, 1])
        got = [getattr(row, c) for c in QUANTILE_COLUMNS]
        np.testing.assert_allclose(got, expected, **QUANTILE_TOL)
        np.testing.assert_allclose(row.mean, full.mean(), rtol=1e-12)
        assert row.n_cells == full.size
        assert row.values.dtype == np.float32 and row.values.size == min(40, full.size)
        assert np.isin(row.values, full.astype(np.float32)).all()


def test_violins_show_the_same_cells_for_every_gene_and_seed(pbmc):
    """Gene "twice" is twice gene "once" in every cell: their shown values must be too."""
    cst3 = log_adata(pbmc)[:, "CST3"].X.toarray().ravel()
    adata = ad.AnnData(np.column_stack([cst3, 2 * cst3]), obs=pbmc.obs[["louvain"]].copy())
    adata.var_names = ["once", "twice"]
    adata.obsm["X_umap"] = pbmc.obsm["X_umap"]
    with open_dataset(adata) as dataset:
        codes, categories = grouping(dataset)
        first = violin_values(dataset, ["once", "twice"], codes, categories, max_points=30)
        again = violin_values(dataset, ["once", "twice"], codes, categories, max_points=30)
        other = violin_values(dataset, ["once"], codes, categories, max_points=30, seed=1)
    once, twice = first["values"][:11], first["values"][11:]
    for a, b in zip(once, twice):
        np.testing.assert_array_equal(2 * a, b)
    for a, b in zip(first["values"], again["values"]):
        np.testing.assert_array_equal(a, b)
    assert not all(np.array_equal(a, b) for a, b in zip(once, other["values"]))


def test_violin_payload_is_bounded_at_a_million_cells():
    n_cells, n_groups = 1_000_000, 150
    rng = np.random.default_rng(0)
    values = sp.random(n_cells, 3, density=0.2, format="csc", dtype=np.float32, random_state=rng)
    adata = ad.AnnData(values)
    adata.obsm["X_umap"] = np.zeros((n_cells, 2), dtype=np.float32)
    codes = rng.integers(0, n_groups, n_cells).astype(np.uint16)
    codes[:1000] = 65535
    with open_dataset(adata) as dataset:
        violins = violin_values(dataset, ["0", "1", "2"], codes,
                                [f"g{i}" for i in range(n_groups)])
    shown = violins["values"].map(len)
    per_group = min(VIOLIN_POINTS, VIOLIN_TOTAL_POINTS // n_groups)
    assert (shown == per_group).all()
    assert shown.groupby(violins["gene"]).sum().max() <= VIOLIN_TOTAL_POINTS
    assert violins["n_cells"].sum() == 3 * (n_cells - 1000)


def test_violin_limits_must_be_positive(pbmc):
    with open_dataset(log_adata(pbmc)) as dataset:
        for bad in (0, -5, 1.5, True):
            with pytest.raises(ValueError, match="max_points must be a positive integer"):
                violin_values(dataset, ["CST3"], *grouping(dataset), max_points=bad)


# ---------------------------------------------------------------------------------------------
# Bad input


@pytest.fixture(scope="module")
def log_dataset(pbmc):
    with open_dataset(log_adata(pbmc)) as dataset:
        yield dataset


@pytest.mark.parametrize("summarise", [gene_summary, violin_values])
def test_unknown_gene_names_the_closest(log_dataset, summarise):
    with pytest.raises(KeyError, match="unknown gene 'CD79'.*'CD79A'"):
        summarise(log_dataset, ["CST3", "CD79"], *grouping(log_dataset))


@pytest.mark.parametrize("summarise", [gene_summary, violin_values])
def test_too_many_or_no_genes_are_refused(log_dataset, summarise):
    genes = list(log_dataset.genes.names[:MAX_GENES + 1])
    with pytest.raises(ValueError, match=f"31 genes requested; at most {MAX_GENES}"):
        summarise(log_dataset, genes, *grouping(log_dataset))
    assert len(summarise(log_dataset, genes[:MAX_GENES], *grouping(log_dataset))) == 30 * 11
    with pytest.raises(ValueError, match="no genes given"):
        summarise(log_dataset, [], *grouping(log_dataset))


def test_bad_codes_and_layers_are_refused(log_dataset):
    codes, categories = grouping(log_dataset)
    with pytest.raises(ValueError, match="outside the 10 categories.*65535 for missing"):
        gene_summary(log_dataset, ["CST3"], codes, categories[:10])
    with pytest.raises(ValueError, match=r"one code per cell \(700\)"):
        gene_summary(log_dataset, ["CST3"], codes[:5], categories)
    with pytest.raises(ValueError, match="integer category codes"):
        gene_summary(log_dataset, ["CST3"], codes.astype(float), categories)
    with pytest.raises(ValueError, match="unknown layer 'counts'.*'X'"):
        gene_summary(log_dataset, ["CST3"], codes, categories, layer="counts")
