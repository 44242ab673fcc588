"""The server side: the process's one HTTP server, its endpoints, and the checks every request
passes (token, Host, sizes)."""

from .server import Server, get_server, shutdown_server

__all__ = ["Server", "get_server", "shutdown_server"]
