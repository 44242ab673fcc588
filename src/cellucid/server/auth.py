"""Finding the viewer a request is for, from its ``viewerId``/``viewerToken`` query parameters."""

from __future__ import annotations

from starlette.requests import Request

from ..notebook.transport import request_transport
from ..session.session import ViewerSession


def viewer_from_query(request: Request) -> ViewerSession:
    """The authenticated viewer session of a request; raises `ApiError` (403/404/400).

    Records on the session which transport (HTTP or the notebook's comm) the request came by.
    """
    params = request.query_params
    session = request.app.state.registry.authenticate(params.get("viewerId"),
                                                      params.get("viewerToken"))
    session.transport.note(request_transport(request.headers))
    return session
