"""A static file server on loopback with HTTP Range support that counts what it serves.

Python's ``SimpleHTTPRequestHandler`` ignores ``Range``; this one answers ``bytes=a-b``,
``bytes=a-`` and ``bytes=-n`` with ``206`` (``416`` past the end), counts body bytes and requests,
can add a delay to every request (a slow network), and can require a token (``?token=`` or a
``Bearer`` header) to answer ``403`` without it. Used by the remote tests and ``bench/remote.py``.
"""

from __future__ import annotations

import os
import re
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
COPY_BYTES = 1 << 20


class Counters:
    """What the server sent: bytes of bodies, requests, and ``(path, range, status)`` of each
    request — each counted before its reply goes out."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.bytes = 0
            self.requests = 0
            self.log: list[tuple[str, str | None, int]] = []

    def add(self, path: str, range_header: str | None, status: int, n: int) -> None:
        with self.lock:
            self.bytes += n
            self.requests += 1
            self.log.append((path, range_header, status))


class RangeServer:
    """Serve ``root`` on ``127.0.0.1`` in a thread; ``url`` is its base, ``counters`` its tally.

    ``delay_s`` is added to every request; ``token`` (when set) is required as ``?token=`` or
    ``Authorization: Bearer``. Use as a context manager (``with RangeServer(dir) as server``).
    """

    def __init__(self, root: str | os.PathLike, *, delay_s: float = 0.0,
                 token: str | None = None) -> None:
        self.root = Path(root).resolve()
        self.delay_s = delay_s
        self.token = token
        self.counters = Counters()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # headers and body go out as two writes: without TCP_NODELAY, Nagle's algorithm and
            # the client's delayed ACK add ~40 ms to every keep-alive request
            disable_nagle_algorithm = True

            def log_message(self, *args) -> None:   # quiet
                pass

            def do_HEAD(self) -> None:   # noqa: N802 — http.server's naming
                server._answer(self, body=False)

            def do_GET(self) -> None:   # noqa: N802
                server._answer(self, body=True)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> RangeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving and release the port."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def _allowed(self, handler, query: dict) -> bool:
        if self.token is None:
            return True
        return query.get("token", [None])[0] == self.token or \
            handler.headers.get("Authorization") == f"Bearer {self.token}"

    def _answer(self, handler: BaseHTTPRequestHandler, *, body: bool) -> None:
        if self.delay_s:
            time.sleep(self.delay_s)
        parts = urlsplit(handler.path)
        rel = unquote(parts.path).lstrip("/")
        range_header = handler.headers.get("Range")
        if not self._allowed(handler, parse_qs(parts.query)):
            self._send_empty(handler, HTTPStatus.FORBIDDEN, rel, range_header)
            return
        path = (self.root / rel).resolve()
        if self.root not in path.parents and path != self.root or not path.is_file():
            self._send_empty(handler, HTTPStatus.NOT_FOUND, rel, range_header)
            return
        size = path.stat().st_size
        start, stop, status = 0, size, HTTPStatus.OK
        if range_header:
            m = _RANGE.match(range_header.strip())
            if not m or (m[1] == "" and m[2] == ""):
                self._send_empty(handler, HTTPStatus.BAD_REQUEST, rel, range_header)
                return
            if m[1] == "":
                start, stop = max(0, size - int(m[2])), size
            else:
                start = int(m[1])
                stop = min(size, int(m[2]) + 1) if m[2] else size
            if start >= size:
                self.counters.add(rel, range_header, 416, 0)
                handler.send_response(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE)
                handler.send_header("Content-Range", f"bytes */{size}")
                handler.send_header("Content-Length", "0")
                handler.end_headers()
                return
            status = HTTPStatus.PARTIAL_CONTENT
        # counted before anything is sent: a client that got the reply always finds it counted
        self.counters.add(rel, range_header, int(status), stop - start if body else 0)
        handler.send_response(status)
        handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("Accept-Ranges", "bytes")
        handler.send_header("Content-Length", str(stop - start))
        if status == HTTPStatus.PARTIAL_CONTENT:
            handler.send_header("Content-Range", f"bytes {start}-{stop - 1}/{size}")
        handler.end_headers()
        sent = 0
        if body:
            with open(path, "rb") as f:
                f.seek(start)
                while sent < stop - start:
                    chunk = f.read(min(COPY_BYTES, stop - start - sent))
                    if not chunk:
                        break
                    handler.wfile.write(chunk)
                    sent += len(chunk)

    def _send_empty(self, handler, status: HTTPStatus, rel: str, range_header) -> None:
        self.counters.add(rel, range_header, int(status), 0)
        handler.send_response(status)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
