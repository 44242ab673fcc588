"""Choosing the base URL a browser uses to reach the server: direct, proxied or configured.

The choice is made where the viewer is displayed, from what the kernel can see:

* ``CELLUCID_CLIENT_SERVER_URL`` set: that URL, as given (``configured``).
* ``CELLUCID_ROUTE=direct``: the loopback URL; ``CELLUCID_ROUTE=proxy``: the Jupyter server's
  ``{base_url}proxy/{port}/`` (jupyter-server-proxy).
* ``CELLUCID_ROUTE=auto`` (the default): the proxy when the kernel runs under a Jupyter server
  whose pages are opened from elsewhere — JupyterHub, a server listening on a non-loopback
  address, or HTTPS (whose page cannot frame ``http://127.0.0.1``) — and the proxy answers;
  Google Colab's own port proxy in Colab; otherwise the loopback URL.

Before choosing, ``/_cellucid/health`` is probed directly and, where the proxy is a candidate,
through the Jupyter server (with its token, from the kernel side). Every probe is kept on the
`RouteChoice`, which `viewer.debug_connection()` shows.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from dataclasses import dataclass, field

from ..hosts import host_name, is_loopback
from . import jupyter
from .health import Probe, probe_health

logger = logging.getLogger("cellucid")

ROUTES = ("auto", "direct", "proxy")


@dataclass
class RouteChoice:
    """How the browser reaches the server: the route's name, its base URL, and why."""

    route: str  # "direct", "proxy", "configured" or "colab"
    base_url: str  # ends with "/"; path-absolute ("/user/x/proxy/8000/") or absolute
    reason: str
    probes: list[Probe] = field(default_factory=list)
    # A Host name the server must answer to on this route (Colab's proxy passes its own through;
    # the token in the URL stays the guard).
    extra_host: str | None = None

    def summary(self) -> dict:
        """A plain dict for reports."""
        return {"route": self.route, "base_url": self.base_url, "reason": self.reason,
                "probes": [p.as_text() for p in self.probes]}


def _probe_proxy(port: int, info: dict | None, env) -> Probe:
    if info is None:
        return Probe("through the Jupyter proxy", f"proxy/{port}/", False,
                     "not checked: no running Jupyter server found for this kernel")
    root = jupyter.server_root_url(info)
    if root is None:
        return Probe("through the Jupyter proxy", f"proxy/{port}/", False,
                     "not checked: the Jupyter server listens on a Unix socket")
    host = root.split("://", 1)[1].split("/", 1)[0].rsplit(":", 1)[0].lower()
    verify = not is_loopback(host)
    return probe_health("through the Jupyter proxy", f"{root}proxy/{port}/",
                        jupyter.server_auth_headers(info, env), verify=verify)


def _in_colab() -> bool:
    return "google.colab" in sys.modules or bool(os.environ.get("COLAB_RELEASE_TAG"))


def _colab_base_url(port: int) -> str | None:
    """Colab's proxied URL of ``port`` (asked from Colab's front end), or None."""
    try:
        from google.colab import kernel  # type: ignore[import-not-found]

        url = kernel.proxyPort(port, cache=False)
    except Exception:  # not in Colab, or its front end did not answer
        return None
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        return None
    return url if url.endswith("/") else url + "/"


