"""The one HTTP server of the process: the Starlette app, its route table, and its thread.

Every viewer of the process is served by the same `Server`, started on first use
(`get_server`) on ``127.0.0.1`` and a free port, in a daemon thread.
"""

from __future__ import annotations

import atexit
import errno
import logging
import socket
import threading
import time

import uvicorn
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from . import __version__
from .auth import viewer_from_query
from .commands import EventStreamResponse
from .data.names import UnknownName
from .data.routes import dataset_routes
from .errors import ApiError
from .events import events_endpoint
from .registry import Registry
from .security import HostCheckMiddleware
from .session import session_bundle_endpoint
from .webapp import index_endpoint, web_endpoint

logger = logging.getLogger("cellucid")

DEFAULT_HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 10.0
MAX_POLL_SECONDS = 25.0


async def health_endpoint(request: Request) -> JSONResponse:
    """``GET /_cellucid/health``: liveness, no token."""
    return JSONResponse({"status": "ok", "version": __version__})


async def info_endpoint(request: Request) -> JSONResponse:
    """``GET /_cellucid/info``: the viewer's own settings."""
    session = viewer_from_query(request)
    return JSONResponse({"status": "ok", "viewerId": session.viewer_id, "version": __version__,
                         "n_cells": session.n_cells, "connected": session.commands.connected,
                         **session.options})


async def commands_endpoint(request: Request):
    """``GET /_cellucid/commands``: the SSE command stream."""
    session = viewer_from_query(request)
    last_seen = request.headers.get("last-event-id", "")
    return EventStreamResponse(session.commands, int(last_seen) if last_seen.isdigit() else 0)


async def poll_endpoint(request: Request) -> JSONResponse:
    """``GET /_cellucid/commands/poll``: the long-poll fallback of the command stream."""
    session = viewer_from_query(request)
    try:
        after = int(request.query_params.get("after", "0"))
        wait = float(request.query_params.get("wait", str(MAX_POLL_SECONDS)))
    except ValueError:
        raise ApiError(400, "'after' must be an integer and 'wait' a number of seconds") from None
    if not 0 <= wait <= MAX_POLL_SECONDS or wait != wait:
        raise ApiError(400, f"'wait' must be between 0 and {MAX_POLL_SECONDS:g} seconds")
    items = await session.commands.poll(after, wait)
    return JSONResponse({"status": "ok",
                         "commands": [{"seq": seq, "command": cmd} for seq, cmd in items]})


async def api_error_handler(request: Request, exc: ApiError) -> JSONResponse:
    return JSONResponse({"status": exc.status, "message": exc.message},
                        status_code=exc.status_code, headers=exc.headers)


async def unknown_name_handler(request: Request, exc: UnknownName) -> JSONResponse:
    return JSONResponse({"status": "error", "message": str(exc)}, status_code=404)


async def http_error_handler(request: Request, exc: HTTPException) -> JSONResponse:
    message = {404: f"no such endpoint: {request.url.path[:200]}",
               405: f"{request.method} is not allowed on {request.url.path[:200]}"}
    return JSONResponse({"status": "error",
                         "message": message.get(exc.status_code, str(exc.detail))},
                        status_code=exc.status_code, headers=getattr(exc, "headers", None))


