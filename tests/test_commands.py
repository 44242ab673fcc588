"""Python → viewer commands over SSE and long-poll, acks, diagnostics, bundles (commands.py)."""

from __future__ import annotations

import threading
import time

import httpx
import numpy as np
import pytest

from cellucid import CommandError, SessionBundle
from cellucid.session.commands import DEFAULT_PENDING_LIMIT

from .viewer_client import PageClient, bitmask
from .waiting import until


def test_commands_sent_before_connect_arrive_in_order(viewer):
    assert viewer.highlight_cells([1, 2], color="#00ff00") == "group 1"
    viewer.set_color_by("cluster")
    viewer.reset_view()
    assert [c["type"] for c in viewer.pending_commands] == ["highlight", "setColorBy",
                                                            "resetCamera"]
    page = PageClient(viewer).connect()
    commands = page.wait_commands(3)
    assert [c["type"] for c in commands] == ["highlight", "setColorBy", "resetCamera"]
    assert commands[0]["cells"] == [1, 2] and commands[0]["color"] == "#00ff00"
    assert commands[1] == {"id": commands[1]["id"], "type": "setColorBy", "field": "cluster",
                           "kind": "obs", "revision": 1}
    until(lambda: viewer.pending_commands == [], what="every command acknowledged")
    page.close()


def test_connected_commands_wait_for_the_ack(viewer):
    page = PageClient(viewer).connect()
    start = time.perf_counter()
    viewer.highlight_cells(np.arange(10), color="#f0f", name="mine")
    assert time.perf_counter() - start < 2
    command = page.commands[-1]
    assert command["name"] == "mine" and command["color"] == "#ff00ff"
    assert viewer.pending_commands == []
    page.close()


def test_every_command_method_sends_its_command(viewer):
    page = PageClient(viewer).connect()
    viewer.highlight_cells([1], name="g")
    viewer.clear_highlights("g")
    viewer.clear_highlights()
    viewer.set_color_by("GENE3")
    viewer.set_visibility([1, 2], visible=False)
    viewer.set_visibility(None)
    viewer.reset_view()
    viewer.set_embedding("X_umap")
    viewer.select([3, 1])
    viewer.send_message({"type": "myExtension", "value": 3})
    viewer.send_message({"value": 4})
    kinds = [(c["type"], {k: v for k, v in c.items() if k not in ("id", "type")})
             for c in page.commands]
    assert kinds == [
        ("highlight", {"name": "g", "color": "#ff0000", "cells": [1]}),
        ("clearHighlights", {"name": "g"}), ("clearHighlights", {"name": None}),
        ("setColorBy", {"field": "GENE3", "kind": "gene", "revision": 1}),
        ("setVisibility", {"cells": [1, 2], "visible": False}),
        ("setVisibility", {"cells": None, "visible": True}),
        ("resetCamera", {}), ("setEmbedding", {"name": "X_umap", "revision": 1}),
        ("select", {"cells": [1, 3]}),
        ("myExtension", {"value": 3}), ("message", {"value": 4}),
    ]
    page.close()


def test_refused_command_raises_command_error_with_the_reason(viewer):
    page = PageClient(viewer, refuse={"setEmbedding"}).connect()
    with pytest.raises(CommandError, match="refused by the test page"):
        viewer.set_embedding("X_umap")
    page.close()


def test_unacknowledged_command_times_out_and_stays_queued(viewer):
    page = PageClient(viewer, auto_ack=False).connect()
    with pytest.raises(CommandError, match="did not acknowledge"):
        viewer._session.command("resetCamera", timeout=0.3)
    assert [c["type"] for c in viewer.pending_commands] == ["resetCamera"]
    page.close()


def test_python_side_errors_are_clear(viewer):
    with pytest.raises(KeyError, match="cluster"):
        viewer.set_color_by("clustr")
    with pytest.raises(KeyError, match="X_umap"):
        viewer.set_embedding("X_umpa")
    with pytest.raises(IndexError, match="out of range"):
        viewer.highlight_cells([10_000])
    with pytest.raises(ValueError, match="hex"):
        viewer.highlight_cells([1], color="red-ish")
    with pytest.raises(TypeError):
        viewer.send_message("not a dict")
    assert viewer.pending_commands == []


