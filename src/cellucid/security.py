"""Defence in depth around the token: the Host check against DNS rebinding, and response headers."""

from __future__ import annotations

import json
import os
import re
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})
_PROXY_CONTEXT = re.compile(r"/proxy/(\d+)/?$")
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; worker-src 'self' blob:; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'"
)


def host_name(host_header: str) -> str:
    """The name part of a Host header (port removed, IPv6 brackets kept), lower-cased."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def allowed_host_names(bind_host: str) -> frozenset[str]:
    """Host names the server answers to, from loopback, the bind host and the environment."""
    names = set(LOOPBACK_NAMES)
    if bind_host and bind_host not in ("0.0.0.0", "::"):
        names.add(host_name(f"[{bind_host}]" if ":" in bind_host else bind_host))
    client_url = os.environ.get("CELLUCID_CLIENT_SERVER_URL", "")
    if client_url:
        netloc = urlsplit(client_url).netloc
        if netloc:
            names.add(host_name(netloc.rsplit("@", 1)[-1]))
    for name in os.environ.get("CELLUCID_ALLOWED_HOSTS", "").split(","):
        if name.strip():
            names.add(host_name(name))
    return frozenset(names)


class HostCheckMiddleware:
    """Refuse (403) any request whose Host header the server does not answer to.

    A request that carries jupyter-server-proxy's ``X-Forwarded-Context`` ending in
    ``/proxy/<port>`` keeps the notebook server's own Host, so it is let through.
    """

    def __init__(self, app, bind_host: str) -> None:
        self.app = app
        self.bind_host = bind_host
        self._names = allowed_host_names(bind_host)

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or self._allowed(scope):
            await self.app(scope, receive, send)
            return
        body = json.dumps({"status": "error", "message": (
            "this server does not answer to that Host name; add it to CELLUCID_ALLOWED_HOSTS "
            "if you reach cellucid through it")}).encode()
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    def _allowed(self, scope) -> bool:
        headers = dict(scope.get("headers") or ())
        host = headers.get(b"host", b"").decode("latin-1")
        name = host_name(host)
        if name in self._names:
            return True
        self._names = allowed_host_names(self.bind_host)   # the environment may have changed
        if name in self._names:
            return True
        context = headers.get(b"x-forwarded-context", b"").decode("latin-1")
        match = _PROXY_CONTEXT.search(context)
        server = scope.get("server") or (None, None)
        return match is not None and int(match.group(1)) == server[1]
