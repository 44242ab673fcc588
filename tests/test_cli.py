"""The ``cellucid`` command and scripts that serve a viewer: real processes, real signals."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
import warnings
from pathlib import Path

import numpy as np
import pytest

import cellucid
from cellucid.cli import build_parser

from .conftest import small_adata

STARTUP_TIMEOUT_S = 90


class Served:
    """A process that serves a viewer; its output lines are collected as they come."""

    def __init__(self, args: list[str], env: dict | None = None, cwd: Path | None = None,
                 base_env: dict | None = None):
        """``env`` is added to ``base_env`` (default: this process's environment)."""
        full_env = {**(os.environ if base_env is None else base_env), "PYTHONUNBUFFERED": "1",
                    **(env or {})}
        for key in ("CELLUCID_ROUTE", "CELLUCID_CLIENT_SERVER_URL", "JPY_PARENT_PID",
                    "JUPYTERHUB_SERVICE_PREFIX"):
            full_env.pop(key, None)
        self.process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, env=full_env, cwd=cwd)
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def line(self, prefix: str, timeout: float = STARTUP_TIMEOUT_S) -> str:
        """The next output line starting with ``prefix``."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                line = ""
            if line is None or time.monotonic() > deadline:
                raise AssertionError(f"no line starting {prefix!r}; output so far:\n"
                                     + "\n".join(self.seen))
            self.seen.append(line)
            if line.startswith(prefix):
                return line

    def url(self) -> str:
        return self.line("cellucid viewer: ").split(": ", 1)[1]

    def interrupt(self, timeout: float = 20) -> int:
        """Send Ctrl-C (SIGINT) and return the exit status."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


def get_json(url: str) -> dict:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as reply:
        return json.loads(reply.read())


def port_of(url: str) -> int:
    return int(url.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])