def decide_route(port: int, direct_url: str, *, env=None, servers: list[dict] | None = None,
                 probe=None) -> RouteChoice:
    """Pick the route for a server on ``port`` (``direct_url`` is its loopback URL).

    ``env``, ``servers`` (Jupyter runtime infos) and ``probe(kind, port, info)`` are injectable for
    tests; by default the process environment, ``list_running_servers()`` and real HTTP probes.
    Raises `ValueError` for an unknown ``CELLUCID_ROUTE``.
    """
    env = os.environ if env is None else env
    configured = env.get("CELLUCID_CLIENT_SERVER_URL", "").strip()
    route = env.get("CELLUCID_ROUTE", "auto").strip().lower() or "auto"
    if route not in ROUTES:
        raise ValueError(f"CELLUCID_ROUTE must be one of {', '.join(ROUTES)}, got {route!r}")
    if probe is None:
        def probe(kind, port, info):
            if kind == "direct":
                return probe_health("direct (from the kernel)", direct_url)
            return _probe_proxy(port, info, env)

    if configured:
        base = configured if configured.endswith("/") else configured + "/"
        return RouteChoice("configured", base, "CELLUCID_CLIENT_SERVER_URL is set")

    direct = probe("direct", port, None)
    if route == "direct":
        return RouteChoice("direct", direct_url, "CELLUCID_ROUTE=direct", [direct])

    info = jupyter.current_server(servers, env)
    base = jupyter.jupyter_base_url([info] if info else [], env)
    proxied = f"{base}proxy/{port}/"
    if route == "proxy":
        through = probe("proxy", port, info)
        if not through.ok:
            logger.warning("cellucid: CELLUCID_ROUTE=proxy, but %s", through.as_text())
        return RouteChoice("proxy", proxied, "CELLUCID_ROUTE=proxy", [direct, through])

    if env is os.environ and _in_colab():
        colab = _colab_base_url(port)
        if colab:
            return RouteChoice("colab", colab, "running in Google Colab: its port proxy",
                               [direct], extra_host=host_name(colab.split("://", 1)[1]
                                                              .split("/", 1)[0]))

    if info is None and not env.get("JUPYTERHUB_SERVICE_PREFIX"):
        return RouteChoice("direct", direct_url, "no Jupyter server found for this kernel: the "
                           "browser is on this machine", [direct])
    if info is not None and jupyter.server_is_local_http(info) \
            and not env.get("JUPYTERHUB_SERVICE_PREFIX"):
        return RouteChoice("direct", direct_url, "the Jupyter server listens on loopback over "
                           "HTTP: its browser is on this machine", [direct])

    why = ("JupyterHub" if env.get("JUPYTERHUB_SERVICE_PREFIX") else
           "the Jupyter server is served over HTTPS" if info and (
               info.get("secure") or str(info.get("url", "")).startswith("https:"))
           else "the Jupyter server listens beyond loopback")
    through = probe("proxy", port, info)
    if through.ok:
        return RouteChoice("proxy", proxied, f"{why}: the page is likely remote, and the "
                           "Jupyter proxy answers", [direct, through])
    if env.get("JUPYTERHUB_SERVICE_PREFIX"):
        # A hub's page is remote for sure, so the proxy is the only route that can work; the
        # kernel's probe may fail where the browser's cookie passes (hub tokens, scopes).
        logger.warning("cellucid: JupyterHub, but %s; using the proxy route anyway (it needs "
                       "jupyter-server-proxy in the single-user server)", through.as_text())
        return RouteChoice("proxy", proxied, f"{why}: the proxy could not be confirmed from the "
                           "kernel, but a hub's page cannot reach loopback", [direct, through])
    logger.warning("cellucid: %s, but the Jupyter proxy did not answer (%s); using the direct "
                   "URL. Install jupyter-server-proxy, or set CELLUCID_ROUTE / "
                   "CELLUCID_CLIENT_SERVER_URL (docs/environments.md)", why, through.detail)
    return RouteChoice("direct", direct_url, f"{why}, but the Jupyter proxy did not answer: "
                       "direct URL as a fallback", [direct, through])


_cache: dict[tuple, RouteChoice] = {}
_cache_lock = threading.Lock()
_ENV_KEYS = ("CELLUCID_CLIENT_SERVER_URL", "CELLUCID_ROUTE", "JUPYTERHUB_SERVICE_PREFIX",
             "JPY_PARENT_PID")


def choose_route(server, refresh: bool = False) -> RouteChoice:
    """The route for ``server``, probed once per environment (again with ``refresh=True``)."""
    key = (server.port, tuple(os.environ.get(k) for k in _ENV_KEYS))
    with _cache_lock:
        choice = None if refresh else _cache.get(key)
    if choice is None:
        choice = decide_route(server.port, server.url)
        with _cache_lock:
            _cache[key] = choice
    if choice.extra_host:
        server.allowed_hosts.add(choice.extra_host)
    return choice


def client_base_url(server) -> str:
    """The base URL (trailing slash) the viewer page is loaded from; see `choose_route`."""
    return choose_route(server).base_url
