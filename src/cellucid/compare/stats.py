"""The statistics of a group-vs-reference comparison, from per-gene summaries.

Formulas follow scanpy's ``rank_genes_groups`` with its defaults (natural-log ``log1p`` data,
Benjamini-Hochberg, no tie correction), so results agree with it to float32 precision:

- means and variances of the values as given (unbiased variance, ``n / (n - 1)``);
- Welch's t-test, two-sided; a NaN score (equal means, zero variances) becomes 0, a NaN p-value 1;
- Wilcoxon rank-sum z-score by the normal approximation without tie correction, two-sided
  p-value ``2 * sf(|z|)``;
- log2 fold change of the back-transformed means:
  ``log2((expm1(mean_group) + 1e-9) / (expm1(mean_reference) + 1e-9))``.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from .summary import SideSums

FOLD_CHANGE_PSEUDOCOUNT = 1e-9


def mean_var(sums: SideSums, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-gene mean and unbiased variance over ``n`` cells, as float64 arrays.

    The variance is ``(E[x^2] - E[x]^2) * n / (n - 1)`` (scanpy's one-pass formula; it can come
    out slightly negative for constant genes, which the t-test then treats as undefined).
    """
    mean = sums.sum / n
    var = sums.sumsq / n - mean**2
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


def wilcoxon_z(rank_sums: np.ndarray, n_g: int, n_r: int) -> tuple[np.ndarray, np.ndarray]:
    """Wilcoxon rank-sum z-scores and two-sided p-values from the group's rank sums.

    Uses the normal approximation without tie correction:
    ``z = (R - n_g (n + 1) / 2) / sqrt(n_g n_r (n + 1) / 12)`` with ``n = n_g + n_r``.
    Returns float64 ``(scores, pvals)``.
    """
    n = n_g + n_r
    expected = n_g * (n + 1) / 2.0
    std = np.sqrt(n_g * n_r * (n + 1) / 12.0)
    scores = (np.asarray(rank_sums, dtype=np.float64) - expected) / std
    pvals = 2 * stats.norm.sf(np.abs(scores))
    return scores, pvals


def log_fold_change(mean_g: np.ndarray, mean_r: np.ndarray) -> np.ndarray:
    """log2 fold change of the back-transformed (``expm1``) means, with scanpy's 1e-9 pseudocount.

    NaN where a back-transformed mean is negative (data that is not log1p, e.g. scaled values).
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.log2((np.expm1(mean_g) + FOLD_CHANGE_PSEUDOCOUNT)
                       / (np.expm1(mean_r) + FOLD_CHANGE_PSEUDOCOUNT))


def benjamini_hochberg(pvals: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values over all genes (float64, same order as ``pvals``)."""
    if pvals.size == 0:
        return np.empty(0)
    return stats.false_discovery_control(pvals, method="bh")


def fraction_expressing(nnz: np.ndarray, n: int) -> np.ndarray:
    """Fraction of the ``n`` cells with a nonzero value, per gene (float64)."""
    return nnz / n
