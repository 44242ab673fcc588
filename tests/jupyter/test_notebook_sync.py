"""The seed's synchronous API in running cells, under Run All, in real JupyterLab 4 and Notebook 7.

One notebook, run with Run All Cells from the menu as a user would: cell 1 shows
pbmc68k_reduced; cell 2 blocks in ``wait_for_ready`` and then ``wait_for_event("selection",
predicate=...)`` while the test draws a lasso with the real mouse, then ``wait_for_callbacks``
for a slow hook; cell 3 ``set_color_by`` returns once the page acknowledged it; cell 4
``save_image`` writes a PNG, ``get_session_bundle`` returns the view, and ``debug_connection``
pings. It must pass on every way the page can reach the kernel:

* ``comm-subshells``: every request of the page to the kernel's server (and to ``/proxy/``)
  aborted, JupyterLab's default settings — the widget's comm messages go to a kernel subshell;
* ``comm-no-subshells``: the same with ``commsOverSubshells`` set to ``disabled`` — the wait
  reads the widget's messages itself (JupyterLab; Notebook 7.6 does not apply that setting);
* ``comm-ipykernel6``: the same with a kernel running ipykernel 6 (no subshells at all, as in
  Colab), a second kernelspec in an environment of its own;
* ``http``: nothing blocked — the page reaches the kernel's server.
"""

from __future__ import annotations

import struct
import time

import pytest

from tests.e2e.conftest import ARTIFACTS

from .ipykernel6 import install_kernelspec
from .notebook_driver import (NOTEBOOK_PANEL, PYTHON3, WRITE_JSON, block_kernel_http,
                              draw_lasso, inside, open_notebook, ready_frame, run_all_cells,
                              run_cell, wait_for_file, wait_for_output, widget_output,
                              write_notebook)

pytestmark = pytest.mark.jupyter

KERNEL_SETTINGS = "@jupyterlab/apputils-extension/kernels-settings.jupyterlab-settings"

SHOW = """\
import json, pathlib, time
import ipykernel, scanpy as sc, cellucid
""" + WRITE_JSON + """
adata = sc.datasets.pbmc68k_reduced()
viewer = cellucid.show_anndata(adata, color="louvain", height=420)
write("viewer.json", {"viewer_id": viewer.viewer_id, "port": viewer.server.port,
                      "ipykernel": ipykernel.__version__})
hooked = []
viewer.on_selection(lambda event: (time.sleep(0.5), hooked.append(event["cells"])))
"""

WAIT = """\
ready = viewer.wait_for_ready(timeout=90)
print("WAITING-FOR-LASSO", flush=True)
selection = viewer.wait_for_event("selection", timeout=120,
                                  predicate=lambda e: e["source"] == "lasso" and e["cells"])
viewer.wait_for_callbacks(timeout=30)   # the slow hook has run for the same lasso
write("selection.json", {"ready": ready, "selection": selection, "hooked": hooked,
                         "returned": time.time()})
"""

COLOR = """\
started = time.time()
viewer.set_color_by("bulk_labels")
write("color.json", {"started": started,
                     "pending": [c["type"] for c in viewer.pending_commands]})
"""

IMAGE = """\
image = viewer.save_image("view.png")
bundle = viewer.get_session_bundle(timeout=60)
report = viewer.debug_connection()
# How the page was heard: which threads answered its comm messages, and the kernel's subshells.
import threading
from cellucid.notebook import transport
channel = getattr(get_ipython().kernel, "shell_channel_thread", None)
write("image.json", {"path": str(image), "report": report, "bundle": {
                         "color_by": bundle.color_by, "selection": bundle.selection},
                     "subshells": channel.manager.list_subshell() if channel else None,
                     "comm_threads": sorted("main" if t == threading.main_thread().ident
                                            else "other" for t in transport._comm_threads)})
print("ALL-DONE")
"""

CONFIGS = ["comm-subshells", "comm-no-subshells", "comm-ipykernel6", "http"]


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("ui", ["lab", "notebook"])
def test_run_all_with_blocking_calls(ui, config, jupyter_root, in_page, umap, request):
    kernelspec = PYTHON3
    if config == "comm-ipykernel6":
        kernelspec = install_kernelspec(jupyter_root.data,
                                        request.getfixturevalue("ipykernel6_python"))
    subshells = {"commsOverSubshells": "disabled"} if config == "comm-no-subshells" else None
    jupyter_root.write_settings(KERNEL_SETTINGS, subshells)
    try:
        nb = write_notebook(jupyter_root, f"sync-{ui}-{config}", [SHOW, WAIT, COLOR, IMAGE],
                            kernelspec)
        in_page(run_all_with_blocking_calls, nb, umap, ui, config)
    finally:
        jupyter_root.write_settings(KERNEL_SETTINGS, None)


