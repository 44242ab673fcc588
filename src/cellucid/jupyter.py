"""What the kernel can learn about the Jupyter server that runs it."""

from __future__ import annotations

import os


def jupyter_base_url() -> str:
    """The notebook server's base URL path (leading and trailing slash).

    ``JUPYTERHUB_SERVICE_PREFIX`` when set, else the running server whose pid is
    ``JPY_PARENT_PID``, else ``/``.
    """
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX")
    if prefix:
        return _slashed(prefix)
    parent = os.environ.get("JPY_PARENT_PID")
    if parent and parent.isdigit():
        try:
            from jupyter_server.serverapp import list_running_servers
        except ImportError:
            return "/"
        for info in list_running_servers():
            if info.get("pid") == int(parent):
                return _slashed(info.get("base_url") or "/")
    return "/"


def _slashed(path: str) -> str:
    path = "/" + path.strip("/")
    return path if path == "/" else path + "/"
