"""`Viewer`: the Python handle of one viewer — its hooks, its state, and the commands it sends.

A facade: each public method checks its arguments and asks the viewer's `ViewerSession`
(`session/`), which holds every thread, queue and wait. The class keeps no state of its own but
``dataset``, ``height``, ``owns_dataset`` and the notebook widget it made.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ..colors import normalize_color
from ..notebook.display import (iframe_html, marimo_output, mimebundle, new_widget,
                                pointed_at_current_url)
from ..selection.sequence import CellSequence
from ..server import Server, get_server
from ..session.annotations import DEFAULT_KEY as DEFAULT_ANNOTATIONS_KEY
from ..session.dispatch import MESSAGE
from ..session.image import MAX_SCALE
from ..session.session import ViewerSession
from ..sessionfile.bundle import SessionBundle
from ..sessionfile.restore import SessionReport
from ..session.tiled_view import DEFAULT_POINT_BUDGET, check_budget
from .diagnostics import connection_report
from .interrupt import block_until_interrupted


class Viewer:
    """One interactive view of a dataset, served by the process's cellucid server.

    ``point_budget`` is the most cells the page draws at once (see `show_anndata`); a
    ``ValueError`` for one that is not a whole number ≥ 1."""

    def __init__(self, dataset, *, embedding: str | None = None, color: str | None = None,
                 height: int = 600, port: int | None = None, title: str | None = None,
                 server: Server | None = None,
                 annotations_key: str | None = DEFAULT_ANNOTATIONS_KEY,
                 point_budget: int | None = None) -> None:
        budget = check_budget(DEFAULT_POINT_BUDGET if point_budget is None else point_budget)
        self.dataset = dataset
        self.height = int(height)
        self._session = ViewerSession(dataset, server or get_server(port), embedding=embedding,
                                      color=color, title=title, annotations_key=annotations_key,
                                      point_budget=budget)
        self.owns_dataset = False   # set when cellucid opened the dataset (then stop closes it)
        self._widget = None
        self._session.start()

    # -- identity and URLs --------------------------------------------------------------------
    @property
    def viewer_id(self) -> str:
        """This viewer's id (the ``viewerId`` of its events)."""
        return self._session.viewer_id

    @property
    def viewer_token(self) -> str:
        """This viewer's secret; every request of its page carries it."""
        return self._session.token

    @property
    def n_cells(self) -> int:
        """Number of cells shown."""
        return self._session.n_cells

    @property
    def server(self) -> Server:
        """The process's cellucid server this viewer is served by."""
        return self._session.server

    @property
    def server_url(self) -> str:
        """The loopback URL Python itself reaches the server at."""
        return self._session.server.url

    @property
    def viewer_url(self) -> str:
        """The URL a browser opens to show this viewer (direct, proxied, or configured)."""
        return self._session.viewer_url

    def __repr__(self) -> str:
        state = "stopped" if self.stopped else (
            "ready" if self._session.state["ready"] else "waiting for the page")
        return f"<cellucid.Viewer {self.viewer_id} {self.n_cells} cells, {state}>"

    # -- hooks --------------------------------------------------------------------------------
    def on(self, event_type: str) -> Callable[[Callable], Callable]:
        """Decorator: call the function with the payload of every ``event_type`` event."""
        if not isinstance(event_type, str) or not event_type:
            raise ValueError("event type must be a non-empty string, e.g. 'selection'")

        def register(fn: Callable) -> Callable:
            if not callable(fn):
                raise TypeError(f"@viewer.on({event_type!r}) needs a function, got {fn!r}")
            self._session.dispatcher.add_handler(event_type, fn)
            return fn

        return register

    def on_ready(self, fn: Callable) -> Callable:
        """Decorator: called once the page has loaded the data and drawn it."""
        return self.on("ready")(fn)

    def on_selection(self, fn: Callable) -> Callable:
        """Decorator: called with ``{"cells", "source", "mode", ...}`` after each selection step."""
        return self.on("selection")(fn)

    def on_hover(self, fn: Callable) -> Callable:
        """Decorator: called with ``{"cell", "position"}`` when the hovered cell changes."""
        return self.on("hover")(fn)

    def on_click(self, fn: Callable) -> Callable:
        """Decorator: called with ``{"cell", "button", "shift", "ctrl", "alt"}`` on a click."""
        return self.on("click")(fn)

    def on_message(self, fn: Callable) -> Callable:
        """Decorator: called with ``{"event": type, **payload}`` for every event."""
        return self.on(MESSAGE)(fn)

    def off(self, event_type: str | None = None, fn: Callable | None = None) -> int:
        """Remove hooks: all, those of one type (``"message"`` for on_message), or one function.

        Returns how many were removed.
        """
        return self._session.dispatcher.remove_handlers(event_type, fn)

    # -- state and waiting --------------------------------------------------------------------
    @property
    def state(self) -> dict:
        """The latest ``ready``, ``selection``, ``hover``, ``click`` payloads and ``last_event``."""
        return dict(self._session.state)

    @property
    def selection(self) -> list[int] | CellSequence:
        """The cells of the latest selection (empty before any): a list, or a read-only
        `CellSequence` for more than a million cells."""
        latest = self._session.state["selection"] or {}
        cells = latest.get("cells")
        return [] if cells is None else cells if isinstance(cells, CellSequence) else list(cells)

    def wait_for_event(self, event_type: str | None, timeout: float | None = 30,
                       predicate: Callable[[dict], bool] | None = None) -> dict:
        """Block until the next ``event_type`` event routed after this call; return its payload.

        ``event_type=None`` waits for any event and returns ``{"event": type, **payload}``.
        ``predicate(payload)`` runs in the calling thread. Safe from any thread, callbacks and
        running notebook cells included, on either transport. Raises `TimeoutError`,
        `ViewerStopped` if the viewer is stopped meanwhile, or `RuntimeError` at once where the
        page could never be heard (marimo's kernel thread, when the page uses marimo's channel).
        """
        return self._session.wait_for_event(event_type, timeout, predicate)

    async def wait_for_event_async(self, event_type: str | None, timeout: float | None = 30,
                                   predicate: Callable[[dict], bool] | None = None) -> dict:
        """`wait_for_event` for ``await`` (an async cell, an asyncio task): waits in a worker
        thread, so the event loop keeps running. Same arguments, result and errors."""
        return await asyncio.to_thread(self.wait_for_event, event_type, timeout, predicate)

    def wait_for_ready(self, timeout: float | None = 60) -> dict:
        """The ``ready`` payload: at once if the page is ready, else the next one.

        Raises `TimeoutError` (saying what to check), and what `wait_for_event` raises.
        """
        return self._session.wait_for_ready(timeout)

    def wait_for_callbacks(self, timeout: float | None = 10) -> None:
        """Block until every event routed so far went through the callbacks.

        Raises `TimeoutError` when callbacks are still busy after ``timeout`` seconds, and
        `RuntimeError` at once when called from one of this viewer's hooks (it would wait for
        itself).
        """
        self._session.wait_for_callbacks(timeout)

    @property
    def waiters(self) -> int:
        """How many threads are blocked in `wait_for_event` (or a reply) on this viewer now."""
        return self._session.dispatcher.waiters

    @property
    def stopped(self) -> bool:
        """Whether `stop` was called (the page is frozen, hooks no longer run)."""
        return self._session.stopped

    @property
    def pending_commands(self) -> list[dict]:
        """Commands sent and not yet acknowledged by a page, oldest first."""
        return self._session.commands.pending

    # -- commands -----------------------------------------------------------------------------
    def highlight_cells(self, cells, color: str = "#ff0000", name: str | None = None) -> str:
        """Add (or replace) a highlight group drawn in ``color``; returns the group's name.

        Raises `IndexError` for a cell out of range, `ValueError` for a bad colour.
        """
        return self._session.highlights.add(cells, normalize_color(color), name)

    def clear_highlights(self, name: str | None = None) -> None:
        """Remove one highlight group, or all of them."""
        self._session.highlights.clear(name)

    def set_visibility(self, cells=None, visible: bool = True) -> None:
        """Show or hide cells (``cells=None``: all of them)."""
        self._session.set_commands.set_visibility(cells, bool(visible))

    def reset_view(self) -> None:
        """Fit the camera to the data again."""
        self._session.command("resetCamera")

    def select(self, cells) -> None:
        """Set the viewer's selection (it then emits ``selection`` with source ``python``)."""
        self._session.set_commands.select(cells)

    def send_message(self, message: dict) -> None:
        """Send any JSON object to the page (custom front-end extensions receive it)."""
        if not isinstance(message, dict):
            raise TypeError("send_message takes a dict that can be sent as JSON")
        message = dict(message)
        command_type = message.pop("type", "message")
        json.dumps(message)
        self._session.command(str(command_type), message)

    # -- the live loop (docs/live-analysis.md) -------------------------------------------------
    def set_color_by(self, field, *, name: str | None = None) -> None:
        """Colour the cells by an obs column or gene name, or by values computed in Python.

        ``field`` is a name (an obs column, also one added after show, or a gene) or one value
        per cell: a 1-D array, list, pandas Series (aligned by ``obs_names``) or Categorical.
        Numbers get a colour bar, strings/categories/booleans a legend; the title shown is
        ``name``, else the Series' name, else ``"values"``. Raises `KeyError` naming the closest
        real names for an unknown name, `ValueError` for values that do not fit the cells.
        """
        if isinstance(field, str) and name is not None:
            raise ValueError("name= titles values pushed from Python; a column or gene is "
                             "shown under its own name")
        self._session.live.color_by(field, name)

    def set_embedding(self, embedding, *, name: str | None = None) -> None:
        """Show another embedding: an ``obsm`` key (also one added after show) or coordinates.

        Coordinates are an array of shape ``(n_cells, 2)`` or ``(n_cells, 3)``, shown under
        ``name`` (default ``"embedding"``); the view fits them. Raises `KeyError` naming the
        closest embeddings for an unknown key, `ValueError` for coordinates of the wrong shape.
        """
        if isinstance(embedding, str) and name is not None:
            raise ValueError("name= titles coordinates pushed from Python; an obsm "
                             "embedding is shown under its own name")
        self._session.live.show_embedding(embedding, name)

    def refresh(self) -> None:
        """Offer the page the names the data has now (colour-by menu, embeddings, genes).

        The view, the selection and the highlight groups stay; a column coloured by that
        changed since is drawn with its new values.
        """
        self._session.live.refresh()

    def show_only(self, cells) -> None:
        """Hide every cell but ``cells`` and fit the view to them (`show_all` undoes it).

        Raises `IndexError` for a cell out of range.
        """
        self._session.set_commands.show_only(cells)

    def show_all(self) -> None:
        """Show every cell again and fit the view to them."""
        self._session.set_commands.show_all()

    @property
    def annotations(self):
        """The labels given in the page: a categorical pandas Series indexed by ``obs_names``
        (NaN where a cell has none); a later label on the same cells wins."""
        return self._session.annotations.series()

    # -- analyses: Python computes, the page shows ---------------------------------------------
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
        return self._session.analyses.compare_and_show(
            group, reference, method=method, use_raw=use_raw, layer=layer,
            tie_correct=tie_correct, n_genes=n_genes)

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
        return self._session.analyses.plot_and_show(genes, groupby, use_raw=use_raw,
                                                    layer=layer)

    def save_image(self, path, *, scale: float = 2, timeout: float = 60) -> Path:
        """Write a PNG of the current view (legend or colour bar included) at ``scale`` × the
        canvas size, rendered by the page; returns the path.

        Raises `ValueError` for a scale outside (0, 8], `TimeoutError` when no page answers,
        `CommandError` when the page could not render or send it.
        """
        scale = float(scale)
        if not 0 < scale <= MAX_SCALE:
            raise ValueError(f"scale must be above 0 and at most {MAX_SCALE:g}, got {scale:g}")
        return self._session.uploads.image(path, scale, timeout)

    # -- diagnostics and sessions -------------------------------------------------------------
    def debug_connection(self, timeout: float = 5.0):
        """Check the whole chain: server health, command stream, ping round trip, the page's
        snapshot and recent console messages. Returns a report (a table in a notebook)."""
        return connection_report(self._session, timeout)

    def get_session_bundle(self, timeout: float = 60) -> SessionBundle:
        """Ask the page for its view and return the whole session: highlight groups, selection,
        colouring, embedding, camera, visibility and panels, with the labels, values pushed
        from Python, the comparison and gene plots shown, and the identity of the cells.

        Raises `TimeoutError` when no page answers, `CommandError` when the upload failed.
        """
        return self._session.keeper.current(timeout)

    def save_session(self, path: str | os.PathLike, *, timeout: float = 60) -> Path:
        """Write the view, its labels and what Python pushed to it as a ``.cellucid-session``
        file at ``path`` (docs/sessions.md); returns the path. The page must be open.

        Raises `TypeError` for a path that is not one, `TimeoutError` when no page answers,
        `CommandError` when it could not send its view, `OSError` when the file cannot be
        written.
        """
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"save_session takes a file path, not {type(path).__name__}")
        return self._session.keeper.save(path, timeout)

    def load_session(self, session, *, strict: bool = True,
                     timeout: float = 60) -> SessionReport:
        """Show a saved session: ``session`` is a ``.cellucid-session`` path or a
        `SessionBundle`. Labels land in ``adata.obs`` as labels made in the page do; the page
        shows the rest (or does as it opens). Returns a `SessionReport`.

        ``strict`` (default): only onto the cells it was saved on. ``strict=False``: onto other
        data, matching cells by ``obs_names``; what it has not is dropped, reported and warned
        (`SessionWarning`). Raises `ValueError` for a file that is not a readable session
        (truncated, corrupt, another kind, a newer format version), `SessionMismatch` (a
        `ValueError`) for other cells, `ValueError` for what this data cannot show (strict);
        after a refusal the view, labels and data are as they were. `CommandError` when the
        page does not show it within ``timeout`` (it still will).
        """
        self._session.check_running()
        return self._session.keeper.restore(session, strict=bool(strict), timeout=timeout)

    def selection_to_obs(self, key: str = "cellucid_selection") -> str:
        """Write the current selection as a boolean ``obs`` column of the AnnData; returns key."""
        adata = getattr(self.dataset, "adata", None)
        if adata is None:
            raise TypeError("this viewer shows an export directory, which has no AnnData to "
                            "write to; use viewer.selection to get the cells")
        adata.obs[key] = np.array(self._session.selection.selected())
        return key

    # -- display in notebooks (notebook/display.py) ---------------------------------------------
    @property
    def widget(self):
        """This viewer's notebook widget (a `cellucid.notebook.widget.CellucidWidget`, made once).

        In marimo: ``mo.ui.anywidget(viewer.widget)``; a viewer as a cell's value shows it too.
        """
        if self._widget is None:
            self._widget = new_widget(self)
        return self._widget

    def widget_for_display(self):
        """`widget`, pointed at the URL of the route chosen now (it may have changed)."""
        return pointed_at_current_url(self.widget, self.server)

    def _repr_html_(self) -> str:
        return iframe_html(self)

    def _repr_mimebundle_(self, include=None, exclude=None):
        return mimebundle(self)

    def _display_(self):
        """marimo's display protocol: the widget (or the iframe with CELLUCID_DISPLAY=iframe)."""
        return marimo_output(self)

    # -- lifecycle ----------------------------------------------------------------------------
    def stop(self, message: str = "This viewer was stopped from Python.") -> None:
        """Freeze the page with ``message``, unregister (later events get 404), wake waiters."""
        self._session.stop(message, close_dataset=self.owns_dataset)

    def serve_forever(self) -> None:
        """Block until Ctrl-C (for scripts that serve a viewer), then stop the viewer."""
        block_until_interrupted(self)
