"""A small Python client that speaks the viewer page's side of the protocol, for tests and benches.

It posts events as the page does and, once connected, reads the command stream, applies the
internal commands (ping, debug_snapshot, requestSessionBundle) and acknowledges every command.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
import zlib

import httpx
import numpy as np


def bitmask(cells, n: int, compress: bool = True) -> dict:
    """The wire bitmask object of ``cells`` (as the page's CompressionStream would write it)."""
    bits = np.zeros(((n + 7) // 8) * 8, dtype=np.uint8)
    bits[np.asarray(cells, dtype=np.int64)] = 1
    mask = np.packbits(bits, bitorder="little").tobytes()
    if compress:
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        mask = c.compress(mask) + c.flush()
    return {"encoding": "bitmask", "n": n, "count": int(len(np.unique(cells))),
            "compression": "deflate-raw" if compress else "none",
            "data": base64.b64encode(mask).decode()}


class PageClient:
    """Plays the viewer page of ``viewer`` over real HTTP."""

    def __init__(self, viewer, *, auto_ack: bool = True, refuse: set[str] | None = None,
                 bundle: dict | None = None) -> None:
        self.viewer = viewer
        self.base = viewer.server_url
        self.http = httpx.Client(base_url=self.base, timeout=30)
        self.auto_ack = auto_ack
        self.refuse = refuse or set()
        self.bundle = bundle
        self.commands: list[dict] = []
        self.received = threading.Condition()
        self._ids = itertools.count()
        self._prefix = f"test{id(self):x}-"
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._opened = threading.Event()

    # -- events -------------------------------------------------------------------------------
    def post(self, event_type: str, *, with_id: bool = False, client: httpx.Client | None = None,
             **payload) -> httpx.Response:
        """POST one event with this viewer's id and token."""
        body = {"type": event_type, "viewerId": self.viewer.viewer_id,
                "viewerToken": self.viewer.viewer_token, **payload}
        if with_id:
            body["eventId"] = f"{self._prefix}{next(self._ids)}"
        return (client or self.http).post("_cellucid/events", json=body)

    def post_raw(self, content: bytes | str, content_type: str = "application/json") -> httpx.Response:
        """POST a raw body to the events endpoint."""
        return self.http.post("_cellucid/events", content=content,
                              headers={"content-type": content_type})

    # -- commands -----------------------------------------------------------------------------
    def connect(self) -> "PageClient":
        """Open the SSE command stream in a thread; returns once the stream is open."""
        self._thread = threading.Thread(target=self._listen, daemon=True)
        self._thread.start()
        if not self._opened.wait(10):
            raise TimeoutError("command stream did not open")
        return self

    def close(self) -> None:
        """Stop listening and close the HTTP client."""
        self._stop.set()
        self.http.close()

    def wait_commands(self, count: int, timeout: float = 10) -> list[dict]:
        """Block until ``count`` commands were received; returns them all."""
        deadline = time.monotonic() + timeout
        with self.received:
            while len(self.commands) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"only {len(self.commands)} of {count} commands arrived")
                self.received.wait(remaining)
            return list(self.commands)

    def _listen(self) -> None:
        url = (f"_cellucid/commands?viewerId={self.viewer.viewer_id}"
               f"&viewerToken={self.viewer.viewer_token}")
        try:
            with httpx.Client(base_url=self.base, timeout=None) as stream_http, \
                    stream_http.stream("GET", url, headers={"accept": "text/event-stream"}) as reply:
                for line in reply.iter_lines():
                    if self._stop.is_set():
                        return
                    if line.startswith(":"):
                        self._opened.set()
                    elif line.startswith("data:"):
                        self._handle(json.loads(line[5:]))
        except httpx.HTTPError:
            if not self._stop.is_set():
                raise

    def _handle(self, command: dict) -> None:
        try:
            self._apply(command)
        except (httpx.HTTPError, RuntimeError):
            if not self._stop.is_set():   # a closed client after close() is expected
                raise

    def _apply(self, command: dict) -> None:
        with self.received:
            self.commands.append(command)
            self.received.notify_all()
        kind = command["type"]
        if kind == "ping":
            self.post("pong", requestId=command["requestId"], t=time.time() * 1000)
        elif kind == "debug_snapshot":
            self.post("debug_snapshot", requestId=command["requestId"], ts="now",
                      href=self.base, origin=self.base.rstrip("/"), userAgent="PageClient",
                      webgl="none", connected=True)
        elif kind == "requestSessionBundle" and self.bundle is not None:
            self.http.post(f"_cellucid/session_bundle?viewerId={self.viewer.viewer_id}"
                           f"&viewerToken={self.viewer.viewer_token}"
                           f"&requestId={command['requestId']}", json=self.bundle)
        if self.auto_ack:
            ok = kind not in self.refuse
            self.post("command_result", id=command["id"], ok=ok,
                      **({} if ok else {"error": f"{kind} refused by the test page"}))
