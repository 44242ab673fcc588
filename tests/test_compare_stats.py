"""cellucid.compare.rank_genes against scanpy's rank_genes_groups, and against scipy per gene.

Tolerances. scanpy computes in float64 and stores ``scores`` and ``logfoldchanges`` as float32;
we do the same, so those agree to float32 rounding: ``rtol=1e-5, atol=1e-6`` leaves room for
float64 summation-order differences (amplified by the one-pass variance) on other platforms.
p-values are float64 on both sides and computed from float64 scores; a relative score error e
moves a p-value by about z^2 * e, so ``rtol=1e-6`` still catches real formula differences (taking
squares in float64 instead of float32, as scanpy does, moves them by ~1e-4). Fractions of
expressing cells are counts over counts: ``rtol=1e-12``.
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

import cellucid.compare.rank as rank_module
from cellucid.compare import COLUMNS, ColumnFunctionSource, rank_genes
from cellucid.compare.groups import resolve_comparison
from cellucid.compare.ranksums import dense_rank_sums, rank_sums
from cellucid.compare.summary import sparse_entries

# small_matrix and pbmc's X hold negative values: tests that expect the warning ask for it
pytestmark = pytest.mark.filterwarnings("ignore::cellucid.compare.NegativeValuesWarning")

FLOAT32_TOL = dict(rtol=1e-5, atol=1e-6)
PVAL_TOL = dict(rtol=1e-6, atol=0)
FRACTION_TOL = dict(rtol=1e-12, atol=0)
PLANTED = [f"G{j}" for j in range(5)]


# ---------------------------------------------------------------------------------------------
# Data


@pytest.fixture(scope="module")
def planted() -> ad.AnnData:
    """600 cells x 200 genes of Poisson counts, normalised and log1p'd (CSR float32); cells of
    cluster A express genes G0..G4 more."""
    rng = np.random.default_rng(7)
    n_cells, n_genes = 600, 200
    rates = rng.gamma(2.0, 0.5, size=n_genes)
    counts = rng.poisson(rates, size=(n_cells, n_genes)).astype(np.float32)
    cluster = np.array(["A", "B", "C"])[rng.integers(0, 3, n_cells)]
    in_a = cluster == "A"
    counts[in_a, :5] += rng.poisson(4.0, size=(in_a.sum(), 5))
    adata = ad.AnnData(sp.csr_matrix(counts))
    adata.var_names = [f"G{j}" for j in range(n_genes)]
    adata.obs["cluster"] = pd.Categorical(cluster)
    sc.pp.normalize_total(adata, target_sum=1e4)
    sc.pp.log1p(adata)
    return adata


@pytest.fixture(scope="module")
def pbmc() -> ad.AnnData:
    """scanpy's bundled pbmc68k_reduced: .raw is log1p (CSR), .X is scaled (dense, negatives)."""
    return sc.datasets.pbmc68k_reduced()


def sides(labels: np.ndarray, group: str, reference: str):
    """Our (group, reference) specs for cluster ``group`` against cluster ``reference`` / rest."""
    return labels == group, ("rest" if reference == "rest" else labels == reference)


def scanpy_frame(adata: ad.AnnData, labels: np.ndarray, group: str, reference: str, method: str,
                 *, use_raw: bool = False, n_genes: int | None = None) -> pd.DataFrame:
    """scanpy's frame for cluster ``group`` against cluster ``reference`` (or "rest").

    The comparison is put in a categorical column of "group" / "reference" / "other": scanpy's
    "rest" is every cell outside the group (other clusters included), as ours; a named reference
    uses only its own cells. With a named reference scanpy's frame has no pct_nz_reference; it
    comes from ``uns[...]['pts']['reference']``.
    """
    adata = adata.copy()
    adata.obs["cmp"] = pd.Categorical(np.where(
        labels == group, "group", np.where(labels == reference, "reference", "other")))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sc.tl.rank_genes_groups(adata, "cmp", groups=["group"],
                                reference="rest" if reference == "rest" else "reference",
                                method=method, pts=True, tie_correct=False, use_raw=use_raw,
                                n_genes=n_genes)
        frame = sc.get.rank_genes_groups_df(adata, group="group")
    if reference != "rest":
        pts = adata.uns["rank_genes_groups"]["pts"]["reference"]
        frame["pct_nz_reference"] = pts.loc[frame["names"]].to_numpy()
    return frame