def run_all_with_blocking_calls(page, nb, umap, ui, config):
    seen = block_kernel_http(page, nb.server) if config.startswith("comm") else None
    open_notebook(page, nb, ui)
    run_all_cells(page)

    # Cell 2 blocks until the page is ready, then until a lasso.
    wait_for_output(page, 1, "WAITING-FOR-LASSO")
    info = nb.result("viewer.json")
    assert info["ipykernel"].startswith("6." if config == "comm-ipykernel6" else "7."), info
    iframe = widget_output(page, 0).locator("iframe").first
    frame = ready_frame(iframe)
    if config.startswith("comm"):
        assert iframe.get_attribute("srcdoc") and frame.url == "about:srcdoc"
    else:
        assert iframe.get_attribute("src").startswith(f"http://127.0.0.1:{info['port']}/?")
    draw_lasso(page, iframe)
    done = wait_for_file(page, nb.dir / "image.json", timeout=180)

    waited = nb.result("selection.json")
    assert waited["ready"]["n_cells"] == len(umap)
    event = waited["selection"]
    expected = inside(umap, event["polygon"])
    assert 0 < len(expected) < len(umap)
    assert event["source"] == "lasso" and event["cells"] == expected
    assert waited["hooked"] == [expected]   # wait_for_callbacks waited for the slow hook

    # Run All kept its order: cell 3 started only once cell 2's wait had returned; and
    # set_color_by returned only after the page acknowledged it — the view shows it already.
    color = nb.result("color.json")
    assert color["started"] >= waited["returned"]
    assert color["pending"] == []
    assert frame.locator("[data-testid=colorby-select]").input_value() == "bulk_labels"
    assert "CD14+ Monocyte" in frame.locator("[data-testid=legend]").text_content()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"jupyter_{ui}_{config}.png")

    image = (nb.dir / "view.png").read_bytes()
    assert image[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", image[16:24])
    assert width > 100 and height > 100
    assert done["bundle"]["color_by"]["field"] == "bulk_labels"
    assert done["bundle"]["selection"] == expected
    report = done["report"]
    assert report["ok"] is True and report["ping_ms"] > 0, report
    check_how_the_page_was_heard(ui, config, done, report)
    if seen is not None:   # the page asked the kernel's server nothing but the widget's probe
        assert seen["viewer_requests"] == []
        port = f":{info['port']}/"
        assert {u for u in seen["blocked"] if port in u or "/proxy/" in u} == {
            f"http://127.0.0.1{port}_cellucid/health"}


def check_how_the_page_was_heard(ui, config, done, report):
    """The transport the page used, and which kernel threads answered its comm messages: a
    subshell's with subshells, else the cell's own (the wait reading them)."""
    if config == "http":
        assert report["transport"].startswith("http") and done["comm_threads"] == []
        return
    assert report["transport"].startswith("comm") and "could not be reached" in report["transport"]
    # Notebook 7.6 leaves JupyterLab's plugin that applies `commsOverSubshells` out, so there
    # the setting changes nothing: its comms always go over subshells (with ipykernel 7).
    if config == "comm-subshells" or (config == "comm-no-subshells" and ui == "notebook"):
        assert done["subshells"] and "other" in done["comm_threads"], done
    else:
        assert done["subshells"] in ([], None) and done["comm_threads"] == ["main"], (
            done["subshells"], done["comm_threads"])


SHOW_HOOKED = SHOW + """\
hook_at = []
viewer.on_selection(lambda event: hook_at.append(time.time()))
"""

BUSY = """\
viewer.wait_for_ready(timeout=90)
start = time.time()
print("BUSY", flush=True)
while time.time() - start < 60 and not hook_at:   # a minute of work, unless the hook ran
    time.sleep(0.1)
write("busy.json", {"start": start, "hook_at": hook_at[:1], "loop_end": time.time()})
"""

INTERRUPTED = """\
try:
    print("WAITING-FOREVER", flush=True)
    viewer.wait_for_event("selection", timeout=300)
except KeyboardInterrupt:
    write("interrupted.json", {"at": time.time()})
    raise
"""

AFTER = """\
viewer.set_color_by("bulk_labels")
write("after.json", {"pending": [c["type"] for c in viewer.pending_commands],
                     "report": viewer.debug_connection()})
"""


def test_hooks_run_in_a_busy_cell_and_the_stop_button_ends_a_wait(jupyter_root, in_page, umap):
    # The same kernel path in JupyterLab and Notebook 7 (@jupyterlab/services, comms over
    # subshells by default): checked in JupyterLab, with the kernel's server unreachable.
    nb = write_notebook(jupyter_root, "busy-lab", [SHOW_HOOKED, BUSY, INTERRUPTED, AFTER])
    in_page(busy_cell_and_stop_button, nb)


def busy_cell_and_stop_button(page, nb):
    block_kernel_http(page, nb.server)
    open_notebook(page, nb, "lab")
    run_cell(page, 0)
    iframe = widget_output(page, 0).locator("iframe").first
    ready_frame(iframe)

    # A lasso while a cell computes: the hook runs during the cell, which sees it and ends.
    run_cell(page, 1)
    wait_for_output(page, 1, "BUSY")
    draw_lasso(page, iframe)
    busy = wait_for_file(page, nb.dir / "busy.json", timeout=90)
    assert busy["hook_at"], "on_selection did not run while the cell was busy"
    assert busy["start"] < busy["hook_at"][0] < busy["loop_end"] < busy["start"] + 60

    # The stop button ends a blocking wait within a second, with KeyboardInterrupt.
    run_cell(page, 2)
    wait_for_output(page, 2, "WAITING-FOREVER")
    page.wait_for_timeout(300)
    clicked = time.time()
    page.locator(f"{NOTEBOOK_PANEL} jp-button[data-command='notebook:interrupt-kernel']").click()
    interrupted = wait_for_file(page, nb.dir / "interrupted.json", timeout=30)
    assert interrupted["at"] - clicked < 1.0
    wait_for_output(page, 2, "KeyboardInterrupt")

    # The viewer keeps working: a command in the next cell is acknowledged, a ping answered.
    run_cell(page, 3)
    after = wait_for_file(page, nb.dir / "after.json", timeout=60)
    assert after["pending"] == [] and after["report"]["ping_ms"] > 0
