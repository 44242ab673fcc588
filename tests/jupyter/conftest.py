"""Real Jupyter servers (JupyterLab 4 + Notebook 7 + jupyter-server-proxy) for the notebook tests.

Fixtures (both servers start once per session, side by side):

* ``jupyter_root``: a `JupyterServer` at base URL ``/``, kernels on the default
  (``auto``) route — a loopback Jupyter, so the iframe loads the cellucid server directly.
* ``jupyter_proxied``: a `JupyterServer` at base URL ``/jh/user/`` whose kernels run with
  ``CELLUCID_ROUTE=proxy``, so every iframe goes through jupyter-server-proxy.
* ``chromium`` (session) and ``in_page`` (function): headless Debian Chromium (the e2e fixtures'
  launch settings) in a thread of its own (see `browser_thread`), and a runner of scenarios on a
  fresh 1280×1000 page.

Each server is isolated: its own token, free port, root, runtime, settings and workspace
directories, so it never sees another Jupyter of this machine and leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser import close_page, new_page

VIEWPORT = {"width": 1280, "height": 1000}
START_TIMEOUT_S = 60.0
LAB_SETTINGS = {
    # No toast asking about news or updates over the notebook (and no internet access).
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterServer:
    """A Jupyter server process serving JupyterLab and Notebook 7, with jupyter-server-proxy."""

    def __init__(self, root: Path, base_url: str = "/", kernel_env: dict | None = None) -> None:
        self.root = root / "notebooks"
        self.state = root / "state"
        self.root.mkdir(parents=True)
        self.state.mkdir(parents=True)
        self.base_url = base_url
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}{base_url}"
        self.log_path = self.state / "jupyter.log"
        self.data = self.state / "data"     # kernelspecs the tests add (JUPYTER_PATH)
        self.settings = self.state / "settings"
        for name, value in LAB_SETTINGS.items():
            self.write_settings(name, value)
        env = dict(os.environ)
        for key in ("CELLUCID_ROUTE", "CELLUCID_CLIENT_SERVER_URL", "JUPYTERHUB_SERVICE_PREFIX",
                    "JPY_PARENT_PID"):
            env.pop(key, None)
        env.update({
            "JUPYTER_RUNTIME_DIR": str(self.state / "runtime"),
            "JUPYTER_CONFIG_DIR": str(self.state / "config"),
            "JUPYTERLAB_SETTINGS_DIR": str(self.settings),
            "JUPYTER_PATH": str(self.data),
            "JUPYTERLAB_WORKSPACES_DIR": str(self.state / "workspaces"),
            "PYTHONUNBUFFERED": "1",
            **(kernel_env or {}),
        })
        self.cmd = [
            sys.executable, "-m", "jupyter", "lab", "--no-browser",
            "--ip=127.0.0.1", f"--port={self.port}", "--port-retries=0",
            f"--ServerApp.token={self.token}", f"--ServerApp.root_dir={self.root}",
            f"--ServerApp.base_url={base_url}",
            "--ServerApp.jpserver_extensions=jupyter_server_proxy=True",
            "--ServerApp.jpserver_extensions=jupyterlab=True",
            "--ServerApp.jpserver_extensions=notebook=True",
            "--LabApp.news_url=", "--ServerApp.open_browser=False",
        ] + (["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self) -> "JupyterServer":
        self.launch()
        return self.wait_started()

    def launch(self) -> None:
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(self.cmd, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    def wait_started(self) -> "JupyterServer":
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"Jupyter exited ({self.process.returncode}):\n{self.log()}")
            try:
                status = self.api("GET", "api/status")
                if "started" in status:
                    return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"Jupyter did not start in {START_TIMEOUT_S} s:\n{self.log()}")
            time.sleep(0.1)

    def write_settings(self, name: str, value: dict | None) -> None:
        """Set the user settings of JupyterLab / Notebook 7 plugin file ``name`` (None: back to
        the defaults); a page opened afterwards reads them."""
        path = self.settings / name
        if value is None:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def api(self, method: str, path: str, body: dict | None = None, timeout: float = 10):
        """Call the Jupyter REST API with the server's token; returns the parsed JSON (or None)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, data=data, method=method, headers={
            "Authorization": f"token {self.token}", "Content-Type": "application/json"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=timeout) as reply:
            text = reply.read()
        return json.loads(text) if text else None

    def page_url(self, ui: str, notebook: str) -> str:
        """URL opening ``notebook`` in JupyterLab (``lab``) or Notebook 7 (``notebook``)."""
        if ui == "lab":  # reset: a workspace of its own, without the tabs of earlier tests
            return f"{self.url}lab/tree/{notebook}?reset&token={self.token}"
        return f"{self.url}notebooks/{notebook}?token={self.token}"

    def stop(self) -> None:
        """Kill the server and the kernels it started (the test's state is thrown away)."""
        if self.process is None or self.process.poll() is not None:
            return
        for pid in child_pids(self.process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)


def child_pids(parent: int) -> list[int]:
    """Processes whose parent is ``parent`` (the kernels run in their own sessions)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            children.append(int(stat.parent.name))
    return children


@pytest.fixture(scope="session")
def jupyter_servers(tmp_path_factory):
    """Both servers, started side by side (each takes seconds to start on a busy machine)."""
    servers = {
        "root": JupyterServer(tmp_path_factory.mktemp("jupyter-root")),
        "proxied": JupyterServer(tmp_path_factory.mktemp("jupyter-proxied"),
                                 base_url="/jh/user/", kernel_env={"CELLUCID_ROUTE": "proxy"}),
    }
    try:
        for server in servers.values():
            server.launch()
        for server in servers.values():
            server.wait_started()
        yield servers
    finally:
        for server in servers.values():
            server.stop()


@pytest.fixture
def jupyter_root(jupyter_servers):
    return jupyter_servers["root"]


@pytest.fixture
def jupyter_proxied(jupyter_servers):
    return jupyter_servers["proxied"]


@pytest.fixture
def in_page(chromium):
    """``in_page(scenario, *args)``: run ``scenario(page, *args)`` on a fresh 1280×1000 page in
    the browser's thread; the browser log is printed when it fails."""

    def run(scenario, *args):
        def body(browser):
            page = new_page(browser, VIEWPORT)
            failed = True
            try:
                result = scenario(page, *args)
                failed = False
                return result
            finally:
                close_page(page, failed)

        return chromium.call(body)

    return run


@pytest.fixture(scope="session")
def ipykernel6_python():
    """The Python of an environment whose kernel is ipykernel 6 (made once; see ipykernel6.py)."""
    from .ipykernel6 import ensure

    return ensure()


@pytest.fixture(scope="module")
def umap():
    """pbmc68k_reduced's UMAP as the page holds it (float32), read from scanpy's bundled file."""
    import warnings
    from importlib.util import find_spec

    import anndata
    import numpy as np

    path = Path(find_spec("scanpy").submodule_search_locations[0]) / "datasets" / \
        "10x_pbmc68k_reduced.h5ad"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adata = anndata.read_h5ad(path)
    return np.asarray(adata.obsm["X_umap"], dtype=np.float32).astype(np.float64)
