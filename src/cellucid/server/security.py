"""Defence in depth around the token: the Host check against DNS rebinding, and response headers."""

from __future__ import annotations

import json
import os
import re
import threading
from urllib.parse import urlsplit

from ..hosts import LOOPBACK_HOSTS, host_name, is_wildcard

_PROXY_CONTEXT = re.compile(r"/proxy/(\d+)/?$")
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; worker-src 'self' blob:; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'"
)


def configured_host_names(bind_host: str, env=None) -> frozenset[str]:
    """Host names the server answers to from loopback, the bind host and the environment."""
    env = os.environ if env is None else env
    names = set(LOOPBACK_HOSTS)
    if bind_host and not is_wildcard(bind_host):
        names.add(host_name(f"[{bind_host}]" if ":" in bind_host else bind_host))
    client_url = env.get("CELLUCID_CLIENT_SERVER_URL", "")
    if client_url:
        netloc = urlsplit(client_url).netloc
        if netloc:
            names.add(host_name(netloc.rsplit("@", 1)[-1]))
    for name in env.get("CELLUCID_ALLOWED_HOSTS", "").split(","):
        if name.strip():
            names.add(host_name(name))
    return frozenset(names)


class AllowedHosts:
    """The Host names one server answers to: the configured ones, and those added at run time
    (a notebook front end's own proxy host, learnt when the route is chosen)."""

    def __init__(self, bind_host: str) -> None:
        self.bind_host = bind_host
        self._added: set[str] = set()
        self._lock = threading.Lock()
        self._names = configured_host_names(bind_host)

    def add(self, host: str) -> None:
        """Answer to ``host`` (a Host header value or a bare name) from now on."""
        with self._lock:
            self._added.add(host_name(host))
            self._names = self._names | self._added

    def allows(self, name: str) -> bool:
        """Whether the name part of a Host header is allowed (re-reading the environment, which
        may have changed since the server started, before saying no)."""
        if name in self._names:
            return True
        with self._lock:
            self._names = configured_host_names(self.bind_host) | self._added
        return name in self._names


class HostCheckMiddleware:
    """Refuse (403) any request whose Host header the server does not answer to.

    A request that carries jupyter-server-proxy's ``X-Forwarded-Context`` ending in
    ``/proxy/<port>`` keeps the notebook server's own Host, so it is let through.
    """

    def __init__(self, app, allowed: AllowedHosts) -> None:
        self.app = app
        self.allowed = allowed

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
        if self.allowed.allows(host_name(host)):
            return True
        context = headers.get(b"x-forwarded-context", b"").decode("latin-1")
        match = _PROXY_CONTEXT.search(context)
        server = scope.get("server") or (None, None)
        return match is not None and int(match.group(1)) == server[1]
