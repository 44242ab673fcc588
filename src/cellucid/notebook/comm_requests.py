"""Requests of a widget's page that come over the kernel's comm, answered by the server's own app.

When the browser cannot reach the server's URL, the page (``widget/loader.js`` and the app's
``commFetch``) sends each HTTP request as a comm message
``{"kind": "request", "rid", "method", "url", "headers", "body"}`` (a binary body as the first
buffer). `CommRequests.handle` turns it into an ASGI ``http`` call of the process server's
Starlette app, on the server's event loop, with Host ``127.0.0.1`` and
``X-Cellucid-Transport: comm``: the same routes, token checks and error replies as over HTTP.
The reply goes back as ``{"kind": "response", "rid", "status", "headers", "part", "parts"}``
messages, each with at most `PART_BYTES` of the body as its buffer (docs/protocol.md).

Nothing here runs the request on the caller's thread — the kernel's cell thread, which must stay
free (a long-poll waits up to 25 s): `handle` only schedules. Replies are sent by one sender
thread, in order; see `Sender`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import math
import queue
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

from .transport import HEADER, note_comm_thread

logger = logging.getLogger("cellucid")

PART_BYTES = 2 << 20          # at most 2 MiB of body per message: under notebook servers' limits
REQUEST_TIMEOUT = 120.0       # seconds; the page gives up sooner (20 s, 35 s for a poll)
MAX_REQUEST_TIMEOUT = 1800.0  # seconds a request may ask for (`timeout`: opening a session)
METHODS = frozenset({"GET", "HEAD", "POST"})
MAX_HEADERS = 64
STREAM_PATH = "/_cellucid/commands"
# Set by this module only: whatever the page sends under these names is dropped.
OWN_HEADERS = frozenset({"host", "content-length", HEADER})
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")

Send = Callable[[dict, list], None]


@dataclass
class Reply:
    """A whole HTTP reply: status, lower-case headers and body."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class BadRequest(ValueError):
    """A comm request message that cannot be turned into an HTTP request."""


def error_reply(status: int, message: str) -> Reply:
    """A JSON error reply shaped like the app's own (``{"status": "error", "message"}``)."""
    body = json.dumps({"status": "error", "message": message}).encode()
    return Reply(status, {"content-type": "application/json",
                          "content-length": str(len(body))}, body)


def part_count(size: int, part_bytes: int = PART_BYTES) -> int:
    """How many messages a body of ``size`` bytes takes (an empty body still takes one)."""
    return max(1, math.ceil(size / part_bytes))


def split_body(body: bytes, part_bytes: int = PART_BYTES) -> list[memoryview]:
    """``body`` cut into consecutive parts of at most ``part_bytes`` (views, not copies)."""
    view = memoryview(body)
    return [view[i * part_bytes:(i + 1) * part_bytes]
            for i in range(part_count(len(body), part_bytes))]


def response_messages(rid, reply: Reply, part_bytes: int = PART_BYTES) -> list[tuple[dict, list]]:
    """The ``(content, buffers)`` messages that carry ``reply`` to the page, in order."""
    parts = split_body(reply.body, part_bytes)
    return [({"kind": "response", "rid": rid, "status": reply.status, "headers": reply.headers,
              "part": i, "parts": len(parts)}, [part]) for i, part in enumerate(parts)]


def request_timeout(content: dict) -> float:
    """How long a request may run: the ``timeout`` it asks for (seconds, at most
    `MAX_REQUEST_TIMEOUT`: a session's comparison rerun at atlas scale), else `REQUEST_TIMEOUT`."""
    asked = content.get("timeout")
    if isinstance(asked, bool) or not isinstance(asked, (int, float)) or not asked > 0:
        return REQUEST_TIMEOUT
    return max(REQUEST_TIMEOUT, min(float(asked), MAX_REQUEST_TIMEOUT))


def parse_request(content: dict, buffers) -> tuple[str, str, str, list[tuple[bytes, bytes]], bytes]:
    """``(method, path, query, headers, body)`` of a request message; raises `BadRequest`."""
    method = content.get("method")
    if method not in METHODS:
        raise BadRequest(f"method must be one of {', '.join(sorted(METHODS))}, got "
                         f"{str(method)[:20]!r}")
    url = content.get("url")
    if not isinstance(url, str) or not url or len(url) > 16_384:
        raise BadRequest("url must be a non-empty relative URL (at most 16 KiB)")
    # As a browser would put it on the wire: non-ASCII characters percent-encoded as UTF-8.
    try:
        parts = urlsplit(_NON_ASCII.sub(lambda m: quote(m.group(), safe=""), url))
    except (UnicodeEncodeError, ValueError):
        raise BadRequest("url is not valid Unicode") from None
    if parts.scheme or parts.netloc:
        raise BadRequest("url must be relative to the viewer page (e.g. _cellucid/info?…)")
    path = parts.path
    while path.startswith("./"):
        path = path[2:]
    path = "/" + path.lstrip("/")
    headers = content.get("headers") or {}
    if not isinstance(headers, dict) or len(headers) > MAX_HEADERS or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        raise BadRequest(f"headers must be an object of at most {MAX_HEADERS} string values")
    try:
        raw_headers = [(k.lower().encode("latin-1"), v.encode("latin-1"))
                       for k, v in headers.items() if k.lower() not in OWN_HEADERS]
    except UnicodeEncodeError:
        raise BadRequest("header names and values must be Latin-1 text") from None
    body = content.get("body")
    if buffers:
        body = bytes(buffers[0])
    elif isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    elif body is None:
        body = b""
    else:
        raise BadRequest("body must be text, null, or the message's first buffer")
    return method, path, parts.query, raw_headers, body


