"""Who gets in, bounded everything, nothing lost: fuzz, load, Host check, flood (security.py)."""

from __future__ import annotations

import json
import logging
import os
from collections import defaultdict

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from .viewer_client import PageClient, RawClient, run_flood, run_load

FUZZ_EXAMPLES = 5_000   # per test; two tests: 10,000 bodies in all


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
    report = os.environ.get("CELLUCID_FUZZ_REPORT")
    if report:   # bench/reliability.py reads the counts from here
        with open(report, "w") as f:
            json.dump({str(k): v for k, v in counts.items()}, f)
    conn.close()
    viewer.stop()


def _post_fuzz(conn, counts, content: bytes, content_type: str = "application/json"):
    status, reply_type, reply = conn.post(content, content_type)
    counts["bodies"] += 1
    counts[status] += 1
    assert status < 500, (content[:300], reply)
    assert reply_type.startswith("application/json")
    json.loads(reply)


def _assert_fuzzed(fuzz_target, post) -> None:
    """Run the hypothesis-driven ``post``, then check that it sent its bodies, that none got a
    5xx, and that the server still serves: each fuzz test on its own, in any order."""
    viewer, conn, counts = fuzz_target
    before = counts["bodies"]
    post(fuzz_target)
    assert counts["bodies"] - before >= FUZZ_EXAMPLES
    assert not [s for s in counts if isinstance(s, int) and s >= 500]
    assert httpx.get(viewer.server_url + "_cellucid/health").json()["status"] == "ok"
    assert PageClient(viewer).post("selection", cells=[1]).status_code == 200


@settings(max_examples=FUZZ_EXAMPLES, deadline=None, phases=[Phase.generate], database=None,
          suppress_health_check=list(HealthCheck))
@given(event_type=event_types, cells=cell_values, cell=json_scalars, extra=json_values,
       token_kind=st.sampled_from(["valid", "valid", "wrong", "missing", "number"]))
def _post_structured(fuzz_target, event_type, cells, cell, extra, token_kind):
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
def _post_raw(fuzz_target, raw, prefix, content_type):
    viewer, conn, counts = fuzz_target
    if prefix:   # a valid envelope followed by garbage
        raw = (json.dumps({"type": "x", "viewerId": viewer.viewer_id,
                           "viewerToken": viewer.viewer_token})[:-1] + ",").encode() + raw
    _post_fuzz(conn, counts, raw, content_type)


def test_fuzz_events_with_structured_bodies(fuzz_target):
    _assert_fuzzed(fuzz_target, _post_structured)


def test_fuzz_events_with_raw_bytes(fuzz_target):
    _assert_fuzzed(fuzz_target, _post_raw)


def test_load_eight_senders_two_viewers_nothing_lost_order_kept(make_viewer):
    viewers = [make_viewer(), make_viewer()]
    result = run_load(viewers, senders=8, per_sender=2_000)
    assert result["failures"] == []
    for sender in range(8):
        mine = result["received"][viewers[sender % 2].viewer_id]
        assert mine[sender] == list(range(2_000)), f"sender {sender}: lost or reordered"
    assert not [s for s in result["received"][viewers[1].viewer_id] if s % 2 == 0]
    assert result["lost"] == 0
    print(f"\nload: {result['per_second']:.0f} events/s, p50 {result['p50_ms']:.1f} ms, "
          f"p99 {result['p99_ms']:.1f} ms, lost {result['lost']}")


def test_slow_callback_flood_stays_bounded(make_viewer):
    viewer = make_viewer(1_000_000)
    result = run_flood(viewer, posts=120)
    assert set(result["statuses"]) == {200, 429}
    assert result["retry_after_ok"]
    assert result["growth_bytes"] < 600 << 20, f"memory grew {result['growth_bytes'] >> 20} MiB"
    assert result["delivered"] == result["statuses"][200]


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
        viewer.wait_for_callbacks()
    server_side = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in server_side)
    assert viewer.viewer_token not in text
