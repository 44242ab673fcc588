"""A small Python client that speaks the viewer page's side of the protocol, for tests and benches.

It posts events as the page does and, once connected, reads the command stream, applies the
internal commands (ping, debug_snapshot, requestSessionBundle) and acknowledges every command.
"""

from __future__ import annotations

import base64
import http.client
import itertools
import json
import os
import statistics
import threading
import time
import zlib
from collections import defaultdict

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
                 bundle: dict | None = None, image: bytes | None = None) -> None:
        self.viewer = viewer
        self.base = viewer.server_url
        self.http = httpx.Client(base_url=self.base, timeout=30)
        self.auto_ack = auto_ack
        self.refuse = refuse or set()
        self.bundle = bundle
        self.image = image
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
        elif kind == "requestImage" and self.image is not None:
            self.http.post(f"_cellucid/image?viewerId={self.viewer.viewer_id}"
                           f"&viewerToken={self.viewer.viewer_token}"
                           f"&requestId={command['requestId']}", content=self.image,
                           headers={"content-type": "image/png"})
        if self.auto_ack:
            ok = kind not in self.refuse
            self.post("command_result", id=command["id"], ok=ok,
                      **({} if ok else {"error": f"{kind} refused by the test page"}))


class RawClient:
    """A keep-alive http.client connection: light enough for thousands of requests."""

    def __init__(self, server_url: str) -> None:
        host, port = server_url.split("//")[1].rstrip("/").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=30)

    def post(self, body: bytes, content_type: str = "application/json"):
        """POST a body to the events endpoint; returns (status, content type, reply bytes)."""
        headers = {"Content-Type": content_type} if content_type else {}
        self.conn.request("POST", "/_cellucid/events", body=body, headers=headers)
        reply = self.conn.getresponse()
        return reply.status, reply.getheader("content-type", ""), reply.read()

    def close(self) -> None:
        self.conn.close()


LOAD_KINDS = ("selection", "click", "custom_a", "console", "custom_b")


def run_load(viewers, senders: int = 8, per_sender: int = 2_000) -> dict:
    """Senders post mixed events (with ids) to the viewers, round robin, as fast as they can.

    Returns throughput, reply latencies and, per viewer and sender, the sequence numbers the
    callbacks received, in the order received.
    """
    received = {v.viewer_id: defaultdict(list) for v in viewers}
    for v in viewers:
        sink = received[v.viewer_id]
        v.on_message(lambda e, sink=sink: sink[e["sender"]].append(e["seq"])
                     if "sender" in e else None)
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()

    def send(sender: int) -> None:
        viewer = viewers[sender % len(viewers)]
        client = RawClient(viewer.server_url)
        mine = []
        for seq in range(per_sender):
            kind = LOAD_KINDS[seq % len(LOAD_KINDS)]
            extra = {"cells": [seq % viewer.n_cells]} if kind == "selection" else (
                {"cell": seq % viewer.n_cells} if kind == "click"
                else {"level": "warn", "message": "m"})
            body = json.dumps({"type": kind, "viewerId": viewer.viewer_id,
                               "viewerToken": viewer.viewer_token,
                               "eventId": f"s{sender}-{seq}", "sender": sender, "seq": seq,
                               **extra}).encode()
            t0 = time.perf_counter()
            status, _, reply = client.post(body)
            mine.append(time.perf_counter() - t0)
            if status != 200:
                failures.append(f"sender {sender} seq {seq}: {status} {reply[:200]!r}")
        client.close()
        with lock:
            latencies.extend(mine)

    start = time.perf_counter()
    threads = [threading.Thread(target=send, args=(i,)) for i in range(senders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    for v in viewers:
        v.wait_for_callbacks(120)
    latencies.sort()
    lost = sum(per_sender - len(received[viewers[i % len(viewers)].viewer_id][i])
               for i in range(senders))
    return {"received": received, "failures": failures, "events": senders * per_sender,
            "per_second": senders * per_sender / elapsed, "lost": lost,
            "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99)] * 1000}


def rss_bytes() -> int:
    """This process's resident memory."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def run_flood(viewer, posts: int = 120, fraction: float = 0.3) -> dict:
    """Post ``posts`` large selections while the callback is blocked; then release it.

    Returns the reply statuses, whether every 429 carried Retry-After, the peak memory growth
    while flooded, and how many events the callback got once released.
    """
    gate = threading.Event()
    delivered = []

    @viewer.on_selection
    def slow(event):
        gate.wait(120)
        delivered.append(len(event["cells"]))

    n = viewer.n_cells
    cells = np.flatnonzero(np.random.default_rng(0).random(n) < fraction)
    body = json.dumps({"type": "selection", "viewerId": viewer.viewer_id,
                       "viewerToken": viewer.viewer_token,
                       "cells": bitmask(cells, n)}).encode()
    client = RawClient(viewer.server_url)
    before = peak = rss_bytes()
    statuses: dict[int, int] = defaultdict(int)
    retry_after_ok = True
    for _ in range(posts):
        client.conn.request("POST", "/_cellucid/events", body=body,
                            headers={"Content-Type": "application/json"})
        reply = client.conn.getresponse()
        reply.read()
        statuses[reply.status] += 1
        if reply.status == 429:
            retry_after_ok &= reply.getheader("retry-after") == "1"
        peak = max(peak, rss_bytes())
    client.close()
    gate.set()
    viewer.wait_for_callbacks(120)
    viewer.off("selection", slow)
    return {"statuses": dict(statuses), "retry_after_ok": retry_after_ok,
            "growth_bytes": peak - before, "delivered": len(delivered),
            "all_whole": set(delivered) <= {int(cells.size)}, "body_bytes": len(body)}
