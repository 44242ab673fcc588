"""The statistics of a group-vs-reference comparison, from per-gene summaries.

Formulas follow scanpy's ``rank_genes_groups`` (Benjamini-Hochberg, ``tie_correct=False`` by
default, the log base of ``uns["log1p"]["base"]``), so results agree with it to float32
precision:

- means and variances of the values as given (unbiased variance, ``n / (n - 1)``), the variance
  by scanpy's one-pass formula with squares taken in the data's own dtype;
- Welch's t-test, two-sided; a NaN score (equal means, zero variances) becomes 0, a NaN p-value 1;
- Wilcoxon rank-sum z-score by the normal approximation, optionally tie-corrected
  (``1 - sum(t**3 - t) / (n**3 - n)`` scales the variance, as scipy's ``tiecorrect``), two-sided
  p-value ``2 * sf(|z|)``; a NaN score (every value tied) becomes 0;
- log2 fold change of the back-transformed means:
  ``log2((expm1(mean_group * ln b) + 1e-9) / (expm1(mean_reference * ln b) + 1e-9))`` with ``b``
  the log1p base (``e`` when none is recorded).

One deliberate difference: the one-pass variance of a gene whose values are all equal within a
side (say the value that scaling gives to "not expressed") is a cancellation of two nearly equal
numbers, and comes out as a tiny number of either sign instead of 0. scanpy then takes the square
root of a negative variance, and scores such a gene 0 (p-value 1) however different the other
side is. Which genes this hits depends on rounding, so on the input format: scanpy squares in
float32 for dense and CSR input and in float64 for CSC input, and the same data gives different
genes a score of 0 (on pbmc68k_reduced's scaled ``X``, cluster 1 against the rest: 29 genes for
dense and CSR input, 28 partly different ones for CSC input) — scanpy disagrees with itself
across sparse formats. We clamp a negative variance to 0, so such a gene is scored by Welch's
test with a zero variance on that side, whatever the input format. Log-normalised sparse data is
not affected: a gene not expressed in a side has exact zeros there, whose variance is exactly 0.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .summary import SideSums

FOLD_CHANGE_PSEUDOCOUNT = 1e-9


def mean_var(sums: SideSums, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-gene mean and unbiased variance over ``n`` cells, as float64 arrays.

    The variance is ``(E[x^2] - E[x]^2) * n / (n - 1)`` (scanpy's one-pass formula), clamped to
    0 where float32 cancellation makes it negative (see the module docstring).
    """
    mean = sums.sum / n
    var = np.maximum(sums.sumsq / n - mean**2, 0.0)
    if n > 1:
        var *= n / (n - 1)
    return mean, var


def welch_t_test(mean_g: np.ndarray, var_g: np.ndarray, n_g: int,
                 mean_r: np.ndarray, var_r: np.ndarray, n_r: int) -> tuple[np.ndarray, np.ndarray]:
    """Welch's two-sided t-test per gene: returns ``(scores, pvals)`` as float64 arrays.

    Undefined scores (NaN) become 0 and undefined p-values become 1.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        scores, pvals = stats.ttest_ind_from_stats(
            mean1=mean_g, std1=np.sqrt(var_g), nobs1=n_g,
            mean2=mean_r, std2=np.sqrt(var_r), nobs2=n_r,
            equal_var=False,
        )
    scores = np.asarray(scores, dtype=np.float64)
    pvals = np.asarray(pvals, dtype=np.float64)
    scores[np.isnan(scores)] = 0
    pvals[np.isnan(pvals)] = 1
    return scores, pvals


def wilcoxon_z(rank_sums: np.ndarray, n_g: int, n_r: int,
               tie_sums: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Wilcoxon rank-sum z-scores and two-sided p-values from the group's rank sums.

    Normal approximation: ``z = (R - n_g (n + 1) / 2) / sqrt(c n_g n_r (n + 1) / 12)`` with
    ``n = n_g + n_r`` and ``c = 1 - tie_sums / (n**3 - n)`` when ``tie_sums`` (per gene
    ``sum(t**3 - t)``) are given, else 1. A NaN score (every value tied) becomes 0.
    Returns float64 ``(scores, pvals)``.
    """
    n = n_g + n_r
    expected = n_g * (n + 1) / 2.0
    correction = 1.0 if tie_sums is None else 1.0 - np.asarray(tie_sums) / (float(n) ** 3 - n)
    with np.errstate(invalid="ignore", divide="ignore"):
        std = np.sqrt(correction * n_g * n_r * (n + 1) / 12.0)
        scores = (np.asarray(rank_sums, dtype=np.float64) - expected) / std
    scores = np.asarray(scores, dtype=np.float64)
    scores[np.isnan(scores)] = 0
    pvals = 2 * stats.norm.sf(np.abs(scores))
    return scores, pvals


def log_fold_change(mean_g: np.ndarray, mean_r: np.ndarray,
                    log1p_base: float | None = None) -> np.ndarray:
    """log2 fold change of the back-transformed means, with scanpy's 1e-9 pseudocount.

    The means are of ``log1p`` values in base ``log1p_base`` (natural log when None), so they are
    back-transformed with ``expm1(mean * ln(base))``. NaN where a back-transformed mean is
    negative (data that is not log1p, e.g. scaled values).
    """
    if log1p_base is None:
        expm1 = np.expm1
    else:
        factor = np.log(log1p_base)
        def expm1(x):
            return np.expm1(x * factor)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log2((expm1(mean_g) + FOLD_CHANGE_PSEUDOCOUNT)
                       / (expm1(mean_r) + FOLD_CHANGE_PSEUDOCOUNT))


def benjamini_hochberg(pvals: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values over all genes (float64, same order as ``pvals``)."""
    if pvals.size == 0:
        return np.empty(0)
    return stats.false_discovery_control(pvals, method="bh")


def fraction_expressing(nnz: np.ndarray, n: int) -> np.ndarray:
    """Fraction of the ``n`` cells with a nonzero value, per gene (float64)."""
    return nnz / n
