"""Images of the view: the page renders a PNG when Python asks (``viewer.save_image``) and
uploads it to ``POST /_cellucid/image``."""

from __future__ import annotations

import struct

from starlette.requests import Request
from starlette.responses import JSONResponse

from .uploads import receive_upload

MAX_IMAGE_BYTES = 256 << 20
MAX_SCALE = 8.0
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def image_endpoint(request: Request) -> JSONResponse:
    """``POST /_cellucid/image``: stream a PNG to a temp file, then emit the ``image`` event."""
    return await receive_upload(
        request, kind="image", event_type="image", media_type="image/png",
        max_bytes=MAX_IMAGE_BYTES, suffix=".png",
        hint="call viewer.save_image(path) from Python to ask for one")


def png_size(header: bytes) -> tuple[int, int]:
    """``(width, height)`` of a PNG from its first 24 bytes; `ValueError` if it is not a PNG."""
    if len(header) < 24 or not header.startswith(PNG_SIGNATURE) or header[12:16] != b"IHDR":
        raise ValueError("the page did not send a PNG image")
    return struct.unpack(">II", header[16:24])
