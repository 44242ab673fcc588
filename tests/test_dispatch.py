"""Delivery: callbacks off the request thread, in order, surviving exceptions (dispatch.py)."""

from __future__ import annotations

import logging
import threading

import pytest

from cellucid import ViewerStopped
from cellucid.session.dispatch import Dispatcher, QueueFull

from .waiting import until


def test_slow_and_raising_callbacks_do_not_delay_replies_or_reorder(viewer, page, caplog):
    order, threads = [], set()
    request_thread = threading.get_ident()
    entered, gate = threading.Event(), threading.Event()

    @viewer.on_selection
    def slow(event):
        threads.add(threading.get_ident())
        order.append(("slow", event["cells"][0]))
        if event["cells"][0] == 0:
            entered.set()
            gate.wait(30)   # held until every reply is in

    @viewer.on_selection
    def raising(event):
        order.append(("raising", event["cells"][0]))
        raise RuntimeError("boom in a user callback")

    with caplog.at_level(logging.DEBUG, logger="cellucid"):
        for i in range(20):
            reply = page.post("selection", cells=[i], source="lasso")
            assert reply.status_code == 200
        # Every reply came while the first callback was still blocked: none waited for it.
        assert entered.is_set() and not gate.is_set() and order == [("slow", 0)]
        gate.set()
        viewer.wait_for_callbacks(15)
    assert order == [(name, i) for i in range(20) for name in ("slow", "raising")]
    assert request_thread not in threads and len(threads) == 1
    failures = [r for r in caplog.records if "boom in a user callback" in (r.exc_text or "")]
    assert len(failures) == 20          # every failure is logged with its traceback,
    assert [r.levelno for r in failures] == [logging.ERROR] + [logging.DEBUG] * 19   # shown once


def test_hover_is_coalesced_only_when_behind_and_nothing_else_is_dropped():
    d = Dispatcher("t").start()
    seen, entered, gate = [], threading.Event(), threading.Event()

    def handler(event):
        if event.get("block"):
            entered.set()
            gate.wait(5)
        seen.append(event)

    d.add_handler("hover", handler)
    d.add_handler("selection", handler)
    d.submit("hover", {"cell": 0, "block": True})
    assert entered.wait(5)  # the dispatcher is now inside the blocking callback
    for i in range(1, 50):
        d.submit("hover", {"cell": i})
    d.submit("selection", {"cells": [1]})
    for i in range(50, 100):
        d.submit("hover", {"cell": i})
    gate.set()
    assert d.wait_idle(5)
    assert seen == [{"cell": 0, "block": True}, {"cell": 49}, {"cells": [1]}, {"cell": 99}]
    assert d.coalesced == 97
    d.stop()


def test_idle_dispatcher_delivers_every_hover():
    d = Dispatcher("t").start()
    seen = []
    d.add_handler("hover", seen.append)
    for i in range(20):
        d.submit("hover", {"cell": i})
        assert d.wait_idle(5)
    assert [e["cell"] for e in seen] == list(range(20))
    d.stop()


def test_queue_limit_raises_queue_full():
    d = Dispatcher("t", queue_limit=3).start()
    entered, gate = threading.Event(), threading.Event()
    d.add_handler("x", lambda e: (entered.set(), gate.wait(5)))
    d.submit("x", {})
    assert entered.wait(5)  # the first event left the queue: three more fill it
    for _ in range(3):
        d.submit("x", {})
    with pytest.raises(QueueFull):
        d.submit("x", {})
    gate.set()
    d.stop()


def test_wait_for_event_inside_a_callback_does_not_deadlock(viewer, page):
    results = []

    @viewer.on_selection
    def wait_inside(event):
        results.append(viewer.wait_for_event("click", timeout=5))

    page.post("selection", cells=[1])
    until(lambda: viewer.waiters == 1, what="the callback to start waiting")
    page.post("click", cell=3, button=0)
    viewer.wait_for_callbacks(10)
    assert results == [{"cell": 3, "button": 0}]


def test_wait_for_callbacks_in_a_hook_says_why_at_once(viewer, page):
    refused = []

    @viewer.on_selection
    def waits_for_itself(event):
        try:
            viewer.wait_for_callbacks(None)   # would wait forever for itself
        except RuntimeError as exc:
            refused.append(str(exc))

    page.post("selection", cells=[1])
    viewer.wait_for_callbacks(10)   # a TimeoutError here: the hook waited instead of refusing
    (message,) = refused
    assert "wait for itself" in message and "wait_for_event" in message


def test_wait_for_event_sees_only_events_after_the_call(viewer, page):
    page.post("selection", cells=[1])
    with pytest.raises(TimeoutError, match="selection"):
        viewer.wait_for_event("selection", timeout=0.3)


def test_wait_for_event_predicate_runs_in_waiting_thread(viewer, page):
    waiting_thread = threading.get_ident()
    seen_threads = []

    def predicate(payload):
        seen_threads.append(threading.get_ident())
        return payload["cells"] == [5]

    t = threading.Timer(0.2, lambda: [page.post("selection", cells=[c]) for c in (4, 5)])
    t.start()
    assert viewer.wait_for_event("selection", timeout=5, predicate=predicate) == {"cells": [5]}
    t.join()
    assert set(seen_threads) == {waiting_thread}


def test_wait_for_event_any_type(viewer, page):
    t = threading.Timer(0.2, lambda: page.post("anything", x=1))
    t.start()
    assert viewer.wait_for_event(None, timeout=5) == {"event": "anything", "x": 1}
    t.join()


def test_many_threads_can_wait_at_once(viewer, page):
    results = []

    def wait():
        results.append(viewer.wait_for_event("ping_me", timeout=5))

    threads = [threading.Thread(target=wait) for _ in range(8)]
    for t in threads:
        t.start()
    until(lambda: viewer.waiters == 8, what="eight waiting threads")
    page.post("ping_me", n=1)
    for t in threads:
        t.join(5)
    assert results == [{"n": 1}] * 8


def test_wait_for_ready_returns_at_once_when_ready(viewer, page):
    page.post("ready", n_cells=200, dimensions=2, embedding="X_umap")
    # With no time to wait, only a ready already seen can be returned.
    assert viewer.wait_for_ready(timeout=0)["dimensions"] == 2


def test_stop_wakes_waiters_and_unregisters(viewer, page):
    errors = []

    def wait():
        try:
            viewer.wait_for_event("selection", timeout=10)
        except ViewerStopped as exc:
            errors.append(exc)

    t = threading.Thread(target=wait)
    t.start()
    until(lambda: viewer.waiters == 1, what="the waiting thread")
    viewer.stop()
    t.join(5)
    assert len(errors) == 1 and viewer.viewer_id in str(errors[0])
    assert "selection" in str(errors[0])   # says what it was waiting for
    assert page.post("selection", cells=[1]).status_code == 404
    with pytest.raises(ViewerStopped):
        viewer.wait_for_event("selection", timeout=1)
    with pytest.raises(ViewerStopped):
        viewer.highlight_cells([1])


def test_off_removes_hooks(viewer, page):
    got = []
    viewer.on_selection(got.append)
    viewer.on_message(got.append)
    assert viewer.off("selection") == 1
    page.post("selection", cells=[1])
    viewer.wait_for_callbacks()
    assert got == [{"event": "selection", "cells": [1]}]
    assert viewer.off() == 1
