"""Files the page uploads when Python asks for them (session bundles, images).

Python registers a request (`open_upload_request`), tells the page its ``requestId`` in a
command, and waits for the event the upload endpoint emits: ``{requestId, status: "ok", bytes,
path}`` (a temporary file, Python's to move or delete) or ``{requestId, status: "error", error}``.
An upload is taken only for a pending request of its own kind, streamed to disk, size-capped.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import time

from starlette.requests import Request
from starlette.responses import JSONResponse

from .auth import viewer_from_query
from ..errors import ApiError
from .events import deliver

MAX_BUNDLE_BYTES = 256 << 20
MAX_IMAGE_BYTES = 256 << 20
MAX_PENDING_REQUESTS = 8
REQUEST_TTL_SECONDS = 600.0


def open_upload_request(session, kind: str) -> str:
    """Register a pending upload of ``kind`` for ``session`` and return its ``requestId``."""
    now = time.monotonic()
    with session.uploads_lock:
        for rid, info in list(session.uploads.items()):
            if now - info["created"] > REQUEST_TTL_SECONDS:
                del session.uploads[rid]
        if len(session.uploads) >= MAX_PENDING_REQUESTS:
            raise RuntimeError(f"{len(session.uploads)} uploads are already pending for this "
                               f"viewer; wait for them to finish")
        request_id = secrets.token_hex(8)
        session.uploads[request_id] = {"created": now, "kind": kind}
    return request_id


def close_upload_request(session, request_id: str) -> None:
    """Forget an upload request (answered, failed or given up)."""
    with session.uploads_lock:
        session.uploads.pop(request_id, None)


async def receive_upload(request: Request, *, kind: str, event_type: str, media_type: str,
                         max_bytes: int, suffix: str, hint: str) -> JSONResponse:
    """Stream the body of an upload of ``kind`` to a temporary file, then emit ``event_type``.

    Refuses (409) an upload nobody asked for (``hint`` says how to ask), 415 another media type,
    413 a body over ``max_bytes``; each refusal of a pending request also emits the error event,
    so the waiting Python call ends at once.
    """
    session = viewer_from_query(request)
    request_id = request.query_params.get("requestId", "")
    with session.uploads_lock:
        pending = session.uploads.get(request_id)
        if pending is not None and pending["kind"] == kind:
            del session.uploads[request_id]
        else:
            pending = None
    if pending is None:
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
    deliver(session, event_type, payload)


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
