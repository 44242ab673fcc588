"""Who gets in, bounded everything, nothing lost: fuzz, load, Host check, flood (security.py)."""

from __future__ import annotations

import json
import logging
import os
import statistics
import threading
import time
from collections import defaultdict

import http.client

import httpx
import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from .viewer_client import PageClient, bitmask

FUZZ_EXAMPLES = 5_000   # per test; two tests: 10,000 bodies in all


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


json_scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                | st.text(max_size=20))
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=6,
)
cell_values = (st.lists(st.integers(-5, 300) | st.floats() | st.text(max_size=3), max_size=8)
               | st.fixed_dictionaries({}, optional={
                   "encoding": st.sampled_from(["bitmask", "x"]) | json_values,
                   "n": st.integers(-1, 300) | json_values,
                   "count": st.integers(-1, 300) | json_values,
                   "compression": st.sampled_from(["deflate-raw", "none", "gzip"]),
                   "data": st.text(max_size=60) | st.binary(max_size=40).map(
                       lambda b: __import__("base64").b64encode(b).decode())})
               | json_values)
event_types = st.sampled_from(["selection", "hover", "click", "ready", "console",
                               "command_result", "session_bundle", "pong", "x", ""]) | st.text()


@pytest.fixture(scope="module")
def fuzz_target():
    import cellucid
    from .conftest import small_adata
    viewer = cellucid.show_anndata(small_adata(200))
    viewer.on_message(lambda event: None)
    conn = RawClient(viewer.server_url)
    counts = defaultdict(int)
    yield viewer, conn, counts
    conn.close()
    viewer.stop()


class RawClient:
    """A keep-alive http.client connection: light enough for thousands of requests."""

    def __init__(self, server_url: str) -> None:
        host, port = server_url.split("//")[1].rstrip("/").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=30)

    def post(self, body: bytes, content_type: str = "application/json"):
        headers = {"Content-Type": content_type} if content_type else {}
        self.conn.request("POST", "/_cellucid/events", body=body, headers=headers)
        reply = self.conn.getresponse()
        return reply.status, reply.getheader("content-type", ""), reply.read()

    def close(self) -> None:
        self.conn.close()


def _post_fuzz(conn, counts, content: bytes, content_type: str = "application/json"):
    status, reply_type, reply = conn.post(content, content_type)
    counts["bodies"] += 1
    counts[status] += 1
    assert status < 500, (content[:300], reply)
    assert reply_type.startswith("application/json")
    json.loads(reply)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, phases=[Phase.generate], database=None,
          suppress_health_check=list(HealthCheck))
@given(event_type=event_types, cells=cell_values, cell=json_scalars, extra=json_values,
       token_kind=st.sampled_from(["valid", "valid", "wrong", "missing", "number"]))
def test_fuzz_events_with_structured_bodies(fuzz_target, event_type, cells, cell, extra,
                                            token_kind):
    viewer, conn, counts = fuzz_target
    body = {"type": event_type, "viewerId": viewer.viewer_id, "cells": cells, "cell": cell,
            "extra": extra}
    if token_kind != "missing":
        body["viewerToken"] = {"valid": viewer.viewer_token, "wrong": "w" * 43,
                               "number": 7}[token_kind]
    _post_fuzz(conn, counts, json.dumps(body).encode())


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, phases=[Phase.generate], database=None,
          suppress_health_check=list(HealthCheck))
@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(
    lambda t: t.encode("utf-8", "surrogatepass")),
    prefix=st.booleans(), content_type=st.sampled_from(
        ["application/json", "application/json; charset=utf-8", "text/plain", "",
         "application/x-www-form-urlencoded", "APPLICATION/JSON"]))
def test_fuzz_events_with_raw_bytes(fuzz_target, raw, prefix, content_type):
    viewer, conn, counts = fuzz_target
    if prefix:   # a valid envelope followed by garbage
        raw = (json.dumps({"type": "x", "viewerId": viewer.viewer_id,
                           "viewerToken": viewer.viewer_token})[:-1] + ",").encode() + raw
    _post_fuzz(conn, counts, raw, content_type)


