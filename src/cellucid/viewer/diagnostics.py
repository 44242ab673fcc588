"""``viewer.debug_connection()``: check each link of the chain and say which one is broken."""

from __future__ import annotations

import html
import json
import secrets
import time

from ..errors import CommandError, ViewerStopped
from ..notebook.client_url import choose_route
from ..notebook.health import probe_health
from ..notebook.transport import page_unreachable


class ConnectionReport(dict):
    """The result of `debug_connection`: a dict, shown as a table in a notebook."""

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
            f"<td style='text-align:left'>{_cell_html(v)}</td></tr>"
            for k, v in self.items() if k not in ("verdict", "fix"))
        colour = "#1a7f37" if self["ok"] else "#cf222e"
        fix = f"<p>{html.escape(self['fix'])}</p>" if self.get("fix") else ""
        return (f"<div><p style='color:{colour};font-weight:bold'>{html.escape(self['verdict'])}"
                f"</p>{fix}<table>{rows}</table></div>")

    def __str__(self) -> str:
        lines = [self["verdict"]] + ([f"fix: {self['fix']}"] if self.get("fix") else [])
        lines += [f"  {k}: {_short(v)}" for k, v in self.items() if k not in ("verdict", "fix")]
        return "\n".join(lines)


def _cell_html(value) -> str:
    """A table cell: lists one item a line, dicts one ``key: value`` a line."""
    if isinstance(value, dict) and value:
        lines = [f"{k}: {_short(v)}" for k, v in value.items()]
    elif isinstance(value, list) and value:
        lines = [_short(v) for v in value]
    else:
        lines = [_short(value)]
    return "<br>".join(html.escape(line) for line in lines)


def _short(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str,
                                                           ensure_ascii=False)
    return text if len(text) <= 300 else text[:297] + "..."


def _round_trip(session, command_type: str, reply_type: str, timeout: float):
    """Send an internal command and wait for its reply event; returns (payload, ms) or None."""
    request_id = secrets.token_hex(6)
    with session.dispatcher.subscribe(reply_type) as replies:
        start = time.perf_counter()
        session.command(command_type, {"requestId": request_id}, wait=False)
        try:
            _, payload = replies.next(timeout, lambda p: p.get("requestId") == request_id)
        except TimeoutError:
            return None
        return payload, (time.perf_counter() - start) * 1000


def connection_report(session, timeout: float = 5.0) -> ConnectionReport:
    """Run every check for the viewer of ``session`` (its `ViewerSession`) and return a
    `ConnectionReport` with a one-line verdict."""
    server = session.server
    viewer_url = session.viewer_url
    report = ConnectionReport(ok=False, viewer_id=session.viewer_id, server_url=server.url,
                              viewer_url=viewer_url.split("viewerToken=")[0] + "viewerToken=…")
    route = choose_route(server)
    report["route"] = f"{route.route} — {route.reason}"
    report["route_probes"] = [p.as_text() for p in route.probes]
    report["transport"] = session.transport.describe()
    health = probe_health("from Python", server.url, timeout=timeout)
    healthy = health.ok
    report["server_health"] = health.as_text()
    report["stopped"] = session.stopped
    report["command_stream_connected"] = session.commands.connected
    report["ready"] = session.state["ready"] is not None
    report["pending_commands"] = len(session.commands.pending)
    report["ping_ms"] = None
    report["snapshot"] = None
    report["recent_console"] = list(session.console)[-10:]

    if session.stopped:
        return _verdict(report, "viewer stopped", "show the data again to get a new viewer")
    if not healthy:
        return _verdict(report, "the cellucid server does not answer",
                        "the Python process that served it may have ended; re-run the cell")
    if not report["command_stream_connected"]:
        return _verdict(report, "no viewer page is connected",
                        _not_connected_fix(viewer_url, route, session.transport.current))
    if page_unreachable(session.transport):
        # The pong would come back over the channel this very thread reads (marimo's kernel).
        report["ok"] = True
        return _verdict(report, "ok: the page is connected over the notebook's widget channel "
                        "(no ping: this thread is the one that reads that channel; call "
                        "debug_connection() from a thread of its own for one)", None)
    try:
        pong = _round_trip(session, "ping", "pong", timeout)
        snapshot = _round_trip(session, "debug_snapshot", "debug_snapshot", timeout)
    except (ViewerStopped, CommandError) as exc:
        return _verdict(report, f"the viewer cannot take commands: {exc}", "re-run the cell")
    if pong is None:
        return _verdict(report, f"the page did not answer a ping within {timeout:g} s",
                        "the page is connected but busy or broken; look at recent_console")
    report["ping_ms"] = round(pong[1], 1)
    report["snapshot"] = snapshot[0] if snapshot else None
    report["ok"] = True
    errors = [c for c in report["recent_console"] if c.get("level") == "error"]
    note = f"; {len(errors)} recent page errors" if errors else ""
    return _verdict(report, f"ok: ping {report['ping_ms']} ms{note}", None)


def _not_connected_fix(viewer_url: str, route, transport: str | None) -> str:
    """What to try when no page holds the command stream, given the route the URL took and the
    transport the page used last."""
    if transport == "comm":
        return ("the page reached Python over the notebook's comm, but has not polled for "
                "commands lately: its output may be closed, or the kernel could not read the "
                "comm (a long cell in a front end without kernel subshells); re-run the cell "
                "that shows it")
    where = (f"open the viewer (display it in a notebook cell, or open {viewer_url} in a "
             f"browser); if it is open, the page cannot reach {route.base_url}")
    if route.route == "direct":
        return (f"{where} — a browser on another machine (SSH tunnel, JupyterHub, VS Code "
                f"remote, HTTPS notebook) cannot reach loopback: show the viewer as a widget (the "
                f"default; unset CELLUCID_DISPLAY=iframe), which then uses the notebook's comm, "
                f"or set CELLUCID_ROUTE=proxy (needs jupyter-server-proxy) or forward the port "
                f"and set CELLUCID_CLIENT_SERVER_URL, then re-run the cell")
    if route.route == "proxy":
        return (f"{where} — check that jupyter-server-proxy is installed and enabled in the "
                f"Jupyter server (route_probes), or set CELLUCID_ROUTE=direct when the browser "
                f"runs on this machine, then re-run the cell")
    return f"{where} — check CELLUCID_CLIENT_SERVER_URL, then re-run the cell"


def _verdict(report: ConnectionReport, verdict: str, fix: str | None) -> ConnectionReport:
    report["verdict"] = verdict
    report["fix"] = fix
    return report
