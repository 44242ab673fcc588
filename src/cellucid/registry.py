"""The server-side record of each viewer, and the table that finds one by id and token."""

from __future__ import annotations

import hmac
import secrets
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Any

from .cells import event_size_limit
from .commands import CommandChannel
from .dispatch import Dispatcher
from .errors import ApiError

RECENT_EVENT_IDS = 10_000
RECENT_CONSOLE = 100


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
        self.state: dict[str, Any] = {"ready": None, "selection": None, "hover": None,
                                      "click": None, "last_event": None}
        self.console: deque[dict] = deque(maxlen=RECENT_CONSOLE)
        self.recent_ids = RecentIds()
        self.uploads: dict[str, dict] = {}
        self.uploads_lock = threading.Lock()
        self.stopped = False

    def token_matches(self, candidate: object) -> bool:
        """Constant-time comparison of ``candidate`` with this viewer's token."""
        if not isinstance(candidate, str):
            return False
        return hmac.compare_digest(candidate.encode("utf-8", "surrogatepass"), self.token_bytes)


class Registry:
    """viewerId → `ViewerSession`, shared by every request of the server."""

    def __init__(self) -> None:
        self._sessions: dict[str, ViewerSession] = {}
        self._lock = threading.Lock()

    def add(self, session: ViewerSession) -> None:
        """Make ``session`` reachable by its id."""
        with self._lock:
            self._sessions[session.viewer_id] = session

    def remove(self, viewer_id: str) -> ViewerSession | None:
        """Forget a viewer; its later requests get 404."""
        with self._lock:
            return self._sessions.pop(viewer_id, None)

    def get(self, viewer_id: str) -> ViewerSession | None:
        """The session of ``viewer_id``, or None."""
        return self._sessions.get(viewer_id)

    def sessions(self) -> list[ViewerSession]:
        """Every registered session."""
        with self._lock:
            return list(self._sessions.values())

    def max_event_limit(self) -> int:
        """The largest event body any registered viewer accepts (how much to read at most)."""
        with self._lock:
            return max((s.event_limit for s in self._sessions.values()),
                       default=event_size_limit(0))

    def authenticate(self, viewer_id: object, token: object) -> ViewerSession:
        """The session for ``viewer_id`` if ``token`` is its token.

        Raises `ApiError` 403 for a missing/wrong token, 400 for a malformed id, 404 for an
        unknown viewer.
        """
        if token is None or token == "":
            raise ApiError(403, "missing viewerToken: every request must carry the viewer's "
                                "token (the viewer page adds it from its own URL)")
        if viewer_id is None or viewer_id == "":
            raise ApiError(400, "missing viewerId")
        if not isinstance(viewer_id, str) or len(viewer_id) > 128:
            raise ApiError(400, "viewerId must be a string of at most 128 characters")
        session = self.get(viewer_id)
        if session is None:
            raise ApiError(404, f"unknown viewerId {viewer_id[:64]!r}: this viewer is not "
                                f"(or no longer) registered; re-run the cell that shows it",
                           status="not_found")
        if not session.token_matches(token):
            raise ApiError(403, "wrong viewerToken for this viewer")
        return session
