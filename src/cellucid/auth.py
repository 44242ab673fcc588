"""Finding the viewer a request is for, from its ``viewerId``/``viewerToken`` query parameters."""

from __future__ import annotations

from starlette.requests import Request

from .session import ViewerSession


def viewer_from_query(request: Request) -> ViewerSession:
    """The authenticated viewer session of a request; raises `ApiError` (403/404/400)."""
    params = request.query_params
    return request.app.state.registry.authenticate(params.get("viewerId"),
                                                   params.get("viewerToken"))
