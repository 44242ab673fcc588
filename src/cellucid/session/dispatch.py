"""Per-viewer delivery of events to Python callbacks, on the viewer's own daemon thread.

The router calls `Dispatcher.submit` from a request thread; it returns at once. Callbacks run one at
a time, in arrival order, on the dispatcher thread, so a callback may block (even on
``wait_for_event``) without stalling the HTTP server. Waiters (``wait_for_event``) are matched at
submit time, so they never depend on the dispatcher being free; they block through
`blocking.wait`, which keeps a notebook cell hearing the page.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from ..errors import ViewerStopped
from . import blocking

logger = logging.getLogger("cellucid")

Callback = Callable[[dict], Any]
MESSAGE = "message"        # handlers under this key receive every event as {"event": type, ...}
COALESCED_TYPES = frozenset({"hover"})
DEFAULT_QUEUE_LIMIT = 10_000
DEFAULT_QUEUE_BYTES = 256 << 20   # estimated memory of queued payloads
_STOP = object()


class QueueFull(Exception):
    """The viewer's event queue is at its cap; the sender should retry later (HTTP 429)."""


class Subscription:
    """Events of one type routed after the subscription began, for a waiting thread."""

    def __init__(self, dispatcher: "Dispatcher", event_type: str | None) -> None:
        self.dispatcher = dispatcher
        self.event_type = event_type
        self.inbox: queue.SimpleQueue = queue.SimpleQueue()

    def next(self, timeout: float | None,
             predicate: Callable[[dict], bool] | None = None) -> tuple[str, dict]:
        """The next (type, payload) for which ``predicate`` holds; `TimeoutError`/`ViewerStopped`."""

        def take(seconds: float | None) -> tuple[str, dict] | None:
            try:
                item = self.inbox.get(timeout=seconds)
            except queue.Empty:
                return None
            if item is _STOP:
                raise ViewerStopped(f"viewer {self.dispatcher.name} was stopped while waiting "
                                    f"for {self.event_type or 'an event'!r}")
            return item if predicate is None or predicate(item[1]) else None

        return blocking.wait(take, timeout, lambda: TimeoutError(
            f"no {self.event_type or 'event'!r} event arrived within {timeout:g} s"))

    def close(self) -> None:
        """Stop receiving events."""
        self.dispatcher.unsubscribe(self)

    def __enter__(self) -> "Subscription":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Dispatcher:
    """Queue and thread that deliver one viewer's events to its registered callbacks."""

    def __init__(self, name: str, queue_limit: int = DEFAULT_QUEUE_LIMIT,
                 queue_bytes: int = DEFAULT_QUEUE_BYTES) -> None:
        self.name = name
        self.queue_limit = queue_limit
        self.queue_bytes = queue_bytes
        self._queued_bytes = 0
        self.delivered = 0
        self.coalesced = 0
        self._handlers: dict[str, list[Callback]] = {}
        self._queue: deque[tuple[str, dict, int]] = deque()
        self._cond = threading.Condition()
        self._waiters: list[Subscription] = []
        self._waiters_lock = threading.Lock()
        self._busy = False
        self._stopped = False
        self._failed: set[int] = set()   # ids of callbacks that raised once already
        self._thread = threading.Thread(target=self._run, name=f"cellucid-dispatch-{name}",
                                        daemon=True)

    def start(self) -> "Dispatcher":
        """Start the delivery thread (events submitted before wait for it); returns self."""
        self._thread.start()
        return self

    # -- registration -------------------------------------------------------------------------
    def add_handler(self, event_type: str, fn: Callback) -> None:
        """Register ``fn`` for ``event_type`` (`MESSAGE` for every event)."""
        with self._cond:
            handlers = list(self._handlers.get(event_type, ()))
            handlers.append(fn)
            self._handlers[event_type] = handlers

    def remove_handlers(self, event_type: str | None = None, fn: Callback | None = None) -> int:
        """Remove handlers by type and/or function; returns how many were removed."""
        removed = 0
        with self._cond:
            for key in list(self._handlers):
                if event_type is not None and key != event_type:
                    continue
                kept = [h for h in self._handlers[key] if fn is not None and h != fn]
                removed += len(self._handlers[key]) - len(kept)
                self._handlers[key] = kept
        return removed

    def handlers(self, event_type: str) -> list[Callback]:
        """The callbacks registered for ``event_type`` (not counting `MESSAGE` handlers)."""
        return list(self._handlers.get(event_type, ()))

    # -- intake (request threads) -------------------------------------------------------------
    def submit(self, event_type: str, payload: dict, size: int = 0) -> None:
        """Queue an event for the callbacks and hand it to matching waiters; never blocks.

        ``size`` estimates the payload's memory. Raises `QueueFull` when ``queue_limit`` events,
        or ``queue_bytes`` of them, wait already (an event alone in the queue is always taken,
        however large).
        """
        with self._cond:
            if self._stopped:
                return
            tail_is_same_hover = (event_type in COALESCED_TYPES and self._queue
                                  and self._queue[-1][0] == event_type)
            if tail_is_same_hover:
                # The callback fell behind: the newest hover replaces the one still waiting.
                self._queued_bytes += size - self._queue[-1][2]
                self._queue[-1] = (event_type, payload, size)
                self.coalesced += 1
            else:
                if len(self._queue) >= self.queue_limit or (
                        self._queue and self._queued_bytes + size > self.queue_bytes):
                    raise QueueFull(f"{len(self._queue)} events ({self._queued_bytes >> 20} MiB) "
                                    f"are waiting for this viewer's callbacks")
                self._queue.append((event_type, payload, size))
                self._queued_bytes += size
                self._cond.notify()
        with self._waiters_lock:
            for waiter in self._waiters:
                if waiter.event_type is None or waiter.event_type == event_type:
                    waiter.inbox.put((event_type, payload))

    @property
    def waiters(self) -> int:
        """Subscriptions open now (threads waiting for an event)."""
        with self._waiters_lock:
            return len(self._waiters)

    @property
    def queued(self) -> int:
        """Events routed but not yet handed to the callbacks."""
        return len(self._queue)

    # -- waiting (any thread) -----------------------------------------------------------------
    def subscribe(self, event_type: str | None) -> "Subscription":
        """Start receiving the events of ``event_type`` (any type if None) routed from now on.

        Take the subscription *before* sending whatever provokes the reply, so a fast reply is
        never missed; use it as a context manager so it is released.
        """
        subscription = Subscription(self, event_type)
        with self._waiters_lock:
            if self._stopped:
                raise ViewerStopped(f"viewer {self.name} was stopped")
            self._waiters.append(subscription)
        return subscription

    def unsubscribe(self, subscription: "Subscription") -> None:
        """Stop handing events to ``subscription`` (`Subscription.close` calls this)."""
        with self._waiters_lock:
            if subscription in self._waiters:
                self._waiters.remove(subscription)

    def wait_idle(self, timeout: float | None = 10.0) -> bool:
        """Block until every queued event was handled (``timeout=None``: no limit); returns
        False on timeout. Raises `RuntimeError` when called from one of this dispatcher's own
        callbacks, which would wait for itself."""
        if threading.current_thread() is self._thread:
            raise RuntimeError(
                f"wait_for_callbacks() was called from a hook of viewer {self.name}: hooks run one "
                f"at a time on one thread, so it would wait for itself to finish. Call it from "
                f"the cell (or another thread), or use wait_for_event() in the hook")

        def take(seconds: float | None) -> bool | None:
            with self._cond:
                if not self._queue and not self._busy:
                    return True
                self._cond.wait(seconds)
                return True if not self._queue and not self._busy else None

        try:
            return blocking.wait(take, timeout, lambda: TimeoutError())
        except TimeoutError:
            return False

    # -- shutdown -----------------------------------------------------------------------------
    def stop(self) -> None:
        """Stop delivering: drop queued events, wake every waiter with `ViewerStopped`."""
        with self._cond:
            self._stopped = True
            self._queue.clear()
            self._queued_bytes = 0
            self._cond.notify_all()
        with self._waiters_lock:
            for waiter in self._waiters:
                waiter.inbox.put(_STOP)

    # -- the thread ---------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                self._busy = False
                self._cond.notify_all()
                while not self._queue and not self._stopped:
                    self._cond.wait()
                if self._stopped:
                    return
                event_type, payload, size = self._queue.popleft()
                self._queued_bytes -= size
                self._busy = True
                specific = self._handlers.get(event_type, ())
                generic = self._handlers.get(MESSAGE, ())
            for fn in specific:
                self._call(fn, event_type, dict(payload))
            if generic:
                envelope = {"event": event_type, **payload}
                for fn in generic:
                    self._call(fn, event_type, envelope)
            self.delivered += 1

    def _call(self, fn: Callback, event_type: str, arg: dict) -> None:
        try:
            fn(arg)
        except Exception:
            # Reported once per callback at ERROR (what a notebook shows); every later failure
            # is still logged with its traceback, at DEBUG, so a failing hover hook cannot flood.
            name = getattr(fn, "__qualname__", repr(fn))
            first = id(fn) not in self._failed
            self._failed.add(id(fn))
            logger.log(logging.ERROR if first else logging.DEBUG,
                       "cellucid: callback %s for a %r event raised; the next event will still "
                       "be delivered%s", name, event_type,
                       " (later errors of this callback are logged at DEBUG level)"
                       if first else "", exc_info=True)