def test_fuzz_ran_ten_thousand_bodies_and_server_is_alive(fuzz_target):
    viewer, conn, counts = fuzz_target
    assert counts["bodies"] >= 2 * FUZZ_EXAMPLES
    assert not [s for s in counts if isinstance(s, int) and s >= 500]
    assert httpx.get(viewer.server_url + "_cellucid/health").json()["status"] == "ok"
    assert PageClient(viewer).post("selection", cells=[1]).status_code == 200


def test_load_eight_senders_two_viewers_nothing_lost_order_kept(make_viewer):
    viewers = [make_viewer(), make_viewer()]
    received = {v.viewer_id: defaultdict(list) for v in viewers}
    for v in viewers:
        sink = received[v.viewer_id]
        v.on_message(lambda e, sink=sink: sink[e.get("sender")].append(e.get("seq"))
                     if "sender" in e else None)
    per_sender, senders = 2_000, 8
    latencies: list[float] = []
    lock = threading.Lock()
    kinds = ["selection", "click", "custom_a", "console", "custom_b"]

    def send(sender: int) -> None:
        viewer = viewers[sender % 2]
        client = RawClient(viewer.server_url)
        mine = []
        for seq in range(per_sender):
            kind = kinds[seq % len(kinds)]
            extra = {"cells": [seq % 200]} if kind == "selection" else (
                {"cell": seq % 200} if kind == "click" else {"level": "warn", "message": "m"})
            body = json.dumps({"type": kind, "viewerId": viewer.viewer_id,
                               "viewerToken": viewer.viewer_token,
                               "eventId": f"s{sender}-{seq}", "sender": sender, "seq": seq,
                               **extra}).encode()
            t0 = time.perf_counter()
            status, _, reply = client.post(body)
            mine.append(time.perf_counter() - t0)
            assert status == 200, reply
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
        assert v._session.dispatcher.wait_idle(60)
    for i in range(senders):
        got = received[viewers[i % 2].viewer_id][i]
        assert got == list(range(per_sender)), f"sender {i}: lost or reordered"
    other = received[viewers[1].viewer_id]
    assert not any(i % 2 == 0 for i in other), "an event reached the wrong viewer"
    latencies.sort()
    print(f"\nload: {senders * per_sender / elapsed:.0f} events/s, "
          f"p50 {statistics.median(latencies) * 1000:.1f} ms, "
          f"p99 {latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms, lost 0")


def test_slow_callback_flood_stays_bounded(make_viewer):
    viewer = make_viewer(1_000_000)
    gate = threading.Event()
    delivered = []

    @viewer.on_selection
    def slow(event):
        gate.wait(60)
        delivered.append(len(event["cells"]))

    cells = np.flatnonzero(np.random.default_rng(0).random(1_000_000) < 0.3)
    body = json.dumps({"type": "selection", "viewerId": viewer.viewer_id,
                       "viewerToken": viewer.viewer_token,
                       "cells": bitmask(cells, 1_000_000)}).encode()
    http = httpx.Client(base_url=viewer.server_url, timeout=30)
    before = _rss_bytes()
    peak = before
    statuses = defaultdict(int)
    for _ in range(120):
        reply = http.post("_cellucid/events", content=body,
                          headers={"content-type": "application/json"})
        statuses[reply.status_code] += 1
        if reply.status_code == 429:
            assert reply.headers["retry-after"] == "1"
            assert "waiting" in reply.json()["message"]
        peak = max(peak, _rss_bytes())
    assert set(statuses) == {200, 429}
    growth = peak - before
    assert growth < 600 << 20, f"memory grew {growth >> 20} MiB under flood"
    gate.set()
    assert viewer._session.dispatcher.wait_idle(60)
    assert len(delivered) == statuses[200] and set(delivered) == {cells.size}
    http.close()


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.nip.io",
                                  "attacker.com:{port}", "localhost.evil.com"])
