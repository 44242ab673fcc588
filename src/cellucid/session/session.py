"""`ViewerSession`: one viewer's machinery in Python, and everything the server holds for it.

A session is made of parts, one module each: the callbacks and waiters (`dispatch`), the command
queue (`commands`), the uploads the page makes when asked (`uploads`), the colours and
embeddings sent to the page (`live`), the highlight groups made from Python (`highlights`), the
comparisons and gene plots (`analyses`, and `page_work` for those the page asks for), the
labels made in the page (`annotations`) and its views saved and restored as session files
(`keeper`). Its data is the dataset with the values pushed from Python laid over it
(`data.pushed`, `data.overlay`).

Events enter through `deliver`, called by the server's endpoints and by the session's own parts
(a comparison the page asked for, an upload): nothing else routes an event. The `Viewer` facade
asks the session for everything else; the session never imports the server (it holds the
process's `Server` it was handed, and registers itself there).
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from ..cells import as_index_array, encode_cells, event_size_limit
from ..data.overlay import DatasetView
from ..data.pushed import PushedData
from ..errors import CommandError, ViewerStopped
from ..notebook.client_url import client_base_url
from ..notebook.transport import TransportLog, marimo_hint, page_unreachable
from .analyses import Analyses
from .annotations import DEFAULT_KEY, Annotations
from .commands import CommandChannel
from .dispatch import Dispatcher, Subscription
from .highlights import HighlightGroups
from .keeper import SessionKeeper
from .live import LiveValues
from .page_work import PageWork
from .selection_state import SelectionState
from .set_commands import SetCommands
from .tiled_view import DEFAULT_POINT_BUDGET, TiledView
from .uploads import Uploads

DEFAULT_COMMAND_TIMEOUT = 10.0
RECENT_EVENT_IDS = 10_000
RECENT_CONSOLE = 100
MAX_CONSOLE_MESSAGE = 4000
# Event types whose latest payload `viewer.state` keeps (besides "last_event").
STATE_EVENTS = ("ready", "selection", "hover", "click")


class RecentIds:
    """The last ``capacity`` event ids seen, to deliver each retried event once."""

    def __init__(self, capacity: int = RECENT_EVENT_IDS) -> None:
        self.capacity = capacity
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, event_id: str) -> bool:
        """Remember ``event_id``; False when it was already seen."""
        with self._lock:
            if event_id in self._ids:
                return False
            self._ids[event_id] = None
            if len(self._ids) > self.capacity:
                self._ids.popitem(last=False)
            return True

    def discard(self, event_id: str) -> None:
        """Forget ``event_id`` (its event was refused, so a retry must go through)."""
        with self._lock:
            self._ids.pop(event_id, None)


def start_options(dataset, embedding: str | None, color: str | None, title: str | None,
                  annotations_key: str | None, point_budget: int = DEFAULT_POINT_BUDGET) -> dict:
    """What the page learns from ``_cellucid/info`` about how to start: the embedding and colour
    shown first (checked now), the title, the annotations key, the point budget and whether the
    cells are more than it (then the page draws them by level of detail).

    Raises `UnknownName` (a `KeyError`) naming the closest names for an unknown embedding or
    colour, `DatasetError` for a column that cannot be coloured.
    """
    embedding = embedding or dataset.default_embedding
    dataset.embedding_info(embedding)
    color_field = None
    if color is not None:
        kind, name = dataset.resolve_color_field(color)
        color_field = {"field": name, "kind": kind}
    return {"embedding": embedding, "color": color_field, "title": title,
            "annotationsKey": annotations_key or DEFAULT_KEY,
            "pointBudget": point_budget, "tiled": int(dataset.n_cells) > point_budget}


class ViewerSession:
    """One viewer's machinery: its secret, its events, commands, uploads, data and analyses.

    ``server`` is the process's `Server` (its registry serves the session once `start` ran).
    ``embedding``, ``color``, ``title``, ``annotations_key`` and ``point_budget`` are
    `start_options`'; labels given in the page are written to the AnnData in memory under
    ``annotations_key`` unless it is None. Raises what `start_options` raises.
    """

    def __init__(self, dataset, server, *, embedding: str | None = None,
                 color: str | None = None, title: str | None = None,
                 annotations_key: str | None = DEFAULT_KEY,
                 point_budget: int = DEFAULT_POINT_BUDGET) -> None:
        options = start_options(dataset, embedding, color, title, annotations_key, point_budget)
        self.viewer_id = secrets.token_hex(8)
        self.token = secrets.token_urlsafe(32)
        self.token_bytes = self.token.encode("ascii")
        self.dataset = dataset
        self.server = server
        self.n_cells = int(dataset.n_cells)
        self.options = options
        self.event_limit = event_size_limit(self.n_cells)
        self.dispatcher = Dispatcher(self.viewer_id)
        self.commands = CommandChannel()
        self.state: dict[str, Any] = dict.fromkeys((*STATE_EVENTS, "last_event"))
        self.console: deque[dict] = deque(maxlen=RECENT_CONSOLE)
        self.recent_ids = RecentIds()
        self.transport = TransportLog()   # how the page reaches Python (HTTP or comm)
        self.stopped = False
        self.pushed = PushedData(self.n_cells)
        self.data = DatasetView(dataset, self.pushed)
        self.uploads = Uploads(self)
        self.live = LiveValues(self)
        self.highlights = HighlightGroups(self)
        self.analyses = Analyses(self)
        self.page_work = PageWork(self)
        self.annotations = Annotations(self, annotations_key)
        # The cells by tile (for a page drawing a point budget) and the sets of cells (the
        # selection, highlight groups, hidden cells) kept over every cell.
        self.tiles = TiledView(self.data, point_budget)
        self.selection = SelectionState(self.data, self.tiles, self._tell_page_of_masks)
        self.set_commands = SetCommands(self)
        self.keeper = SessionKeeper(self)
        # What the session does with an event as it arrives (before the callbacks see it).
        self._on_arrival: dict[str, Callable[[dict], None]] = {
            "selection": self.selection.on_selection,
            "mask": self.selection.on_mask_event,
            "annotation": self.annotations.apply,
            "compare_request": self.page_work.compare,
            "plot_genes_request": self.page_work.plot_genes,
        }

    def _tell_page_of_masks(self, fields: dict) -> None:
        # A tiled page reads a changed set's bits for the tiles it draws.
        if self.tiles.tiled:
            try:
                self.tell_page("masks", fields)
            except CommandError:   # the queue is closed or full: no page to tell
                pass

    def start(self) -> "ViewerSession":
        """Start delivering events to the callbacks and let the server serve this viewer (a
        tiled one starts computing its cells' order, so the page's first request need not wait
        for it)."""
        self.dispatcher.start()
        if self.tiles.tiled:
            self.tiles.start()
        self.server.registry.add(self)
        return self

    # -- identity -------------------------------------------------------------------------------
    def token_matches(self, candidate: object) -> bool:
        """Constant-time comparison of ``candidate`` with this viewer's token."""
        if not isinstance(candidate, str):
            return False
        return hmac.compare_digest(candidate.encode("utf-8", "surrogatepass"), self.token_bytes)

    @property
    def viewer_url(self) -> str:
        """The URL a browser opens to show this viewer (direct, proxied, or configured)."""
        query = urlencode({"viewerId": self.viewer_id, "viewerToken": self.token})
        return f"{client_base_url(self.server)}?{query}"

    def check_running(self) -> None:
        """Raise `ViewerStopped` when the viewer was stopped."""
        if self.stopped:
            raise ViewerStopped(f"viewer {self.viewer_id} was stopped; show the data again "
                                f"for a new one")

    # -- events in ------------------------------------------------------------------------------
    def deliver(self, event_type: str, payload: dict, size: int = 0) -> None:
        """Apply an event to the viewer's state and queue it for the callbacks.

        Acknowledgements and state are applied here, as the event arrives, so a callback that waits
        on a command or an event never waits on its own dispatcher thread. Raises `QueueFull`
        (the callbacks are behind), and `BadEvent` from the checks of what the page asks.
        """
        if event_type == "command_result":
            self.commands.acknowledge(payload.get("id"), payload.get("ok"), payload.get("error"))
        elif event_type == "console":
            message = payload.get("message")
            if isinstance(message, str) and len(message) > MAX_CONSOLE_MESSAGE:
                payload["message"] = message[:MAX_CONSOLE_MESSAGE] + "…"
            self.console.append(payload)
        elif event_type == "transport":
            self.transport.state(payload)
        on_arrival = self._on_arrival.get(event_type)
        if on_arrival is not None:
            on_arrival(payload)
        if event_type in STATE_EVENTS:
            self.state[event_type] = payload
        self.state["last_event"] = {"event": event_type, **payload}
        self.dispatcher.submit(event_type, payload, size)

    def subscription(self, event_type: str | None) -> Subscription:
        """A subscription to ``event_type`` events, taken where waiting for the page can work.

        Raises `ViewerStopped`, or `RuntimeError` at once where the page could never be heard.
        """
        self.check_running()
        reason = page_unreachable(self.transport)
        if reason:
            raise RuntimeError(f"cellucid cannot wait for the page here: {reason}")
        return self.dispatcher.subscribe(event_type)

    def wait_for_event(self, event_type: str | None, timeout: float | None,
                       predicate: Callable[[dict], bool] | None) -> dict:
        """The payload of the next ``event_type`` event routed from now (``{"event": type,
        **payload}`` for any type); see `Viewer.wait_for_event`."""
        with self.subscription(event_type) as events:
            kind, payload = events.next(timeout, predicate)
        return {"event": kind, **payload} if event_type is None else payload

    def wait_for_ready(self, timeout: float | None) -> dict:
        """The ``ready`` payload: at once if the page is ready, else the next one.

        Raises `TimeoutError` saying what to check, and what `subscription` raises.
        """
        with self.subscription("ready") as events:   # before looking: a ready meanwhile counts
            ready = self.state["ready"]
            if ready is not None:
                return ready
            try:
                return events.next(timeout)[1]
            except TimeoutError:
                raise TimeoutError(f"the viewer page did not become ready within {timeout:g} s; "
                                   f"is it shown (or open at {self.viewer_url})? "
                                   f"{marimo_hint()}viewer.debug_connection() tells "
                                   f"more") from None

    def wait_for_callbacks(self, timeout: float | None) -> None:
        """Block until every event routed so far went through the callbacks.

        Raises `TimeoutError` after ``timeout`` seconds, `RuntimeError` from a hook.
        """
        if not self.dispatcher.wait_idle(timeout):
            raise TimeoutError(f"the callbacks of viewer {self.viewer_id} were still busy after "
                               f"{timeout:g} s ({self.dispatcher.queued} events queued)")

    # -- commands out ---------------------------------------------------------------------------
    def command(self, command_type: str, fields: dict | None = None, *, wait: bool = True,
                timeout: float = DEFAULT_COMMAND_TIMEOUT) -> str:
        """Send a command to the page; returns its id once acknowledged (at once when no page is
        connected, or with ``wait=False``).

        Raises `ViewerStopped`, and `CommandError` when the page refused it or did not
        acknowledge it within ``timeout`` seconds.
        """
        self.check_running()
        channel = self.commands
        ack = channel.push(command_type, fields or {})
        # Where the page's acknowledgement could never be heard (marimo's kernel thread, over
        # its widget channel), the command is sent and applied, but not waited for.
        if not wait or not channel.connected or page_unreachable(self.transport):
            return ack.command_id
        if not ack.wait(timeout):
            raise CommandError(f"the viewer page did not acknowledge '{command_type}' within "
                               f"{timeout:g} s; it stays queued (viewer.pending_commands). "
                               f"Run viewer.debug_connection() to see why")
        if not ack.ok:
            raise CommandError(f"the viewer refused '{command_type}': {ack.error}")
        return ack.command_id

    def tell_page(self, command_type: str, fields: dict) -> None:
        """Queue a command without waiting for it (an answer to the page); nothing when the
        viewer was stopped. Raises `CommandError` when the queue is full."""
        if not self.stopped:
            self.commands.push(command_type, fields)

    def wire_cells(self, cells) -> list[int] | dict:
        """Cells given from Python (indices or a boolean mask) in their smaller wire form.

        Raises `IndexError` for a cell out of range, `TypeError` for anything else.
        """
        return encode_cells(as_index_array(cells, self.n_cells), self.n_cells)

    # -- life cycle -----------------------------------------------------------------------------
    def stop(self, message: str, *, close_dataset: bool = False) -> None:
        """Freeze the page with ``message``, unregister (later events get 404), wake waiters,
        end the threads; close the dataset too when ``close_dataset``."""
        if self.stopped:
            return
        try:
            self.commands.push("freeze", {"message": message})
        except CommandError:  # the server was shut down first: no page can be told anymore
            pass
        self.stopped = True
        self.server.registry.remove(self.viewer_id)
        self.commands.close()
        self.dispatcher.stop()
        self.page_work.stop()
        if close_dataset:
            self.dataset.close()
