"""``POST /_cellucid/session_bundle``: the page's view, uploaded when Python asks for it
(``viewer.get_session_bundle()``, ``viewer.save_session()``). What it becomes is
`sessionfile.SessionBundle`.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from .uploads import receive_upload

MAX_BUNDLE_BYTES = 256 << 20


async def session_bundle_endpoint(request: Request) -> JSONResponse:
    """``POST /_cellucid/session_bundle``: stream an upload to a temp file, then emit the event."""
    return await receive_upload(
        request, kind="session bundle", event_type="session_bundle",
        media_type="application/json", max_bytes=MAX_BUNDLE_BYTES, suffix=".cellucid-session",
        hint="call viewer.get_session_bundle() from Python to ask for one")
