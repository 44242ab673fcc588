"""Which way a viewer's page reaches Python: plain HTTP, or the notebook's own comm channel.

A page shown as a notebook widget first tries the server's URL; when the browser cannot reach
it (a remote kernel without jupyter-server-proxy, VS Code remote, Colab), it sends every request
as a comm message instead, which `comm_requests.py` runs through the same app with the header
``X-Cellucid-Transport: comm``. Each session keeps when it last saw a request of each kind and
what the page itself said about its choice (its ``transport`` event), for
``viewer.debug_connection()``.

Over the comm, a Jupyter kernel hears the page while a cell blocks (`comm_pump`: kernel subshells,
or the wait reading the messages itself). marimo reads widget messages only on its kernel thread,
between cell runs: `page_unreachable` tells a wait there that it could never be answered.
"""

from __future__ import annotations

import sys
import threading
import time

from . import comm_pump

HEADER = "x-cellucid-transport"
MODES = ("http", "comm")
MAX_REASON = 500
# Threads that comm requests arrived on: a Jupyter kernel's shell threads, marimo's kernel thread.
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


def page_unreachable(log: TransportLog) -> str | None:
    """Why a wait on the calling thread could never hear the page, or None when it can.

    That is when the page's latest requests came over the comm, this thread is the one that
    reads them, and it cannot read them while it waits (marimo's kernel thread, unlike a Jupyter
    kernel's shell threads).
    """
    if log.current != "comm" or threading.get_ident() not in _comm_threads:
        return None
    if comm_pump.pump_here() is not None:
        return None
    return ("this viewer's page talks to Python over the notebook's widget channel, and this "
            "thread is the one that reads that channel (marimo reads widget messages only "
            "between cell runs), so the page's answer could not arrive while it waits. Wait in "
            "a thread of its own instead (in marimo: mo.Thread, see docs/environments.md), or "
            "react to the page in a hook (@viewer.on_selection, ...)")


def marimo_hint() -> str:
    """Under marimo, what a wait for the page that timed out may mean; else ``""``."""
    marimo = sys.modules.get("marimo")
    if marimo is None or not getattr(marimo, "running_in_notebook", lambda: False)():
        return ""
    return ("In marimo, a page on marimo's widget channel cannot be heard by a waiting cell "
            "(marimo reads widget messages between cell runs): wait in a mo.Thread instead "
            "(docs/environments.md). ")
