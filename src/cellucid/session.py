"""`ViewerSession`: everything the server holds for one viewer — its secret, its queues, the
latest state its page reported, and the ids of events already delivered.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .analyses import Analyses
from .cells import event_size_limit
from .commands import CommandChannel
from .dispatch import Dispatcher
from .local_data import LocalData, ViewData
from .transport import TransportLog

RECENT_EVENT_IDS = 10_000
RECENT_CONSOLE = 100
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


@dataclass
class ViewerSession:
    """Everything the server holds for one viewer: its secret, data, queues and latest state."""

    dataset: Any
    n_cells: int
    options: dict = field(default_factory=dict)
    viewer_id: str = field(default_factory=lambda: secrets.token_hex(8))
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))

    def __post_init__(self) -> None:
        self.token_bytes = self.token.encode("ascii")
        self.event_limit = event_size_limit(self.n_cells)
        self.dispatcher = Dispatcher(self.viewer_id)
        self.commands = CommandChannel()
        self.state: dict[str, Any] = dict.fromkeys((*STATE_EVENTS, "last_event"))
        self.console: deque[dict] = deque(maxlen=RECENT_CONSOLE)
        self.recent_ids = RecentIds()
        self.uploads: dict[str, dict] = {}
        self.uploads_lock = threading.Lock()
        self.stopped = False
        self.transport = TransportLog()   # how the page reaches Python (HTTP or comm)
        self.local = LocalData(self.n_cells)
        self.data = ViewData(self.dataset, self.local)
        self.analyses = Analyses(self.data)
        # What the viewer does with an event as it is routed (before the callbacks see it).
        self.on_routed: dict[str, Callable[[dict], None]] = {}
        # What saves and restores this viewer's views (`sessionfile.SessionKeeper`), set by the
        # viewer; the page's Save session and Open session reach it.
        self.saved_views: Any = None

    def start(self) -> "ViewerSession":
        """Start delivering events to callbacks (the dispatcher's thread); returns self."""
        self.dispatcher.start()
        return self

    def token_matches(self, candidate: object) -> bool:
        """Constant-time comparison of ``candidate`` with this viewer's token."""
        if not isinstance(candidate, str):
            return False
        return hmac.compare_digest(candidate.encode("utf-8", "surrogatepass"), self.token_bytes)