def build_scope(method: str, path: str, query: str, headers: list[tuple[bytes, bytes]],
                body: bytes, port: int) -> dict:
    """The ASGI ``http`` scope of a comm request: from loopback, to the server's own port."""
    own = [(b"host", b"127.0.0.1"), (HEADER.encode(), b"comm")]
    if body or method == "POST":
        own.append((b"content-length", str(len(body)).encode()))
    return {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1", "method": method, "scheme": "http", "path": unquote(path),
            "raw_path": path.encode("ascii"), "root_path": "",
            "query_string": query.encode("ascii"), "headers": headers + own,
            "client": ("127.0.0.1", 0), "server": ("127.0.0.1", port), "extensions": {}}


async def call_app(app, scope: dict, body: bytes, timeout: float = REQUEST_TIMEOUT) -> Reply:
    """Run one request through the ASGI ``app`` and collect its whole reply."""
    finished = asyncio.Event()
    request_sent = False
    start: dict | None = None
    chunks: list[bytes] = []

    async def receive() -> dict:
        nonlocal request_sent
        if not request_sent:
            request_sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            chunks.append(bytes(message.get("body", b"")))
            if not message.get("more_body", False):
                finished.set()

    try:
        await asyncio.wait_for(app(scope, receive, send), timeout)
    except asyncio.TimeoutError:
        if start is None:
            return error_reply(504, f"no reply within {timeout:g} s")
    except Exception:  # the app's error handlers already answered (500) and logged it
        logger.debug("cellucid: comm request %s %s raised", scope["method"], scope["path"],
                     exc_info=True)
        if start is None:
            return error_reply(500, "internal error; see the Python log")
    finally:
        finished.set()
    if start is None:
        return error_reply(500, "the app sent no reply")
    headers: dict[str, str] = {}
    for name, value in start.get("headers", ()):
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    body_out = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    return Reply(int(start["status"]), headers, body_out)


class Sender:
    """One daemon thread that sends every comm reply of the process, in the order queued.

    Replies are ready on the server's event loop; sending them there would serialize and sign
    up to 2 MiB per message on the loop and stall every other request. One thread also keeps the
    parts of a reply in order. ipykernel's ``Session.send`` hands the frames to its IOPub thread
    (thread-safe by design: output from threads works the same way), and marimo's stream
    serializes writes under a lock, so sending from this thread is safe in both.
    """

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def put(self, send: Send, content: dict, buffers: list) -> None:
        """Queue one message for ``send`` (starting the thread on first use)."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="cellucid-comm-send",
                                                daemon=True)
                self._thread.start()
        self._queue.put((send, content, buffers))

    def _run(self) -> None:
        while True:
            send, content, buffers = self._queue.get()
            try:
                send(content, buffers)
            except Exception:  # a closed comm, a kernel shutting down: nothing to tell anyone
                logger.debug("cellucid: a comm reply could not be sent", exc_info=True)


sender = Sender()


class CommRequests:
    """Answers one widget's comm requests through ``server``'s app; replies go to ``send``."""

    def __init__(self, server, send: Send) -> None:
        self.server = server
        self.send = send

    def handle(self, content, buffers=None) -> None:
        """Take one message from the page; returns at once (the reply is sent later)."""
        if not isinstance(content, dict) or content.get("kind") != "request":
            return
        note_comm_thread()
        rid = content.get("rid")
        if isinstance(rid, bool) or not isinstance(rid, (int, str)):
            logger.warning("cellucid: a comm request without a usable 'rid' was dropped")
            return
        try:
            method, path, query, headers, body = parse_request(content, buffers)
        except BadRequest as exc:
            self.reply(rid, error_reply(400, f"bad comm request: {exc}"))
            return
        if method == "GET" and path.rstrip("/") == STREAM_PATH:
            self.reply(rid, error_reply(400, "the command stream (Server-Sent Events) cannot "
                                             "run over the notebook's comm: poll "
                                             "_cellucid/commands/poll instead"))
            return
        loop = self.server.loop
        if not self.server.running or loop is None or loop.is_closed():
            self.reply(rid, _server_gone())
            return
        scope = build_scope(method, path, query, headers, body, self.server.port)
        try:
            future = asyncio.run_coroutine_threadsafe(
                call_app(self.server.app, scope, body, request_timeout(content)), loop)
        except RuntimeError:  # the loop closed between the check and now
            self.reply(rid, _server_gone())
            return
        future.add_done_callback(lambda done: self._finished(rid, done))

    def _finished(self, rid, future) -> None:
        try:
            reply = future.result()
        except concurrent.futures.CancelledError:  # the server stopped while the request ran
            reply = _server_gone()
        except Exception:
            logger.exception("cellucid: a comm request failed")
            reply = error_reply(500, "internal error; see the Python log")
        self.reply(rid, reply)

    def reply(self, rid, reply: Reply) -> None:
        """Queue the messages of ``reply`` to request ``rid``."""
        for content, buffers in response_messages(rid, reply):
            sender.put(self.send, content, buffers)


def _server_gone() -> Reply:
    return error_reply(503, "the cellucid server of this Python session has stopped; "
                            "re-run the cell that shows the viewer")
