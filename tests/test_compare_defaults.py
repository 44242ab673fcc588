"""scanpy's defaults through the viewer (compare/matrices.py, session/analyses.py): on pbmc68k_reduced,
``viewer.compare`` and ``viewer.plot_genes`` equal scanpy 1.11 called with its own defaults —
``.raw`` when there is one, ``use_raw=False`` for ``X``, ``tie_correct``, ``uns["log1p"]["base"]``
— and a scaled matrix is named in a warning.

Tolerances are those of ``test_compare_stats`` (float32 scores and fold changes, float64 p-values,
exact fractions) and ``test_compare_gene_plots`` (dot plot means).
"""

from __future__ import annotations

import warnings

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scanpy as sc
import scipy.sparse as sp
from scipy import stats as sps

import cellucid
from cellucid.compare import NegativeValuesWarning, choose_matrix
from cellucid.data import open_dataset
from cellucid.data.layers import RAW

from .test_compare_gene_plots import FRACTION_TOL, MEAN_TOL, wide
from .test_compare_stats import FLOAT32_TOL, FRACTION_TOL as PCT_TOL, PVAL_TOL, assert_same_ranking

CASES = [("wilcoxon", {}), ("t-test", {}), ("wilcoxon", {"tie_correct": True})]
DOT_GENES = ["CST3", "NKG7", "MS4A1", "GZMB", "LYZ", "FCER1A"]


@pytest.fixture(scope="module")
def pbmc() -> ad.AnnData:
    return sc.datasets.pbmc68k_reduced()


@pytest.fixture(scope="module")
def pbmc_viewer(pbmc):
    viewer = cellucid.show_anndata(pbmc)
    yield viewer
    viewer.stop()


@pytest.fixture(scope="module")
def cluster3(pbmc) -> np.ndarray:
    return np.flatnonzero(pbmc.obs["louvain"] == "3")


def scanpy_defaults(adata: ad.AnnData, groupby: str, group: str, method: str,
                    **options) -> pd.DataFrame:
    """``sc.tl.rank_genes_groups(adata, groupby, groups=[group], reference="rest", pts=True)``
    with scanpy's defaults otherwise, as ``sc.get.rank_genes_groups_df``."""
    adata = adata.copy()   # scanpy writes uns, and drops explicit zeros of .raw in place
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sc.tl.rank_genes_groups(adata, groupby, groups=[group], reference="rest", pts=True,
                                method=method, **options)
        return sc.get.rank_genes_groups_df(adata, group=group)


@pytest.mark.parametrize("method, options", CASES)
def test_compare_reads_raw_by_default_as_scanpy(pbmc, pbmc_viewer, cluster3, method, options):
    with warnings.catch_warnings():
        warnings.simplefilter("error", NegativeValuesWarning)   # .raw is log1p: nothing to say
        ours = pbmc_viewer.compare(cluster3, "rest", method=method, **options)
    theirs = scanpy_defaults(pbmc, "louvain", "3", method, **options)
    assert_same_ranking(ours, theirs)
    assert list(ours["names"][:5]) == list(theirs["names"][:5])
    assert np.isfinite(ours["logfoldchanges"]).all()
    assert ours["logfoldchanges"].iloc[0] > 2 and ours["pvals_adj"].iloc[0] < 1e-20


def test_tie_correction_changes_wilcoxon_as_scipy_says(pbmc_viewer, cluster3):
    plain = pbmc_viewer.compare(cluster3, "rest").set_index("names")
    corrected = pbmc_viewer.compare(cluster3, "rest", tie_correct=True).set_index("names")
    # sparse log data: zeros tie, so the correction raises |z| — to scipy's tiecorrect
    gene = "GZMB"
    values = pbmc_viewer.dataset.gene_values(gene, RAW)
    in_group = np.zeros(values.size, bool)
    in_group[cluster3] = True
    ranks = sps.rankdata(values)
    factor = np.sqrt(sps.tiecorrect(ranks))
    np.testing.assert_allclose(corrected.loc[gene, "scores"] * factor,
                               plain.loc[gene, "scores"], **FLOAT32_TOL)
    assert corrected.loc[gene, "scores"] > plain.loc[gene, "scores"]


