"""A notebook in real JupyterLab 4 and Notebook 7: lasso → hook, commands, diagnostics, sessions.

Both the direct route (a loopback Jupyter at ``/``) and the proxy route (Jupyter at
``/jh/user/``, kernels with ``CELLUCID_ROUTE=proxy``, the iframe under
``/jh/user/proxy/<port>/`` through jupyter-server-proxy) are driven through the UI in headless
Chromium; the lasso is drawn with the real mouse over the real iframe. The output is the widget
(its HTTP path: the page reaches the server, so the widget shows the iframe from the server's
URL, the caption an output of its own); ``CELLUCID_DISPLAY=iframe`` gives the plain HTML output
(`test_iframe_display`). The comm path is in test_notebook_comm.py.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import ARTIFACTS

from .notebook_driver import (HTML_OUTPUT, cell, center_iframe, draw_lasso, inside,
                              open_notebook, ready_frame, run_cell, viewer_iframes,
                              wait_for_output, widget_output, write_notebook)

pytestmark = pytest.mark.jupyter

SETUP = """\
import json, pathlib, time
import scanpy as sc
import cellucid
from cellucid.notebook.client_url import choose_route

adata = sc.datasets.pbmc68k_reduced()
viewer = cellucid.show_anndata(adata, color="louvain", height=420)
_ = pathlib.Path("viewer.json").write_text(json.dumps({
    "viewer_id": viewer.viewer_id, "viewer_url": viewer.viewer_url,
    "port": viewer.server.port, "route": choose_route(viewer.server).summary()}))
"""

SELECTION = """\
hooked = []

@viewer.on_selection
def keep(event):
    hooked.append(event)

print("WAITING-FOR-SELECTION", flush=True)
selection = viewer.wait_for_event("selection", timeout=180)
deadline = time.monotonic() + 10
while not hooked and time.monotonic() < deadline:
    time.sleep(0.02)
pathlib.Path("selection.json").write_text(json.dumps({"waited": selection, "hooked": hooked}))
print("SELECTION-RECEIVED", len(selection["cells"]))
"""

RECOLOR = """\
viewer.set_color_by("bulk_labels")
print("RECOLORED")
"""

DEBUG = """\
report = viewer.debug_connection()
pathlib.Path("debug.json").write_text(json.dumps(report, default=str))
report
"""

FIRST_GROUP = """\
import threading
lassos, groups_made = [], threading.Semaphore(0)

# Pressing H in the viewer makes the selection a group and clears it (a "clear" selection).
@viewer.on_selection
def track(event):
    if event["source"] == "lasso":
        lassos.append(event)
    elif event["source"] == "clear":
        groups_made.release()

print("WAITING-FOR-FIRST", flush=True)
assert groups_made.acquire(timeout=180)
print("FIRST-HIGHLIGHTED")
"""

BUNDLE = """\
print("WAITING-FOR-SECOND", flush=True)
assert groups_made.acquire(timeout=180)
first, second = lassos
bundle = viewer.get_session_bundle()
columns = bundle.to_anndata(adata, prefix="group: ")
bundle.save("session.json")
loaded = cellucid.SessionBundle.load("session.json")
loaded.apply(viewer)
viewer.selection_to_obs("lasso selection")
import numpy as np
pathlib.Path("bundle.json").write_text(json.dumps({
    "first": first, "second": second, "columns": columns,
    "obs": {c: np.flatnonzero(adata.obs[c].to_numpy()).tolist() for c in columns},
    "selection_obs": np.flatnonzero(adata.obs["lasso selection"].to_numpy()).tolist(),
    "groups": [[g.name, g.color, g.cells] for g in loaded.highlight_groups],
    "color_by": loaded.color_by, "embedding": loaded.embedding,
    "camera": loaded.camera is not None}))
