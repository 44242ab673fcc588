"""Which URL the browser gets: the route decision, the Jupyter facts it rests on, real probes."""

from __future__ import annotations

import os

import pytest

from cellucid.notebook import client_url, jupyter
from cellucid.notebook.client_url import choose_route, decide_route
from cellucid.notebook.health import Probe, probe_health

DIRECT = "http://127.0.0.1:5555/"
LOCAL = {"pid": 100, "url": "http://localhost:8888/", "hostname": "localhost", "port": 8888,
         "base_url": "/", "token": "tok", "secure": False, "sock": ""}
REMOTE = {**LOCAL, "pid": 200, "hostname": "0.0.0.0", "url": "http://node7:8888/lab-base/",
          "base_url": "/lab-base/"}
HTTPS = {**LOCAL, "pid": 300, "url": "https://localhost:8888/", "secure": True}


class Probes:
    """A fake probe: answers per kind, records what was asked."""

    def __init__(self, direct=True, proxy=True, detail="HTTP 404"):
        self.answers = {"direct": direct, "proxy": proxy}
        self.detail = detail
        self.asked = []

    def __call__(self, kind, port, info):
        self.asked.append((kind, port, info and info["pid"]))
        ok = self.answers[kind]
        return Probe(kind, f"{kind}-url", ok, "fine" if ok else self.detail, 1.0 if ok else None)


def decide(env, servers=(), probes=None):
    return decide_route(5555, DIRECT, env=env, servers=list(servers), probe=probes or Probes())


def test_configured_url_wins_over_everything():
    choice = decide({"CELLUCID_CLIENT_SERVER_URL": "https://example.org/cellucid",
                     "CELLUCID_ROUTE": "proxy", "JUPYTERHUB_SERVICE_PREFIX": "/user/a/"})
    assert (choice.route, choice.base_url) == ("configured", "https://example.org/cellucid/")


def test_forced_direct_and_forced_proxy():
    probes = Probes()
    choice = decide({"CELLUCID_ROUTE": "direct", "JPY_PARENT_PID": "200"}, [REMOTE], probes)
    assert (choice.route, choice.base_url) == ("direct", DIRECT)
    choice = decide({"CELLUCID_ROUTE": "PROXY", "JPY_PARENT_PID": "100"}, [LOCAL], probes)
    assert (choice.route, choice.base_url) == ("proxy", "/proxy/5555/")
    assert ("proxy", 5555, 100) in probes.asked


def test_forced_proxy_is_kept_even_when_its_probe_fails(caplog):
    choice = decide({"CELLUCID_ROUTE": "proxy", "JPY_PARENT_PID": "200"}, [REMOTE],
                    Probes(proxy=False))
    assert (choice.route, choice.base_url) == ("proxy", "/lab-base/proxy/5555/")
    assert "CELLUCID_ROUTE=proxy" in caplog.text


def test_bad_route_name_is_refused():
    with pytest.raises(ValueError, match="CELLUCID_ROUTE must be one of auto, direct, proxy"):
        decide({"CELLUCID_ROUTE": "tunnel"})


def test_auto_outside_jupyter_is_direct():
    probes = Probes()
    choice = decide({}, [LOCAL], probes)
    assert (choice.route, choice.base_url) == ("direct", DIRECT)
    assert [kind for kind, *_ in probes.asked] == ["direct"]


def test_auto_under_a_loopback_http_jupyter_is_direct():
    choice = decide({"JPY_PARENT_PID": "100"}, [REMOTE, LOCAL])
    assert choice.route == "direct"
    assert "loopback" in choice.reason


@pytest.mark.parametrize("info", [REMOTE, HTTPS], ids=["wildcard-listen", "https"])
def test_auto_under_a_remote_or_https_jupyter_takes_the_proxy(info):
    choice = decide({"JPY_PARENT_PID": str(info["pid"])}, [LOCAL, info])
    assert (choice.route, choice.base_url) == ("proxy", f"{info['base_url']}proxy/5555/")
    assert [p.name for p in choice.probes] == ["direct", "proxy"]


def test_auto_falls_back_to_direct_when_the_proxy_does_not_answer(caplog):
    choice = decide({"JPY_PARENT_PID": "200"}, [REMOTE], Probes(proxy=False))
    assert (choice.route, choice.base_url) == ("direct", DIRECT)
    assert "did not answer" in choice.reason
    assert "jupyter-server-proxy" in caplog.text


def test_jupyterhub_prefix_gives_the_proxy_path():
    env = {"JUPYTERHUB_SERVICE_PREFIX": "/user/ana", "JPY_PARENT_PID": "100"}
    choice = decide(env, [LOCAL])
    assert (choice.route, choice.base_url) == ("proxy", "/user/ana/proxy/5555/")


@pytest.mark.parametrize("detail", ["not checked: no running Jupyter server found",
                                    "HTTP 403 (the Jupyter server refused the kernel's token)"])
def test_jupyterhub_takes_the_proxy_even_when_the_kernel_cannot_confirm_it(detail, caplog):
    env = {"JUPYTERHUB_SERVICE_PREFIX": "/user/ana/"}
    choice = decide(env, [], Probes(proxy=False, detail=detail))
    assert (choice.route, choice.base_url) == ("proxy", "/user/ana/proxy/5555/")
    assert "JupyterHub" in caplog.text


