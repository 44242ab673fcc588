"""The viewer in JupyterLab 4 at 1M cells, with the seed's blocking calls in running cells.

Part of ``bench/web.py`` (``python bench/web.py notebook`` runs this part alone and writes its
own section of ``bench/RESULTS.md``). A real JupyterLab server on loopback, one notebook (and
kernel) per way the page reaches Python, driven through the UI, modes alternating so they see
the same machine load:

* ``comm``: every request of the page to the kernel's HTTP server aborted, JupyterLab's default
  settings — the widget's comm messages are answered on a kernel subshell;
* ``comm, no subshells``: the same with ``commsOverSubshells`` disabled — the waiting cell reads
  the widget's messages itself (as with ipykernel 6, VS Code, Colab);
* ``HTTP``: nothing blocked.

Measured, each as comm / HTTP of the same run: one cell that shows the viewer and blocks in
``viewer.wait_for_ready()`` (timed on the kernel's clock from just before ``show_anndata`` to the
wait's return); and, while a cell blocks in ``viewer.wait_for_event("selection")``, mouse-up of
a lasso around all 1M cells → the wait's return, and → the first line of an ``on_selection``
hook (the test's wall clock at mouse-up, the kernel's after).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
READY_REPEATS = 3
LASSO_REPEATS = 5
VIEWPORT = {"width": 1280, "height": 1000}
MODES = ("comm", "comm-no-subshells", "http")
KERNEL_SETTINGS = "@jupyterlab/apputils-extension/kernels-settings.jupyterlab-settings"

SETUP = """\
import json, pathlib, sys, time
sys.path.insert(0, {bench!r})
import cellucid
from web import make_adata

def write(name, value):
    tmp = pathlib.Path(name + ".tmp")
    tmp.write_text(json.dumps(value))
    tmp.replace(name)

adata = make_adata(1_000_000)
runs, waits, hooked = 0, [], []
print("SETUP-DONE")
"""

# One cell shows the viewer and blocks until the page is ready (the earlier viewer is replaced).
SHOW_AND_WAIT = """\
runs += 1
t0 = time.perf_counter()
viewer = cellucid.show_anndata(adata, height=600)
ready = viewer.wait_for_ready(timeout=600)
write(f"ready-{runs}.json", {"ms": (time.perf_counter() - t0) * 1000, "n": ready["n_cells"]})
"""

HOOK = """\
@viewer.on_selection
def timed(event):
    hooked.append(time.time())
    write("hooked.json", hooked)

print("HOOKED", viewer.debug_connection()["transport"][:4])
"""

# Blocks until the next lasso; notes the wall clock as the wait returns.
WAIT_FOR_LASSO = """\
print(f"WAITING-{len(waits)}", flush=True)
event = viewer.wait_for_event("selection", timeout=600)
waits.append({"t": time.time(), "n": len(event["cells"])})
write("waits.json", waits)
"""


def bench_notebook(browser, results: dict) -> None:
    """Fill ``results`` with the figures above (ms lists per mode)."""
    sys.path.insert(0, str(HERE.parent))
    from tests.jupyter.conftest import JupyterServer

    with tempfile.TemporaryDirectory(prefix="cellucid-bench-jupyter-") as tmp:
        server = JupyterServer(Path(tmp)).start()
        pages: dict = {}
        try:
            for mode in MODES:
                pages[mode] = open_mode(browser, server, mode)
            ready = {mode: [] for mode in MODES}
            for run in range(1, READY_REPEATS + 2):
                for mode in MODES:
                    ready[mode].append(show_and_wait(pages[mode], mode, run))
            results["ready_cold"] = {mode: ready[mode].pop(0) for mode in MODES}
            results["ready"] = ready
            results.update(lassos(pages))
        finally:
            for page in pages.values():
                page.context.close()
            server.stop()


def open_mode(browser, server, mode: str):
    """A page with its own notebook and kernel for ``mode``, its setup cell run."""
    from tests.jupyter.notebook_driver import (block_kernel_http, open_notebook, run_cell,
                                               wait_for_output, write_notebook)

    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    page = context.new_page()
    if mode.startswith("comm"):
        page.cellucid_blocked = block_kernel_http(page, server)
    nb = write_notebook(server, f"bench-{mode}", [SETUP.format(bench=str(HERE)), SHOW_AND_WAIT,
                                                 HOOK, WAIT_FOR_LASSO])
    # The page reads the setting as it loads: only this mode's page sees it switched off.
    server.write_settings(KERNEL_SETTINGS, {"commsOverSubshells": "disabled"}
                          if mode == "comm-no-subshells" else None)
    try:
        open_notebook(page, nb, "lab")
    finally:
        server.write_settings(KERNEL_SETTINGS, None)
    run_cell(page, 0)
    wait_for_output(page, 0, "SETUP-DONE", timeout=300)
    page.cellucid_notebook = nb
    return page


def show_and_wait(page, mode: str, run: int) -> float:
    """Run the cell that shows the viewer and waits for it; returns its time in ms."""
    from tests.jupyter.notebook_driver import ready_frame, run_cell, wait_for_file, widget_output

    nb = page.cellucid_notebook
    run_cell(page, 1)
    got = wait_for_file(page, nb.dir / f"ready-{run}.json", timeout=600)
    assert got["n"] == 1_000_000, got
    iframe = widget_output(page, 1).locator("iframe")
    ready_frame(iframe)
    on_comm = iframe.get_attribute("srcdoc") is not None
    assert on_comm == mode.startswith("comm"), f"{mode}: the widget took the other path"
    return got["ms"]


def lassos(pages: dict) -> dict:
    """Mouse-up → the blocked cell's wait returns, and → the hook, ms per mode."""
    from tests.jupyter.notebook_driver import (center_iframe, ready_frame, run_cell,
                                               wait_for_file, wait_for_output, widget_output)
    from web import lasso_whole_canvas

    frames = {}
    for mode, page in pages.items():
        run_cell(page, 2)
        text = wait_for_output(page, 2, "HOOKED", timeout=120)
        assert f"HOOKED {mode[:4]}" in text, text
        iframe = widget_output(page, 1).locator("iframe")
        frames[mode] = (iframe, ready_frame(iframe))
        frames[mode][1].locator("[data-testid=tool-lasso]").click()
    waited = {mode: [] for mode in pages}
    hooked = {mode: [] for mode in pages}
    counts = {}
    for k in range(LASSO_REPEATS):
        for mode, page in pages.items():
            nb = page.cellucid_notebook
            run_cell(page, 3)
            wait_for_output(page, 3, f"WAITING-{k}", timeout=120)
            page.wait_for_timeout(200)   # the cell is inside the wait
            iframe, frame = frames[mode]
            center_iframe(iframe)        # running the cell scrolled the notebook
            box = frame.locator("[data-testid=cellucid-canvas]").bounding_box()
            t_up = lasso_whole_canvas(page, box, time.time)
            wait = wait_for_file(page, nb.dir / "waits.json", timeout=300,
                                 check=lambda v: len(v) > k)[k]
            hook = wait_for_file(page, nb.dir / "hooked.json", timeout=60,
                                 check=lambda v: len(v) > k)[k]
            waited[mode].append((wait["t"] - t_up) * 1000)
            hooked[mode].append((hook - t_up) * 1000)
            counts[mode] = wait["n"]
    for mode, page in pages.items():
        blocked = getattr(page, "cellucid_blocked", None)
        if blocked is not None:
            assert blocked["viewer_requests"] == [], blocked["viewer_requests"][:5]
            assert all(u.endswith("/_cellucid/health") for u in blocked["blocked"]), \
                blocked["blocked"][:5]
    return {"waited": waited, "hooked": hooked, "lasso_n": counts}


