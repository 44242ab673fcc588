"""Python → viewer commands: the per-viewer queue and the acknowledgements.

The HTTP endpoints that hand the queue to a page live in `command_stream.py`.

A command stays queued until a page acknowledges it with a ``command_result`` event, so a page
that connects late (or reconnects) receives every unacknowledged command, in order, and never an
acknowledged one again.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections import OrderedDict

from ..errors import CommandError
from . import blocking

DEFAULT_PENDING_LIMIT = 1_000
KEEPALIVE_SECONDS = 15.0
POLL_GRACE_SECONDS = 35.0


class Ack:
    """The outcome of one command, filled in when the page acknowledges it."""

    def __init__(self, command_id: str) -> None:
        self.command_id = command_id
        self.ok: bool | None = None
        self.error: str | None = None
        self._done = threading.Event()

    def resolve(self, ok: bool, error: str | None) -> None:
        """Record the page's answer and wake whoever waits on it."""
        self.ok, self.error = ok, error
        self._done.set()

    def wait(self, timeout: float | None) -> bool:
        """Block until acknowledged; False on timeout."""
        try:
            return blocking.wait(lambda seconds: self._done.wait(seconds) or None, timeout,
                                 TimeoutError)
        except TimeoutError:
            return False


class _Listener:
    """A connected stream or poll, woken from any thread when a command is queued."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.event = asyncio.Event()

    def wake(self) -> None:
        try:
            self.loop.call_soon_threadsafe(self.event.set)
        except RuntimeError:  # the loop is closed: the server has stopped
            pass


class CommandChannel:
    """The command queue of one viewer, shared by every page that shows it."""

    def __init__(self, pending_limit: int = DEFAULT_PENDING_LIMIT) -> None:
        self.pending_limit = pending_limit
        self._lock = threading.Lock()
        self._pending: OrderedDict[int, dict] = OrderedDict()
        self._acks: dict[str, Ack] = {}
        self._seq = 0
        self._listeners: set[_Listener] = set()
        self._last_poll = float("-inf")
        self._generation = 0
        self.closed = False

    # -- Python side --------------------------------------------------------------------------
    def push(self, command_type: str, fields: dict) -> Ack:
        """Queue a command and return its `Ack` (registered before any page can answer).

        Raises `CommandError` when ``pending_limit`` commands already wait for a page.
        """
        with self._lock:
            if self.closed:
                raise CommandError("this viewer was stopped; show the data again to get a new one")
            if len(self._pending) >= self.pending_limit:
                raise CommandError(
                    f"{len(self._pending)} commands are already waiting for the viewer page; "
                    f"open the viewer (viewer.viewer_url) so it can take them")
            self._seq += 1
            command = {**fields, "id": f"c{self._seq}", "type": command_type}
            ack = Ack(command["id"])
            self._acks[command["id"]] = ack
            self._pending[self._seq] = command
            listeners = list(self._listeners)
        for listener in listeners:
            listener.wake()
        return ack

    def acknowledge(self, command_id: object, ok: object, error: object) -> bool:
        """Apply a ``command_result`` from the page; False if the id is unknown (already acked)."""
        if not isinstance(command_id, str):
            return False
        with self._lock:
            ack = self._acks.pop(command_id, None)
            if ack is None:
                return False
            seq = int(command_id[1:]) if command_id[1:].isdigit() else None
            self._pending.pop(seq, None)
        ack.resolve(ok is True, None if ok is True else str(error or "the viewer refused it"))
        return True

    @property
    def pending(self) -> list[dict]:
        """Commands queued and not yet acknowledged, oldest first."""
        with self._lock:
            return list(self._pending.values())

    @property
    def connected(self) -> bool:
        """Whether a page holds a command stream open (or polled in the last seconds)."""
        return bool(self._listeners) or time.monotonic() - self._last_poll < POLL_GRACE_SECONDS

    def after(self, seq: int) -> list[tuple[int, dict]]:
        """Unacknowledged commands with a sequence number above ``seq``."""
        with self._lock:
            return [(s, c) for s, c in self._pending.items() if s > seq]

    def close(self) -> None:
        """End every stream after it sent what is queued; refuse new commands."""
        with self._lock:
            self.closed = True
        self.disconnect_all()

    def disconnect_all(self) -> None:
        """End the streams open now (the server is stopping); the queue stays usable."""
        with self._lock:
            self._generation += 1
            listeners = list(self._listeners)
        for listener in listeners:
            listener.wake()

    # -- page side (asyncio, on the server loop) ----------------------------------------------
    async def stream(self, last_seen: int = 0):
        """Yield SSE text: an opening comment, each command once, keep-alive comments."""
        listener = _Listener()
        with self._lock:
            self._listeners.add(listener)
            generation = self._generation
        try:
            yield ": connected\n\n"
            cursor = last_seen
            while True:
                listener.event.clear()
                for seq, command in self.after(cursor):
                    yield f"id: {seq}\ndata: {json.dumps(command)}\n\n"
                    cursor = seq
                if self.closed or self._generation != generation:
                    return
                try:
                    await asyncio.wait_for(listener.event.wait(), KEEPALIVE_SECONDS)
                except asyncio.TimeoutError:
                    yield ": keep-alive\n\n"
        finally:
            with self._lock:
                self._listeners.discard(listener)

    async def poll(self, after: int, wait: float) -> list[tuple[int, dict]]:
        """Wait up to ``wait`` seconds for commands after ``after``; return those queued."""
        listener = _Listener()
        with self._lock:
            self._listeners.add(listener)
            generation = self._generation
        deadline = time.monotonic() + wait
        try:
            while True:
                listener.event.clear()
                items = self.after(after)
                remaining = deadline - time.monotonic()
                if items or self.closed or remaining <= 0 or self._generation != generation:
                    return items
                try:
                    await asyncio.wait_for(listener.event.wait(), remaining)
                except asyncio.TimeoutError:
                    pass
        finally:
            with self._lock:
                self._listeners.discard(listener)
            self._last_poll = time.monotonic()
