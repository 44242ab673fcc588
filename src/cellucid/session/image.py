"""Images of the view: the page renders a PNG when Python asks (``viewer.save_image``) and
uploads it (``POST /_cellucid/image``, `server.uploads`); Python checks that it is one."""

from __future__ import annotations

import struct

MAX_SCALE = 8.0
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(header: bytes) -> tuple[int, int]:
    """``(width, height)`` of a PNG from its first 24 bytes; `ValueError` if it is not a PNG."""
    if len(header) < 24 or not header.startswith(PNG_SIGNATURE) or header[12:16] != b"IHDR":
        raise ValueError("the page did not send a PNG image")
    return struct.unpack(">II", header[16:24])