def test_base_url_sources():
    assert jupyter.jupyter_base_url([], {}) == "/"
    assert jupyter.jupyter_base_url([REMOTE], {"JPY_PARENT_PID": "200"}) == "/lab-base/"
    assert jupyter.jupyter_base_url([REMOTE], {"JPY_PARENT_PID": "999"}) == "/"
    assert jupyter.jupyter_base_url([REMOTE], {"JUPYTERHUB_SERVICE_PREFIX": "hub/x"}) == "/hub/x/"
    hub = {**REMOTE, "pid": 1, "base_url": "/user/b/"}
    assert jupyter.current_server([REMOTE, hub], {"JUPYTERHUB_SERVICE_PREFIX": "/user/b"}) is hub


def test_server_facts():
    assert jupyter.server_is_local_http(LOCAL)
    assert not jupyter.server_is_local_http(REMOTE)
    assert not jupyter.server_is_local_http(HTTPS)
    assert not jupyter.server_is_local_http({**LOCAL, "sock": "/tmp/j.sock"})
    assert jupyter.server_root_url(LOCAL) == "http://localhost:8888/"
    assert jupyter.server_root_url(REMOTE) == "http://127.0.0.1:8888/lab-base/"
    assert jupyter.server_root_url({**LOCAL, "sock": "/tmp/j.sock"}) is None
    assert jupyter.server_auth_headers(LOCAL, {}) == {"Authorization": "token tok"}
    assert jupyter.server_auth_headers({**LOCAL, "token": ""}, {"JUPYTERHUB_API_TOKEN": "h"}) \
        == {"Authorization": "token h"}
    assert jupyter.server_auth_headers({**LOCAL, "token": ""}, {}) == {}


def test_probe_health_against_the_real_server(viewer):
    server = viewer.server
    ok = probe_health("direct", server.url)
    assert ok.ok and ok.ms is not None and "cellucid" in ok.detail
    missing = probe_health("wrong path", server.url + "nothing/here/")
    assert not missing.ok and "HTTP 404" in missing.detail
    closed = probe_health("closed", "http://127.0.0.1:9/", timeout=1)
    assert not closed.ok and "unreachable" in closed.detail


def test_choose_route_is_cached_per_environment(viewer, monkeypatch):
    server = viewer.server
    monkeypatch.delenv("CELLUCID_CLIENT_SERVER_URL", raising=False)
    monkeypatch.delenv("JPY_PARENT_PID", raising=False)
    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX", raising=False)
    monkeypatch.setenv("CELLUCID_ROUTE", "direct")
    first = choose_route(server, refresh=True)
    assert first is choose_route(server)
    assert viewer.viewer_url.startswith(server.url + "?viewerId=")
    monkeypatch.setenv("CELLUCID_CLIENT_SERVER_URL", "https://hub.example.org/p/")
    assert viewer.viewer_url.startswith("https://hub.example.org/p/?viewerId=")
    assert client_url.client_base_url(server) == "https://hub.example.org/p/"


def test_debug_connection_shows_the_route_and_a_route_specific_fix(viewer, monkeypatch):
    monkeypatch.delenv("CELLUCID_CLIENT_SERVER_URL", raising=False)
    monkeypatch.setenv("CELLUCID_ROUTE", "direct")
    report = viewer.debug_connection(timeout=0.3)
    assert report["route"].startswith("direct — CELLUCID_ROUTE=direct")
    assert report["route_probes"][0].startswith("direct (from the kernel): ok")
    assert "CELLUCID_ROUTE=proxy" in report["fix"]
    assert "route_probes" in report._repr_html_()
    monkeypatch.setenv("CELLUCID_ROUTE", "proxy")
    report = viewer.debug_connection(timeout=0.3)
    assert report["route"].startswith("proxy") and "jupyter-server-proxy" in report["fix"]


@pytest.fixture
def in_colab(monkeypatch):
    """A stand-in for Colab's front end: its port proxy answers for every port."""
    import sys
    import types

    kernel = types.SimpleNamespace(proxyPort=lambda port, cache=True:
                                   f"https://{port}-abc-colab.example.dev")
    colab = types.ModuleType("google.colab")
    colab.kernel = kernel
    monkeypatch.setitem(sys.modules, "google", types.ModuleType("google"))
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setattr(client_url, "_cache", {})   # a choice made here stays here
    for key in ("CELLUCID_CLIENT_SERVER_URL", "CELLUCID_ROUTE", "JPY_PARENT_PID",
                "JUPYTERHUB_SERVICE_PREFIX", "CELLUCID_ALLOWED_HOSTS"):
        monkeypatch.delenv(key, raising=False)


def test_colab_takes_its_port_proxy(in_colab, monkeypatch):
    monkeypatch.setenv("CELLUCID_ALLOWED_HOSTS", "lab.example.org")
    choice = decide_route(5555, DIRECT, servers=[], probe=Probes())
    assert (choice.route, choice.base_url) == ("colab", "https://5555-abc-colab.example.dev/")
    assert choice.extra_host == "5555-abc-colab.example.dev"
    assert os.environ["CELLUCID_ALLOWED_HOSTS"] == "lab.example.org"   # never written


def test_colab_host_is_allowed_by_the_server_itself(viewer, in_colab):
    import httpx

    # `viewer` comes first: showing it chose its route before Colab was there.
    colab_host = f"{viewer.server.port}-abc-colab.example.dev"
    health = viewer.server_url + "_cellucid/health"
    assert httpx.get(health, headers={"Host": colab_host}).status_code == 403
    assert choose_route(viewer.server, refresh=True).route == "colab"
    assert httpx.get(health, headers={"Host": colab_host}).status_code == 200
    assert "CELLUCID_ALLOWED_HOSTS" not in os.environ
