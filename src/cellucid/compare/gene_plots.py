"""Per-group summaries of a few genes: dot plots (`gene_summary`) and violins (`violin_values`).

Cells are grouped by a categorical obs column as the dataset encodes it: ``uint16`` codes into a
list of categories, `MISSING_CODE` for cells without a category (left out). Each requested gene
is read as one column of every cell, as the dataset reads its matrix best (`Dataset.layer`), so
this works the same way, out of core, for every dataset kind; only ``MAX_GENES`` genes can be
asked for at a time. A CSR matrix in memory gives those genes in one pass, a dask-backed one in
one dask computation, a task per chunk.

The dot plot statistics follow scanpy's ``sc.pl.dotplot`` defaults (``expression_cutoff=0``,
``mean_only_expressed=False``): the mean is over all cells of the group, zeros included, and a
cell expresses a gene when its value is above 0 (negative values of scaled data do not count).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data.obs import MISSING_CODE
from .matrices import checked_matrix

MAX_GENES = 30
VIOLIN_POINTS = 2_000          # values shown per group at most
VIOLIN_TOTAL_POINTS = 200_000  # values shown per gene at most, over all groups
QUANTILES = (0.0, 0.25, 0.5, 0.75, 1.0)
QUANTILE_COLUMNS = ("min", "q1", "median", "q3", "max")


@dataclass(frozen=True)
class Grouping:
    """The cells that have a category, and their group codes.

    ``cells`` are the positions of those cells (None when every cell has one), ``codes`` their
    codes (``uint16``), ``sizes`` the number of cells per category.
    """

    categories: list[str]
    cells: np.ndarray | None
    codes: np.ndarray
    sizes: np.ndarray

    def restrict(self, column: np.ndarray) -> np.ndarray:
        """A per-cell column restricted to the grouped cells, in the order of ``codes``."""
        return column if self.cells is None else column[self.cells]


def resolve_grouping(groupby_codes, categories: Sequence[str], n_cells: int) -> Grouping:
    """Check ``groupby_codes`` (one code per cell) against ``categories`` and index the groups.

    Raises ``ValueError`` for codes that are not one integer per cell, or that are neither a
    category's position nor `MISSING_CODE`.
    """
    categories = [str(c) for c in categories]
    codes = np.asarray(groupby_codes)
    if codes.shape != (n_cells,):
        raise ValueError(f"groupby_codes must hold one code per cell ({n_cells}), "
                         f"got an array of shape {codes.shape}")
    if codes.size and not np.issubdtype(codes.dtype, np.integer):
        raise ValueError(f"groupby_codes must be integer category codes, got dtype {codes.dtype}")
    if len(categories) >= MISSING_CODE:
        raise ValueError(f"at most {MISSING_CODE - 1} categories can be grouped by, "
                         f"got {len(categories)}")
    valid = codes != MISSING_CODE
    bad = codes[valid & ((codes < 0) | (codes >= len(categories)))]
    if bad.size:
        raise ValueError(f"groupby_codes holds {bad.size} code(s) outside the {len(categories)} "
                         f"categories (e.g. {int(bad[0])}); use {MISSING_CODE} for missing")
    cells = None if valid.all() else np.flatnonzero(valid)
    kept = (codes if cells is None else codes[cells]).astype(np.uint16)
    sizes = np.bincount(kept, minlength=len(categories)).astype(np.int64)
    return Grouping(categories, cells, kept, sizes)


def gene_positions(dataset, genes: Sequence[str], layer: str | None = None
                   ) -> tuple[list[str], list[int]]:
    """The requested genes (duplicates dropped, order kept) and their positions in matrix
    ``layer`` of ``dataset`` (``.raw`` has genes of its own).

    Raises ``ValueError`` for no genes or more than ``MAX_GENES``, and ``KeyError`` naming the
    closest genes for an unknown one.
    """
    requested = [genes] if isinstance(genes, str) else [str(g) for g in genes]
    requested = list(dict.fromkeys(requested))
    if not requested:
        raise ValueError("no genes given: pass at least one gene name")
    if len(requested) > MAX_GENES:
        raise ValueError(f"{len(requested)} genes requested; at most {MAX_GENES} can be "
                         f"summarised at a time")
    genes_index = dataset.genes_of(layer)
    return requested, [genes_index.position(g) for g in requested]


def _prepare(dataset, genes, groupby_codes, categories, layer):
    layer = checked_matrix(dataset, layer).key
    grouping = resolve_grouping(groupby_codes, categories, dataset.n_cells)
    names, positions = gene_positions(dataset, genes, layer)
    return grouping, names, dataset.layer(layer).gene_columns(positions)


def gene_summary(dataset, genes: Sequence[str], groupby_codes, categories: Sequence[str],
                 layer: str | None = None) -> pd.DataFrame:
    """Dot plot statistics of ``genes`` in each group of cells.

    ``groupby_codes`` gives each cell's category (``uint16`` codes into ``categories``,
    `MISSING_CODE` for none: such cells are left out), as ``dataset.obs_values`` returns them for
    a categorical column. ``layer`` is ``"X"``, a layer or `~cellucid.data.layers.RAW` (default:
    the dataset's default layer; `matrices.choose_matrix` picks scanpy's).

    Returns a long DataFrame, one row per gene and category (genes in the order asked, then
    categories in order) with columns ``gene`` (as asked), ``group``, ``mean_expression`` (mean
    over all the group's cells, zeros included), ``fraction_expressing`` (fraction of its cells
    with a value above 0) and ``n_cells``. An empty group has NaN mean and fraction.

    Raises ``KeyError`` naming the closest genes for an unknown gene, ``ValueError`` for more
    than ``MAX_GENES`` genes, an unknown layer or malformed codes (see `resolve_grouping`).
    """
    grouping, names, columns = _prepare(dataset, genes, groupby_codes, categories, layer)
    n_groups, sizes = len(grouping.categories), grouping.sizes
    means, fractions = [], []
    with np.errstate(invalid="ignore", divide="ignore"):
        for column in columns:
            values = grouping.restrict(column)
            totals = np.bincount(grouping.codes, weights=values, minlength=n_groups)
            expressing = np.bincount(grouping.codes[values > 0], minlength=n_groups)
            means.append(totals / sizes)
            fractions.append(expressing / sizes)
    n_genes = len(names)
    return pd.DataFrame({
        "gene": np.repeat(np.asarray(names, dtype=object), n_groups),
        "group": np.tile(np.asarray(grouping.categories, dtype=object), n_genes),
        "mean_expression": np.concatenate(means) if means else np.empty(0),
        "fraction_expressing": np.concatenate(fractions) if fractions else np.empty(0),
        "n_cells": np.tile(sizes, n_genes),
    })


def _sample_cells(grouping: Grouping, cap: int, seed: int) -> list[np.ndarray]:
    """Per category, up to ``cap`` of its cells (positions among the grouped cells), sorted."""
    rng = np.random.default_rng(seed)
    order = np.argsort(grouping.codes, kind="stable")
    bounds = np.concatenate(([0], np.cumsum(grouping.sizes)))
    samples = []
    for g in range(len(grouping.categories)):
        members = order[bounds[g]:bounds[g + 1]]
        if members.size > cap:
            members = members[np.sort(rng.choice(members.size, cap, replace=False))]
        samples.append(members)
    return samples


def group_quantiles(values: np.ndarray, codes: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """`QUANTILES` of ``values`` within each group: float64 ``(n_groups, 5)``.

    Uses numpy's default (linear) interpolation; NaN for an empty group or one holding NaN.
    """
    result = np.full((sizes.size, len(QUANTILES)), np.nan)
    if values.size == 0:
        return result
    # sort by value, then (stably, a radix sort on uint16 codes) by group
    order = np.argsort(values, kind="stable")
    order = order[np.argsort(codes[order], kind="stable")]
    ordered = values[order].astype(np.float64)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))[:, None]
    last = np.maximum(sizes - 1, 0)[:, None]
    position = np.asarray(QUANTILES)[None, :] * last
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, last)
    t = position - below
    lo = ordered[np.minimum(starts + below, ordered.size - 1)]
    hi = ordered[np.minimum(starts + above, ordered.size - 1)]
    # numpy's lerp: from the nearer end, so that t = 0 and t = 1 give lo and hi exactly
    result = np.where(t < 0.5, lo + (hi - lo) * t, hi - (hi - lo) * (1 - t))
    has_nan = np.bincount(codes[np.isnan(values)], minlength=sizes.size) > 0
    result[(sizes == 0) | has_nan] = np.nan
    return result


def violin_values(dataset, genes: Sequence[str], groupby_codes, categories: Sequence[str],
                  layer: str | None = None, *, max_points: int = VIOLIN_POINTS,
                  max_total_points: int = VIOLIN_TOTAL_POINTS, seed: int = 0) -> pd.DataFrame:
    """What a violin plot of ``genes`` per group needs, of a size bounded whatever the cells.

    Arguments are as for `gene_summary`. Each group shows the values of at most ``max_points``
    of its cells, and all groups together at most ``max_total_points`` per gene (fewer per group
    when there are many groups, at least one each); the cells are drawn at random with ``seed``,
    once for all genes, so every gene shows the same cells.

    Returns a DataFrame, one row per gene and category, with columns ``gene``, ``group``,
    ``n_cells``, ``mean``, ``min``, ``q1``, ``median``, ``q3``, ``max`` (over all the group's
    cells; numpy's linear quantiles; NaN for an empty group) and ``values`` (float32 array of
    the shown cells' values, in cell order).

    Raises what `gene_summary` raises, and ``ValueError`` for limits below 1.
    """
    for label, limit in (("max_points", max_points), ("max_total_points", max_total_points)):
        if isinstance(limit, bool) or not isinstance(limit, (int, np.integer)) or limit < 1:
            raise ValueError(f"{label} must be a positive integer, got {limit!r}")
    grouping, names, columns = _prepare(dataset, genes, groupby_codes, categories, layer)
    n_groups, sizes = len(grouping.categories), grouping.sizes
    n_shown = max(1, int(np.count_nonzero(sizes)))
    samples = _sample_cells(grouping, max(1, min(max_points, max_total_points // n_shown)), seed)
    rows = []
    with np.errstate(invalid="ignore", divide="ignore"):
        for name, column in zip(names, columns):
            values = grouping.restrict(column)
            means = np.bincount(grouping.codes, weights=values, minlength=n_groups) / sizes
            quantiles = group_quantiles(values, grouping.codes, sizes)
            for g, category in enumerate(grouping.categories):
                row = {"gene": name, "group": category, "n_cells": int(sizes[g]),
                       "mean": float(means[g])}
                row.update(zip(QUANTILE_COLUMNS, quantiles[g].tolist()))
                row["values"] = values[samples[g]]
                rows.append(row)
    return pd.DataFrame(rows, columns=["gene", "group", "n_cells", "mean", *QUANTILE_COLUMNS,
                                       "values"])
