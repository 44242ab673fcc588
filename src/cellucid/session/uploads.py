"""Files the page uploads when Python asks for them: session bundles and images.

Python registers a request (`Uploads.open`), tells the page its ``requestId`` in a command, and
waits for the event the upload endpoint (`server.uploads`) delivers: ``{requestId, status:
"ok", bytes, path}`` (a temporary file, Python's to move or delete) or ``{requestId, status:
"error", error}``. The endpoint takes an upload only for a pending request of its own kind
(`Uploads.take`).
"""

from __future__ import annotations

import json
import secrets
import shutil
import threading
import time
from pathlib import Path

from ..errors import CommandError
from ..notebook.transport import page_unreachable
from ..sessionfile.bundle import SessionBundle
from .image import png_size

MAX_PENDING_REQUESTS = 8
REQUEST_TTL_SECONDS = 600.0
REPLY_SLICE_SECONDS = 0.05   # how often a wait looks whether the page refused the command


class Uploads:
    """The uploads one viewer's page makes when asked: pending requests, and waiting for them."""

    def __init__(self, session) -> None:
        self.session = session
        self._pending: dict[str, dict] = {}
        self._lock = threading.Lock()

    def open(self, kind: str) -> str:
        """Register a pending upload of ``kind`` and return its ``requestId``.

        Raises `RuntimeError` when `MAX_PENDING_REQUESTS` are pending already.
        """
        now = time.monotonic()
        with self._lock:
            for rid, info in list(self._pending.items()):
                if now - info["created"] > REQUEST_TTL_SECONDS:
                    del self._pending[rid]
            if len(self._pending) >= MAX_PENDING_REQUESTS:
                raise RuntimeError(f"{len(self._pending)} uploads are already pending for this "
                                   f"viewer; wait for them to finish")
            request_id = secrets.token_hex(8)
            self._pending[request_id] = {"created": now, "kind": kind}
        return request_id

    def close(self, request_id: str) -> None:
        """Forget an upload request (answered, failed or given up)."""
        with self._lock:
            self._pending.pop(request_id, None)

    def take(self, request_id: str, kind: str) -> bool:
        """Claim the pending request ``request_id`` for an upload of ``kind`` arriving now;
        False when there is none of that kind (the upload is refused)."""
        with self._lock:
            pending = self._pending.get(request_id)
            if pending is None or pending["kind"] != kind:
                return False
            del self._pending[request_id]
            return True

    def request(self, kind: str, command: str, fields: dict, event_type: str, timeout: float,
                what: str) -> dict:
        """Ask the page to upload ``kind`` (with ``command``) and wait for it; returns the
        ``ok`` event payload (``path`` of the temporary file).

        Raises `ViewerStopped`, `TimeoutError`, or `CommandError` when the page could not send
        it (or could never be heard by this thread).
        """
        session = self.session
        session.check_running()
        reason = page_unreachable(session.transport)
        if reason:
            raise CommandError(f"the viewer cannot send {what} to this thread: {reason}")
        request_id = self.open(kind)
        try:
            with session.dispatcher.subscribe(event_type) as replies:
                ack = session.commands.push(command, {"requestId": request_id, **fields})
                reply = self._await(replies, ack, request_id, timeout, kind)
        finally:
            self.close(request_id)
        if reply.get("status") != "ok":
            raise CommandError(f"the viewer could not send {what}: {reply.get('error')}")
        return reply

    def _await(self, replies, ack, request_id: str, timeout: float, kind: str) -> dict:
        # The upload's event, unless the page refuses the command first (then at once).
        deadline = time.monotonic() + timeout
        while True:
            if ack.ok is False:
                raise CommandError(f"the viewer could not make {kind}: {ack.error}")
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {kind} arrived within {timeout:g} s; is the viewer "
                                   f"open? ({self.session.viewer_url})")
            try:
                return replies.next(min(left, REPLY_SLICE_SECONDS),
                                    lambda p: p.get("requestId") == request_id)[1]
            except TimeoutError:
                continue

    def page_view(self, timeout: float) -> dict:
        """The page's part of its session, as it uploads it (a JSON object); see
        `Viewer.get_session_bundle`. Raises `TimeoutError`, `CommandError`."""
        reply = self.request("session bundle", "requestSessionBundle", {}, "session_bundle",
                             timeout, "a session bundle")
        path = Path(reply["path"])
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise CommandError(f"the uploaded session bundle could not be read: {exc}") from None
        finally:
            path.unlink(missing_ok=True)
        if not isinstance(data, dict):
            raise CommandError("the viewer sent a malformed session bundle: not a JSON object")
        return data

    def session_bundle(self, timeout: float) -> SessionBundle:
        """The page's part of its session as a `SessionBundle` (its groups, selection, view);
        raises what `page_view` raises, `CommandError` for a malformed one."""
        try:
            view = self.session.selection.inline_refs(self.page_view(timeout))
            return SessionBundle.from_json(view, self.session.n_cells)
        except ValueError as exc:
            raise CommandError(f"the viewer sent a malformed session bundle: {exc}") from None

    def image(self, path, scale: float, timeout: float) -> Path:
        """A PNG of the view rendered by the page at ``scale``, moved to ``path``; see
        `Viewer.save_image`."""
        reply = self.request("image", "requestImage", {"scale": scale}, "image", timeout,
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
