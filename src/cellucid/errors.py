"""The exceptions cellucid raises, each one failure of the domain.

HTTP-facing errors carry their status code; `server.py` maps them to a JSON reply in one place.
"""

from __future__ import annotations


class ApiError(Exception):
    """A request the server refuses: rendered as ``{"status": ..., "message": ...}`` JSON."""

    def __init__(self, status_code: int, message: str, *, status: str = "error",
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.status = status
        self.headers = headers or {}


class BadEvent(ApiError):
    """An event body that is malformed or fails a check (HTTP 400)."""

    def __init__(self, message: str) -> None:
        super().__init__(400, message)


class CommandError(RuntimeError):
    """The viewer refused a command, or did not acknowledge it in time."""


class ViewerStopped(RuntimeError):
    """The viewer was stopped (``viewer.stop()``) while something waited on it."""


class DatasetError(ValueError):
    """Data that cannot be shown: a corrupt file, no usable embedding, a bad export directory."""
