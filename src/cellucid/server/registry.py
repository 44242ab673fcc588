"""The table of viewers the server serves: find one by id, check its token."""

from __future__ import annotations

import threading

from ..cells import event_size_limit
from ..errors import ApiError
from ..session.session import ViewerSession


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

        Raises `ApiError` 403 for a missing id or a missing/wrong token, 400 for a malformed id,
        404 for an unknown viewer.
        """
        if viewer_id is None or viewer_id == "":
            raise ApiError(403, "missing viewerId: every request must name its viewer and carry "
                                "its token (the viewer page adds both from its own URL)")
        if token is None or token == "":
            raise ApiError(403, "missing viewerToken: every request must carry the viewer's "
                                "token (the viewer page adds it from its own URL)")
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
