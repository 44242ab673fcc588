"""A cellucid viewer in a marimo app (``marimo run``), driven in headless Chromium.

The app shows a viewer of pbmc68k_reduced and registers an ``on_selection`` hook that writes the
event (and a `debug_connection()` report, from a thread) to a file. A lasso drawn with the real
mouse must reach the hook with exactly the cells inside its polygon:

* as served, where the page reaches the kernel's server on loopback: the widget takes the HTTP
  path (an iframe from ``http://127.0.0.1:<port>/``), shown with ``mo.ui.anywidget(viewer.widget)``;
* with every request of the page to anything but marimo's own server aborted: the widget falls
  back to marimo's widget channel (a ``srcdoc`` iframe, every request a widget message), shown
  as the viewer being the cell's value.
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

    def _write(value):
        tmp = RESULT.with_name(RESULT.name + ".tmp")
        tmp.write_text(json.dumps(value, default=str))
        tmp.replace(RESULT)

    @viewer.on_selection
    def _hooked(event):
        # A ping round trip too, from a thread of its own (never the thread that reads
        # marimo's widget messages).
        def _report():
            _write({{"event": event, "port": viewer.server.port,
                     "report": viewer.debug_connection(timeout=30)}})
        threading.Thread(target=_report, daemon=True).start()
    return mo, viewer


@app.cell
def _(mo, viewer):
    {show}
    return


if __name__ == "__main__":
    app.run()
'''


class MarimoApp:
    """``marimo run --headless`` of one app file, on a free loopback port, without a token."""

    def __init__(self, directory: Path, show: str) -> None:
        self.dir = directory
        self.result = directory / "selection.json"
        self.path = directory / "app.py"
        self.path.write_text(APP.format(result=str(self.result), data=str(DATA), show=show))
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

    def start(show: str) -> MarimoApp:
        app = MarimoApp(tmp_path, show)
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
    app = marimo_app("mo.ui.anywidget(viewer.widget)")
    in_page(marimo_http, app, umap)


def marimo_http(page, app, umap):
    seen = lasso_reaches_hook(page, app, umap, "http")
    port = seen["result"]["port"]
    assert seen["iframe"].get_attribute("src").startswith(f"http://127.0.0.1:{port}/?viewerId=")
    assert seen["iframe"].get_attribute("srcdoc") is None
    transport = seen["result"]["report"]["transport"]
    assert transport.startswith("http"), transport
    assert "comm" not in transport.split("(latest request:")[1]


def test_marimo_comm(marimo_app, in_page, umap):
    """The viewer as the cell's value; every request of the page to another origin than
    marimo's is aborted, so the widget runs the viewer over marimo's widget channel."""
    app = marimo_app("viewer")
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