def test_dns_rebinding_hosts_are_refused(viewer, host):
    port = viewer.server_url.rsplit(":", 1)[1].rstrip("/")
    http = httpx.Client(base_url=viewer.server_url)
    headers = {"host": host.format(port=port)}
    for reply in (http.get("/", headers=headers),
                  http.get("_cellucid/health", headers=headers),
                  http.get(f"_cellucid/info?viewerId={viewer.viewer_id}"
                           f"&viewerToken={viewer.viewer_token}", headers=headers),
                  http.post("_cellucid/events", headers=headers, json={
                      "type": "x", "viewerId": viewer.viewer_id,
                      "viewerToken": viewer.viewer_token})):
        assert reply.status_code == 403 and "Host" in reply.json()["message"]


def test_allowed_hosts(viewer, monkeypatch):
    port = viewer.server_url.rsplit(":", 1)[1].rstrip("/")
    http = httpx.Client(base_url=viewer.server_url)
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "localhost"):
        assert http.get("_cellucid/health", headers={"host": host}).status_code == 200
    proxied = {"host": "hub.example.org", "x-forwarded-context": f"/user/ann/proxy/{port}"}
    assert http.get("_cellucid/health", headers=proxied).status_code == 200
    proxied["x-forwarded-context"] = "/user/ann/proxy/1"
    assert http.get("_cellucid/health", headers=proxied).status_code == 403
    monkeypatch.setenv("CELLUCID_ALLOWED_HOSTS", "lab.internal, other.example")
    assert http.get("_cellucid/health", headers={"host": "lab.internal:9"}).status_code == 200
    monkeypatch.setenv("CELLUCID_CLIENT_SERVER_URL", "https://viewer.example.net/cellucid/")
    assert http.get("_cellucid/health",
                    headers={"host": "viewer.example.net"}).status_code == 200


def test_no_cors_headers_and_preflight_is_refused(viewer):
    http = httpx.Client(base_url=viewer.server_url)
    origin = {"origin": "http://evil.example"}
    preflight = http.options("_cellucid/events", headers={
        **origin, "access-control-request-method": "POST",
        "access-control-request-headers": "content-type"})
    assert preflight.status_code in (403, 405)
    replies = [preflight, http.get("/", headers=origin),
               http.get(f"_cellucid/data/manifest?viewerId={viewer.viewer_id}"
                        f"&viewerToken={viewer.viewer_token}", headers=origin),
               http.post("_cellucid/events", headers=origin, json={})]
    for reply in replies:
        assert not [h for h in reply.headers if h.startswith("access-control-")]


def test_every_endpoint_but_health_and_the_app_needs_the_token(viewer):
    http = httpx.Client(base_url=viewer.server_url)
    for path in ("_cellucid/info", "_cellucid/commands", "_cellucid/commands/poll",
                 "_cellucid/data/manifest", "_cellucid/data/embedding?name=X_umap",
                 "_cellucid/data/obs?name=cluster", "_cellucid/data/gene?name=GENE1",
                 "_cellucid/data/genes?q=GENE", "_cellucid/data/knn?seed=0&hops=1",
                 "_cellucid/data/radius?embedding=X_umap&x=0&y=0&r=1"):
        sep = "&" if "?" in path else "?"
        for query in ("", f"{sep}viewerId={viewer.viewer_id}",
                      f"{sep}viewerId={viewer.viewer_id}&viewerToken=wrong"):
            reply = http.get(path + query)
            assert reply.status_code == 403, (path, query, reply.status_code)
    reply = http.post(f"_cellucid/session_bundle?viewerId={viewer.viewer_id}&requestId=x",
                      json={})
    assert reply.status_code == 403


def test_tokens_are_never_logged(viewer, page, caplog):
    with caplog.at_level(logging.DEBUG):
        page.post("selection", cells=[1])
        page.post("selection", cells=[10_000])
        page.post_raw(b"{bad")
        httpx.get(f"{viewer.server_url}_cellucid/info?viewerId={viewer.viewer_id}"
                  f"&viewerToken={viewer.viewer_token}x")
        httpx.get(f"{viewer.server_url}_cellucid/data/gene?viewerId={viewer.viewer_id}"
                  f"&viewerToken={viewer.viewer_token}&name=nope")
        viewer._session.dispatcher.wait_idle()
    server_side = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in server_side)
    assert viewer.viewer_token not in text