print("BUNDLE-DONE")
"""

STOP = """\
viewer.stop()
after = viewer.debug_connection()
print("STOPPED", after["verdict"])
"""


def check_lasso_reaches_hook(page, nb, umap, cell_index):
    wait_for_output(page, cell_index, "WAITING-FOR-SELECTION")
    draw_lasso(page, viewer_iframes(page, 0).first)
    wait_for_output(page, cell_index, "SELECTION-RECEIVED")
    result = nb.result("selection.json")
    event = result["waited"]
    assert event["source"] == "lasso"
    expected = inside(umap, event["polygon"])
    assert 0 < len(expected) < len(umap)
    assert event["cells"] == expected
    assert [e["cells"] for e in result["hooked"]] == [expected]


def check_recolour(page, cell_index):
    wait_for_output(page, cell_index, "RECOLORED")
    iframe = viewer_iframes(page, 0).first
    frame = ready_frame(iframe)
    center_iframe(iframe)
    assert frame.locator("[data-testid=colorby-select]").input_value() == "bulk_labels"
    legend = frame.locator("[data-testid=legend]")
    legend.wait_for(state="visible")
    assert "CD14+ Monocyte" in legend.text_content()


def check_debug(page, nb, cell_index, screenshot=None):
    text = wait_for_output(page, cell_index, "ok: ping")
    if screenshot is not None:
        cell(page, cell_index).locator(".jp-OutputArea").screenshot(path=screenshot)
    assert re.search(r"ok: ping \d+(\.\d+)? ms", text)
    assert "ping_ms" in text  # the table's rows
    report = nb.result("debug.json")
    assert report["ok"] is True and report["ping_ms"] > 0
    assert report["snapshot"]["webgl"]
    # The page reached the server by HTTP (the widget's fast path), never over the comm.
    assert report["transport"].startswith("http"), report["transport"]
    assert "comm" not in report["transport"].split("(latest request:")[1]


def check_widget_output(page, info, src_prefix):
    """Cell 0 shows the widget on its HTTP path: the widget's iframe loads the viewer from the
    server's URL (``src_prefix``), and the caption is an HTML output of its own."""
    iframe = widget_output(page, 0).locator("iframe")
    assert iframe.count() == 1
    assert iframe.get_attribute("srcdoc") is None
    assert iframe.get_attribute("src").startswith(src_prefix)
    assert info["viewer_id"] in iframe.get_attribute("title")
    caption = cell(page, 0).locator(f"{HTML_OUTPUT} .cellucid-caption")
    assert "re-run this cell" in caption.text_content()
    assert cell(page, 0).locator(f"{HTML_OUTPUT} iframe").count() == 0


def check_stop(page, cell_index):
    text = wait_for_output(page, cell_index, "STOPPED")
    assert "viewer stopped" in text
    iframe = viewer_iframes(page, 0).first
    frame = iframe.element_handle().content_frame()
    frame.wait_for_selector("body[data-cellucid-frozen='1']", state="attached", timeout=20_000)
    center_iframe(iframe)
    frozen = frame.locator("#frozen")
    frozen.wait_for(state="visible")
    assert "stopped" in frozen.text_content()


@pytest.mark.parametrize("ui", ["lab", "notebook"])
def test_direct_route(ui, jupyter_root, in_page, umap):
    """A loopback Jupyter at "/": the iframe loads the cellucid server directly. JupyterLab also
    runs the session-bundle round trip."""
    in_page(direct_route, jupyter_root, umap, ui)


def direct_route(page, server, umap, ui):
    cells = [SETUP, SELECTION, RECOLOR, DEBUG, STOP]
    if ui == "lab":
        cells[4:4] = [FIRST_GROUP, BUNDLE]
    nb = write_notebook(server, f"direct-{ui}", cells)
    open_notebook(page, nb, ui)
    for index in range(len(cells)):
        run_cell(page, index)

    iframe = viewer_iframes(page, 0).first
    ready_frame(iframe)
    info = nb.result("viewer.json")
    assert info["route"]["route"] == "direct"
    assert iframe.get_attribute("src").startswith(f"http://127.0.0.1:{info['port']}/?viewerId=")
    check_widget_output(page, info, f"http://127.0.0.1:{info['port']}/?viewerId=")
    box = iframe.bounding_box()
    assert abs(box["height"] - 420) <= 1
    check_lasso_reaches_hook(page, nb, umap, 1)
    check_recolour(page, 2)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"jupyter_{ui}_viewer.png")
    check_debug(page, nb, 3, screenshot=ARTIFACTS / f"jupyter_{ui}_debug_connection.png")
    if ui == "lab":
        check_session_bundle(page, nb, umap, 4, 5)
    check_stop(page, len(cells) - 1)


