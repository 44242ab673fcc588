"""Plays a widget's page over the comm, without a browser: sends request messages into the
widget as ipywidgets delivers them from the front end, and collects what ``widget.send`` emits."""

from __future__ import annotations

import itertools
import json
import threading
import time
from urllib.parse import urlencode


class CommPage:
    """The comm side of a `CellucidWidget`'s page (``commFetch``), for tests."""

    def __init__(self, widget) -> None:
        self.widget = widget
        self.sent: list[tuple[dict, list]] = []
        self.threads: set[str] = set()
        self._cond = threading.Condition()
        self._rids = itertools.count(1)
        widget.send = self._capture

    def _capture(self, content, buffers=None) -> None:
        with self._cond:
            self.threads.add(threading.current_thread().name)
            self.sent.append((content, [bytes(b) for b in buffers or []]))
            self._cond.notify_all()

    def auth(self, **params) -> str:
        """A query string with the widget's viewer id and token (and ``params``)."""
        return urlencode({"viewerId": self.widget.viewer_id,
                          "viewerToken": self.widget.viewer_token, **params})

    def message(self, content: dict, buffers: list | None = None) -> None:
        """Deliver ``content`` as the front end's ``model.send(content, callbacks, buffers)``."""
        self.widget._handle_msg({"content": {"data": {"method": "custom", "content": content}},
                                 "buffers": buffers or []})

    def request(self, method: str, url: str, body: str | None = None,
                headers: dict | None = None, buffers: list | None = None) -> int:
        """Send one request message; returns its rid at once."""
        rid = next(self._rids)
        self.message({"kind": "request", "rid": rid, "method": method, "url": url,
                      "headers": headers or {}, "body": body}, buffers)
        return rid

    def parts(self, rid: int, timeout: float = 10) -> list[tuple[dict, bytes]]:
        """Every response message of ``rid`` (waits until all its parts arrived)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                mine = [(c, b[0] if b else b"") for c, b in self.sent
                        if c.get("kind") == "response" and c.get("rid") == rid]
                if mine and len(mine) == mine[0][0]["parts"]:
                    return mine
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no complete reply to request {rid} within {timeout} s")
                self._cond.wait(remaining)

    def reply(self, rid: int, timeout: float = 10) -> tuple[int, dict, bytes]:
        """``(status, headers, body)`` of request ``rid``, its parts joined in order."""
        parts = self.parts(rid, timeout)
        head = parts[0][0]
        body = b"".join(b for _, b in sorted(parts, key=lambda p: p[0]["part"]))
        return head["status"], head["headers"], body

    def get(self, path: str, timeout: float = 10, **params) -> tuple[int, dict, bytes]:
        """GET ``path`` with the viewer's auth and ``params``; waits for the reply."""
        return self.reply(self.request("GET", f"{path}?{self.auth(**params)}"), timeout)

    def post_event(self, event_type: str, timeout: float = 10, **payload) -> tuple[int, dict]:
        """POST an event as the page's bridge does; returns (status, JSON reply)."""
        body = json.dumps({"type": event_type, "viewerId": self.widget.viewer_id,
                           "viewerToken": self.widget.viewer_token, **payload})
        rid = self.request("POST", "_cellucid/events", body,
                           {"content-type": "application/json"})
        status, _, reply = self.reply(rid, timeout)
        return status, json.loads(reply)
