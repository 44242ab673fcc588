"""POST /_cellucid/events: routing to hooks, payloads, cell forms, and every refusal (events.py)."""

from __future__ import annotations

import json
import threading
import zlib
import base64

import numpy as np
import pytest

from cellucid import CellSequence
from cellucid.selection.sequence import LIST_MAX_CELLS

from .viewer_client import PageClient, bitmask
from .waiting import until

SEED_EVENTS = {
    "ready": {"n_cells": 200, "dimensions": 2, "embedding": "X_umap"},
    "selection": {"cells": [0, 10, 42], "source": "lasso", "mode": "replace",
                  "polygon": [[0.1, 0.2], [1.0, 0.2], [0.5, 1.5]]},
    "hover": {"cell": 123, "position": {"x": 0.1, "y": 0.2, "z": -0.3}},
    "click": {"cell": 123, "button": 0, "shift": False, "ctrl": False, "alt": False},
    "console": {"level": "warn", "message": "something odd", "ts": "2026-01-01T12:34:56.789Z",
                "filename": "main.js", "lineno": 3, "colno": 7},
    "pong": {"requestId": "r1", "t": 1234.5},
    "debug_snapshot": {"requestId": "r2", "ts": "2026-01-01T00:00:00Z", "href": "x",
                       "origin": "y", "userAgent": "z", "webgl": "SwiftShader",
                       "connected": True},
    "command_result": {"id": "c999", "ok": True},
}


def collect(viewer, register):
    got, lock = [], threading.Lock()

    def hook(event):
        with lock:
            got.append(event)

    register(hook)
    return got


@pytest.mark.parametrize("event_type", sorted(SEED_EVENTS))
def test_each_seed_event_reaches_its_hooks(viewer, page, event_type):
    payload = SEED_EVENTS[event_type]
    decorator = {"ready": viewer.on_ready, "selection": viewer.on_selection,
                 "hover": viewer.on_hover, "click": viewer.on_click}.get(
        event_type, viewer.on(event_type))
    specific = collect(viewer, decorator)
    everything = collect(viewer, viewer.on_message)
    reply = page.post(event_type, **payload)
    assert reply.status_code == 200 and reply.json() == {"status": "ok"}
    viewer.wait_for_callbacks()
    assert specific == [payload]
    assert everything == [{"event": event_type, **payload}]


def test_hover_leaving_a_cell_is_null(viewer, page):
    got = collect(viewer, viewer.on_hover)
    assert page.post("hover", cell=None, position=None).status_code == 200
    viewer.wait_for_callbacks()
    assert got == [{"cell": None, "position": None}]
    assert viewer.state["hover"] == {"cell": None, "position": None}


def test_decorators_return_the_function(viewer):
    def f(event):
        pass

    for decorator in (viewer.on_ready, viewer.on_selection, viewer.on_hover, viewer.on_click,
                      viewer.on_message, viewer.on("custom")):
        assert decorator(f) is f


def test_custom_events_reach_on_message_on_and_wait_for_event(viewer, page):
    via_message = collect(viewer, viewer.on_message)
    via_on = collect(viewer, viewer.on("my_tool"))
    waiter_result = {}

    def wait():
        waiter_result["event"] = viewer.wait_for_event("my_tool", timeout=10)

    t = threading.Thread(target=wait)
    t.start()
    until(lambda: viewer.waiters == 1, what="the waiting thread")
    assert page.post("my_tool", answer=42, nested={"a": [1, 2]}).status_code == 200
    t.join(10)
    viewer.wait_for_callbacks()
    assert waiter_result["event"] == {"answer": 42, "nested": {"a": [1, 2]}}
    assert via_on == [{"answer": 42, "nested": {"a": [1, 2]}}]
    assert via_message == [{"event": "my_tool", "answer": 42, "nested": {"a": [1, 2]}}]


def test_routing_fields_are_stripped(viewer, page):
    got = collect(viewer, viewer.on_selection)
    page.post("selection", with_id=True, cells=[1], source="lasso")
    viewer.wait_for_callbacks()
    assert got == [{"cells": [1], "source": "lasso"}]


def test_missing_payload_fields_are_not_errors(viewer, page):
    got = collect(viewer, viewer.on_selection)
    assert page.post("selection").status_code == 200
    viewer.wait_for_callbacks()
    assert got == [{}]


def test_two_viewers_never_see_each_others_events(make_viewer):
    a, b = make_viewer(), make_viewer()
    got_a, got_b = collect(a, a.on_message), collect(b, b.on_message)
    pa, pb = PageClient(a), PageClient(b)
    pa.post("selection", cells=[1], source="lasso")
    pb.post("selection", cells=[2], source="knn")
    # b's id with a's token is refused
    reply = pa.http.post("_cellucid/events", json={"type": "selection", "viewerId": b.viewer_id,
                                                   "viewerToken": a.viewer_token, "cells": [3]})
    assert reply.status_code == 403
    a.wait_for_callbacks()
    b.wait_for_callbacks()
    assert got_a == [{"event": "selection", "cells": [1], "source": "lasso"}]
    assert got_b == [{"event": "selection", "cells": [2], "source": "knn"}]