# ---------------------------------------------------------------------------------------------
# Comparing frames


def assert_same_ranking(ours: pd.DataFrame, theirs: pd.DataFrame, *, tol=FLOAT32_TOL,
                        pval_tol=PVAL_TOL, fraction_tol=FRACTION_TOL) -> None:
    """Same genes in the same order (up to ties in score) with the same values per gene."""
    assert list(ours.columns) == list(COLUMNS)
    assert len(ours) == len(theirs)
    np.testing.assert_allclose(ours["scores"], theirs["scores"], **tol)
    # Ties: the gene we put at position i must have (in their frame) the score of position i.
    theirs_by_name = theirs.set_index("names")
    assert set(ours["names"]) == set(theirs["names"])
    np.testing.assert_allclose(theirs_by_name.loc[ours["names"], "scores"], ours["scores"], **tol)
    aligned = theirs_by_name.loc[ours["names"]]
    np.testing.assert_allclose(ours["logfoldchanges"], aligned["logfoldchanges"], **tol)
    for column in ("pvals", "pvals_adj"):
        np.testing.assert_allclose(ours[column], aligned[column], **pval_tol)
    for column in ("pct_nz_group", "pct_nz_reference"):
        np.testing.assert_allclose(ours[column], aligned[column], **fraction_tol)


# ---------------------------------------------------------------------------------------------
# Against scanpy


@pytest.mark.parametrize("method", ["wilcoxon", "t-test"])
@pytest.mark.parametrize("reference", ["rest", "B"])
def test_planted_markers_match_scanpy(planted, method, reference):
    labels = planted.obs["cluster"].to_numpy()
    group, ref = sides(labels, "A", reference)
    ours = rank_genes(planted.X, group, ref, method=method, gene_names=planted.var_names)
    assert_same_ranking(ours, scanpy_frame(planted, labels, "A", reference, method))
    assert set(ours["names"][:5]) == set(PLANTED)
    assert (ours["logfoldchanges"][:5] > 1).all()
    assert (ours["pvals_adj"][:5] < 1e-10).all()


@pytest.mark.parametrize("method", ["wilcoxon", "t-test"])
@pytest.mark.parametrize("reference", ["rest", "2"])
def test_pbmc_log_data_matches_scanpy(pbmc, method, reference):
    labels = pbmc.obs["louvain"].to_numpy()
    group, ref = sides(labels, "1", reference)
    ours = rank_genes(pbmc.raw.X, group, ref, method=method, gene_names=pbmc.raw.var_names)
    theirs = scanpy_frame(pbmc, labels, "1", reference, method, use_raw=True)
    assert_same_ranking(ours, theirs)


def test_pbmc_scaled_data_matches_scanpy_with_a_warning(pbmc):
    """Scaled data (negative values): same Wilcoxon scores; fold changes NaN where scanpy's are."""
    labels = pbmc.obs["louvain"].to_numpy()
    group, ref = sides(labels, "1", "rest")
    with pytest.warns(rank_module.NegativeValuesWarning, match="the expression matrix has "
                      "negative values in 765 of 765 genes"):
        ours = rank_genes(pbmc.X, group, ref, gene_names=pbmc.var_names)
    assert ours["logfoldchanges"].isna().any()
    assert_same_ranking(ours, scanpy_frame(pbmc, labels, "1", "rest", "wilcoxon"))


