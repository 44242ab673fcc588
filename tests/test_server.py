"""The server: start/stop, port choice, health/info, the static web app (server.py, webapp.py)."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import time

import httpx
import pytest

import cellucid
from cellucid.server import Server, get_server


def test_one_server_per_process_shared_by_viewers(make_viewer):
    a, b = make_viewer(), make_viewer()
    assert a.server_url == b.server_url == get_server().url
    assert a.server_url.startswith("http://127.0.0.1:")
    assert f"viewerId={a.viewer_id}" in a.viewer_url and f"viewerToken={a.viewer_token}" in a.viewer_url


def test_server_starts_fast_and_stops_cleanly():
    start = time.perf_counter()
    server = Server(port=None).start()
    elapsed = time.perf_counter() - start
    assert elapsed < 0.5, elapsed
    assert httpx.get(server.url + "_cellucid/health").json() == {"status": "ok",
                                                                  "version": cellucid.__version__}
    port = server.port
    server.stop()
    assert not server.running
    with socket.socket() as probe:       # the port is free again
        probe.bind(("127.0.0.1", port))


def test_pinned_port_and_taken_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    server = Server(port=free).start()
    try:
        assert server.port == free
        with pytest.raises(OSError, match=f"port {free} .* already in use"):
            Server(port=free).start()
    finally:
        server.stop()


def test_get_server_refuses_a_second_port():
    server = get_server()
    with pytest.raises(ValueError, match="already runs"):
        get_server(port=server.port + 1 if server.port < 65535 else 1)


def test_info_needs_the_token(viewer):
    http = httpx.Client(base_url=viewer.server_url)
    ok = http.get("_cellucid/info", params={"viewerId": viewer.viewer_id,
                                            "viewerToken": viewer.viewer_token})
    assert ok.status_code == 200
    assert ok.json()["viewerId"] == viewer.viewer_id and ok.json()["n_cells"] == viewer.n_cells
    assert ok.json()["embedding"] == "X_umap"
    assert http.get("_cellucid/info", params={"viewerId": viewer.viewer_id}).status_code == 403
    missing_id = http.get("_cellucid/info", params={"viewerToken": viewer.viewer_token})
    assert missing_id.status_code == 403 and "viewerId" in missing_id.json()["message"]
    assert http.get("_cellucid/info").status_code == 403
    assert http.get("_cellucid/info", params={"viewerId": viewer.viewer_id,
                                              "viewerToken": "x" * 43}).status_code == 403


def test_web_app_is_served_with_csp_and_no_traversal(viewer):
    http = httpx.Client(base_url=viewer.server_url)
    index = http.get("/")
    assert index.status_code == 200 and "text/html" in index.headers["content-type"]
    assert "default-src 'self'" in index.headers["content-security-policy"]
    assert "<script" in index.text
    import re
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", index.text)   # nothing remote
    for bad in ("/web/", "/web/../server.py", "/web/%2e%2e/server.py", "/web/..%2fserver.py",
                "/web/%2e%2e%2f%2e%2e%2fetc/passwd", "/web/.hidden", "/web/ui",
                "/web/" + "..%2f" * 16 + "etc/passwd"):
        reply = http.get(bad)
        assert reply.status_code == 404, bad
        assert reply.json()["status"] == "error"


def test_raw_path_traversal_is_refused(viewer):
    host, port = viewer.server_url.split("//")[1].rstrip("/").split(":")
    for path in ("/web/../../../../etc/passwd", "/web/" + "../" * 16 + "etc/passwd",
                 "/web/..\\..\\server.py"):
        with socket.create_connection((host, int(port))) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                      .encode())
            reply = b""
            while chunk := s.recv(65536):
                reply += chunk
        status = int(reply.split(b" ", 2)[1])
        assert 400 <= status < 500 and b"root:" not in reply, path


def test_unknown_endpoint_and_wrong_method_are_json(viewer):
    http = httpx.Client(base_url=viewer.server_url)
    assert http.get("/_cellucid/nothing").json()["status"] == "error"
    reply = http.get("/_cellucid/events")
    assert reply.status_code == 405 and reply.json()["status"] == "error"


def test_plain_script_prints_the_url_and_returns(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent("""
        import time, numpy as np, anndata as ad, cellucid
        a = ad.AnnData(np.zeros((50, 3), dtype=np.float32))
        a.obsm["X_umap"] = np.random.default_rng(0).normal(size=(50, 2))
        start = time.perf_counter()
        viewer = cellucid.show_anndata(a)
        print("returned after", time.perf_counter() - start)
    """))
    start = time.perf_counter()
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert "cellucid viewer: http://127.0.0.1:" in out.stdout and "viewerToken=" in out.stdout
    assert float(out.stdout.split("returned after")[1]) < 2
    assert time.perf_counter() - start < 30        # the interpreter exits: daemon threads only


def _open_fds_to(path) -> int:
    import os
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}") == str(path)
        except OSError:
            pass
    return count


def test_files_cellucid_opened_are_released(tmp_path, capsys):
    from .conftest import small_adata

    path = tmp_path / "cells.h5ad"
    small_adata(100).write_h5ad(path)
    viewer = cellucid.show_anndata(str(path))
    assert _open_fds_to(path) == 1
    viewer.stop()
    assert _open_fds_to(path) == 0
    with pytest.raises(KeyError, match="no_such_column"):
        cellucid.show_anndata(str(path), color="no_such_column")
    assert _open_fds_to(path) == 0
