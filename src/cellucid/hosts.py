"""Host names and addresses: which are loopback, which are wildcards, and the defaults.

One home for these sets, used by the server (its loopback URL), the Host check, the route choice
and the command line.
"""

from __future__ import annotations

DEFAULT_HOST = "127.0.0.1"
DEFAULT_SERVE_PORT = 8765   # `cellucid serve` / `cellucid.serve`; notebooks take a free port

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
WILDCARD_HOSTS = frozenset({"", "0.0.0.0", "::", "[::]", "*"})


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or address, brackets optional) is this machine's loopback."""
    return str(host).strip().lower() in LOOPBACK_HOSTS


def is_wildcard(host: str) -> bool:
    """Whether ``host`` is a listen-on-every-address wildcard (``0.0.0.0``, ``::``, …)."""
    return str(host).strip().lower() in WILDCARD_HOSTS


def reachable_host(bind_host: str) -> str:
    """The host this machine reaches a server bound to ``bind_host`` at (URL form).

    A wildcard bind is reached on IPv4 loopback; an IPv6 address gets its brackets.
    """
    if is_wildcard(bind_host):
        return DEFAULT_HOST
    return f"[{bind_host}]" if ":" in bind_host and not bind_host.startswith("[") else bind_host


def host_name(host_header: str) -> str:
    """The name part of a Host header (port removed, IPv6 brackets kept), lower-cased."""
    host = host_header.strip().lower()
    if host.startswith("["):
        return host[: host.find("]") + 1] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host