def test_t_test_of_genes_constant_on_a_side_does_not_depend_on_the_format(pbmc):
    """scanpy scores 0 the genes whose one-pass variance cancels below 0, a set that changes with
    the input format; we clamp the variance and give every format the same frame."""
    labels = pbmc.obs["louvain"].to_numpy()
    group, ref = sides(labels, "1", "rest")
    frames = {}
    for name, convert in (("dense", np.asarray), ("csr", sp.csr_matrix), ("csc", sp.csc_matrix)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", rank_module.NegativeValuesWarning)
            frames[name] = rank_genes(convert(pbmc.X), group, ref, method="t-test",
                                      gene_names=pbmc.var_names)
    for name in ("csr", "csc"):
        assert_same_ranking(frames[name], frames["dense"], tol=dict(rtol=1e-6, atol=1e-7))
    zeroed = {}
    for name in ("csr", "csc"):
        adata = ad.AnnData(sp.csr_matrix(pbmc.X) if name == "csr" else sp.csc_matrix(pbmc.X),
                           obs=pbmc.obs[["louvain"]].copy())
        adata.var_names = pbmc.var_names
        theirs = scanpy_frame(adata, labels, "1", "rest", "t-test")
        zeroed[name] = set(theirs["names"][theirs["scores"] == 0])
    assert zeroed["csr"] != zeroed["csc"]            # scanpy disagrees with itself
    x = pbmc.X
    constant = set(pbmc.var_names[(np.ptp(x[group], 0) == 0) | (np.ptp(x[~group], 0) == 0)])
    assert zeroed["csr"] | zeroed["csc"] <= constant
    ours = frames["dense"].set_index("names")
    assert (ours.loc[sorted(zeroed["csr"] | zeroed["csc"]), "scores"] != 0).all()


@pytest.mark.parametrize("reference", ["rest", "2"])
def test_sparse_values_with_negatives_match_scanpy(pbmc, reference):
    """Zeros ranked analytically between negative and positive values, as a dense ranking does."""
    values = pbmc.X.copy()
    values[np.abs(values) < 0.3] = 0
    adata = ad.AnnData(values, obs=pbmc.obs[["louvain"]].copy())
    adata.var_names = pbmc.var_names
    labels = adata.obs["louvain"].to_numpy()
    group, ref = sides(labels, "1", reference)
    ours = rank_genes(sp.csr_matrix(values), group, ref, gene_names=adata.var_names)
    assert_same_ranking(ours, scanpy_frame(adata, labels, "1", reference, "wilcoxon"))


@pytest.mark.parametrize("method", ["wilcoxon", "t-test"])
def test_n_genes_keeps_scanpys_top_genes(pbmc, method):
    labels = pbmc.obs["louvain"].to_numpy()
    group, ref = sides(labels, "1", "rest")
    ours = rank_genes(pbmc.raw.X, group, ref, method=method, n_genes=25,
                      gene_names=pbmc.raw.var_names)
    theirs = scanpy_frame(pbmc, labels, "1", "rest", method, use_raw=True, n_genes=25)
    assert len(ours) == 25
    assert_same_ranking(ours, theirs)


# ---------------------------------------------------------------------------------------------
# Against scipy, gene by gene


def small_matrix(seed: int = 3) -> np.ndarray:
    """80 cells x 12 genes with negatives, many zeros and many ties (values on a 0.5 grid)."""
    rng = np.random.default_rng(seed)
    values = np.round(rng.normal(0.3, 1.0, size=(80, 12)) * 2) / 2
    values[rng.random(values.shape) < 0.4] = 0
    values[:, 3] = 0  # a gene with no expression at all
    values[:, 4] = 1.5  # a constant gene
    return values.astype(np.float32)


@pytest.mark.parametrize("reference", ["rest", "indices"])
def test_wilcoxon_matches_scipy_ranksums(reference):
    values = small_matrix()
    group = np.arange(0, 25)
    ref = "rest" if reference == "rest" else np.arange(40, 80)
    ours = rank_genes(values, group, ref, method="wilcoxon").set_index("names")
    ref_rows = np.arange(25, 80) if reference == "rest" else ref
    for j in range(values.shape[1]):
        expected = sps.ranksums(values[group, j], values[ref_rows, j])
        got = ours.loc[str(j)]
        np.testing.assert_allclose(got["scores"], expected.statistic, **FLOAT32_TOL)
        np.testing.assert_allclose(got["pvals"], expected.pvalue, rtol=1e-9)


def test_welch_t_test_matches_scipy():
    values = small_matrix()
    group, ref = np.arange(0, 25), np.arange(25, 80)
    ours = rank_genes(values, group, "rest", method="t-test").set_index("names")
    for j in range(values.shape[1]):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # scipy on the constant gene
            expected = sps.ttest_ind(values[group, j].astype(np.float64),
                                     values[ref, j].astype(np.float64), equal_var=False)
        got = ours.loc[str(j)]
        if np.isnan(expected.statistic):  # constant gene, equal means: scanpy's 0 and 1
            assert (got["scores"], got["pvals"]) == (0, 1)
            continue
        np.testing.assert_allclose(got["scores"], expected.statistic, **FLOAT32_TOL)
        np.testing.assert_allclose(got["pvals"], expected.pvalue, rtol=1e-6)


@pytest.mark.parametrize("kind", ["dense", "csr"])
def test_tie_corrected_wilcoxon_matches_scipy_tiecorrect(kind):
    values = small_matrix()
    group = np.arange(0, 25)
    matrix = values if kind == "dense" else sp.csr_matrix(values)
    plain = rank_genes(matrix, group).set_index("names")
    corrected = rank_genes(matrix, group, tie_correct=True).set_index("names")
    for j in range(values.shape[1]):
        factor = sps.tiecorrect(sps.rankdata(values[:, j]))
        if factor == 0:   # every value tied (the constant gene): scanpy's score 0, p-value 1
            assert (corrected.loc[str(j), "scores"], corrected.loc[str(j), "pvals"]) == (0, 1)
            continue
        expected = plain.loc[str(j), "scores"] / np.sqrt(factor)
        np.testing.assert_allclose(corrected.loc[str(j), "scores"], expected, **FLOAT32_TOL)
        np.testing.assert_allclose(corrected.loc[str(j), "pvals"],
                                   2 * sps.norm.sf(abs(expected)), rtol=1e-5)


@pytest.mark.parametrize("reference", ["rest", "indices"])
def test_dense_and_sparse_rank_sums_are_identical(reference):
    """The analytic zero block gives the exact rank sums of a full ranking (scipy.rankdata)."""
    values = small_matrix(11)
    ref = "rest" if reference == "rest" else np.arange(30, 70)
    comparison = resolve_comparison(np.arange(10, 30), ref, values.shape[0])
    labels = comparison.labels()
    dense, _ = dense_rank_sums(values, comparison)
    sparse, _ = rank_sums(sp.csc_matrix(values), comparison, labels,
                          sparse_entries(sp.csc_matrix(values), labels))
    rows = np.concatenate((comparison.group, comparison.reference))
    full = sps.rankdata(values[rows], axis=0)[: comparison.n_group].sum(axis=0)
    np.testing.assert_array_equal(dense, full)
    np.testing.assert_array_equal(sparse, full)


def test_benjamini_hochberg_over_all_genes_before_n_genes():
    values = small_matrix()
    full = rank_genes(values, np.arange(25), method="wilcoxon")
    top = rank_genes(values, np.arange(25), method="wilcoxon", n_genes=3)
    pd.testing.assert_frame_equal(top, full.head(3))
    expected = sps.false_discovery_control(full["pvals"].to_numpy(), method="bh")
    np.testing.assert_allclose(full["pvals_adj"], expected, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# Matrix sources


@pytest.mark.parametrize("method", ["wilcoxon", "t-test"])
@pytest.mark.parametrize("reference", ["rest", "B"])
def test_all_matrix_sources_give_the_same_frame(planted, method, reference):
    labels = planted.obs["cluster"].to_numpy()
    group, ref = sides(labels, "A", reference)
    csr = planted.X
    dense = csr.toarray()
    sources = {
        "csc": csr.tocsc(),
        "dense": dense,
        "column": ColumnFunctionSource(lambda j: dense[:, j], *dense.shape),
    }
    expected = rank_genes(csr, group, ref, method=method, gene_names=planted.var_names)
    for name, source in sources.items():
        for block_size in (None, 1, 7):
            got = rank_genes(source, group, ref, method=method, gene_names=planted.var_names,
                             block_size=block_size)
            assert_same_ranking(got, expected, tol=dict(rtol=1e-6, atol=0),
                                pval_tol=dict(rtol=1e-9, atol=0))


def test_ties_keep_gene_order_and_frame_dtypes():
    values = np.zeros((10, 4), dtype=np.float32)
    values[:5, 2] = 1.0
    frame = rank_genes(values, np.arange(5), gene_names=["a", "b", "c", "d"])
    assert list(frame["names"]) == ["c", "a", "b", "d"]
    assert frame["scores"].dtype == np.float32 and frame["logfoldchanges"].dtype == np.float32
    assert frame["pvals"].dtype == np.float64 and frame["pvals_adj"].dtype == np.float64
    assert list(frame["pct_nz_group"]) == [1.0, 0.0, 0.0, 0.0]
    assert list(frame["pct_nz_reference"]) == [0.0, 0.0, 0.0, 0.0]


# ---------------------------------------------------------------------------------------------
# Bad inputs


def test_unknown_method_names_the_valid_ones():
    with pytest.raises(ValueError, match="'wilcoxon', 't-test'"):
        rank_genes(small_matrix(), np.arange(5), method="logreg")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("kind", ["dense", "csr"])
def test_non_finite_values_name_the_gene(bad, kind):
    values = small_matrix()
    values[2, 7] = bad
    matrix = values if kind == "dense" else sp.csr_matrix(values)
    names = [f"gene{j}" for j in range(values.shape[1])]
    with pytest.raises(ValueError, match=r"'gene7'.*NaN or infinite.*nan_to_num"):
        rank_genes(matrix, np.arange(10), gene_names=names)


def test_non_finite_values_outside_the_comparison_are_ignored():
    values = small_matrix()
    values[79, 7] = np.nan
    frame = rank_genes(values, np.arange(10), np.arange(10, 40))
    assert np.isfinite(frame["scores"]).all()


def test_matrix_without_genes_is_refused():
    with pytest.raises(ValueError, match="no genes"):
        rank_genes(np.zeros((10, 0), dtype=np.float32), np.arange(5))


def test_bad_gene_names_and_n_genes_are_refused():
    with pytest.raises(ValueError, match="gene_names has 3 names but the matrix has 12 genes"):
        rank_genes(small_matrix(), np.arange(5), gene_names=["a", "b", "c"])
    for bad in (0, -1, 2.5, True):
        with pytest.raises(ValueError, match="n_genes must be a positive integer"):
            rank_genes(small_matrix(), np.arange(5), n_genes=bad)


def test_bad_matrix_sources_are_refused():
    with pytest.raises(ValueError, match="cannot read an expression matrix"):
        rank_genes(object(), [0, 1])
    with pytest.raises(ValueError, match="must be 2-D"):
        rank_genes(np.zeros(10), [0, 1])
    with pytest.raises(ValueError, match=r"column\(0\) returned 3 values, expected one per cell"):
        rank_genes(ColumnFunctionSource(lambda j: np.zeros(3), 10, 2), [0, 1])


# ---------------------------------------------------------------------------------------------
# Progress bar and interruption


class RecordingBar:
    """Stands in for the progress bar: records whether it was enabled and closed."""

    made: list[RecordingBar] = []

    def __init__(self, total, desc, *, enabled=True, **_):
        self.total, self.disable, self.closed, self.done = total, not enabled, False, 0
        RecordingBar.made.append(self)

    def update(self, n):
        self.done += n

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.closed = True


@pytest.fixture
def bars(monkeypatch):
    RecordingBar.made = []
    monkeypatch.setattr(rank_module, "progress_bar", RecordingBar)
    return RecordingBar.made


def test_progress_bar_only_for_large_work_unless_asked(bars, monkeypatch):
    values = small_matrix()
    rank_genes(values, np.arange(5))
    rank_genes(values, np.arange(5), progress=True, block_size=5)
    monkeypatch.setattr(rank_module, "PROGRESS_MIN_VALUES", values.size)
    rank_genes(values, np.arange(5))
    rank_genes(values, np.arange(5), progress=False)
    assert [bar.disable for bar in bars] == [True, False, False, True]
    assert all(bar.closed and bar.done == bar.total == 12 for bar in bars)


def test_keyboard_interrupt_between_blocks_propagates_and_closes_the_bar(bars):
    values = small_matrix()

    def column(j):
        if j == 6:
            raise KeyboardInterrupt
        return values[:, j]

    with pytest.raises(KeyboardInterrupt):
        rank_genes(ColumnFunctionSource(column, *values.shape), np.arange(5), progress=True,
                   block_size=3)
    assert len(bars) == 1 and bars[0].closed and bars[0].done == 6
