"""Choosing the base URL a browser uses to reach the server: direct, proxied or configured."""

from __future__ import annotations

import os

ROUTES = ("auto", "direct", "proxy")


def client_base_url(server) -> str:
    """The base URL (trailing slash) the viewer page is loaded from.

    ``CELLUCID_CLIENT_SERVER_URL`` wins when set; ``CELLUCID_ROUTE=proxy`` (or ``auto`` inside a
    remote Jupyter) gives ``{base_url}proxy/{port}/``; otherwise the loopback URL.
    """
    configured = os.environ.get("CELLUCID_CLIENT_SERVER_URL", "").strip()
    if configured:
        return configured if configured.endswith("/") else configured + "/"
    route = os.environ.get("CELLUCID_ROUTE", "auto").strip().lower() or "auto"
    if route not in ROUTES:
        raise ValueError(f"CELLUCID_ROUTE must be one of {', '.join(ROUTES)}, got {route!r}")
    if route == "proxy":
        from .jupyter import jupyter_base_url

        return f"{jupyter_base_url()}proxy/{server.port}/"
    return server.url
