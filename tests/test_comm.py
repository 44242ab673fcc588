"""Requests over the notebook widget's comm (comm_requests.py): driven as the page's commFetch
sends them, answered through the server's own app, off the calling thread, in parts."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest

from cellucid import CommandError
from cellucid.notebook.comm_requests import (
    MAX_REQUEST_TIMEOUT,
    PART_BYTES,
    REQUEST_TIMEOUT,
    CommRequests,
    parse_request,
    part_count,
    request_timeout,
    split_body,
)
from cellucid.data.embeddings import Embedding
from cellucid.viewer import Viewer

from .comm_client import CommPage
from .conftest import ScaleDataset
from .viewer_client import PageClient, bitmask
from .waiting import until


class CoordsDataset(ScaleDataset):
    """`ScaleDataset` with coordinates: an embedding of any size without an AnnData."""

    def __init__(self, coords: np.ndarray) -> None:
        super().__init__(len(coords))
        self.coords = coords

    def embedding_entry(self, name: str):
        self.embedding_info(name)
        return Embedding(name, name, 2, 0, [0.0, 0.0], [1.0, 1.0], coords=self.coords), 1


@pytest.fixture
def comm_page(make_viewer):
    viewer = make_viewer()
    return CommPage(viewer.widget)


@pytest.fixture
def viewer_of():
    """``viewer_of(dataset)``: a viewer of any dataset, stopped after the test."""
    made = []

    def make(dataset):
        made.append(Viewer(dataset))
        return made[-1]

    yield make
    for viewer in made:
        viewer.stop()


def test_manifest_over_the_comm(make_viewer):
    viewer = make_viewer()
    page = CommPage(viewer.widget)
    status, headers, body = page.get("_cellucid/data/manifest")
    assert status == 200 and headers["content-type"] == "application/json"
    manifest = json.loads(body)
    assert manifest["n_cells"] == viewer.n_cells
    assert [e["name"] for e in manifest["embeddings"]] == ["X_umap"]
    assert page.threads == {"cellucid-comm-send"}   # never sent from the caller's thread


def test_the_health_check_and_a_relative_url_form(comm_page):
    page = comm_page
    status, _, body = page.reply(page.request("GET", "./_cellucid/health"))
    assert status == 200 and json.loads(body)["status"] == "ok"


def test_an_embedding_comes_in_parts_of_at_most_2_mib(viewer_of):
    coords = np.random.default_rng(0).random((300_000, 2), dtype=np.float32)
    viewer = viewer_of(CoordsDataset(coords))
    page = CommPage(viewer.widget)
    rid = page.request("GET", f"_cellucid/data/embedding?{page.auth(name='X_umap')}")
    parts = page.parts(rid)
    assert len(parts) == 2 == parts[0][0]["parts"]
    assert [p[0]["part"] for p in parts] == [0, 1]
    assert all(len(body) <= PART_BYTES for _, body in parts)
    status, headers, body = page.reply(rid)
    assert status == 200 and headers["x-cellucid-shape"] == "300000,2"
    assert body == coords.tobytes()


def test_a_10m_cell_embedding_takes_39_parts(viewer_of):
    coords = np.empty((10_000_000, 2), dtype=np.float32)
    coords[:, 0] = np.arange(10_000_000, dtype=np.float32)
    coords[:, 1] = 1.5
    viewer = viewer_of(CoordsDataset(coords))
    page = CommPage(viewer.widget)
    status, _, body = page.get("_cellucid/data/embedding", timeout=60, name="X_umap")
    assert status == 200 and len(body) == 80_000_000
    assert np.array_equal(np.frombuffer(body, dtype=np.float32).reshape(-1, 2), coords)
    assert sum(1 for c, _ in page.sent if c["kind"] == "response") == 39


def test_a_request_may_ask_for_longer_than_the_usual_timeout_within_a_bound():
    assert request_timeout({}) == REQUEST_TIMEOUT
    assert request_timeout({"timeout": 900}) == 900
    assert request_timeout({"timeout": 10 ** 9}) == MAX_REQUEST_TIMEOUT
    for bad in (-5, 0, True, "600", None, float("nan")):
        assert request_timeout({"timeout": bad}) == REQUEST_TIMEOUT


def test_part_counts_and_splitting():
    assert part_count(0) == 1 and part_count(1) == 1
    assert part_count(PART_BYTES) == 1 and part_count(PART_BYTES + 1) == 2
    assert part_count(80_000_000) == 39          # 10M cells × 2 dims × float32
    assert part_count(120_000_000) == 58         # 10M cells in 3D
    body = bytes(range(256)) * 41
    parts = split_body(body, 1000)
    assert [len(p) for p in parts] == [1000] * 10 + [496]
    assert b"".join(parts) == body
    assert len(split_body(b"")) == 1 and bytes(split_body(b"")[0]) == b""


def test_a_selection_with_a_bitmask_reaches_the_hook(make_viewer):
    viewer = make_viewer()
    page = CommPage(viewer.widget)
    got = []
    viewer.on_selection(got.append)
    cells = list(range(0, 200, 3))
    status, reply = page.post_event("selection", cells=bitmask(cells, viewer.n_cells),
                                    source="lasso", mode="replace")
    assert status == 200 and reply == {"status": "ok"}
    viewer.wait_for_callbacks()
    assert got[0]["cells"] == cells and got[0]["source"] == "lasso"
    assert viewer.selection == cells


def test_a_wrong_token_is_refused(comm_page):
    page = comm_page
    rid = page.request("GET", f"_cellucid/data/manifest?viewerId={page.widget.viewer_id}"
                              f"&viewerToken=not-the-token")
    status, _, body = page.reply(rid)
    assert status == 403 and "wrong viewerToken" in json.loads(body)["message"]
    rid = page.request("POST", "_cellucid/events", json.dumps(
        {"type": "selection", "viewerId": page.widget.viewer_id, "viewerToken": "nope",
         "cells": []}), {"content-type": "application/json"})
    assert page.reply(rid)[0] == 403


def test_a_long_poll_does_not_block_the_caller(comm_page):
    page = comm_page
    start = time.perf_counter()
    rid = page.request("GET", f"_cellucid/commands/poll?{page.auth(after=0, wait=1)}")
    assert time.perf_counter() - start < 0.2       # scheduled, not run, on this thread
    assert not [c for c, _ in page.sent if c.get("rid") == rid]
    status, _, body = page.reply(rid, timeout=5)
    assert time.perf_counter() - start >= 0.9
    assert status == 200 and json.loads(body)["commands"] == []


def test_commands_from_python_arrive_through_the_poll(make_viewer):
    viewer = make_viewer()
    page = CommPage(viewer.widget)
    first = page.request("GET", f"_cellucid/commands/poll?{page.auth(after=0, wait=10)}")
    until(lambda: viewer._session.commands.connected, what="the poll to be waiting")
    start = time.perf_counter()
    # The page answers over the comm, which this thread reads and cannot read while it waits
    # (as marimo's kernel thread): the command does not wait for its acknowledgement.
    viewer.highlight_cells([1, 2, 3], color="#00ff00", name="mine")
    assert time.perf_counter() - start < 1
    status, _, body = page.reply(first)
    (item,) = json.loads(body)["commands"]
    assert item["command"]["type"] == "highlight" and item["command"]["cells"] == [1, 2, 3]
    status, _ = page.post_event("command_result", id=item["command"]["id"], ok=True)
    assert status == 200 and viewer.pending_commands == []


def test_the_command_stream_is_refused_over_the_comm(comm_page):
    page = comm_page
    status, _, body = page.get("_cellucid/commands")
    assert status == 400 and "_cellucid/commands/poll" in json.loads(body)["message"]


def test_debug_connection_reports_the_comm(make_viewer):
    viewer = make_viewer()
    page = CommPage(viewer.widget)
    assert viewer.debug_connection(timeout=1)["transport"].startswith("unknown")
    page.post_event("transport", mode="comm", reason="the server's URL did not answer")
    rid = page.request("GET", f"_cellucid/commands/poll?{page.auth(after=0, wait=0)}")
    page.reply(rid)
    report = viewer.debug_connection(timeout=1)
    assert report["transport"].startswith("comm — the server's URL did not answer")
    # Called from the thread that reads the comm and cannot pump it (as marimo's kernel thread),
    # no ping can come back before it returns.
    assert report["ok"] and report["ping_ms"] is None and "widget channel" in report["verdict"]


def test_debug_connection_pings_over_the_comm_from_another_thread(make_viewer):
    viewer = make_viewer()
    page = CommPage(viewer.widget)
    stop = threading.Event()

    def play_the_page():   # polls and answers over the comm, on a thread of its own
        after = 0
        while not stop.is_set():
            _, _, body = page.get("_cellucid/commands/poll", after=after, wait=1)
            for item in json.loads(body)["commands"]:
                command, after = item["command"], item["seq"]
                if command["type"] in ("ping", "debug_snapshot"):
                    kind = "pong" if command["type"] == "ping" else "debug_snapshot"
                    page.post_event(kind, requestId=command["requestId"], t=0)
                page.post_event("command_result", id=command["id"], ok=True)

    player = threading.Thread(target=play_the_page, daemon=True)
    player.start()
    until(lambda: viewer._session.commands.connected, what="the page to poll")
    result = {}
    checker = threading.Thread(target=lambda: result.update(viewer.debug_connection(timeout=5)))
    checker.start()
    checker.join(15)
    stop.set()
    player.join(5)
    assert result["ok"] and result["ping_ms"] is not None, result
    assert result["transport"].startswith("comm")


def test_malformed_messages(comm_page):
    page = comm_page
    page.message({"kind": "hello"})                        # not a request: ignored
    page.message({"kind": "request", "method": "GET", "url": "_cellucid/health"})  # no rid
    time.sleep(0.05)
    assert page.sent == []
    cases = [{"method": "PUT", "url": "_cellucid/health"},
             {"method": "GET", "url": "http://elsewhere.example/_cellucid/health"},
             {"method": "GET", "url": "_cellucid/health", "headers": {"a": 1}},
             {"method": "POST", "url": "_cellucid/events", "body": {"not": "text"}}]
    for rid, case in enumerate(cases, 100):
        page.message({"kind": "request", "rid": rid, **case})
        status, _, body = page.reply(rid)
        assert status == 400 and json.loads(body)["message"].startswith("bad comm request")


def test_a_binary_body_comes_as_the_first_buffer():
    content = {"method": "POST", "url": "_cellucid/image?x=1",
               "headers": {"Content-Type": "image/png", "Host": "evil", "X-Cellucid-Transport":
                           "http"}, "body": None}
    method, path, query, headers, body = parse_request(content, [memoryview(b"\x89PNG..")])
    assert (method, path, query, body) == ("POST", "/_cellucid/image", "x=1", b"\x89PNG..")
    assert headers == [(b"content-type", b"image/png")]   # host and transport are set by us


def test_a_stopped_server_answers_503():
    class Stopped:
        running, loop, port, app = False, None, 0, None

    sent = []
    requests = CommRequests(Stopped(), lambda content, buffers: sent.append(content))
    requests.handle({"kind": "request", "rid": 7, "method": "GET", "url": "_cellucid/health"})
    until(lambda: sent, what="the reply")
    assert sent[0]["status"] == 503 and sent[0]["rid"] == 7


def test_a_non_ascii_url_goes_on_as_a_browser_would_send_it():
    _, path, query, _, _ = parse_request({"method": "GET", "url": "_cellucid/data/genes?q=é"},
                                              None)
    assert (path, query) == ("/_cellucid/data/genes", "q=%C3%A9")


def test_an_upload_asked_in_the_comm_thread_fails_at_once(make_viewer):
    viewer = make_viewer()
    page = CommPage(viewer.widget)
    page.get("_cellucid/commands/poll", after=0, wait=0)
    start = time.perf_counter()
    with pytest.raises(CommandError, match="thread"):
        viewer.get_session_bundle(timeout=30)
    assert time.perf_counter() - start < 1


def test_http_and_comm_requests_are_told_apart(make_viewer):
    viewer = make_viewer()
    client = PageClient(viewer)
    try:
        assert client.post("hover", cell=1, position={"x": 0, "y": 0, "z": 0}).status_code == 200
        assert viewer._session.transport.current == "http"
        assert viewer.debug_connection(timeout=1)["transport"].startswith("http")
        CommPage(viewer.widget).get("_cellucid/info")
        assert viewer._session.transport.current == "comm"
    finally:
        client.close()


def test_a_wait_where_the_page_cannot_be_heard_says_why_at_once(viewer):
    import asyncio

    from cellucid.notebook import transport

    page = PageClient(viewer)
    viewer._session.transport.note("comm")        # the page's latest request came by the comm
    transport.note_comm_thread()                   # ... and this thread reads it, with no pump
    try:
        for wait in (lambda: viewer.wait_for_event("selection", timeout=30),
                     lambda: viewer.wait_for_ready(timeout=30)):
            start = time.perf_counter()
            with pytest.raises(RuntimeError, match="mo.Thread"):
                wait()
            assert time.perf_counter() - start < 1
        with pytest.raises(CommandError, match="reads that channel"):
            viewer.save_image("never.png", timeout=30)
        got = {}

        def await_in_a_loop_of_its_own() -> None:   # the e2e tests may run a loop in this thread
            got["event"] = asyncio.run(viewer.wait_for_event_async("selection", timeout=10))

        waiter = threading.Thread(target=await_in_a_loop_of_its_own)
        waiter.start()
        until(lambda: viewer.waiters == 1, what="the awaiting coroutine")
        page.post("selection", cells=[4])
        waiter.join(10)
        assert got["event"] == {"cells": [4]}
    finally:
        transport._comm_threads.discard(threading.get_ident())
