"""Serving the viewer web app that ships in ``cellucid/web/``: no listings, no traversal."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from ..errors import ApiError
from .security import CONTENT_SECURITY_POLICY

WEB_ROOT = Path(__file__).parents[1] / "web"
MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".glsl": "text/plain; charset=utf-8",
    ".vert": "text/plain; charset=utf-8",
    ".frag": "text/plain; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
STATIC_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}


def web_file(relative: str) -> Path:
    """The file under the web root that ``relative`` names; raises `ApiError` 404 otherwise.

    Refuses empty, ``.``/``..`` and hidden segments, backslashes and NUL bytes, and anything that
    resolves outside the web root or to a directory.
    """
    parts = relative.split("/")
    bad = any(p in ("", ".", "..") or p.startswith(".") or "\\" in p or "\x00" in p
              for p in parts)
    path = (WEB_ROOT / relative).resolve() if not bad else None
    root = WEB_ROOT.resolve()
    if path is None or root not in path.parents or not path.is_file() \
            or path.suffix not in MEDIA_TYPES:
        raise ApiError(404, f"no such file in the viewer app: {relative[:200]!r}")
    return path


def _file_response(path: Path) -> Response:
    return FileResponse(path, media_type=MEDIA_TYPES[path.suffix], headers=STATIC_HEADERS)


async def index_endpoint(request: Request) -> Response:
    """``GET /``: the viewer page."""
    return _file_response(web_file("index.html"))


async def web_endpoint(request: Request) -> Response:
    """``GET /web/<path>``: one file of the viewer app."""
    return _file_response(web_file(request.path_params["path"]))