async def unexpected_error_handler(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("cellucid: unexpected error on %s %s", request.method, request.url.path)
    return JSONResponse({"status": "error", "message": f"internal error: {type(exc).__name__}; "
                         "see the Python log"}, status_code=500)


def routes() -> list[Route]:
    """The whole route table of the server."""
    return [
        Route("/", index_endpoint, methods=["GET", "HEAD"]),
        Route("/web/{path:path}", web_endpoint, methods=["GET", "HEAD"]),
        Route("/_cellucid/health", health_endpoint, methods=["GET", "HEAD"]),
        Route("/_cellucid/info", info_endpoint, methods=["GET"]),
        Route("/_cellucid/events", events_endpoint, methods=["POST"]),
        Route("/_cellucid/commands", commands_endpoint, methods=["GET"]),
        Route("/_cellucid/commands/poll", poll_endpoint, methods=["GET"]),
        Route("/_cellucid/session_bundle", session_bundle_endpoint, methods=["POST"]),
        *dataset_routes(),
    ]


def create_app(registry: Registry, bind_host: str = DEFAULT_HOST) -> Starlette:
    """The ASGI app serving ``registry``'s viewers."""
    app = Starlette(
        routes=routes(),
        middleware=[Middleware(HostCheckMiddleware, bind_host=bind_host)],
        exception_handlers={ApiError: api_error_handler, UnknownName: unknown_name_handler,
                            HTTPException: http_error_handler,
                            Exception: unexpected_error_handler},
    )
    app.state.registry = registry
    return app


class Server:
    """uvicorn serving the app in a daemon thread."""

    def __init__(self, host: str = DEFAULT_HOST, port: int | None = None,
                 registry: Registry | None = None) -> None:
        self.host = host
        self.registry = registry or Registry()
        self.app = create_app(self.registry, host)
        if port:
            _check_port_free(host, port)
        config = uvicorn.Config(self.app, host=host, port=port or 0, log_level="warning",
                                access_log=False, lifespan="off", timeout_graceful_shutdown=1,
                                timeout_keep_alive=30)
        self._uvicorn = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._serve, name="cellucid-server", daemon=True)
        self._error: BaseException | None = None
        self.port = 0

    def _serve(self) -> None:
        try:
            self._uvicorn.run()
        except BaseException as exc:  # SystemExit from uvicorn when it cannot bind
            self._error = exc

    def start(self) -> "Server":
        """Start serving; returns once the socket listens. Raises `OSError` if it cannot."""
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._uvicorn.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise OSError(f"the cellucid server could not start on {self.host}:"
                              f"{self._uvicorn.config.port or 'a free port'}"
                              f" ({self._error!r}); see the log above")
            time.sleep(0.005)
        self.port = self._uvicorn.servers[0].sockets[0].getsockname()[1]
        return self

    @property
    def url(self) -> str:
        """The loopback URL Python itself reaches the server at (trailing slash)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.host in ("0.0.0.0", "::"):
            host = "127.0.0.1"
        return f"http://{host}:{self.port}/"

    @property
    def running(self) -> bool:
        """Whether the server thread is serving."""
        return self._thread.is_alive() and self._uvicorn.started

    def stop(self, timeout: float = 5.0) -> None:
        """End every command stream and stop serving; returns when the socket is closed.

        The registry survives, so a new `Server` on the same port with the same registry
        (``Server(port=old.port, registry=old.registry)``) serves the same viewers again.
        """
        for session in self.registry.sessions():
            session.commands.disconnect_all()
        self._uvicorn.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                raise OSError(exc.errno, f"port {port} on {host} is already in use; pass another "
                              f"port, or port=None to pick a free one") from None
            raise


_server: Server | None = None
_server_lock = threading.Lock()


def get_server(port: int | None = None, host: str = DEFAULT_HOST) -> Server:
    """The process's server, started on first use.

    ``port``/``host`` apply when it starts; asking later for another port or host raises
    `ValueError` (one server per process).
    """
    global _server
    with _server_lock:
        if _server is not None and not _server.running:
            _server = None
        if _server is None:
            _server = Server(host, port).start()
        elif (port and port != _server.port) or host != _server.host:
            raise ValueError(
                f"the cellucid server of this process already runs on {_server.host}:"
                f"{_server.port}; every viewer shares it, so leave port/host unset "
                f"(or restart Python to change them)")
        return _server


def shutdown_server() -> None:
    """Stop the process's server if it runs (called at interpreter exit)."""
    global _server
    with _server_lock:
        if _server is not None:
            _server.stop()
            _server = None


atexit.register(shutdown_server)
