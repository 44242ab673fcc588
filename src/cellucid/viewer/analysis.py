"""The `Viewer`'s analysis methods: compare groups of cells, plot genes by group, save images.

Python computes (`analyses.Analyses`); the page shows the result and, for images, renders it.
Comparisons and gene plots asked for in the page run on the viewer's worker thread and reach
Python's hooks as ``comparison`` events.
"""

from __future__ import annotations

import logging
import shutil
import warnings
from pathlib import Path

import pandas as pd

from ..session.analyses import Busy
from ..session.dispatch import QueueFull
from ..errors import CommandError
from ..server.events import deliver
from ..session.image import MAX_SCALE, png_size

logger = logging.getLogger("cellucid")


class AnalysisMethods:
    """Mixed into `Viewer` (uses its session, commands and uploads)."""

    def compare(self, group, reference="rest", *, method: str = "wilcoxon",
                use_raw: bool | None = None, layer: str | None = None,
                tie_correct: bool = False, n_genes: int | None = None) -> pd.DataFrame:
        """Marker genes of ``group`` against ``reference``, as scanpy's ``rank_genes_groups_df``.

        ``group`` and ``reference`` are cell indices, a boolean mask or a highlight group's
        name; ``reference`` may be ``"rest"`` (every other cell). ``method`` is ``"wilcoxon"``
        or ``"t-test"`` (Welch); ``tie_correct`` corrects Wilcoxon for ties. The matrix is
        scanpy's default: ``.raw`` when the data has one (``use_raw=None``), ``X`` with
        ``use_raw=False``, or ``layer``; fold changes honour ``uns["log1p"]["base"]``.
        Returns the frame (``names, scores, logfoldchanges, pvals, pvals_adj, pct_nz_group,
        pct_nz_reference``, by score) and shows it in the page, which names the matrix.
        Warns `~cellucid.compare.NegativeValuesWarning` when the matrix has negative values
        (scaled data: fold changes mean nothing there).
        Raises `ValueError` for an empty group, overlapping sides, a group of every cell with
        ``"rest"``, an unknown layer or method, ``use_raw=True`` without a ``.raw`` or with a
        layer, NaN in the values; `KeyError` for an unknown highlight group.
        """
        # late: the statistics load with the first comparison
        from ..compare import REST, NegativeValuesWarning

        self._check_running()
        group_cells, group_label = self._comparison_side(group, "group")
        if isinstance(reference, str) and reference == REST:
            reference_cells, reference_label = REST, REST
        else:
            reference_cells, reference_label = self._comparison_side(reference, "reference")
        compared = self._session.analyses.compare(
            group_cells, reference_cells, method=method, use_raw=use_raw, layer=layer,
            tie_correct=tie_correct, n_genes=n_genes, labels=(group_label, reference_label))
        if compared.note:
            warnings.warn(compared.note, NegativeValuesWarning, stacklevel=2)
        self._show_result("showComparison", compared.result_id)
        return compared.frame

    def plot_genes(self, genes, groupby: str, *, use_raw: bool | None = None,
                   layer: str | None = None) -> pd.DataFrame:
        """Dot plot (mean expression, fraction expressing) and violins of ``genes`` (up to 30)
        in each category of ``groupby``, drawn in the page; returns the dot-plot frame
        (``gene, group, mean_expression, fraction_expressing, n_cells``), the numbers of
        ``sc.pl.dotplot``. The matrix is chosen as scanpy's: ``.raw`` when there is one
        (``use_raw=None``), ``X`` with ``use_raw=False``, or ``layer``.

        Raises `KeyError` naming the closest names for an unknown gene or column, `ValueError`
        for a column that is not categorical, more than 30 genes or a bad matrix choice.
        """
        self._check_running()
        result_id, dots = self._session.analyses.gene_plot(genes, groupby, use_raw=use_raw,
                                                           layer=layer)
        self._show_result("showGenePlot", result_id)
        return dots

    def save_image(self, path, *, scale: float = 2, timeout: float = 60) -> Path:
        """Write a PNG of the current view (legend or colour bar included) at ``scale`` × the
        canvas size, rendered by the page; returns the path.

        Raises `ValueError` for a scale outside (0, 8], `TimeoutError` when no page answers,
        `CommandError` when the page could not render or send it.
        """
        scale = float(scale)
        if not 0 < scale <= MAX_SCALE:
            raise ValueError(f"scale must be above 0 and at most {MAX_SCALE:g}, got {scale:g}")
        reply = self._upload("image", "requestImage", {"scale": scale}, "image", timeout,
                             "an image")
        source = Path(reply["path"])
        try:
            with source.open("rb") as png:
                png_size(png.read(24))
            target = Path(path)
            shutil.move(str(source), target)
        except ValueError as exc:
            raise CommandError(f"the viewer sent something else than an image: {exc}") from None
        finally:
            source.unlink(missing_ok=True)
        return target

    # -- helpers ------------------------------------------------------------------------------
    def _comparison_side(self, spec, side: str):
        if isinstance(spec, str):
            return self._group_cells(spec), spec
        return spec, side

    def _group_cells(self, name: str) -> list[int]:
        """The cells of highlight group ``name``: one made from Python, else one of the page's."""
        if name in self._groups:
            return self._groups[name]
        known = list(self._groups)
        if self._session.commands.connected:
            bundle = self.get_session_bundle(timeout=15)
            for group in bundle.highlight_groups:
                if group.name == name:
                    return group.cells
            known += [g.name for g in bundle.highlight_groups]
        raise KeyError(f"no highlight group named {name!r}; the viewer has "
                       f"{', '.join(map(repr, known)) or 'none'} — or pass cell indices or a mask")

    def _show_result(self, command: str, result_id: str) -> None:
        try:
            self._command(command, {"resultId": result_id})
        except CommandError as exc:   # the result is Python's anyway: say so, do not lose it
            logger.warning("cellucid: the page could not show the result (%s)", exc)

    def _on_compare_request(self, payload: dict) -> None:
        from ..compare import REST, NegativeValuesWarning   # late, as in `compare`

        session, request_id = self._session, payload["requestId"]
        reference = payload["reference"]
        labels = (payload.get("groupLabel") or f"selection ({len(payload['group'])} cells)",
                  payload.get("referenceLabel") or (REST if reference == REST
                                                    else f"{len(reference)} cells"))

        def work() -> None:
            try:
                compared = session.analyses.compare(
                    payload["group"], reference, method=payload["method"], labels=labels,
                    use_raw=payload.get("useRaw"), layer=payload.get("layer"),
                    tie_correct=payload.get("tieCorrect", False), progress=False)
            except (ValueError, KeyError) as exc:
                self._tell_page("showComparison", {"requestId": request_id,
                                                   "error": _message(exc)})
                return
            if compared.note:
                warnings.warn(compared.note, NegativeValuesWarning, stacklevel=1)
            self._emit("comparison", {"group": payload["group"], "reference": reference,
                                      "method": payload["method"], "matrix": compared.matrix,
                                      "tie_correct": payload.get("tieCorrect", False),
                                      "result": compared.frame})
            self._tell_page("showComparison", {"requestId": request_id,
                                               "resultId": compared.result_id})

        self._submit(work, "showComparison", request_id)

    def _on_plot_genes_request(self, payload: dict) -> None:
        session, request_id = self._session, payload["requestId"]

        def work() -> None:
            try:
                result_id, _ = session.analyses.gene_plot(
                    payload["genes"], payload["groupby"], use_raw=payload.get("useRaw"),
                    layer=payload.get("layer"))
            except (ValueError, KeyError) as exc:
                self._tell_page("showGenePlot", {"requestId": request_id,
                                                 "error": _message(exc)})
                return
            self._tell_page("showGenePlot", {"requestId": request_id, "resultId": result_id})

        self._submit(work, "showGenePlot", request_id)

    def _submit(self, work, command: str, request_id: str) -> None:
        try:
            self._session.analyses.submit(work)
        except Busy as exc:
            self._tell_page(command, {"requestId": request_id, "error": str(exc)})

    def _tell_page(self, command: str, fields: dict) -> None:
        if not self._session.stopped:
            try:
                self._session.commands.push(command, fields)
            except CommandError as exc:
                logger.warning("cellucid: could not answer the page (%s)", exc)

    def _emit(self, event_type: str, payload: dict) -> None:
        try:
            deliver(self._session, event_type, payload)
        except QueueFull as exc:
            logger.warning("cellucid: a %r event was not delivered: %s", event_type, exc)


def _message(exc: Exception) -> str:
    return exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
