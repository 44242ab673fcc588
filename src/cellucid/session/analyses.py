"""Comparisons and gene plots of one viewer: computed in Python, kept by id for its page.

Python computes (`compare`, `gene_plot`); the page only shows, fetching a result by id from the
dataset API (`comparison_json`, `gene_plot_json`). `compare_and_show` and `plot_and_show` are
what the `Viewer` asks for; what the page asks for runs on the viewer's worker (`page_work`).
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
import warnings
from collections import OrderedDict
from typing import NamedTuple

import numpy as np
import pandas as pd

from ..data.names import UnknownName
from ..errors import CommandError

logger = logging.getLogger("cellucid")

KEPT_RESULTS = 16          # results a page can still fetch; older ones are dropped

class Compared(NamedTuple):
    """A comparison kept for the page: its id, scanpy's frame, the matrix compared (its label:
    ``.raw``, ``X``, ``layer 'counts'``) and a note for the user (negative values) or None."""

    result_id: str
    frame: pd.DataFrame
    matrix: str
    note: str | None


class Analyses:
    """The comparisons and gene plots of one viewer (``session``: its `ViewerSession`)."""

    def __init__(self, session) -> None:
        self.session = session
        self.data = session.data
        self._results: OrderedDict[str, dict] = OrderedDict()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    # -- asked from Python ----------------------------------------------------------------------
    def compare_and_show(self, group, reference, *, method: str, use_raw: bool | None,
                         layer: str | None, tie_correct: bool, n_genes: int | None
                         ) -> pd.DataFrame:
        """Rank, warn about negative values, show the result in the page; see `Viewer.compare`."""
        # late: the statistics load with the first comparison
        from ..compare import REST, NegativeValuesWarning

        self.session.check_running()
        group_cells, group_label = self._side(group, "group")
        if isinstance(reference, str) and reference == REST:
            reference_cells, reference_label = REST, REST
        else:
            reference_cells, reference_label = self._side(reference, "reference")
        compared = self.compare(
            group_cells, reference_cells, method=method, use_raw=use_raw, layer=layer,
            tie_correct=tie_correct, n_genes=n_genes, labels=(group_label, reference_label))
        if compared.note:   # attributed to the line that called viewer.compare
            warnings.warn(compared.note, NegativeValuesWarning, stacklevel=3)
        self._show("showComparison", compared.result_id)
        return compared.frame

    def plot_and_show(self, genes, groupby: str, *, use_raw: bool | None,
                      layer: str | None) -> pd.DataFrame:
        """Compute the gene plots, show them in the page; see `Viewer.plot_genes`."""
        self.session.check_running()
        result_id, dots = self.gene_plot(genes, groupby, use_raw=use_raw, layer=layer)
        self._show("showGenePlot", result_id)
        return dots

    def _side(self, spec, side: str):
        if isinstance(spec, str):
            return self.session.highlights.cells_of(spec), spec
        return spec, side

    def _show(self, command: str, result_id: str) -> None:
        try:
            self.session.command(command, {"resultId": result_id})
        except CommandError as exc:   # the result is Python's anyway: say so, do not lose it
            logger.warning("cellucid: the page could not show the result (%s)", exc)

    # -- computing ----------------------------------------------------------------------------
    def compare(self, group, reference, *, method: str = "wilcoxon", use_raw: bool | None = None,
                layer: str | None = None, tie_correct: bool = False, n_genes: int | None = None,
                labels: tuple[str, str] = ("group", "rest"), progress: bool | None = None
                ) -> Compared:
        """Rank the genes of ``group`` against ``reference`` (cells, a mask, or ``"rest"``) in
        the matrix scanpy would read for ``use_raw`` and ``layer`` (``.raw`` when there is one).

        Returns a `Compared`: the frame is scanpy's ``rank_genes_groups_df``; the note, when not
        None, says that the compared matrix has negative values (the caller warns with it; the
        page shows it). Raises `ValueError` for a bad group, reference, method, matrix choice or
        layer, or NaN in the values.
        """
        # Late: the statistics (scipy.stats) load with the first comparison, not with cellucid.
        from ..compare import (REST, choose_matrix, compute_ranking, dataset_source,
                               resolve_comparison)

        dataset = self.data.dataset
        matrix = choose_matrix(dataset, use_raw, layer)
        comparison = resolve_comparison(group, reference, dataset.n_cells)
        ranking = compute_ranking(
            dataset_source(dataset, matrix.key), comparison.group,
            "rest" if comparison.reference_is_rest else comparison.reference,
            method=method, n_genes=n_genes, tie_correct=tie_correct,
            log1p_base=dataset.log1p_base, progress=progress,
            gene_names=np.asarray(dataset.genes_of(matrix.key).names, dtype=object))
        note = ranking.negative_values_message(matrix.label)
        reference_cells = REST if comparison.reference_is_rest else comparison.reference
        params = {"group": comparison.group, "reference": reference_cells, "method": method,
                  "matrix": matrix.key, "tie_correct": bool(tie_correct), "n_genes": n_genes,
                  "group_label": labels[0], "reference_label": labels[1]}
        result = {"kind": "comparison", "params": params, "method": method,
                  "frame": ranking.frame, "matrix": matrix.describe(),
                  "tie_correct": bool(tie_correct), "log1p_base": dataset.log1p_base,
                  "notes": [note] if note else [],
                  "group": {"label": labels[0], "n_cells": comparison.n_group},
                  "reference": {"label": labels[1], "n_cells": comparison.n_reference}}
        return Compared(self._keep(result), ranking.frame, matrix.label, note)

    def gene_plot(self, genes, groupby: str, *, use_raw: bool | None = None,
                  layer: str | None = None) -> tuple[str, pd.DataFrame]:
        """Dot-plot statistics and violin summaries of ``genes`` in each category of ``groupby``,
        from the matrix scanpy's dot plot would read for ``use_raw`` and ``layer``.

        Returns ``(result id, dot-plot DataFrame)``. Raises `KeyError` for an unknown gene or
        column, `ValueError` for a column that is not categorical, too many genes or a bad
        matrix choice.
        """
        if isinstance(genes, str):
            genes = [genes]
        genes = [str(g) for g in genes]
        field = self.data.obs_field(groupby)
        if field.kind not in ("categorical", "boolean"):
            raise ValueError(f"{groupby!r} is {field.kind}: group cells by a categorical column "
                             f"(e.g. clusters or cell types)")
        codes, _ = self.data.obs_values(groupby)
        categories = field.info["categories"]
        dataset = self.data.dataset
        # late, as in `compare`
        from ..compare import choose_matrix, gene_summary, violin_values

        matrix = choose_matrix(dataset, use_raw, layer)
        dots = gene_summary(dataset, genes, codes, categories, matrix.key)
        violins = violin_values(dataset, genes, codes, categories, matrix.key)
        params = {"genes": genes, "groupby": groupby, "matrix": matrix.key}
        result = {"kind": "geneplot", "params": params, "groupby": groupby,
                  "categories": list(categories),
                  "genes": list(dict.fromkeys(dots["gene"])), "dots": dots, "violins": violins,
                  "matrix": matrix.describe()}
        return self._keep(result), dots

    def _keep(self, result: dict) -> str:
        with self._lock:
            result_id = f"r{next(self._ids)}"
            self._results[result_id] = result
            while len(self._results) > KEPT_RESULTS:
                self._results.popitem(last=False)
        return result_id

    def parameters(self, result_id: str) -> dict | None:
        """What result ``result_id`` was computed from, or None when it is no longer kept: a
        comparison's ``group``, ``reference`` (cells or ``"rest"``), ``method``, ``matrix`` (its
        key), ``tie_correct``, ``n_genes``, ``group_label``, ``reference_label``; a gene plot's
        ``genes``, ``groupby`` and ``matrix``; and ``kind`` (``"comparison"`` or
        ``"geneplot"``)."""
        with self._lock:
            result = self._results.get(result_id)
        return None if result is None else {"kind": result["kind"], **result["params"]}

    def _result(self, result_id: str, kind: str) -> dict:
        with self._lock:
            result = self._results.get(result_id)
        if result is None or result["kind"] != kind:
            raise UnknownName(kind, result_id, [k for k, r in self._results.items()
                                                if r["kind"] == kind])
        return result

    # -- what the page fetches ----------------------------------------------------------------
    def comparison_json(self, result_id: str) -> dict:
        """The comparison ``result_id`` as the page reads it (NaN as null); `UnknownName`."""
        result = self._result(result_id, "comparison")
        frame = result["frame"]
        genes = {"names": [str(n) for n in frame["names"]]}
        for column in frame.columns[1:]:
            genes[column] = _floats(frame[column])
        return {"id": result_id, "method": result["method"], "group": result["group"],
                "reference": result["reference"], "matrix": result["matrix"],
                "tie_correct": result["tie_correct"], "log1p_base": result["log1p_base"],
                "notes": result["notes"], "genes": genes}

    def gene_plot_json(self, result_id: str) -> dict:
        """The gene plot ``result_id`` as the page reads it (NaN as null); `UnknownName`."""
        result = self._result(result_id, "geneplot")
        dots = [{"gene": r.gene, "group": r.group, "mean_expression": _float(r.mean_expression),
                 "fraction_expressing": _float(r.fraction_expressing), "n_cells": int(r.n_cells)}
                for r in result["dots"].itertuples()]
        violins = []
        for r in result["violins"].itertuples():
            violins.append({"gene": r.gene, "group": r.group, "n_cells": int(r.n_cells),
                            **{k: _float(getattr(r, k))
                               for k in ("min", "q1", "median", "q3", "max")},
                            "values": _floats(r.values)})
        return {"id": result_id, "groupby": result["groupby"],
                "categories": result["categories"], "genes": result["genes"],
                "matrix": result["matrix"], "dot": dots, "violins": violins}


def _float(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _floats(values) -> list:
    array = np.asarray(values, dtype=np.float64)
    return [v if math.isfinite(v) else None for v in array.tolist()]
