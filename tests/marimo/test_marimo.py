"""A cellucid viewer in a marimo app (``marimo run``), driven in headless Chromium.

The app shows a viewer of pbmc68k_reduced and registers an ``on_selection`` hook that writes the
event (and a `debug_connection()` report, from a thread) to a file. A lasso drawn with the real
mouse must reach the hook with exactly the cells inside its polygon:

* as served, where the page reaches the kernel's server on loopback: the widget takes the HTTP
  path (an iframe from ``http://127.0.0.1:<port>/``), shown with ``mo.ui.anywidget(viewer.widget)``;
  a later cell blocks in ``wait_for_ready`` and ``wait_for_event`` and gets the same lasso;
* with every request of the page to anything but marimo's own server aborted: the widget falls
  back to marimo's widget channel (a ``srcdoc`` iframe, every request a widget message), shown
  as the viewer being the cell's value. marimo reads widget messages only between cell runs, so
  a cell cannot wait for the page there: the documented equivalent — the same blocking calls in
  a ``mo.Thread`` that sets a ``mo.state``, on which a later cell depends — gets the lasso, and
  that cell, re-run by it, sees a blocking wait refused at once with the reason.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
import warnings
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.jupyter.conftest import free_port
from tests.jupyter.notebook_driver import (block_all_but, draw_lasso, inside, ready_frame,
                                           wait_for_file)

pytestmark = pytest.mark.marimo
pytest.importorskip("marimo")

START_TIMEOUT_S = 60.0
DATA = Path(find_spec("scanpy").submodule_search_locations[0], "datasets",
            "10x_pbmc68k_reduced.h5ad")
FRAME = "iframe[title^='cellucid viewer']"

APP = '''\
import marimo

app = marimo.App()


@app.cell
def _():
    import json, pathlib, threading
    import anndata
    import cellucid
    import marimo as mo

    RESULT = pathlib.Path({result!r})
    adata = anndata.read_h5ad({data!r})
    viewer = cellucid.show_anndata(adata, color="louvain", height=420)

    def write_json(path, value):
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(value, default=str))
        tmp.replace(path)

    @viewer.on_selection
    def _hooked(event):
        # A ping round trip too, from a thread of its own (never the thread that reads
        # marimo's widget messages).
        def _report():
            write_json(RESULT, {{"event": event, "port": viewer.server.port,
                                 "report": viewer.debug_connection(timeout=30)}})
        threading.Thread(target=_report, daemon=True).start()
    return RESULT, mo, viewer, write_json


@app.cell
def _(mo, viewer):
    {show}
    return
{waits}

if __name__ == "__main__":
    app.run()
'''


# Over HTTP: the seed's blocking calls in a cell.
WAITS_IN_A_CELL = '''

@app.cell
def _(RESULT, viewer, write_json):
    _ready = viewer.wait_for_ready(timeout=90)
    _event = viewer.wait_for_event("selection", timeout=180,
                                   predicate=lambda e: e["source"] == "lasso")
    write_json(RESULT.with_name("waited.json"), {"ready": _ready, "event": _event})
    return
'''

# Over marimo's widget channel: the same calls in a mo.Thread, handing the event to a mo.state;
# the cell that reads the state runs again with it, and a blocking wait there is refused.
WAITS_IN_A_THREAD = '''

@app.cell
def _(mo, viewer):
    get_selection, set_selection = mo.state(None)

    def _wait_for_lasso():
        viewer.wait_for_ready(timeout=90)
        set_selection(viewer.wait_for_event("selection", timeout=180,
                                            predicate=lambda e: e["source"] == "lasso"))

    mo.Thread(target=_wait_for_lasso, daemon=True).start()
    return (get_selection,)


@app.cell
def _(RESULT, get_selection, viewer, write_json):
    import time as _time
    _event = get_selection()
    if _event is not None:
        _start = _time.monotonic()
        try:
            viewer.wait_for_event("selection", timeout=60)
            _refused = None
        except RuntimeError as _exc:
            _refused = str(_exc)
        write_json(RESULT.with_name("waited.json"), {
            "event": _event, "refused": _refused, "after": _time.monotonic() - _start})
    return
'''


class MarimoApp:
    """``marimo run --headless`` of one app file, on a free loopback port, without a token."""

    def __init__(self, directory: Path, show: str, waits: str) -> None:
        self.dir = directory
        self.result = directory / "selection.json"
        self.waited = directory / "waited.json"
        self.path = directory / "app.py"
        self.path.write_text(APP.format(result=str(self.result), data=str(DATA), show=show,
                                        waits=waits))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = directory / "marimo.log"
        env = {k: v for k, v in os.environ.items()
               if k not in ("CELLUCID_ROUTE", "CELLUCID_CLIENT_SERVER_URL", "CELLUCID_DISPLAY")}
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "marimo", "run", str(self.path), "--headless",
                 "--host", "127.0.0.1", "--port", str(self.port), "--no-token",
                 "--no-sandbox"],
                cwd=directory, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)

    def wait_started(self) -> "MarimoApp":
        deadline = time.monotonic() + START_TIMEOUT_S
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"marimo exited ({self.process.returncode}):\n{self.log()}")
            try:
                with opener.open(self.url + "health", timeout=2) as reply:
                    if reply.status == 200:
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"marimo did not start in {START_TIMEOUT_S} s:\n{self.log()}")
            time.sleep(0.1)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@pytest.fixture(scope="module")
def umap():
    import anndata

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adata = anndata.read_h5ad(DATA)
    return np.asarray(adata.obsm["X_umap"], dtype=np.float32).astype(np.float64)


@pytest.fixture
def marimo_app(tmp_path):
    apps = []

    def start(show: str, waits: str) -> MarimoApp:
        app = MarimoApp(tmp_path, show, waits)
        apps.append(app)
        return app.wait_started()

    yield start
    for app in apps:
        app.stop()
        print(f"--- marimo log ---\n{app.log()}")   # shown when the test failed


def lasso_reaches_hook(page, app: MarimoApp, umap, name: str) -> dict:
    """Open the app, wait for the viewer, lasso with the mouse; returns the hook's result after
    checking its cells against the polygon."""
    page.goto(app.url)
    iframe = page.locator(FRAME).first
    ready_frame(iframe, timeout=120)
    draw_lasso(page, iframe)
    result = wait_for_file(page, app.result, timeout=120)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"marimo_{name}.png")
    event = result["event"]
    assert event["source"] == "lasso"
    expected = inside(umap, event["polygon"])
    assert 0 < len(expected) < len(umap)
    assert event["cells"] == expected
    assert result["report"]["ok"] is True and result["report"]["ping_ms"] > 0, result["report"]
    return {"result": result, "iframe": iframe}


def test_marimo_http(marimo_app, in_page, umap):
    """``mo.ui.anywidget(viewer.widget)``; the page reaches the kernel's server on loopback, so
    the widget shows the viewer from its URL."""
    app = marimo_app("mo.ui.anywidget(viewer.widget)", WAITS_IN_A_CELL)
    in_page(marimo_http, app, umap)


def marimo_http(page, app, umap):
    seen = lasso_reaches_hook(page, app, umap, "http")
    port = seen["result"]["port"]
    assert seen["iframe"].get_attribute("src").startswith(f"http://127.0.0.1:{port}/?viewerId=")
    assert seen["iframe"].get_attribute("srcdoc") is None
    transport = seen["result"]["report"]["transport"]
    assert transport.startswith("http"), transport
    assert "comm" not in transport.split("(latest request:")[1]
    waited = wait_for_file(page, app.waited, timeout=60)   # the cell that blocked got it too
    assert waited["ready"]["n_cells"] == len(umap)
    assert waited["event"] == seen["result"]["event"]


def test_marimo_comm(marimo_app, in_page, umap):
    """The viewer as the cell's value; every request of the page to another origin than
    marimo's is aborted, so the widget runs the viewer over marimo's widget channel."""
    app = marimo_app("viewer", WAITS_IN_A_THREAD)
    in_page(marimo_comm, app, umap)


def marimo_comm(page, app, umap):
    seen = block_all_but(page, app.url)
    shown = lasso_reaches_hook(page, app, umap, "comm")
    port = shown["result"]["port"]
    assert shown["iframe"].get_attribute("srcdoc")
    assert shown["iframe"].get_attribute("src") is None
    transport = shown["result"]["report"]["transport"]
    assert transport.startswith("comm"), transport
    assert "http" not in transport.split("(latest request:")[1]
    assert seen["viewer_requests"] == []
    assert set(seen["blocked"]) == {f"http://127.0.0.1:{port}/_cellucid/health"}
    waited = wait_for_file(page, app.waited, timeout=60)
    assert waited["event"] == shown["result"]["event"]
    assert "mo.Thread" in waited["refused"] and waited["after"] < 1, waited
