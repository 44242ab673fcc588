"""The one HTTP server of the process: uvicorn serving the app of `app.py` in a thread.

Every viewer of the process is served by the same `Server`, started on first use
(`get_server`) on ``127.0.0.1`` and a free port, in a daemon thread.
"""

from __future__ import annotations

import asyncio
import atexit
import errno
import socket
import threading
import time

import uvicorn

from ..hosts import DEFAULT_HOST, reachable_host
from .app import create_app
from .registry import Registry
from .security import AllowedHosts

START_TIMEOUT_SECONDS = 10.0


class _Uvicorn(uvicorn.Server):
    """uvicorn's server, keeping the event loop it serves on: requests that arrive over a
    notebook's comm instead of a socket (`comm_requests.py`) run on that same loop."""

    loop: asyncio.AbstractEventLoop | None = None

    async def startup(self, sockets=None) -> None:
        self.loop = asyncio.get_running_loop()
        await super().startup(sockets=sockets)


class Server:
    """uvicorn serving the app in a daemon thread."""

    def __init__(self, host: str = DEFAULT_HOST, port: int | None = None,
                 registry: Registry | None = None) -> None:
        self.host = host
        self.registry = registry or Registry()
        self.allowed_hosts = AllowedHosts(host)
        self.app = create_app(self.registry, self.allowed_hosts)
        if port:
            _check_port_free(host, port)
        config = uvicorn.Config(self.app, host=host, port=port or 0, log_level="warning",
                                access_log=False, lifespan="off", timeout_graceful_shutdown=1,
                                timeout_keep_alive=30)
        self._uvicorn = _Uvicorn(config)
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
        return f"http://{reachable_host(self.host)}:{self.port}/"

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The event loop the app runs on (None before `start`)."""
        return self._uvicorn.loop

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
