"""`Viewer`: the Python handle of one viewer — its hooks, its state, and the commands it sends."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from urllib.parse import urlencode

import numpy as np

from .annotations import DEFAULT_KEY as DEFAULT_ANNOTATIONS_KEY
from .annotations import Annotations
from .cells import as_index_array, encode_cells
from .client_url import client_base_url
from .colors import normalize_color
from .diagnostics import connection_report
from .dispatch import MESSAGE
from .errors import CommandError, ViewerStopped
from .interrupt import block_until_interrupted
from .local_data import local_id
from .server import Server, get_server
from .session import ViewerSession
from .sessionfile import SessionBundle, SessionKeeper, SessionReport
from .transport import marimo_hint, page_unreachable
from .uploads import close_upload_request, open_upload_request
from .viewer_analysis import AnalysisMethods
from .viewer_live import LiveMethods
from .viewer_display import DisplayMethods

DEFAULT_COMMAND_TIMEOUT = 10.0


class Viewer(LiveMethods, AnalysisMethods, DisplayMethods):
    """One interactive view of a dataset, served by the process's cellucid server."""

    def __init__(self, dataset, *, embedding: str | None = None, color: str | None = None,
                 height: int = 600, port: int | None = None, title: str | None = None,
                 server: Server | None = None,
                 annotations_key: str | None = DEFAULT_ANNOTATIONS_KEY) -> None:
        self.dataset = dataset
        self.height = int(height)
        self._server = server or get_server(port)
        embedding = embedding or dataset.default_embedding
        self._check_embedding(embedding)
        color_field = None
        if color is not None:
            kind, name = dataset.resolve_color_field(color)
            color_field = {"field": name, "kind": kind}
        self._session = ViewerSession(dataset=dataset, n_cells=int(dataset.n_cells), options={
            "embedding": embedding, "color": color_field, "title": title,
            "annotationsKey": annotations_key or DEFAULT_ANNOTATIONS_KEY})
        self._group_count = 0
        self.owns_dataset = False   # set when cellucid opened the dataset (then stop closes it)
        self._labels = Annotations(annotations_key or DEFAULT_ANNOTATIONS_KEY, self.n_cells,
                                   self._cell_names())
        self._write_labels = annotations_key is not None and self._in_memory_adata() is not None
        self._groups: dict[str, list[int]] = {}   # highlight groups made from Python
        self._session.on_routed.update(annotation=self._on_annotation,
                                       compare_request=self._on_compare_request,
                                       plot_genes_request=self._on_plot_genes_request)
        self._keeper = SessionKeeper(
            self._session, self._labels, publish_labels=self._publish_labels,
            labels_field=self._labels.key if self._write_labels else local_id(self._labels.key),
            send_command=self._command, python_groups=self._groups)
        self._session.saved_views = self._keeper
        self._session.start()
        self._server.registry.add(self._session)

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
        return self._server

    @property
    def server_url(self) -> str:
        """The loopback URL Python itself reaches the server at."""
        return self._server.url

    @property
    def viewer_url(self) -> str:
        """The URL a browser opens to show this viewer (direct, proxied, or configured)."""
        query = urlencode({"viewerId": self.viewer_id, "viewerToken": self.viewer_token})
        return f"{client_base_url(self._server)}?{query}"

    def __repr__(self) -> str:
        state = "stopped" if self._session.stopped else (
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
    def selection(self) -> list[int]:
        """The cells of the latest selection (empty before any)."""
        latest = self._session.state["selection"] or {}
        return list(latest.get("cells") or [])

    def wait_for_event(self, event_type: str | None, timeout: float | None = 30,
                       predicate: Callable[[dict], bool] | None = None) -> dict:
        """Block until the next ``event_type`` event routed after this call; return its payload.

        ``event_type=None`` waits for any event and returns ``{"event": type, **payload}``.
        ``predicate(payload)`` runs in the calling thread. Safe from any thread, callbacks and
        running notebook cells included, on either transport. Raises `TimeoutError`,
        `ViewerStopped` if the viewer is stopped meanwhile, or `RuntimeError` at once where the
        page could never be heard (marimo's kernel thread, when the page uses marimo's channel).
        """
        with self._subscription(event_type) as events:
            kind, payload = events.next(timeout, predicate)
        return {"event": kind, **payload} if event_type is None else payload

    def _subscription(self, event_type: str | None):
        """A subscription to ``event_type`` events, taken where waiting for the page can work."""
        self._check_running()
        reason = page_unreachable(self._session.transport)
        if reason:
            raise RuntimeError(f"cellucid cannot wait for the page here: {reason}")
        return self._session.dispatcher.subscribe(event_type)

    async def wait_for_event_async(self, event_type: str | None, timeout: float | None = 30,
                                   predicate: Callable[[dict], bool] | None = None) -> dict:
        """`wait_for_event` for ``await`` (an async cell, an asyncio task): waits in a worker
        thread, so the event loop keeps running. Same arguments, result and errors."""
        return await asyncio.to_thread(self.wait_for_event, event_type, timeout, predicate)

    def wait_for_ready(self, timeout: float | None = 60) -> dict:
        """The ``ready`` payload: at once if the page is ready, else the next one.

        Raises `TimeoutError` (saying what to check), and what `wait_for_event` raises.
        """
        with self._subscription("ready") as events:   # before looking: a ready meanwhile counts
            ready = self._session.state["ready"]
            if ready is not None:
                return ready
            try:
                return events.next(timeout)[1]
            except TimeoutError:
                raise TimeoutError(f"the viewer page did not become ready within {timeout:g} s; "
                                   f"is it shown (or open at {self.viewer_url})? "
                                   f"{marimo_hint()}viewer.debug_connection() tells "
                                   f"more") from None

    def wait_for_callbacks(self, timeout: float | None = 10) -> None:
        """Block until every event routed so far went through the callbacks.

        Raises `TimeoutError` when callbacks are still busy after ``timeout`` seconds, and
        `RuntimeError` at once when called from one of this viewer's hooks (it would wait for
        itself).
        """
        if not self._session.dispatcher.wait_idle(timeout):
            raise TimeoutError(f"the callbacks of viewer {self.viewer_id} were still busy after "
                               f"{timeout:g} s ({self._session.dispatcher.queued} events queued)")

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
    def _command(self, command_type: str, fields: dict | None = None, *, wait: bool = True,
                 timeout: float = DEFAULT_COMMAND_TIMEOUT) -> str:
        self._check_running()
        channel = self._session.commands
        ack = channel.push(command_type, fields or {})
        # Where the page's acknowledgement could never be heard (marimo's kernel thread, over
        # its widget channel), the command is sent and applied, but not waited for.
        if not wait or not channel.connected or page_unreachable(self._session.transport):
            return ack.command_id
        if not ack.wait(timeout):
            raise CommandError(f"the viewer page did not acknowledge '{command_type}' within "
                               f"{timeout:g} s; it stays queued (viewer.pending_commands). "
                               f"Run viewer.debug_connection() to see why")
        if not ack.ok:
            raise CommandError(f"the viewer refused '{command_type}': {ack.error}")
        return ack.command_id

    def _cells(self, cells: Iterable[int] | np.ndarray) -> list[int] | dict:
        return encode_cells(as_index_array(cells, self.n_cells), self.n_cells)

    def highlight_cells(self, cells, color: str = "#ff0000", name: str | None = None) -> str:
        """Add (or replace) a highlight group drawn in ``color``; returns the group's name.

        Raises `IndexError` for a cell out of range, `ValueError` for a bad colour.
        """
        color = normalize_color(color)
        if name is None:
            self._group_count += 1
            name = f"group {self._group_count}"
        cells = as_index_array(cells, self.n_cells)
        self._command("highlight", {"name": str(name), "color": color,
                                    "cells": encode_cells(cells, self.n_cells)})
        self._groups[str(name)] = cells.tolist()
        return str(name)

    def clear_highlights(self, name: str | None = None) -> None:
        """Remove one highlight group, or all of them."""
        self._command("clearHighlights", {"name": name})
        if name is None:
            self._groups.clear()
        else:
            self._groups.pop(str(name), None)

    def set_visibility(self, cells=None, visible: bool = True) -> None:
        """Show or hide cells (``cells=None``: all of them)."""
        self._command("setVisibility", {"cells": None if cells is None else self._cells(cells),
                                        "visible": bool(visible)})

    def reset_view(self) -> None:
        """Fit the camera to the data again."""
        self._command("resetCamera")

    def select(self, cells) -> None:
        """Set the viewer's selection (it then emits ``selection`` with source ``python``)."""
        self._command("select", {"cells": self._cells(cells)})

    def send_message(self, message: dict) -> None:
        """Send any JSON object to the page (custom front-end extensions receive it)."""
        if not isinstance(message, dict):
            raise TypeError("send_message takes a dict that can be sent as JSON")
        message = dict(message)
        command_type = message.pop("type", "message")
        json.dumps(message)
        self._command(str(command_type), message)

    # -- diagnostics and sessions -------------------------------------------------------------
    def debug_connection(self, timeout: float = 5.0):
        """Check the whole chain: server health, command stream, ping round trip, the page's
        snapshot and recent console messages. Returns a report (a table in a notebook)."""
        return connection_report(self, timeout)

    def get_session_bundle(self, timeout: float = 60) -> SessionBundle:
        """Ask the page for its view and return the whole session: highlight groups, selection,
        colouring, embedding, camera, visibility and panels, with the labels, values pushed
        from Python, the comparison and gene plots shown, and the identity of the cells.

        Raises `TimeoutError` when no page answers, `CommandError` when the upload failed.
        """
        reply = self._upload("session bundle", "requestSessionBundle", {}, "session_bundle",
                             timeout, "a session bundle")
        path = Path(reply["path"])
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise CommandError(f"the uploaded session bundle could not be read: {exc}") from None
        finally:
            path.unlink(missing_ok=True)
        try:
            return self._keeper.capture(data)
        except ValueError as exc:
            raise CommandError(f"the viewer sent a malformed session bundle: {exc}") from None

    def save_session(self, path: str | os.PathLike, *, timeout: float = 60) -> Path:
        """Write the view, its labels and what Python pushed to it as a ``.cellucid-session``
        file at ``path`` (docs/sessions.md); returns the path. The page must be open.

        Raises `TimeoutError` when no page answers, `CommandError` when it could not send its
        view, `OSError` when the file cannot be written.
        """
        return self.get_session_bundle(timeout).save(path)

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
        self._check_running()
        return self._keeper.restore(session, strict=bool(strict), timeout=timeout)

    def _upload(self, kind: str, command: str, fields: dict, event_type: str, timeout: float,
                what: str) -> dict:
        """Ask the page to upload ``kind`` and wait for it; returns the ``ok`` event payload
        (``path`` of the temporary file). Raises `TimeoutError`, or `CommandError` when the
        page could not send it."""
        self._check_running()
        session = self._session
        reason = page_unreachable(session.transport)
        if reason:
            raise CommandError(f"the viewer cannot send {what} to this thread: {reason}")
        request_id = open_upload_request(session, kind)
        try:
            with session.dispatcher.subscribe(event_type) as replies:
                ack = session.commands.push(command, {"requestId": request_id, **fields})
                reply = self._await_upload(replies, ack, request_id, timeout, kind)
        finally:
            close_upload_request(session, request_id)
        if reply.get("status") != "ok":
            raise CommandError(f"the viewer could not send {what}: {reply.get('error')}")
        return reply

    def _await_upload(self, replies, ack, request_id: str, timeout: float, kind: str) -> dict:
        # The upload's event, unless the page refuses the command first (then at once).
        deadline = time.monotonic() + timeout
        while True:
            if ack.ok is False:
                raise CommandError(f"the viewer could not make {kind}: {ack.error}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {kind} arrived within {timeout:g} s; is the viewer "
                                   f"open? ({self.viewer_url})")
            try:
                return replies.next(min(left, 0.05),
                                    lambda p: p.get("requestId") == request_id)[1]
            except TimeoutError:
                continue

    def selection_to_obs(self, key: str = "cellucid_selection") -> str:
        """Write the current selection as a boolean ``obs`` column of the AnnData; returns key."""
        adata = getattr(self.dataset, "adata", None)
        if adata is None:
            raise TypeError("this viewer shows an export directory, which has no AnnData to "
                            "write to; use viewer.selection to get the cells")
        mask = np.zeros(self.n_cells, dtype=bool)
        mask[self.selection] = True
        adata.obs[key] = mask
        return key

    # -- lifecycle ----------------------------------------------------------------------------
    def stop(self, message: str = "This viewer was stopped from Python.") -> None:
        """Freeze the page with ``message``, unregister (later events get 404), wake waiters."""
        session = self._session
        if session.stopped:
            return
        try:
            session.commands.push("freeze", {"message": message})
        except CommandError:  # the server was shut down first: no page can be told anymore
            pass
        session.stopped = True
        self._server.registry.remove(self.viewer_id)
        session.commands.close()
        session.dispatcher.stop()
        session.analyses.stop()
        if self.owns_dataset:
            self.dataset.close()

    def _check_running(self) -> None:
        if self._session.stopped:
            raise ViewerStopped(f"viewer {self.viewer_id} was stopped; show the data again "
                                f"for a new one")

    def _check_embedding(self, name: str) -> None:
        self.dataset.embedding_info(name)   # `UnknownName` (a KeyError) naming the close ones

    def serve_forever(self) -> None:
        """Block until Ctrl-C (for scripts that serve a viewer), then stop the viewer."""
        block_until_interrupted(self)
