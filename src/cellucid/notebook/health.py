"""Asking a cellucid server whether it is alive: ``GET {base}_cellucid/health``.

The one probe used everywhere (the route choice, ``viewer.debug_connection()``). It never goes
through ``HTTP(S)_PROXY``/``ALL_PROXY``: the probed server is on this machine, or reached through
the Jupyter server on it, and a proxy set for a cluster's internet access would swallow the probe
and report a healthy server as dead.
"""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

PROBE_TIMEOUT_SECONDS = 3.0
HEALTH_PATH = "_cellucid/health"


@dataclass
class Probe:
    """One health probe: what was asked, and what came back."""

    name: str
    url: str
    ok: bool
    detail: str
    ms: float | None = None

    def as_text(self) -> str:
        """One line: name, outcome, timing and detail."""
        timing = f" in {self.ms:.0f} ms" if self.ms is not None else ""
        return f"{self.name}: {'ok' if self.ok else 'failed'}{timing} — {self.detail}"


def _opener(verify: bool) -> urllib.request.OpenerDirector:
    handlers: list = [urllib.request.ProxyHandler({})]
    if not verify:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        handlers.append(urllib.request.HTTPSHandler(context=context))
    return urllib.request.build_opener(*handlers)


def probe_health(name: str, base_url: str, headers: dict | None = None,
                 timeout: float = PROBE_TIMEOUT_SECONDS, verify: bool = True) -> Probe:
    """GET ``{base_url}_cellucid/health`` and say whether a cellucid server answered."""
    url = base_url + HEALTH_PATH
    request = urllib.request.Request(url, headers=dict(headers or {}))
    start = time.perf_counter()
    try:
        with _opener(verify).open(request, timeout=timeout) as reply:
            body = json.loads(reply.read(4096) or b"{}")
        ms = (time.perf_counter() - start) * 1000
        if isinstance(body, dict) and body.get("status") == "ok":
            return Probe(name, url, True, f"cellucid {body.get('version')}", ms)
        return Probe(name, url, False, "something answered, but not a cellucid server", ms)
    except urllib.error.HTTPError as exc:
        hint = {404: " (is jupyter-server-proxy installed and enabled?)",
                403: " (the Jupyter server refused the kernel's token)",
                401: " (the Jupyter server refused the kernel's token)"}.get(exc.code, "")
        return Probe(name, url, False, f"HTTP {exc.code}{hint}")
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return Probe(name, url, False, f"unreachable: {reason}")