def port_closed(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """The same small dataset as .h5ad, .zarr and an export directory."""
    root = tmp_path_factory.mktemp("cli-inputs")
    adata = small_adata(300, seed=3)
    adata.write_h5ad(root / "cells.h5ad")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zarr's own format notices
        adata.write_zarr(root / "cells.zarr")
    cellucid.prepare(adata, root / "cells-export", progress=False)
    return {"h5ad": root / "cells.h5ad", "zarr": root / "cells.zarr",
            "export": root / "cells-export", "adata": adata}


def test_parser_knows_every_command():
    parser = build_parser()
    args = parser.parse_args(["serve", "x.h5ad", "--port", "0", "--no-browser",
                              "--embedding", "X_umap", "--color", "cluster"])
    assert (args.path, args.port, args.no_browser, args.embedding, args.color) == \
        ("x.h5ad", 0, True, "X_umap", "cluster")
    assert parser.parse_args(["serve", "x"]).port == 8765
    assert parser.parse_args(["prepare", "a.h5ad", "out", "--float32"]).float32
    assert parser.parse_args(["demo", "--no-browser"]).no_browser
    with pytest.raises(SystemExit):
        parser.parse_args([])


def test_prepare_command_writes_an_export(tmp_path, capsys):
    from cellucid.cli import main

    adata = small_adata(120, seed=5)
    adata.layers["counts"] = adata.X.copy()
    adata.write_h5ad(tmp_path / "in.h5ad")
    out = tmp_path / "out"
    assert main(["prepare", str(tmp_path / "in.h5ad"), str(out), "--layers", "all",
                 "--chunk-cells", "50"]) == 0
    assert "cellucid serve" in capsys.readouterr().out
    manifest = cellucid.data.open_dataset(out).manifest()
    assert manifest["n_cells"] == 120 and "counts" in manifest["layers"]
    assert main(["prepare", str(tmp_path / "in.h5ad"), str(out)]) == 1
    assert "overwrite" in capsys.readouterr().err
    assert main(["prepare", str(tmp_path / "in.h5ad"), str(out), "--overwrite"]) == 0
    assert main(["prepare", str(tmp_path / "in.h5ad"), str(out), "--overwrite",
                 "--keep-categories", "cluster"]) == 0
    assert json.loads((out / "manifest.json").read_text())["lod"]["category_field"] == "cluster"
    assert main(["prepare", str(tmp_path / "in.h5ad"), str(out), "--overwrite",
                 "--keep-categories", "score"]) == 1
    assert "'score' is continuous" in capsys.readouterr().err


def test_missing_path_is_a_clear_error(tmp_path, capsys):
    from cellucid.cli import main

    assert main(["serve", str(tmp_path / "nope.h5ad"), "--no-browser", "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert "nope.h5ad" in err


@pytest.mark.parametrize("kind", ["h5ad", "zarr", "export"])
def test_serve_prints_url_opens_browser_and_stops_on_ctrl_c(kind, inputs, tmp_path):
    opened = tmp_path / "opened.txt"
    recorder = tmp_path / "browser.py"
    recorder.write_text("import sys, pathlib\n"
                        f"pathlib.Path({str(opened)!r}).write_text(sys.argv[1])\n")
    served = Served([sys.executable, "-m", "cellucid.cli", "serve", str(inputs[kind]),
                     "--port", "0", "--color", "cluster"],
                    env={"BROWSER": f"{sys.executable} {recorder} %s"})
    try:
        url = served.url()
        assert url.startswith("http://127.0.0.1:") and "viewerToken=" in url
        served.line("cellucid: serving")
        query = url.split("?", 1)[1]
        info = get_json(f"{url.split('?')[0]}_cellucid/info?{query}")
        assert info["n_cells"] == 300
        assert info["color"]["field"] == "cluster"
        deadline = time.monotonic() + 30
        while not opened.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert opened.read_text() == url
        assert served.interrupt() == 0
        rest = "\n".join(served.seen) + "".join(iter_rest(served))
        assert "cellucid: stopping" in rest
        assert port_closed(port_of(url))
    finally:
        served.kill()


def iter_rest(served: Served):
    while True:
        try:
            line = served.lines.get(timeout=5)
        except queue.Empty:
            return
        if line is None:
            return
        yield line + "\n"


SERVING_SCRIPT = textwrap.dedent("""\
    import json, sys
    import cellucid

    viewer = cellucid.serve(sys.argv[1], port=0, open_browser=False, block=False)

    @viewer.on_selection
    def picked(event):
        print("SELECTED " + json.dumps({"cells": event["cells"], "source": event["source"],
                                        "polygon": event.get("polygon")}), flush=True)

    viewer.serve_forever()
    """)


@pytest.mark.e2e
def test_lasso_reaches_hook_of_serving_script(inputs, tmp_path, chromium):
    script = tmp_path / "serve_with_hook.py"
    script.write_text(SERVING_SCRIPT)
    served = Served([sys.executable, str(script), str(inputs["h5ad"])])
    try:
        url = served.url()
        event = chromium.call(lasso_in_page, url, served)
        xy = np.asarray(inputs["adata"].obsm["X_umap"], dtype=np.float32).astype(np.float64)
        from tests.e2e.viewer_helpers import points_in_polygon

        expected = np.flatnonzero(points_in_polygon(xy, event["polygon"])).tolist()
        assert event["source"] == "lasso"
        assert 0 < len(expected) < 300 and event["cells"] == expected
    finally:
        served.kill()


def lasso_in_page(browser, url: str, served: Served) -> dict:
    """Open the viewer, draw a lasso with the mouse, return what the script's hook printed; then
    Ctrl-C the script and check the page says it stopped."""
    context, page = open_and_lasso(browser, url)
    try:
        event = json.loads(served.line("SELECTED ", timeout=30).split(" ", 1)[1])
        assert served.interrupt() == 0
        page.wait_for_selector("body[data-cellucid-frozen='1'], body[data-cellucid-gone='1']",
                               state="attached", timeout=20_000)
        return event
    finally:
        context.close()


def open_and_lasso(browser, url: str):
    """Open a served viewer's page, wait until it is ready, and draw a lasso around its middle
    with the mouse; returns (context, page) for the caller to close."""
    from tests.e2e.viewer_helpers import circle_path, drag, screen_positions

    context = browser.new_context(viewport={"width": 1000, "height": 650})
    try:
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector("body[data-cellucid-ready='1']", state="attached",
                               timeout=60_000)
        page.locator("[data-testid=tool-lasso]").click()
        cx, cy = np.median(screen_positions(page), axis=0)
        drag(page, circle_path(cx, cy, 120, 90, n=48))
    except BaseException:
        context.close()
        raise
    return context, page
