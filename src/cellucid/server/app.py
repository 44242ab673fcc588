"""The server's app: its whole endpoint table, and how errors become replies.

Every endpoint of the process's server is listed in `endpoints()`, and every exception that maps
to an HTTP status is mapped in `create_app()`: nowhere else.
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .._version import __version__
from ..data.names import UnknownName
from ..errors import ApiError, DatasetError
from .auth import viewer_from_query
from .command_stream import commands_endpoint, poll_endpoint
from .dataset_api import dataset_endpoints
from .events import events_endpoint
from .registry import Registry
from .security import AllowedHosts, HostCheckMiddleware
from .tile_api import tile_endpoints
from .session_files import session_open_endpoint, session_save_endpoint
from .uploads import image_endpoint, session_bundle_endpoint
from .webapp import index_endpoint, web_endpoint

logger = logging.getLogger("cellucid")


async def health_endpoint(request: Request) -> JSONResponse:
    """``GET /_cellucid/health``: liveness, no token."""
    return JSONResponse({"status": "ok", "version": __version__})


async def info_endpoint(request: Request) -> JSONResponse:
    """``GET /_cellucid/info``: the viewer's own settings."""
    session = viewer_from_query(request)
    return JSONResponse({"status": "ok", "viewerId": session.viewer_id, "version": __version__,
                         "n_cells": session.n_cells, "connected": session.commands.connected,
                         **session.options})


def endpoints() -> list[Route]:
    """Every endpoint of the server (Starlette's `Route`: a path, a handler, its methods)."""
    return [
        Route("/", index_endpoint, methods=["GET", "HEAD"]),
        Route("/web/{path:path}", web_endpoint, methods=["GET", "HEAD"]),
        Route("/_cellucid/health", health_endpoint, methods=["GET", "HEAD"]),
        Route("/_cellucid/info", info_endpoint, methods=["GET"]),
        Route("/_cellucid/events", events_endpoint, methods=["POST"]),
        Route("/_cellucid/commands", commands_endpoint, methods=["GET"]),
        Route("/_cellucid/commands/poll", poll_endpoint, methods=["GET"]),
        Route("/_cellucid/session_bundle", session_bundle_endpoint, methods=["POST"]),
        Route("/_cellucid/session/save", session_save_endpoint, methods=["POST"]),
        Route("/_cellucid/session/open", session_open_endpoint, methods=["POST"]),
        Route("/_cellucid/image", image_endpoint, methods=["POST"]),
        *dataset_endpoints(),
        *tile_endpoints(),
    ]


async def api_error_handler(request: Request, exc: ApiError) -> JSONResponse:
    return JSONResponse({"status": exc.status, "message": exc.message},
                        status_code=exc.status_code, headers=exc.headers)


async def unknown_name_handler(request: Request, exc: UnknownName) -> JSONResponse:
    return JSONResponse({"status": "error", "message": str(exc)}, status_code=404)


async def dataset_error_handler(request: Request, exc: DatasetError) -> JSONResponse:
    return JSONResponse({"status": "error", "message": str(exc)}, status_code=400)


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


def create_app(registry: Registry, allowed_hosts: AllowedHosts) -> Starlette:
    """The ASGI app serving ``registry``'s viewers to requests whose Host is allowed."""
    app = Starlette(
        routes=endpoints(),
        middleware=[Middleware(HostCheckMiddleware, allowed=allowed_hosts)],
        exception_handlers={ApiError: api_error_handler, UnknownName: unknown_name_handler,
                            DatasetError: dataset_error_handler,
                            HTTPException: http_error_handler,
                            Exception: unexpected_error_handler},
    )
    app.state.registry = registry
    return app