def render_notebook(results: dict) -> str:
    """The section's table and notes."""
    med = statistics.median
    rows = [
        "| JupyterLab 4, 1M cells, blocking calls in running cells | comm (HTTP blocked), "
        "subshells (default) | comm (HTTP blocked), no subshells | HTTP | comm / HTTP "
        "(target ≤ 2) |",
        "|---|---|---|---|---|",
    ]

    def row(label: str, samples: dict) -> str:
        c, p, h = (med(samples[m]) for m in MODES)
        return f"| {label} | {c:.0f} ms | {p:.0f} ms | {h:.0f} ms | {c / h:.2f} / {p / h:.2f} |"

    ready, cold = results["ready"], results["ready_cold"]
    n = results["lasso_n"]["http"]
    rows += [
        row(f"one cell: `show_anndata` then `wait_for_ready()` returns, median of "
            f"{len(ready['http'])}", ready),
        f"| the same, first show in the kernel (not counted above) | {cold['comm']:.0f} ms | "
        f"{cold['comm-no-subshells']:.0f} ms | {cold['http']:.0f} ms | "
        f"{cold['comm'] / cold['http']:.2f} / {cold['comm-no-subshells'] / cold['http']:.2f} |",
        row(f"mouse-up → `wait_for_event(\"selection\")` returns in the blocked cell, lasso of "
            f"{n:,} cells, median of {len(results['waited']['http'])}", results["waited"]),
        row("the same lasso → first line of the `on_selection` hook", results["hooked"]),
    ]
    notes = (
        "\nA real JupyterLab 4 server on loopback, one notebook (its own kernel) per column, "
        "driven through the UI in 1280×1000 pages, modes alternating. The viewer (600 px high) is "
        "the widget: in both comm columns every request of the page to the kernel's HTTP server "
        "is aborted (the widget's probe fails, the app runs from `srcdoc` and every request is a "
        "comm message through the Jupyter server's websocket, replies in parts of at most 2 MiB); "
        "with subshells (JupyterLab's default `commsOverSubshells`) a kernel subshell answers "
        "them; with the setting disabled the blocked cell reads them itself between 5 ms slices. "
        "`ready`: one cell runs `show_anndata` and blocks in `wait_for_ready()`, timed on the "
        "kernel's clock (it includes the widget's probe and, for the comm, loading the app from "
        "the widget's own data), the cell run again for each measurement. Lasso: a rectangle "
        "4 px inside the canvas drawn while another cell blocks in `wait_for_event`; from the "
        "test's mouse-up to the wait's return, and to the hook's first line, on the machine's "
        "wall clock. Ratios: comm with subshells / HTTP, then comm without subshells / HTTP.\n")
    return "\n".join(rows) + "\n" + notes


def main() -> None:
    """Run this part alone and write its section of RESULTS.md."""
    import os

    from playwright.sync_api import sync_playwright
    from results import write_section
    from web import CHROMIUM_ARGS

    results: dict = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ.get(
            "CELLUCID_CHROMIUM", "/usr/bin/chromium"), args=CHROMIUM_ARGS)
        try:
            bench_notebook(browser, results)
        finally:
            browser.close()
    body = render_notebook(results)
    print(body)
    write_section("web-notebook", "The viewer in JupyterLab 4: blocking calls in running cells, "
                  "comm vs HTTP (bench/web.py notebook)", body)
