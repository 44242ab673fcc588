"""Viewers over a notebook's life in real JupyterLab 4: two side by side, a cell run again, the
cellucid server stopped, and the kernel restarted under live iframes (the widget's HTTP path:
the widget shows the iframe from the server's URL)."""

from __future__ import annotations

import socket
import time

import pytest

from .notebook_driver import (HTML_OUTPUT, center_iframe, draw_lasso, open_notebook,
                              ready_frame, run_cell, select_cell, viewer_iframes,
                              wait_for_output, widget_output, write_notebook)

pytestmark = pytest.mark.jupyter

SETUP = """\
import json, pathlib, time
from importlib.util import find_spec
import anndata
import cellucid

data = pathlib.Path(find_spec("scanpy").submodule_search_locations[0], "datasets",
                    "10x_pbmc68k_reduced.h5ad")
adata = anndata.read_h5ad(data)
shown = []
"""

SHOW_A = """\
a = cellucid.show_anndata(adata, height=300)
shown.append(a)
"""

SHOW_B = """\
b = cellucid.show_anndata(adata, embedding="X_pca", height=300)
"""

TWO_VIEWERS = """\
got = {"a": [], "b": []}
a.on_selection(got["a"].append)
b.on_selection(got["b"].append)
a.wait_for_ready(60); b.wait_for_ready(60)
print("WAITING-FOR-B", flush=True)
event = b.wait_for_event("selection", timeout=180)
deadline = time.monotonic() + 10
while not got["b"] and time.monotonic() < deadline:
    time.sleep(0.02)
pathlib.Path("two.json").write_text(json.dumps({
    "ids": [a.viewer_id, b.viewer_id], "a": got["a"], "b": got["b"], "event": event,
    "a_selection": a.state["selection"]}))
b.set_color_by("bulk_labels")  # reaches every page showing b
print("TWO-DONE")
"""

REDISPLAY_B = """\
b
"""

AFTER_RERUN = """\
server = a.server
pathlib.Path("rerun.json").write_text(json.dumps({
    "ids": [v.viewer_id for v in shown],
    "stopped": [v.stopped for v in shown],
    "registered": [server.registry.get(v.viewer_id) is not None for v in shown],
    "ready": a.wait_for_ready(60)["n_cells"]}))
print("RERUN-CHECKED")
"""

STOP_SERVER = """\
from cellucid.server import shutdown_server
port = b.server.port
shutdown_server()
report = b.debug_connection(timeout=2)
pathlib.Path("stopped.json").write_text(json.dumps({"port": port, "report": report}, default=str))
print("SERVER-STOPPED", report["verdict"])
"""


def port_closed(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) != 0


def wait_gone(iframe, timeout_ms: int = 30_000):
    """Wait for the viewer page's "The Python session ended" overlay; returns its text."""
    frame = iframe.element_handle().content_frame()
    frame.wait_for_selector("body[data-cellucid-gone='1']", state="attached", timeout=timeout_ms)
    center_iframe(iframe)
    overlay = frame.locator("[data-testid=session-ended]")
    overlay.wait_for(state="visible", timeout=10_000)
    return overlay.text_content()


def test_viewers_over_a_notebook_life(jupyter_root, in_page):
    in_page(notebook_life, jupyter_root)


def notebook_life(page, server):
    cells = [SETUP, SHOW_A, SHOW_B, REDISPLAY_B, TWO_VIEWERS, AFTER_RERUN, STOP_SERVER]
    nb = write_notebook(server, "lifecycle", cells)
    kernel = open_notebook(page, nb, "lab")
    for index in range(5):
        run_cell(page, index)

    # Two viewers side by side (the second shown twice: its re-display is the same live
    # viewer): a lasso in the second reaches only the second's hooks; its commands reach both
    # of its pages.
    frame_a = ready_frame(viewer_iframes(page, 1).first)
    frame_b = ready_frame(viewer_iframes(page, 2).first)
    frame_b_again = ready_frame(viewer_iframes(page, 3).first)
    assert viewer_iframes(page).count() == 3
    assert frame_a.evaluate("document.body.dataset.cellucidEmbedding") == "X_umap"
    assert frame_b.evaluate("document.body.dataset.cellucidEmbedding") == "X_pca"
    assert frame_b.url == frame_b_again.url
    wait_for_output(page, 4, "WAITING-FOR-B")
    draw_lasso(page, viewer_iframes(page, 2).first, rx=90, ry=60)
    wait_for_output(page, 4, "TWO-DONE")
    for frame in (frame_b, frame_b_again):
        frame.wait_for_function(
            "document.querySelector('[data-testid=colorby-select]').value === 'bulk_labels'")
    two = nb.result("two.json")
    assert len(two["b"]) == 1 and two["b"][0]["cells"] == two["event"]["cells"]
    assert two["event"]["cells"]
    assert two["a"] == [] and two["a_selection"] is None
    old_a = two["ids"][0]

    # Running the first viewer's cell again replaces its viewer: one iframe, a new viewer, and
    # the old one stopped and unregistered.
    run_cell(page, 1)
    run_cell(page, 5)
    wait_for_output(page, 5, "RERUN-CHECKED")
    rerun = nb.result("rerun.json")
    assert rerun["ids"][0] == old_a and rerun["ids"][1] != old_a
    assert rerun["stopped"] == [True, False]
    assert rerun["registered"] == [False, True]
    assert viewer_iframes(page, 1).count() == 1
    assert widget_output(page, 1).count() == 1
    new_frame = ready_frame(viewer_iframes(page, 1).first)
    assert rerun["ids"][1] in new_frame.url

    # Stopping the cellucid server: debug_connection names the failure, and every live iframe
    # says the Python session ended.
    run_cell(page, 6)
    text = wait_for_output(page, 6, "SERVER-STOPPED")
    assert "the cellucid server does not answer" in text
    stopped = nb.result("stopped.json")
    assert stopped["report"]["ok"] is False
    assert "re-run the cell" in stopped["report"]["fix"]
    for index in (2, 3):
        assert "re-run the cell" in wait_gone(viewer_iframes(page, index).first)
    assert port_closed(stopped["port"])

    # Show the viewer again (a new server), then restart the kernel under it.
    run_cell(page, 1)
    iframe = viewer_iframes(page, 1).first
    frame = ready_frame(iframe)
    port = int(frame.url.split(":")[2].split("/")[0])
    assert port != stopped["port"]
    server.api("POST", f"api/kernels/{kernel['id']}/restart", {}, timeout=60)
    text = wait_gone(iframe)
    assert "The Python session ended" in text and "re-run the cell" in text
    assert port_closed(port)

    # The saved notebook, reopened with the viewer's kernel gone, says how to bring it back.
    select_cell(page, 0)  # the notebook has the focus, so Ctrl+S saves it
    page.keyboard.press("Control+s")
    saved = nb.dir / "notebook.ipynb"
    deadline = time.monotonic() + 30
    while "re-run this cell" not in saved.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    reopened = page.context.new_page()
    reopened.goto(server.page_url("lab", nb.path))
    # The caption is an HTML output of its own, under the widget that cannot be drawn again.
    caption = reopened.locator(f"{HTML_OUTPUT} .cellucid-caption").first
    caption.wait_for(timeout=60_000)
    assert "re-run this cell to bring the viewer back" in caption.inner_text()
    reopened.close()
