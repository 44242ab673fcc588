"""In a real browser: a page of another origin cannot inject events or read data, and a viewer
survives its server stopping and coming back without losing what it sends."""

from __future__ import annotations

import http.server
import threading

import pytest

import cellucid
from cellucid.server import server as server_module
from cellucid.server import Server

ATTACKER_PAGE = """<!doctype html><html><body>
<iframe name="sink" id="sink"></iframe>
<form id="form" method="POST" enctype="text/plain" target="sink"></form>
<script>
window.attack = async (target, viewerId, viewerToken) => {
  const results = {};
  const body = JSON.stringify({type: "selection", viewerId, viewerToken, cells: [1],
                               source: "attacker"});
  try {
    await fetch(target + "_cellucid/events", {method: "POST", mode: "no-cors",
      headers: {"Content-Type": "text/plain"}, body});
    results.simple = "sent";
  } catch (e) { results.simple = "error " + e; }
  try {
    const r = await fetch(target + "_cellucid/events", {method: "POST",
      headers: {"Content-Type": "application/json"}, body});
    results.json = "readable " + r.status;
  } catch (e) { results.json = "blocked"; }
  try {
    const r = await fetch(target + "_cellucid/data/manifest?viewerId=" + viewerId +
                          "&viewerToken=" + viewerToken);
    results.read = "readable " + (await r.text()).slice(0, 40);
  } catch (e) { results.read = "blocked"; }
  try {
    const r = await fetch(target + "_cellucid/info?viewerId=" + viewerId +
                          "&viewerToken=" + viewerToken, {mode: "no-cors"});
    results.opaque = r.type;
  } catch (e) { results.opaque = "error"; }
  const form = document.getElementById("form");
  form.action = target + "_cellucid/events";
  form.innerHTML = "";
  const field = document.createElement("input");
  field.name = '{"type":"selection","viewerId":"' + viewerId + '","viewerToken":"' +
               viewerToken + '","cells":[2],"source":"attacker","x":"';
  field.value = '"}';
  form.appendChild(field);
  await new Promise((resolve) => {
    document.getElementById("sink").onload = resolve;
    form.submit();
  });
  results.form = "submitted";
  return results;
};
</script></body></html>"""


@pytest.fixture
def attacker_origin(tmp_path):
    (tmp_path / "index.html").write_text(ATTACKER_PAGE)

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tmp_path), **kwargs)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()


def test_cross_origin_page_cannot_inject_or_read(page, pbmc68k, attacker_origin, event_log):
    viewer = cellucid.show_anndata(pbmc68k)
    try:
        log = event_log(viewer)
        page.goto(attacker_origin)
        # The worst case: the attacker even knows the token.
        results = page.evaluate("([t, i, k]) => window.attack(t, i, k)",
                                [viewer.server_url, viewer.viewer_id, viewer.viewer_token])
        assert results["simple"] == "sent"          # the request went out, and was refused (415)
        assert results["json"] == "blocked"         # the preflight gets no CORS grant
        assert results["read"] == "blocked"         # the data cannot be read
        assert results["opaque"] == "opaque"        # only an opaque, unreadable reply
        assert results["form"] == "submitted"
        # A marker sent after every attempt finished: anything routed before it would be seen.
        from tests.viewer_client import PageClient
        PageClient(viewer).post("marker")
        log.next("marker", timeout=10)
        assert not [e for e in log.seen if e.get("source") == "attacker"]
        assert viewer.state["selection"] is None
    finally:
        viewer.stop()


def test_viewer_survives_server_restart_and_loses_nothing_sent_after(page, pbmc68k, open_viewer,
                                                                    event_log):
    viewer = cellucid.show_anndata(pbmc68k)
    old = server_module.get_server()
    try:
        log = event_log(viewer, page)
        open_viewer(page, viewer)
        page.wait_for_selector("body[data-cellucid-connected='1']", state="attached",
                               timeout=20000)
        old.stop()
        page.wait_for_selector("[data-testid=session-ended]", state="visible", timeout=30000)
        page.evaluate("console.warn('sent while the server was down')")
        restarted = Server(port=old.port, registry=old.registry).start()
        server_module._server = restarted
        page.wait_for_selector("[data-testid=session-ended]", state="hidden", timeout=30000)
        page.wait_for_selector("body[data-cellucid-connected='1']", state="attached",
                               timeout=30000)
        for i in range(5):
            page.evaluate(f"console.warn('after reconnect {i}')")
        got = [log.next("console", predicate=lambda e, i=i: e["message"] == f"after reconnect {i}")
               for i in range(5)]
        assert len(got) == 5
        during = [e for e in log.seen if e.get("message") == "sent while the server was down"]
        assert len(during) == 1                     # retried until delivered, once
        viewer.select([3, 1])                       # commands flow again, acknowledged
        assert log.next("selection", predicate=lambda e: e["source"] == "python")["cells"] == [1, 3]
    finally:
        viewer.stop()
