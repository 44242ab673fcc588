"""What the kernel can learn about the Jupyter server that runs it.

JupyterLab and Notebook 7 do not tell the kernel the page's URL, and this package puts no
JavaScript in outputs to ask, so everything here comes from the kernel's own environment:
``JUPYTERHUB_SERVICE_PREFIX`` (set by JupyterHub for single-user servers), ``JPY_PARENT_PID``
(set by the Jupyter server for the kernels it starts) and the server's runtime file, read through
``jupyter_server.serverapp.list_running_servers()``.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

from ..hosts import DEFAULT_HOST, is_loopback, is_wildcard


def _running_servers() -> list[dict]:
    """Every Jupyter server whose runtime file this user can read (empty without jupyter_server)."""
    try:
        from jupyter_server.serverapp import list_running_servers
    except ImportError:
        return []
    try:
        return list(list_running_servers())
    except Exception:  # a broken runtime dir must never break showing a viewer
        return []


def current_server(servers: list[dict] | None = None, env=None) -> dict | None:
    """The runtime info of the Jupyter server that started this kernel, or None.

    The server whose ``pid`` is ``JPY_PARENT_PID``; under JupyterHub, failing that, the one whose
    ``base_url`` is ``JUPYTERHUB_SERVICE_PREFIX``. ``servers`` and ``env`` default to
    ``list_running_servers()`` and the process environment.
    """
    env = os.environ if env is None else env
    parent = env.get("JPY_PARENT_PID", "")
    prefix = env.get("JUPYTERHUB_SERVICE_PREFIX", "")
    if not parent.isdigit() and not prefix:
        return None
    servers = _running_servers() if servers is None else servers
    if parent.isdigit():
        for info in servers:
            if info.get("pid") == int(parent):
                return info
    if prefix:
        for info in servers:
            if slashed(info.get("base_url") or "/") == slashed(prefix):
                return info
    return None


def jupyter_base_url(servers: list[dict] | None = None, env=None) -> str:
    """The notebook server's base URL path (leading and trailing slash).

    ``JUPYTERHUB_SERVICE_PREFIX`` when set, else the running server whose pid is
    ``JPY_PARENT_PID``, else ``/``.
    """
    env = os.environ if env is None else env
    prefix = env.get("JUPYTERHUB_SERVICE_PREFIX")
    if prefix:
        return slashed(prefix)
    info = current_server(servers, env)
    return slashed(info.get("base_url") or "/") if info else "/"


def server_is_local_http(info: dict) -> bool:
    """Whether the Jupyter server listens on loopback only and over plain HTTP.

    Then its pages are opened by a browser on this machine (or through a tunnel to it), which
    can reach the cellucid server on loopback too. A server on a wildcard or LAN address, or over
    HTTPS, is opened from elsewhere (and an HTTPS page cannot frame ``http://127.0.0.1``).
    """
    if info.get("secure") or str(info.get("url", "")).startswith("https:"):
        return False
    if info.get("sock"):
        return False
    return is_loopback(info.get("hostname", "localhost"))


def server_root_url(info: dict) -> str | None:
    """The URL (with base_url, trailing slash) the kernel reaches its Jupyter server at.

    A wildcard listen address is reached on loopback. None for a Unix-socket server.
    """
    if info.get("sock"):
        return None
    url = str(info.get("url") or "")
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    host = str(info.get("hostname", "")).lower()
    netloc = parts.netloc
    if is_wildcard(host):
        netloc = f"{DEFAULT_HOST}:{info.get('port') or parts.port}"
    path = slashed(info.get("base_url") or parts.path or "/")
    return urlunsplit((parts.scheme, netloc, path, "", ""))


def server_auth_headers(info: dict, env=None) -> dict[str, str]:
    """Headers that authenticate the kernel to its Jupyter server (its token), if it has one."""
    env = os.environ if env is None else env
    token = info.get("token") or env.get("JUPYTERHUB_API_TOKEN") or ""
    return {"Authorization": f"token {token}"} if token else {}


def slashed(path: str) -> str:
    """``path`` with one leading and one trailing slash (``/`` stays ``/``)."""
    path = "/" + str(path).strip("/")
    return path if path == "/" else path + "/"
