"""`rank_genes`: marker genes of one group of cells against a reference, streamed by gene blocks.

The matrix is read one block of genes at a time (see `matrix`); per block only per-gene sums and,
for Wilcoxon, the group's rank sums are kept, so memory is O(cells + genes + one block). A source
with a ``summarise`` method (a dask array's `daskstats.DaskSource`) computes them itself. The
result equals scanpy's ``rank_genes_groups`` + ``get.rank_genes_groups_df`` for that group, with
``pts=True`` (see `stats`), ``tie_correct`` and the log1p base as scanpy takes them.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import stats
from ..data.progress import progress_bar
from .blockstats import block_statistics
from .groups import Comparison, resolve_comparison
from .matrix import ColumnBlockSource, default_block_size
from .sources import as_block_source
from .summary import NonFiniteValues, Summaries

METHODS = ("wilcoxon", "t-test")
COLUMNS = ("names", "scores", "logfoldchanges", "pvals", "pvals_adj",
           "pct_nz_group", "pct_nz_reference")
# From this many values read (stored values of a sparse matrix, cells x genes otherwise) a
# comparison takes about a second or more, and shows a progress bar unless told otherwise.
PROGRESS_MIN_VALUES = 20_000_000


class NegativeValuesWarning(UserWarning):
    """The compared matrix holds negative values (scaled data): its fold changes mean nothing."""


@dataclass(frozen=True)
class Ranking:
    """A comparison's frame (scanpy's ``rank_genes_groups_df``) and what was noticed on the way:
    ``negative_genes``, the number of genes with negative values in the compared cells."""

    frame: pd.DataFrame
    negative_genes: int
    n_genes: int

    def negative_values_message(self, matrix: str) -> str | None:
        """What to tell the user about the negative values of ``matrix`` (None when none)."""
        if not self.negative_genes:
            return None
        return (f"{matrix} has negative values in {self.negative_genes:,} of {self.n_genes:,} "
                f"genes (scaled data?): log fold changes assume log1p-normalised expression, so "
                f"they are missing or meaningless here; compare .raw (use_raw=True) or a layer of "
                f"log-normalised values instead")


def rank_genes(matrix_source, group, reference="rest", *, method: str = "wilcoxon",
               n_genes: int | None = None, gene_names: Sequence[str] | None = None,
               tie_correct: bool = False, log1p_base: float | None = None,
               matrix_label: str = "the expression matrix", progress: bool | None = None,
               block_size: int | None = None) -> pd.DataFrame:
    """Rank genes that distinguish ``group`` from ``reference`` (scanpy's marker-gene test).

    ``matrix_source`` is a cells x genes matrix (numpy array, scipy sparse matrix, dask array, or
    a column block source such as `ColumnFunctionSource`) of log1p-normalised expression; a dask
    array is reduced by dask tasks on the active scheduler (see `daskstats.DaskSource`).
    ``group`` is a list of cell indices or a boolean mask; ``reference`` the same, or ``"rest"``
    for every cell not in the group. ``method`` is ``"wilcoxon"`` or ``"t-test"`` (Welch);
    ``tie_correct`` corrects the Wilcoxon variance for ties (scanpy's ``tie_correct``).
    ``log1p_base`` is the base the values were log1p'd in (scanpy's ``uns["log1p"]["base"]``;
    None for the natural log), used to back-transform means for fold changes.
    ``n_genes`` keeps the top genes only (all by default). ``gene_names`` defaults to the gene
    positions as strings.
    ``progress`` shows a progress bar: ``None`` when the matrix is large, or always / never.
    ``block_size`` sets the number of genes read at a time (default: sized to the matrix).

    Returns a DataFrame with columns ``names, scores, logfoldchanges, pvals, pvals_adj,
    pct_nz_group, pct_nz_reference``, sorted by ``scores`` descending (ties in gene order).
    Warns `NegativeValuesWarning` (naming ``matrix_label``) when compared values are negative.

    Raises ``ValueError`` for an unknown method, a matrix without genes, a bad ``n_genes``, gene
    names of the wrong length, a bad group or reference (see `groups.resolve_comparison`), a
    log1p base that is not a positive number other than 1, and NaN or infinite values in the
    compared cells (naming the genes).
    """
    ranking = compute_ranking(matrix_source, group, reference, method=method, n_genes=n_genes,
                              gene_names=gene_names, tie_correct=tie_correct,
                              log1p_base=log1p_base, progress=progress, block_size=block_size)
    message = ranking.negative_values_message(matrix_label)
    if message:
        warnings.warn(message, NegativeValuesWarning, stacklevel=2)
    return ranking.frame


def compute_ranking(matrix_source, group, reference="rest", *, method: str = "wilcoxon",
                    n_genes: int | None = None, gene_names: Sequence[str] | None = None,
                    tie_correct: bool = False, log1p_base: float | None = None,
                    progress: bool | None = None, block_size: int | None = None) -> Ranking:
    """`rank_genes` without the warning: the frame and what was noticed, as a `Ranking`.

    Raises what `rank_genes` raises.
    """
    if method not in METHODS:
        valid = ", ".join(map(repr, METHODS))
        raise ValueError(f"unknown method {method!r}: choose one of {valid}")
    log1p_base = _log1p_base(log1p_base)
    source = as_block_source(matrix_source)
    n_obs, n_vars = int(source.n_obs), int(source.n_vars)
    if n_vars == 0:
        raise ValueError("the expression matrix has no genes: there is nothing to rank")
    names = _gene_names(gene_names, n_vars)
    n_keep = _n_genes(n_genes, n_vars)
    comparison = resolve_comparison(group, reference, n_obs)
    tie_correct = bool(tie_correct) and method == "wilcoxon"
    summarise = getattr(source, "summarise", None)  # statistics computed where the data is
    if block_size is None and summarise is None:
        block_size = default_block_size(source)
    show = progress if progress is not None else _work(source) >= PROGRESS_MIN_VALUES

    try:
        if summarise is not None:
            found = summarise(comparison, method, block_size=block_size, progress=show,
                              tie_correct=tie_correct)
        else:
            found = _stream(source, comparison, method, tie_correct, n_vars, block_size, show)
    except NonFiniteValues as exc:
        raise _non_finite_error(names[list(exc.genes)]) from None

    n_g, n_r = comparison.n_group, comparison.n_reference
    mean_g, var_g = stats.mean_var(found.group, n_g)
    mean_r, var_r = stats.mean_var(found.reference, n_r)
    if method == "t-test":
        scores, pvals = stats.welch_t_test(mean_g, var_g, n_g, mean_r, var_r, n_r)
    else:
        scores, pvals = stats.wilcoxon_z(found.rank_sums, n_g, n_r, found.tie_sums)
    pvals_adj = stats.benjamini_hochberg(pvals)
    lfc = stats.log_fold_change(mean_g, mean_r, log1p_base)

    # Sort on the float64 scores (as scanpy does), then store scores as float32 (as scanpy does).
    order = np.argsort(-scores, kind="stable")[:n_keep]
    frame = pd.DataFrame({
        "names": np.asarray(names, dtype=object)[order],
        "scores": scores[order].astype(np.float32),
        "logfoldchanges": lfc[order].astype(np.float32),
        "pvals": pvals[order],
        "pvals_adj": pvals_adj[order],
        "pct_nz_group": stats.fraction_expressing(found.group.nnz, n_g)[order],
        "pct_nz_reference": stats.fraction_expressing(found.reference.nnz, n_r)[order],
    }, columns=list(COLUMNS))
    negative = int(np.count_nonzero(found.group.negative + found.reference.negative))
    return Ranking(frame, negative, n_vars)


def _stream(source: ColumnBlockSource, comparison: Comparison, method: str, tie_correct: bool,
            n_vars: int, block_size: int, show: bool) -> Summaries:
    """Read every block once: returns the `Summaries` of every gene.

    Everything is kept in local arrays, so an interruption (KeyboardInterrupt) between blocks
    leaves nothing behind but the progress bar, which is closed on the way out. Raises
    `NonFiniteValues` naming the genes with NaN or infinite compared values.
    """
    labels = comparison.labels()
    found = Summaries.zeros(n_vars, method == "wilcoxon", tie_correct)
    done = 0
    with progress_bar(n_vars, "ranking genes", unit="gene", enabled=show, leave=False) as bar:
        for start, stop, block in source.blocks(block_size):
            if start != done or not start < stop <= n_vars:
                raise ValueError(f"the matrix source gave genes [{start}, {stop}) after "
                                 f"[0, {done}); blocks must cover the genes in order")
            found.put(start, stop, block_statistics(block, comparison, labels, method, start,
                                                    stop, tie_correct))
            done = stop
            bar.update(stop - start)
    if done != n_vars:
        raise ValueError(f"the matrix source stopped after {done} of {n_vars} genes")
    return found


def _log1p_base(base) -> float | None:
    if base is None:
        return None
    try:
        value = float(base)
    except (TypeError, ValueError):
        value = float("nan")
    if isinstance(base, bool) or not np.isfinite(value) or value <= 0 or value == 1:
        raise ValueError(f"log1p_base must be a positive number other than 1 (the base the data "
                         f"was log1p'd in, as uns['log1p']['base']), or None, got {base!r}")
    return value


def _work(source: ColumnBlockSource) -> int:
    nnz = getattr(source, "nnz", None)
    return int(nnz) if nnz is not None else int(source.n_obs) * int(source.n_vars)


def _non_finite_error(genes: np.ndarray) -> ValueError:
    shown = ", ".join(map(repr, genes[:10])) + (f" and {len(genes) - 10} more"
                                               if len(genes) > 10 else "")
    return ValueError(f"the expression values of gene(s) {shown} are NaN or infinite in the "
                      f"compared cells; replace them (e.g. with numpy.nan_to_num) or leave those "
                      f"genes out before comparing")


def _gene_names(gene_names: Sequence[str] | None, n_vars: int) -> np.ndarray:
    if gene_names is None:
        return np.array([str(j) for j in range(n_vars)], dtype=object)
    names = np.asarray(list(gene_names), dtype=object)
    if names.shape != (n_vars,):
        raise ValueError(f"gene_names has {names.size} names but the matrix has {n_vars} genes")
    return names


def _n_genes(n_genes: int | None, n_vars: int) -> int:
    if n_genes is None:
        return n_vars
    if isinstance(n_genes, bool) or not isinstance(n_genes, (int, np.integer)) or n_genes < 1:
        raise ValueError(f"n_genes must be a positive integer or None, got {n_genes!r}")
    return min(int(n_genes), n_vars)
