"""Which way a viewer's page reaches Python: plain HTTP, or the notebook's own comm channel.

A page shown as a notebook widget first tries the server's URL; when the browser cannot reach
it (a remote kernel without jupyter-server-proxy, VS Code remote, Colab), it sends every request
as a comm message instead, which `comm_requests.py` runs through the same app with the header
``X-Cellucid-Transport: comm``. Each session keeps when it last saw a request of each kind and
what the page itself said about its choice (its ``transport`` event), for
``viewer.debug_connection()``.

A kernel reads comm messages on the thread that runs the cells, and only between cells: while a
cell runs, a page on the comm can receive (its long-poll is already waiting on the server) but
nothing it sends reaches Python. `comm_blocked` tells the code that would wait for the page.
"""

from __future__ import annotations

import threading
import time

HEADER = "x-cellucid-transport"
MODES = ("http", "comm")
MAX_REASON = 500
# Threads that comm requests arrived on: the kernel's cell thread (marimo's too).
_comm_threads: set[int] = set()


def request_transport(headers) -> str:
    """``"comm"`` for a request that came over the notebook's comm, else ``"http"``."""
    return "comm" if headers.get(HEADER) == "comm" else "http"


def note_comm_thread() -> None:
    """Record that comm messages are read on the calling thread."""
    _comm_threads.add(threading.get_ident())


class TransportLog:
    """When a viewer's page last used each transport, and the page's own word about it."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}   # mode → time.monotonic() of its latest request
        self.stated: dict | None = None    # the page's latest {"mode", "reason"}

    def note(self, mode: str) -> None:
        """Record a request of the page over ``mode``."""
        self.seen[mode] = time.monotonic()

    def state(self, payload: dict) -> None:
        """Keep what the page said in its ``transport`` event (unknown modes are ignored)."""
        mode = payload.get("mode")
        if mode not in MODES:
            return
        reason = payload.get("reason")
        reason = reason[:MAX_REASON] if isinstance(reason, str) else ""
        self.stated = {"mode": mode, "reason": reason}

    @property
    def current(self) -> str | None:
        """The mode of the page's latest request (else the one it stated), or None."""
        seen = dict(self.seen)   # a copy: another thread may add a mode meanwhile
        if seen:
            return max(seen, key=seen.__getitem__)
        return self.stated["mode"] if self.stated else None

    def describe(self) -> str:
        """One line for reports: the mode, the page's reason, and when each mode was last used."""
        mode = self.current
        if mode is None:
            return "unknown — no request from a viewer page yet"
        parts = [mode]
        if self.stated and self.stated["mode"] == mode and self.stated["reason"]:
            parts.append(f"— {self.stated['reason']}")
        now = time.monotonic()
        ages = ", ".join(f"{m} {now - t:.1f} s ago" for m, t in sorted(dict(self.seen).items()))
        if ages:
            parts.append(f"(latest request: {ages})")
        return " ".join(parts)


def comm_blocked(log: TransportLog) -> bool:
    """Whether waiting here for the page cannot end: its latest requests came over the comm, and
    the calling thread is the one that reads the comm (busy with the running cell)."""
    return log.current == "comm" and threading.get_ident() in _comm_threads