def test_large_cell_sets_travel_as_bitmask(make_viewer):
    viewer = make_viewer(1_000_000)
    cells = np.flatnonzero(np.random.default_rng(1).random(1_000_000) < 0.5)
    viewer.highlight_cells(cells)
    wire = viewer.pending_commands[0]["cells"]
    assert wire["encoding"] == "bitmask" and wire["count"] == cells.size
    from cellucid.cells import decode_cells
    assert np.array_equal(decode_cells(wire, 1_000_000), cells)


def test_reconnect_replays_only_unacknowledged(viewer):
    first = PageClient(viewer, auto_ack=False).connect()
    viewer._session.command("resetCamera", wait=False)   # this page does not acknowledge by itself
    first.wait_commands(1)
    first.post("command_result", id=first.commands[0]["id"], ok=True)
    viewer._session.command("setEmbedding", {"name": "X_umap"}, wait=False)
    first.wait_commands(2)
    first.close()
    second = PageClient(viewer).connect()
    commands = second.wait_commands(1)
    time.sleep(0.2)
    assert [c["type"] for c in second.commands] == ["setEmbedding"]
    assert commands[0]["id"] == first.commands[1]["id"]
    second.close()


def test_stream_opens_with_a_comment_and_sends_sse_frames(viewer):
    viewer.reset_view()
    url = (f"{viewer.server_url}_cellucid/commands?viewerId={viewer.viewer_id}"
           f"&viewerToken={viewer.viewer_token}")
    with httpx.stream("GET", url, headers={"accept": "text/event-stream"}, timeout=5) as reply:
        assert reply.headers["content-type"].startswith("text/event-stream")
        assert "access-control-allow-origin" not in reply.headers
        lines = reply.iter_lines()
        assert next(lines) == ": connected"
        assert next(lines) == ""
        assert next(lines).startswith("id: ")
        assert next(lines).startswith('data: {"id": "c')


def test_long_poll_fallback(viewer):
    http = httpx.Client(base_url=viewer.server_url, timeout=10)
    auth = f"viewerId={viewer.viewer_id}&viewerToken={viewer.viewer_token}"
    start = time.perf_counter()
    empty = http.get(f"_cellucid/commands/poll?{auth}&after=0&wait=0.3").json()
    assert empty == {"status": "ok", "commands": []}
    assert time.perf_counter() - start >= 0.25
    timer = threading.Timer(0.2, lambda: viewer._session.command("resetCamera", wait=False))
    timer.start()
    got = http.get(f"_cellucid/commands/poll?{auth}&after=0&wait=5").json()["commands"]
    assert [c["command"]["type"] for c in got] == ["resetCamera"]
    assert http.get(f"_cellucid/commands/poll?{auth}&after={got[0]['seq']}&wait=0").json()[
        "commands"] == []
    assert http.get(f"_cellucid/commands/poll?{auth}&wait=99").status_code == 400
    assert http.get(f"_cellucid/commands/poll?{auth}&after=x").status_code == 400
    assert http.get(f"_cellucid/commands/poll?viewerId={viewer.viewer_id}").status_code == 403


def test_command_endpoints_need_the_token(viewer):
    http = httpx.Client(base_url=viewer.server_url, timeout=5)
    assert http.get(f"_cellucid/commands?viewerId={viewer.viewer_id}").status_code == 403
    assert http.get(f"_cellucid/commands?viewerId={viewer.viewer_id}&viewerToken=no"
                    ).status_code == 403
    assert http.get("_cellucid/commands?viewerId=zz&viewerToken=no").status_code == 404


def test_debug_connection_reports_ping_and_snapshot(viewer):
    page = PageClient(viewer).connect()
    page.post("console", level="error", message="shader failed", ts="2026-01-01T00:00:00Z")
    report = viewer.debug_connection()
    assert report["ok"] is True, report
    assert report["verdict"].startswith("ok: ping")
    assert isinstance(report["ping_ms"], float) and report["ping_ms"] < 1000
    assert report["snapshot"]["webgl"] == "none"
    assert report["recent_console"][-1]["message"] == "shader failed"
    assert "<table>" in report._repr_html_() and "1 recent page errors" in report["verdict"]
    page.close()


PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                   "all_proxy")


def test_debug_connection_is_not_fooled_by_a_dead_proxy(viewer, monkeypatch):
    page = PageClient(viewer).connect()   # its HTTP client is made before the proxy is set
    for variable in PROXY_VARIABLES:
        monkeypatch.setenv(variable, "http://127.0.0.1:9")
    for variable in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(variable, raising=False)
    report = viewer.debug_connection()
    assert report["ok"] is True, report
    assert "ok" in report["server_health"]
    page.close()


def test_debug_connection_names_the_failure(viewer):
    report = viewer.debug_connection(timeout=0.5)
    assert report["ok"] is False and "no viewer page is connected" in report["verdict"]
    assert report["fix"]
    page = PageClient(viewer, auto_ack=False).connect()
    page._apply = lambda command: None   # a page that takes commands but never answers
    report = viewer.debug_connection(timeout=0.5)
    assert report["ok"] is False and "did not answer a ping" in report["verdict"]
    page.close()


BUNDLE = {"format": "cellucid-session", "version": 1, "embedding": "X_umap",
          "colorBy": {"field": "cluster", "kind": "obs"},
          "camera": {"kind": "2d", "cx": 0.5, "cy": -1, "scale": 2},
          "selection": [5, 6],
          "highlightGroups": [{"name": "left", "color": "#ff0000", "cells": [1, 2, 3]},
                              {"name": "right", "color": "#0000ff",
                               "cells": bitmask([10, 20], 200)}]}


def test_session_bundle_round_trip(viewer, adata, tmp_path):
    page = PageClient(viewer, bundle=BUNDLE).connect()
    seen = []
    viewer.on("session_bundle")(seen.append)
    bundle = viewer.get_session_bundle(timeout=10)
    assert [(g.name, g.color, g.cells) for g in bundle.highlight_groups] == [
        ("left", "#ff0000", [1, 2, 3]), ("right", "#0000ff", [10, 20])]
    assert bundle.selection == [5, 6] and bundle.embedding == "X_umap"
    assert bundle.color_by == {"field": "cluster", "kind": "obs"}
    viewer.wait_for_callbacks()
    assert seen[0]["status"] == "ok" and seen[0]["bytes"] > 0
    assert not __import__("os").path.exists(seen[0]["path"])   # read, then removed
    assert bundle.to_anndata(adata) == ["left", "right"]
    assert np.flatnonzero(adata.obs["left"].to_numpy()).tolist() == [1, 2, 3]
    saved = bundle.save(tmp_path / "s.json")
    assert SessionBundle.load(saved).highlight_groups == bundle.highlight_groups
    page.close()


def test_bundle_upload_only_for_a_pending_request(viewer):
    http = httpx.Client(base_url=viewer.server_url, timeout=5)
    auth = f"viewerId={viewer.viewer_id}&viewerToken={viewer.viewer_token}"
    reply = http.post(f"_cellucid/session_bundle?{auth}&requestId=made-up", json=BUNDLE)
    assert reply.status_code == 409 and "get_session_bundle" in reply.json()["message"]
    reply = http.post(f"_cellucid/session_bundle?viewerId={viewer.viewer_id}&requestId=x",
                      json=BUNDLE)
    assert reply.status_code == 403


def test_bundle_upload_over_the_cap_fails_cleanly(viewer, monkeypatch):
    import glob
    import tempfile

    from cellucid.server import uploads as bundle_module
    monkeypatch.setattr(bundle_module, "MAX_BUNDLE_BYTES", 1000)
    before = set(glob.glob(f"{tempfile.gettempdir()}/cellucid-*"))
    page = PageClient(viewer, bundle={**BUNDLE, "pad": "x" * 5000}).connect()
    with pytest.raises(CommandError, match="over"):
        viewer.get_session_bundle(timeout=10)
    assert set(glob.glob(f"{tempfile.gettempdir()}/cellucid-*")) == before
    page.close()


def test_pending_command_cap(viewer):
    for _ in range(DEFAULT_PENDING_LIMIT):
        viewer.reset_view()
    with pytest.raises(CommandError, match="already waiting"):
        viewer.reset_view()
