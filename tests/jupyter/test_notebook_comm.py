"""The notebook widget over the kernel's comm, in real JupyterLab 4 and Notebook 7.

The page is cut off from the kernel's HTTP server (`block_kernel_http`: every request to another
origin than the Jupyter server's is aborted, and so are the Jupyter server's ``proxy/`` and any
``_cellucid/`` path), so the widget's health probe fails and it runs the viewer in a ``srcdoc``
iframe whose every request goes over the widget's comm. Through the UI, as a user would: a lasso
reaches a hook and an ``asyncio`` task awaiting ``wait_for_event_async`` with exactly the cells
inside its polygon; ``debug_connection()`` reports the comm and the page's reason; ``stop()``
freezes the frame; ten viewers in one notebook all become ready and answer a ping, awaited in an
``async`` cell. The blocking calls in running cells, under Run All, on every transport, are in
test_notebook_sync.py.
"""

from __future__ import annotations

import re

import pytest

from .notebook_driver import (WRITE_JSON, block_kernel_http, cell, center_iframe, draw_lasso,
                              inside, open_notebook, ready_frame, run_cell, wait_for_file,
                              wait_for_output, widget_output, write_notebook)

pytestmark = pytest.mark.jupyter

SETUP = """\
import asyncio, json, os, pathlib, threading
import scanpy as sc
import cellucid
""" + WRITE_JSON + """
adata = sc.datasets.pbmc68k_reduced()
viewer = cellucid.show_anndata(adata, color="louvain", height=420)
write("viewer.json", {"viewer_id": viewer.viewer_id, "port": viewer.server.port})
"""

# The hook and an awaiting task; the cell ends at once, so the kernel reads the comm meanwhile.
SELECTION = """\
@viewer.on_selection
def hooked(event):
    write("hooked.json", event)

task = asyncio.ensure_future(viewer.wait_for_event_async("selection", timeout=300))
print("WAITING-FOR-SELECTION")
"""

WAITED = """\
selection = await task
write("waited.json", selection)
print("SELECTION-RECEIVED", len(selection["cells"]))
"""

DEBUG = """\
report = viewer.debug_connection()
write("debug.json", report)
print("DEBUG-DONE", report["verdict"])
"""

STOP = """\
viewer.stop()
print("STOPPED")
"""

TEN = """\
small = adata[:120].copy()
many = [cellucid.show_anndata(small, height=60) for _ in range(10)]
"""

# Awaits in the cell: ipykernel reads the pages' messages while an async cell awaits. Each page
# posts ready, then answers a ping round trip (debug_connection, off the kernel's thread).
TEN_CHECK = """\
def check(v):
    ready = v.wait_for_ready(240)
    return {"id": v.viewer_id, "ready": ready, "report": v.debug_connection(timeout=60)}

print("CHECKING-MANY", flush=True)
many_checked = await asyncio.gather(*(asyncio.to_thread(check, v) for v in many))
write("many.json", many_checked)
print("MANY-CHECKED", sum(m["report"]["ok"] for m in many_checked))
"""


def latest_requests(transport: str) -> str:
    """The "(latest request: …)" part of a report's transport line: which modes were used."""
    match = re.search(r"\(latest request: ([^)]*)\)", transport)
    assert match, transport
    return match.group(1)


@pytest.mark.parametrize("ui", ["lab", "notebook"])
def test_comm_with_http_blocked(ui, jupyter_root, in_page, umap):
    in_page(comm_with_http_blocked, jupyter_root, umap, ui)


def comm_with_http_blocked(page, server, umap, ui):
    seen = block_kernel_http(page, server)
    cells = [SETUP, SELECTION, WAITED, DEBUG, STOP, TEN, TEN_CHECK]
    nb = write_notebook(server, f"comm-{ui}", cells)
    open_notebook(page, nb, ui)
    run_cell(page, 0)

    # The viewer runs inside the widget's output, from srcdoc.
    iframe = widget_output(page, 0).locator("iframe").first
    frame = ready_frame(iframe)
    assert iframe.get_attribute("srcdoc") and iframe.get_attribute("src") is None
    assert frame.url == "about:srcdoc"
    info = nb.result("viewer.json")
    assert info["viewer_id"] in iframe.get_attribute("title")
    assert cell_caption(page, 0)

    # A lasso with the real mouse reaches the hook and the awaited task.
    run_cell(page, 1)
    wait_for_output(page, 1, "WAITING-FOR-SELECTION")
    draw_lasso(page, iframe)
    hooked = wait_for_file(page, nb.dir / "hooked.json")
    run_cell(page, 2)
    wait_for_output(page, 2, "SELECTION-RECEIVED")
    waited = nb.result("waited.json")
    assert waited["source"] == "lasso"
    expected = inside(umap, waited["polygon"])
    assert 0 < len(expected) < len(umap)
    assert waited["cells"] == expected
    assert hooked["cells"] == expected and hooked["polygon"] == waited["polygon"]

    # debug_connection in a cell: the comm, and only the comm, carried the page's requests.
    run_cell(page, 3)
    wait_for_output(page, 3, "DEBUG-DONE")
    report = nb.result("debug.json")
    assert report["transport"].startswith("comm"), report["transport"]
    assert "could not be reached" in report["transport"]
    assert latest_requests(report["transport"]).startswith("comm ")
    assert "http" not in latest_requests(report["transport"])
    assert report["ok"] is True and report["command_stream_connected"] is True
    assert report["ping_ms"] > 0   # a round trip over the comm, from the running cell

    # stop() freezes the frame.
    run_cell(page, 4)
    wait_for_output(page, 4, "STOPPED")
    frame.wait_for_selector("body[data-cellucid-frozen='1']", state="attached",
                            timeout=30_000)
    center_iframe(iframe)
    frozen = frame.locator("#frozen")
    frozen.wait_for(state="visible")
    assert "stopped" in frozen.text_content()

    # Ten live viewers in one cell: each page posts ready and answers a ping, over the comm.
    run_cell(page, 5)
    frames = widget_output(page, 5).locator("iframe")
    frames.nth(9).wait_for(state="attached", timeout=120_000)
    assert frames.count() == 10
    run_cell(page, 6)
    wait_for_output(page, 6, "MANY-CHECKED 10", timeout=300)
    many = nb.result("many.json")
    assert len({m["id"] for m in many}) == 10
    for m in many:
        assert m["ready"]["n_cells"] == 120
        report = m["report"]
        assert report["ok"] is True and report["ping_ms"] > 0, report
        assert report["transport"].startswith("comm"), report["transport"]
        assert "http" not in latest_requests(report["transport"])
    for i in range(10):
        assert frames.nth(i).get_attribute("srcdoc")
        ready_frame(frames.nth(i), timeout=10)

    # Nothing of the viewers went over HTTP: the only requests cut on their way to the kernel's
    # server (or a proxy to it) were the widgets' probes, and the srcdoc frames asked the
    # network for nothing.
    assert seen["viewer_requests"] == []
    probe = f"http://127.0.0.1:{info['port']}/_cellucid/health"
    assert probe in seen["blocked"], "the widget never probed the kernel's server"
    to_kernel = {url for url in seen["blocked"] if f":{info['port']}/" in url
                 or "/_cellucid/" in url or "/proxy/" in url}
    assert to_kernel == {probe}, to_kernel


def cell_caption(page, index: int) -> str:
    """The caption output under cell ``index``'s widget."""
    caption = cell(page, index).locator(".cellucid-caption").first
    caption.wait_for(state="attached", timeout=30_000)
    return caption.text_content()
