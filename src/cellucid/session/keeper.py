"""`SessionKeeper`: saving and restoring the views of one viewer (a part of its
`ViewerSession`), whichever way it is asked — ``viewer.save_session``/``load_session`` from
Python, Save session/Open session in the page (`server.session_files`).

Saving joins the page's part of the view (camera, colouring, groups, selection, visibility,
panels) with Python's (labels, values pushed from Python, what the panels show) and the identity
of the cells. Restoring plans first (`sessionfile.restore.plan_restore`: nothing changes on a
refusal), runs the comparison, then sets Python's part (labels land in ``adata.obs`` as live ones
do) and sends the page its part in one ``restoreSession`` command.
"""

from __future__ import annotations

import secrets
import threading
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ..data.layers import RAW
from ..errors import CommandError
from ..sessionfile.bundle import SessionBundle, as_bundle
from ..sessionfile.document import dump_document, parse_document
from ..sessionfile.identity import names_hash
from ..sessionfile.restore import (RestorePlan, SessionReport, SessionWarning, Target,
                                   plan_restore)
from ..sessionfile.sections import values_series

RESTORE_TIMEOUT = 60.0


class SessionKeeper:
    """Saves and restores the views of one viewer (``session``: its `ViewerSession`)."""

    def __init__(self, session) -> None:
        self.session = session
        self._lock = threading.Lock()
        self._hash: str | None = None
        self._hashed = False

    # -- saving --------------------------------------------------------------------------------
    def names_hash(self) -> str | None:
        """The hash of this viewer's cell names (computed once)."""
        if not self._hashed:
            self._hash, self._hashed = names_hash(self.session.dataset.cell_names), True
        return self._hash

    def current(self, timeout: float) -> SessionBundle:
        """The whole session as it is now: the page's part, asked of the page, with Python's;
        see `Viewer.get_session_bundle`. Raises `TimeoutError`, `CommandError`."""
        page_view = self.session.uploads.page_view(timeout)
        try:
            return self.capture(page_view)
        except ValueError as exc:
            raise CommandError(f"the viewer sent a malformed session bundle: {exc}") from None

    def save(self, path, timeout: float) -> Path:
        """Write the session as it is now to ``path``; see `Viewer.save_session`."""
        return self.current(timeout).save(path)

    def capture(self, page_view: dict) -> SessionBundle:
        """The whole session: the page's part (``page_view``, as the page sends it) with
        Python's and the identity of the cells. Raises `ValueError` for a malformed page part."""
        session = self.session
        labels = session.annotations.labels
        # a tiled page names its sets of cells by reference: the kernel holds them
        bundle = SessionBundle.from_json(session.selection.inline_refs(page_view),
                                         session.n_cells)
        bundle.obs_names_hash = self.names_hash()
        bundle.embeddings = list(session.dataset.embedding_names)
        if labels.categories:
            bundle.labels = labels.series().reset_index(drop=True)
            bundle.labels_key = labels.key
        columns, embeddings = session.pushed.by_title()
        bundle.values = {title: values_series(f.kind, f.values, f.info.get("categories"))
                         for title, f in columns.items() if title != labels.key}
        bundle.pushed_embeddings = {title: e.coords for title, e in embeddings.items()}
        panels = page_view.get("panels") if isinstance(page_view.get("panels"), dict) else {}
        bundle.comparison = self._shown(panels, "compare", "comparison")
        bundle.gene_plots = self._shown(panels, "genePlots", "geneplot")
        names = session.dataset.cell_names
        if names is not None:
            cells = bundle.referenced_cells()
            bundle.cell_names = pd.Series(np.asarray(names, dtype=object)[cells], index=cells)
        return bundle

    def _shown(self, panels: dict, panel: str, kind: str) -> dict | None:
        state = panels.get(panel)
        if not isinstance(state, dict) or not state.get("open") or not state.get("resultId"):
            return None
        params = self.session.analyses.parameters(str(state["resultId"]))
        if params is None or params.pop("kind") != kind:
            return None
        if kind == "comparison":
            reference = params["reference"]
            params.update(group=np.asarray(params["group"]).tolist(),
                          reference=reference if isinstance(reference, str)
                          else np.asarray(reference).tolist())
        return params

    def save_for_page(self, body: bytes) -> bytes:
        """Save session in the page: its view (``body``) made a whole session file's bytes.
        Raises `ValueError` for a body that is not the page's view."""
        return dump_document(self.capture(parse_document(body, "the page's view")).to_json())

    # -- restoring -----------------------------------------------------------------------------
    def restore(self, source, *, strict: bool = True, wait: bool = True,
                timeout: float = RESTORE_TIMEOUT, warn: bool = True) -> SessionReport:
        """Show the session ``source`` (a `SessionBundle`, a path, the file's bytes or its JSON
        object); returns what was restored and dropped, warned as a `SessionWarning` when
        something was dropped (``warn``).

        Raises `ValueError` for a file that is not a readable session, `SessionMismatch` for a
        session of other cells (strict), `ValueError` for what cannot be restored (strict) and
        on a viewer drawn by level of detail (more cells than its point budget);
        each refusal leaves the viewer as it was. `CommandError` when the page does not show
        it within ``timeout`` (it still does once it can).
        """
        bundle = as_bundle(source)
        if self.session.tiles.tiled:
            raise ValueError(
                f"a saved session cannot be restored onto this viewer: its "
                f"{self.session.n_cells:,} cells are more than its point budget "
                f"({self.session.tiles.budget:,}), so the page draws them by level of detail and "
                f"its selection, groups and hidden cells are kept in Python; show the data with "
                f"a point_budget of at least {self.session.n_cells:,} to restore it")
        with self._lock:
            plan = plan_restore(bundle, self._target(), strict)
            comparison = self._compare(plan, strict)   # before anything changes
            self._apply_python(plan)
            plots = self._plot_genes(plan)
            self._deliver(self._page_fields(plan, comparison, plots), wait, timeout)
        if warn and not plan.report.complete:
            warnings.warn(str(plan.report), SessionWarning, stacklevel=3)
        return plan.report

    def open_for_page(self, body: bytes, strict: bool) -> SessionReport:
        """Open session in the page: restore the file's bytes as `restore` does, without
        waiting for the page (which is waiting for this answer)."""
        bundle = SessionBundle.from_json(parse_document(body, "the file opened"))
        return self.restore(bundle, strict=strict, wait=False, warn=False)

    def _target(self) -> Target:
        session = self.session
        columns, embeddings = session.pushed.by_title()
        return Target(dataset=session.dataset, n_cells=session.n_cells,
                      cell_names=session.dataset.cell_names,
                      labels_key=session.annotations.labels.key,
                      labels_field=session.annotations.field, pushed_columns=list(columns),
                      pushed_embeddings={t: e.dims for t, e in embeddings.items()})

    def _compare(self, plan: RestorePlan, strict: bool) -> str | None:
        saved = plan.comparison
        if saved is None:
            return None
        try:
            return self.session.analyses.compare(
                saved["group"], saved["reference"], method=saved["method"],
                **matrix_arguments(saved["matrix"]), tie_correct=saved["tie_correct"],
                n_genes=saved["n_genes"], progress=False,
                labels=(saved["group_label"] or "group", saved["reference_label"] or "rest"),
            ).result_id
        except ValueError as exc:
            if strict:
                raise ValueError(f"cannot restore the comparison: {exc}") from None
            plan.report.dropped.append(f"the comparison ({exc})")
            return None

    def _apply_python(self, plan: RestorePlan) -> None:
        session = self.session
        for title, series in plan.values.items():
            session.pushed.put_values(title, series)
        for title, coords in plan.embeddings.items():
            session.pushed.put_embedding(title, coords)
        if plan.labels is not None:
            session.annotations.replace(plan.labels)
        session.highlights.forget()   # the session's groups are the page's now

    def _plot_genes(self, plan: RestorePlan) -> str | None:
        saved = plan.gene_plots
        if saved is None:
            return None
        try:
            return self.session.analyses.gene_plot(saved["genes"], saved["groupby"],
                                                   **matrix_arguments(saved["matrix"]))[0]
        except (ValueError, KeyError) as exc:
            plan.report.dropped.append(f"the gene plots ({exc})")
            return None

    def _page_fields(self, plan: RestorePlan, comparison: str | None, plots: str | None
                     ) -> dict:
        panels = {name: dict(state) for name, state in plan.page["panels"].items()}
        for name, result_id in (("compare", comparison), ("genePlots", plots)):
            if result_id is not None:   # what a session holds was shown: its panel opens
                panels.setdefault(name, {"open": True, "collapsed": False})
            if name in panels:
                panels[name]["resultId"] = result_id
        return {**plan.page, "panels": panels, "restoreId": secrets.token_hex(6),
                "revision": self.session.data.revision}

    def _deliver(self, fields: dict, wait: bool, timeout: float) -> None:
        # A page that opens later restores it as it starts (`_cellucid/info`); the command is
        # for the page open now, and one that read its info just before this.
        self.session.options["session"] = fields
        self.session.command("restoreSession", fields, wait=wait, timeout=timeout)


def matrix_arguments(key: str) -> dict:
    """``use_raw``/``layer`` arguments naming the matrix ``key`` (``".raw"``, ``"X"``, a layer)."""
    return {"use_raw": True, "layer": None} if key == RAW else {"use_raw": False, "layer": key}

