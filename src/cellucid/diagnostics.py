"""``viewer.debug_connection()``: check each link of the chain and say which one is broken."""

from __future__ import annotations

import html
import json
import secrets
import time
import urllib.request

from .errors import CommandError, ViewerStopped


class ConnectionReport(dict):
    """The result of `debug_connection`: a dict, shown as a table in a notebook."""

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
            f"<td style='text-align:left'>{html.escape(_short(v))}</td></tr>"
            for k, v in self.items() if k not in ("verdict", "fix"))
        colour = "#1a7f37" if self["ok"] else "#cf222e"
        fix = f"<p>{html.escape(self['fix'])}</p>" if self.get("fix") else ""
        return (f"<div><p style='color:{colour};font-weight:bold'>{html.escape(self['verdict'])}"
                f"</p>{fix}<table>{rows}</table></div>")

    def __str__(self) -> str:
        lines = [self["verdict"]] + ([f"fix: {self['fix']}"] if self.get("fix") else [])
        lines += [f"  {k}: {_short(v)}" for k, v in self.items() if k not in ("verdict", "fix")]
        return "\n".join(lines)


def _short(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 300 else text[:297] + "..."


def _health(url: str, timeout: float) -> tuple[bool, str]:
    try:
        with urllib.request.urlopen(url + "_cellucid/health", timeout=timeout) as reply:
            body = json.loads(reply.read())
        return body.get("status") == "ok", f"ok (version {body.get('version')})"
    except Exception as exc:  # any failure to reach the server is the finding itself
        return False, f"unreachable: {exc}"


def _round_trip(viewer, command_type: str, reply_type: str, timeout: float):
    """Send an internal command and wait for its reply event; returns (payload, ms) or None."""
    request_id = secrets.token_hex(6)
    session = viewer._session
    with session.dispatcher.subscribe(reply_type) as replies:
        start = time.perf_counter()
        viewer._command(command_type, {"requestId": request_id}, wait=False)
        try:
            _, payload = replies.next(timeout, lambda p: p.get("requestId") == request_id)
        except TimeoutError:
            return None
        return payload, (time.perf_counter() - start) * 1000


def debug_connection(viewer, timeout: float = 5.0) -> ConnectionReport:
    """Run every check for ``viewer`` and return a `ConnectionReport` with a one-line verdict."""
    session = viewer._session
    report = ConnectionReport(ok=False, viewer_id=viewer.viewer_id, server_url=viewer.server_url,
                              viewer_url=viewer.viewer_url.split("viewerToken=")[0] + "viewerToken=…")
    healthy, report["server_health"] = _health(viewer.server_url, timeout)
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
                        f"open the viewer (display it in a notebook cell, or open "
                        f"{viewer.viewer_url} in a browser); if it is open, it cannot reach "
                        f"{viewer.server_url} — try CELLUCID_ROUTE=proxy in a remote notebook")
    try:
        pong = _round_trip(viewer, "ping", "pong", timeout)
        snapshot = _round_trip(viewer, "debug_snapshot", "debug_snapshot", timeout)
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


def _verdict(report: ConnectionReport, verdict: str, fix: str | None) -> ConnectionReport:
    report["verdict"] = verdict
    report["fix"] = fix
    return report