def check_session_bundle(page, nb, umap, first_cell, bundle_cell):
    """Two lassos made into highlight groups in the viewer (lasso, then H), fetched as a
    session bundle and written to the AnnData."""
    iframe = viewer_iframes(page, 0).first
    wait_for_output(page, first_cell, "WAITING-FOR-FIRST")
    draw_lasso(page, iframe, dx=-60, rx=70, ry=60)
    page.keyboard.press("h")
    wait_for_output(page, first_cell, "FIRST-HIGHLIGHTED")
    wait_for_output(page, bundle_cell, "WAITING-FOR-SECOND")
    draw_lasso(page, iframe, dx=70, rx=70, ry=60)
    page.keyboard.press("h")
    wait_for_output(page, bundle_cell, "BUNDLE-DONE", timeout=60)
    result = nb.result("bundle.json")
    first = inside(umap, result["first"]["polygon"])
    second = inside(umap, result["second"]["polygon"])
    assert first and second and first != second
    assert result["first"]["cells"] == first and result["second"]["cells"] == second
    assert result["columns"] == ["group: group 1", "group: group 2"]
    assert result["obs"]["group: group 1"] == first
    assert result["obs"]["group: group 2"] == second
    # H cleared the selection, and the bundle carries it empty.
    assert result["selection_obs"] == []
    (name1, color1, cells1), (name2, color2, cells2) = result["groups"]
    assert (name1, cells1, name2, cells2) == ("group 1", first, "group 2", second)
    assert color1 != color2
    assert result["color_by"]["field"] == "bulk_labels"
    assert result["embedding"] == "X_umap" and result["camera"]
    frame = ready_frame(iframe)
    assert frame.locator("#highlights").text_content().count("group ") == 2


def make_the_proxy_buffer_the_stream(route):
    """jupyter-server-proxy streams only when Accept is exactly text/event-stream; with any other
    Accept it buffers the whole reply, as older proxies do."""
    route.continue_(headers={**route.request.headers,
                             "accept": "text/event-stream, */*;q=0.1"})


@pytest.mark.parametrize("ui,transport", [("notebook", "sse"), ("lab", "poll")])
def test_proxy_route(ui, transport, jupyter_proxied, in_page, umap):
    """Jupyter at /jh/user/, CELLUCID_ROUTE=proxy: the iframe, its events and its command stream
    all go through jupyter-server-proxy — as a stream in Notebook 7, and in JupyterLab with the
    proxy made to buffer the stream, so the page falls back to long-polling."""
    in_page(proxy_route, jupyter_proxied, umap, ui, transport)


def proxy_route(page, server, umap, ui, transport):
    if transport == "poll":
        page.route(re.compile(r".*/_cellucid/commands\?.*"), make_the_proxy_buffer_the_stream)
    cells = [SETUP, SELECTION, RECOLOR, DEBUG, STOP]
    nb = write_notebook(server, f"proxy-{ui}", cells)
    open_notebook(page, nb, ui)
    for index in range(len(cells)):
        run_cell(page, index)

    iframe = viewer_iframes(page, 0).first
    frame = ready_frame(iframe)
    info = nb.result("viewer.json")
    assert info["route"]["route"] == "proxy"
    assert any("through the Jupyter proxy: ok" in p for p in info["route"]["probes"])
    assert iframe.get_attribute("src").startswith(f"/jh/user/proxy/{info['port']}/?viewerId=")
    assert frame.url.startswith(f"{server.url}proxy/{info['port']}/")
    check_widget_output(page, info, f"/jh/user/proxy/{info['port']}/?viewerId=")
    check_lasso_reaches_hook(page, nb, umap, 1)
    check_recolour(page, 2)
    check_debug(page, nb, 3)
    assert frame.evaluate("document.body.dataset.cellucidCommandMode") == transport
    check_stop(page, 4)


IFRAME_DISPLAY = """\
import os
os.environ["CELLUCID_DISPLAY"] = "iframe"
"""


def test_iframe_display(jupyter_root, in_page, umap):
    """``CELLUCID_DISPLAY=iframe``: one plain HTML output (the iframe from the server's URL and
    the caption), no widget; the lasso reaches the hook and stop() freezes the frame."""
    in_page(iframe_display, jupyter_root, umap)


def iframe_display(page, server, umap):
    cells = [IFRAME_DISPLAY + SETUP, SELECTION, STOP]
    nb = write_notebook(server, "iframe-display", cells)
    open_notebook(page, nb, "lab")
    for index in range(len(cells)):
        run_cell(page, index)
    output = cell(page, 0).locator(f"{HTML_OUTPUT} .cellucid-output")
    iframe = output.locator("iframe")
    ready_frame(iframe)
    info = nb.result("viewer.json")
    assert iframe.get_attribute("src").startswith(f"http://127.0.0.1:{info['port']}/?viewerId=")
    assert "re-run this cell" in output.locator(".cellucid-caption").text_content()
    assert widget_output(page, 0).count() == 0
    assert cell(page, 0).locator(".cellucid-caption").count() == 1
    check_lasso_reaches_hook(page, nb, umap, 1)
    check_stop(page, 2)
