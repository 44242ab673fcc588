"""The upload endpoints: ``POST /_cellucid/session_bundle`` and ``POST /_cellucid/image``.

The page uploads a file only when Python asked for one (`session.uploads`): the body is streamed
to a temporary file, size-capped, and the viewer's session gets the event it waits for —
``{requestId, status: "ok", bytes, path}`` or ``{requestId, status: "error", error}``.
"""

from __future__ import annotations

import os
import tempfile

from starlette.requests import Request
from starlette.responses import JSONResponse

from ..errors import ApiError
from .auth import viewer_from_query

MAX_BUNDLE_BYTES = 256 << 20
MAX_IMAGE_BYTES = 256 << 20


async def receive_upload(request: Request, *, kind: str, event_type: str, media_type: str,
                         max_bytes: int, suffix: str, hint: str) -> JSONResponse:
    """Stream the body of an upload of ``kind`` to a temporary file, then emit ``event_type``.

    Refuses (409) an upload nobody asked for (``hint`` says how to ask), 415 another media type,
    413 a body over ``max_bytes``; each refusal of a pending request also emits the error event,
    so the waiting Python call ends at once.
    """
    session = viewer_from_query(request)
    request_id = request.query_params.get("requestId", "")
    if not session.uploads.take(request_id, kind):
        raise ApiError(409, f"no {kind} was requested with this requestId; {hint}")
    sent = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if sent != media_type:
        _emit(session, event_type, request_id, error=f"the {kind} was not sent as {media_type}")
        raise ApiError(415, f"a {kind} must be sent as Content-Type: {media_type}")
    fd, name = tempfile.mkstemp(prefix="cellucid-", suffix=suffix)
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > max_bytes:
                    raise ApiError(413, f"the {kind} is over {max_bytes >> 20} MiB")
                out.write(chunk)
    except BaseException as exc:
        os.unlink(name)
        reason = exc.message if isinstance(exc, ApiError) else "the upload was interrupted"
        _emit(session, event_type, request_id, error=reason)
        raise
    _emit(session, event_type, request_id, path=name, size=size)
    return JSONResponse({"status": "ok", "bytes": size})


def _emit(session, event_type: str, request_id: str, *, path: str | None = None, size: int = 0,
          error: str | None = None) -> None:
    if error is None:
        payload = {"requestId": request_id, "status": "ok", "bytes": size, "path": path}
    else:
        payload = {"requestId": request_id, "status": "error", "error": error}
    session.deliver(event_type, payload)


async def session_bundle_endpoint(request: Request) -> JSONResponse:
    """``POST /_cellucid/session_bundle``: stream an upload to a temp file, then emit the event."""
    return await receive_upload(
        request, kind="session bundle", event_type="session_bundle",
        media_type="application/json", max_bytes=MAX_BUNDLE_BYTES, suffix=".cellucid-session",
        hint="call viewer.get_session_bundle() from Python to ask for one")


async def image_endpoint(request: Request) -> JSONResponse:
    """``POST /_cellucid/image``: stream a PNG to a temp file, then emit the ``image`` event."""
    return await receive_upload(
        request, kind="image", event_type="image", media_type="image/png",
        max_bytes=MAX_IMAGE_BYTES, suffix=".png",
        hint="call viewer.save_image(path) from Python to ask for one")