@pytest.mark.parametrize("method", ["wilcoxon", "t-test"])
def test_use_raw_false_reads_x_as_scanpy_and_warns(pbmc, pbmc_viewer, cluster3, method):
    with pytest.warns(NegativeValuesWarning,
                      match=r"^X has negative values in 765 of 765 genes.*compare \.raw"):
        ours = pbmc_viewer.compare(cluster3, "rest", method=method, use_raw=False)
    theirs = scanpy_defaults(pbmc, "louvain", "3", method, use_raw=False)
    assert ours["logfoldchanges"].isna().any()
    if method == "wilcoxon":
        assert_same_ranking(ours, theirs)
        return
    # scanpy scores 0 the genes whose float32 one-pass variance came out negative; we clamp it
    # to 0 and score them (see compare/stats.py): only genes constant on one side differ.
    x, in_group = pbmc.X, np.isin(np.arange(pbmc.n_obs), cluster3)
    constant = set(pbmc.var_names[(np.ptp(x[in_group], axis=0) == 0)
                                  | (np.ptp(x[~in_group], axis=0) == 0)])
    zeroed = set(theirs["names"][theirs["scores"] == 0]) - set(ours["names"][ours["scores"] == 0])
    assert zeroed and zeroed <= constant
    mine = ours[~ours["names"].isin(zeroed)].set_index("names")
    aligned = theirs.set_index("names").loc[mine.index]
    for column, tol in (("scores", FLOAT32_TOL), ("logfoldchanges", FLOAT32_TOL),
                        ("pvals", PVAL_TOL), ("pct_nz_group", PCT_TOL),
                        ("pct_nz_reference", PCT_TOL)):
        np.testing.assert_allclose(mine[column], aligned[column], **tol, err_msg=column)
    np.testing.assert_allclose(ours["pvals_adj"],
                               sps.false_discovery_control(ours["pvals"], method="bh"),
                               rtol=1e-12)


def test_matrix_choice_follows_scanpy(pbmc, pbmc_viewer, cluster3):
    dataset = pbmc_viewer.dataset
    assert choose_matrix(dataset).label == ".raw"
    assert choose_matrix(dataset, use_raw=False).label == "X"
    with pytest.raises(ValueError, match="use_raw=True and layer='X' name two matrices"):
        pbmc_viewer.compare(cluster3, use_raw=True, layer="X")
    with pytest.raises(ValueError, match=r"unknown layer 'counts'.*'X'"):
        pbmc_viewer.compare(cluster3, layer="counts")
    no_raw = pbmc.copy()
    del no_raw.raw
    with open_dataset(no_raw) as plain:
        assert choose_matrix(plain).label == "X"
        with pytest.raises(ValueError, match="use_raw=True, but this dataset has no .raw"):
            choose_matrix(plain, use_raw=True)


@pytest.mark.parametrize("use_raw", [None, False])
def test_plot_genes_equals_scanpys_dotplot_with_its_defaults(pbmc, pbmc_viewer, use_raw):
    dots = pbmc_viewer.plot_genes(DOT_GENES, "louvain", use_raw=use_raw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plot = sc.pl.dotplot(pbmc, DOT_GENES, "louvain", use_raw=use_raw, return_fig=True)
    means, fractions = plot.dot_color_df, plot.dot_size_df
    np.testing.assert_allclose(wide(dots, "mean_expression").loc[means.index, means.columns],
                               means, **MEAN_TOL)
    np.testing.assert_allclose(
        wide(dots, "fraction_expressing").loc[fractions.index, fractions.columns],
        fractions, **FRACTION_TOL)


def base2_adata() -> ad.AnnData:
    """Poisson counts, normalised and log1p'd in base 2 (``uns["log1p"]["base"] == 2``)."""
    rng = np.random.default_rng(11)
    counts = rng.poisson(rng.gamma(1.5, 0.6, 80), (240, 80)).astype(np.float32)
    cluster = np.array(["A", "B", "C"])[rng.integers(0, 3, 240)]
    counts[cluster == "A", :6] += rng.poisson(3.0, ((cluster == "A").sum(), 6))
    adata = ad.AnnData(sp.csr_matrix(counts))
    adata.var_names = [f"G{j}" for j in range(80)]
    adata.obs["cluster"] = pd.Categorical(cluster)
    adata.obsm["X_umap"] = rng.normal(size=(240, 2)).astype(np.float32)
    sc.pp.normalize_total(adata, target_sum=1e4)
    sc.pp.log1p(adata, base=2)
    return adata


@pytest.mark.parametrize("method", ["wilcoxon", "t-test"])
def test_log1p_base_2_gives_scanpys_fold_changes(tmp_path, method):
    adata = base2_adata()
    assert adata.uns["log1p"]["base"] == 2
    theirs = scanpy_defaults(adata, "cluster", "A", method)
    group = np.flatnonzero(adata.obs["cluster"] == "A")
    export = cellucid.prepare(adata, tmp_path / "base2.cellucid", progress=False)
    for data in (adata, export):   # the export keeps the base
        viewer = cellucid.show_anndata(data)
        try:
            ours = viewer.compare(group, "rest", method=method)
        finally:
            viewer.stop()
        assert_same_ranking(ours, theirs)
    natural = adata.copy()
    del natural.uns["log1p"]
    wrong = scanpy_defaults(natural, "cluster", "A", method).set_index("names")
    top = theirs["names"][:6]
    assert (np.abs(theirs.set_index("names").loc[top, "logfoldchanges"]
                   - wrong.loc[top, "logfoldchanges"]) > 0.1).all()