@pytest.mark.parametrize("n_cells", [10, 100_000, 1_000_000, 10_000_000])
def test_large_random_selections_arrive_exactly(make_viewer, n_cells):
    viewer = make_viewer(n_cells)
    rng = np.random.default_rng(n_cells)
    cells = np.flatnonzero(rng.random(n_cells) < 0.3)
    page = PageClient(viewer)
    wire = bitmask(cells, n_cells)
    if n_cells >= 100_000:   # 30 % random bits barely compress (entropy 0.88 bit per cell)
        assert len(wire["data"]) > 0.8 * len(base64.b64encode(bytes((n_cells + 7) // 8)))
    got = collect(viewer, viewer.on_selection)
    reply = page.post("selection", cells=wire, source="lasso")
    assert reply.status_code == 200, reply.text
    viewer.wait_for_callbacks(30)
    assert len(got) == 1
    received = got[0]["cells"]
    if len(cells) <= LIST_MAX_CELLS:
        assert type(received) is list
    else:   # a read-only numpy-backed sequence that reads as the list
        assert isinstance(received, CellSequence)
        assert np.asarray(received).dtype.kind in "iu" and len(received) == len(cells)
    assert all(type(c) is int for c in received[:100])
    assert received == cells.tolist()
    page.close()


def test_array_and_bitmask_forms_give_the_same_cells(viewer, page):
    got = collect(viewer, viewer.on_selection)
    page.post("selection", cells=[9, 3, 3, 7])
    page.post("selection", cells=bitmask([3, 7, 9], viewer.n_cells, compress=False))
    viewer.wait_for_callbacks()
    assert got == [{"cells": [3, 7, 9]}, {"cells": [3, 7, 9]}]


def _error(reply, status):
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert body["status"] in ("error", "not_found") and body["message"]
    return body["message"]


def test_lone_surrogates_in_any_string_are_refused(viewer, page):
    got = collect(viewer, viewer.on_message)
    envelope = f'"viewerId": "{viewer.viewer_id}", "viewerToken": "{viewer.viewer_token}"'
    for body in ('{"type": "\\ud800x", ENV}', '{"type": "x", "label": "a\\udfffb", ENV}',
                 '{"type": "x", "\\udc00key": 1, ENV}',
                 '{"type": "x", "deep": [{"s": "\\ud83d"}], ENV}'):
        message = _error(page.post_raw(body.replace("ENV", envelope).encode()), 400)
        assert "surrogate" in message
    # A surrogate pair is one valid character, and an escaped backslash is no escape at all.
    for text in ('\\ud83d\\ude00', '\\\\ud800'):
        body = '{"type": "x", "s": "' + text + '", ' + envelope + '}'
        assert page.post_raw(body.encode()).status_code == 200
    viewer.wait_for_callbacks()
    assert [e["s"] for e in got] == ["\U0001f600", "\\ud800"]


def test_missing_viewer_id_is_refused_like_a_missing_token(viewer, page):
    message = _error(page.post_raw(json.dumps({"type": "x", "viewerToken": "t"})), 403)
    assert "viewerId" in message


def test_bad_bodies_get_clear_4xx(viewer, page):
    vid, tok = viewer.viewer_id, viewer.viewer_token
    assert "JSON" in _error(page.post_raw(b"{not json"), 400)
    assert "object" in _error(page.post_raw(b"[1, 2]"), 400)
    assert "object" in _error(page.post_raw(b'"text"'), 400)
    assert "UTF-8" in _error(page.post_raw(b'{"type": "\xff"}'), 400)
    assert "UTF-8" in _error(page.post_raw('{"type":"x"}'.encode("utf-16")), 400)
    assert "NaN" in _error(page.post_raw(json.dumps(
        {"type": "x", "viewerId": vid, "viewerToken": tok, "v": float("nan")})), 400)
    assert "type" in _error(page.post_raw(json.dumps({"viewerId": vid, "viewerToken": tok})), 400)
    assert "type" in _error(page.post_raw(json.dumps(
        {"type": "", "viewerId": vid, "viewerToken": tok})), 400)
    assert "type" in _error(page.post_raw(json.dumps(
        {"type": 5, "viewerId": vid, "viewerToken": tok})), 400)
    assert "unknown viewerId" in _error(page.post_raw(json.dumps(
        {"type": "x", "viewerId": "nope", "viewerToken": tok})), 404)
    assert page.post_raw(json.dumps({"type": "x", "viewerId": "nope", "viewerToken": tok})
                         ).json()["status"] == "not_found"
    assert "Token" in _error(page.post_raw(json.dumps({"type": "x", "viewerId": vid})), 403)
    assert "Token" in _error(page.post_raw(json.dumps(
        {"type": "x", "viewerId": vid, "viewerToken": "wrong"})), 403)
    assert "Token" in _error(page.post_raw(json.dumps(
        {"type": "x", "viewerId": vid, "viewerToken": "é\ud800"}, ensure_ascii=True)), 403)
    assert "Token" in _error(page.post_raw(json.dumps(
        {"type": "x", "viewerId": vid, "viewerToken": 12})), 403)
    assert "application/json" in _error(page.post_raw(json.dumps(
        {"type": "x", "viewerId": vid}), "text/plain"), 415)
    assert "application/json" in _error(page.post_raw(json.dumps(
        {"type": "x", "viewerId": vid, "viewerToken": tok}), "text/plain;charset=UTF-8"), 415)
    assert page.post_raw(json.dumps({"type": "x", "viewerId": vid, "viewerToken": tok}),
                         "application/json; charset=utf-8").status_code == 200
    assert "nested" in _error(page.post_raw(b"[" * 100_000 + b"]" * 100_000), 400)
    deep = {"type": "x", "viewerId": vid, "viewerToken": tok, "v": json.loads("[" * 200 + "]" * 200)}
    assert "nested" in _error(page.post_raw(json.dumps(deep)), 400)
    assert "JSON" in _error(page.post_raw(b'{"type": "x", "n": ' + b"9" * 5000 + b"}"), 400)
    assert "server" in _error(page.post("session_bundle", requestId="r", status="ok"), 400)
    assert "eventId" in _error(page.post("x", eventId="e" * 200), 400)


def test_size_rule(viewer, page):
    big = "x" * (1 << 20)
    assert "limit" in _error(page.post("selection", note=big), 413)
    # a body just under 1 MiB passes
    assert page.post("custom", note="x" * ((1 << 20) - 400)).status_code == 200


@pytest.mark.parametrize("field, value, words", [
    ("cells", [200], "outside"), ("cells", [-1], "outside"), ("cells", [0.5], "integer"),
    ("cells", "all", "list"), ("cells", {"encoding": "bitmask"}, "compression|n"),
])
def test_selection_cell_checks(viewer, page, field, value, words):
    import re
    assert re.search(words, _error(page.post("selection", **{field: value}), 400))


@pytest.mark.parametrize("event_type, cell", [
    ("hover", 200), ("hover", -1), ("hover", "3"), ("hover", True), ("click", None),
    ("click", 1.5), ("click", 200),
])
def test_hover_and_click_cell_checks(viewer, page, event_type, cell):
    assert "cell" in _error(page.post(event_type, cell=cell), 400)


def test_bitmask_inconsistencies_and_bomb_over_http(viewer, page):
    n = viewer.n_cells
    good = bitmask([1, 5], n)
    cases = [
        {**good, "n": n + 1}, {**good, "count": 3}, {**good, "encoding": "x"},
        {**good, "compression": "br"}, {**good, "data": "%%%"},
        bitmask([1, 5], n + 8) | {"n": n},
    ]
    for case in cases:
        _error(page.post("selection", cells=case), 400)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    bomb = c.compress(b"\xff" * (200 << 20)) + c.flush()
    reply = page.post("selection", cells={"encoding": "bitmask", "n": n, "count": n,
                                          "compression": "deflate-raw",
                                          "data": base64.b64encode(bomb).decode()})
    assert "inflates past" in _error(reply, 400)
    assert page.post("selection", cells=good).status_code == 200


def test_event_ids_deliver_once(viewer, page):
    got = collect(viewer, viewer.on_selection)
    for _ in range(3):
        reply = page.post("selection", cells=[1], eventId="page1-7")
        assert reply.status_code == 200
    viewer.wait_for_callbacks()
    assert got == [{"cells": [1]}]


def test_state_tracks_latest_events(viewer, page):
    page.post("ready", n_cells=200, dimensions=2)
    page.post("selection", cells=[4, 2], source="knn")
    page.post("custom_thing", x=1)
    state = viewer.state
    assert state["ready"] == {"n_cells": 200, "dimensions": 2}
    assert state["selection"] == {"cells": [2, 4], "source": "knn"}
    assert state["last_event"] == {"event": "custom_thing", "x": 1}
    assert viewer.selection == [2, 4]


def test_server_keeps_serving_after_bad_input(viewer, page):
    for body in (b"", b"{", b"\x00" * 10, b"[]" * 1000):
        assert 400 <= page.post_raw(body).status_code < 500
    assert page.http.get("_cellucid/health").json()["status"] == "ok"
    assert page.post("selection", cells=[1]).status_code == 200
