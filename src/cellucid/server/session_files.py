"""The page's Save session and Open session: ``POST /_cellucid/session/save`` (the page's view
in, the whole ``.cellucid-session`` file out) and ``POST /_cellucid/session/open`` (a session
file in; restored as ``viewer.load_session`` restores it). Both are answered by the viewer's
session (`session.keeper.SessionKeeper`), on a worker thread.

A file that is not a readable session is a 400, a session of other cells a 409 whose
``matchable`` says whether ``strict=0`` can restore it by cell names; never a 5xx.
"""

from __future__ import annotations

from functools import partial

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..errors import ApiError, CommandError, ViewerStopped
from ..sessionfile.document import MAX_SESSION_BYTES
from ..sessionfile.identity import SessionMismatch
from .auth import viewer_from_query


async def session_save_endpoint(request: Request) -> Response:
    """``POST /_cellucid/session/save``: the page's view → the session file's bytes."""
    keeper, body = await _read_session_request(request, "the page's view")
    try:
        data = await anyio.to_thread.run_sync(keeper.save_for_page, body)
    except ValueError as exc:
        raise ApiError(400, f"cannot save this view: {exc}") from None
    return Response(data, media_type="application/json")


async def session_open_endpoint(request: Request) -> JSONResponse:
    """``POST /_cellucid/session/open?strict=1``: restore the session file sent; answers
    ``{"status": "ok", "report": …}`` and sends the page its ``restoreSession`` command."""
    strict = request.query_params.get("strict", "1") != "0"
    keeper, body = await _read_session_request(request, "a session file")
    try:
        report = await anyio.to_thread.run_sync(partial(keeper.open_for_page, body, strict))
    except SessionMismatch as exc:
        return JSONResponse({"status": "error", "message": str(exc),
                             "matchable": exc.matchable}, status_code=409)
    except (ValueError, KeyError) as exc:
        raise ApiError(400, f"cannot open this session: {_message(exc)}") from None
    except (CommandError, ViewerStopped) as exc:
        raise ApiError(409, f"cannot open this session: {exc}") from None
    return JSONResponse({"status": "ok", "report": report.to_json()})


async def _read_session_request(request: Request, what: str):
    keeper = viewer_from_query(request).keeper
    sent = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if sent != "application/json":
        raise ApiError(415, f"{what} must be sent as Content-Type: application/json")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_SESSION_BYTES:
            raise ApiError(413, f"{what} is over {MAX_SESSION_BYTES >> 20} MiB: a session file "
                                f"is at most that")
        chunks.append(chunk)
    return keeper, b"".join(chunks)


def _message(exc: Exception) -> str:
    return exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
