"""Session bundles: the page's state (highlight groups, selection, colour-by, embedding, camera)
uploaded on request, and the `SessionBundle` Python works with.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from starlette.requests import Request
from starlette.responses import JSONResponse

from .auth import viewer_from_query
from .cells import decode_cells, encode_cells
from .errors import ApiError, BadEvent
from .events import deliver, media_type_is_json

MAX_BUNDLE_BYTES = 256 << 20
MAX_PENDING_REQUESTS = 8
REQUEST_TTL_SECONDS = 600.0
BUNDLE_FORMAT = "cellucid-session"


def open_upload_request(session) -> str:
    """Register a pending bundle request for ``session`` and return its ``requestId``."""
    now = time.monotonic()
    with session.uploads_lock:
        for rid, info in list(session.uploads.items()):
            if now - info["created"] > REQUEST_TTL_SECONDS:
                del session.uploads[rid]
        if len(session.uploads) >= MAX_PENDING_REQUESTS:
            raise RuntimeError(f"{len(session.uploads)} session-bundle requests are already "
                               f"pending for this viewer; wait for them to finish")
        request_id = secrets.token_hex(8)
        session.uploads[request_id] = {"created": now}
    return request_id


def close_upload_request(session, request_id: str) -> None:
    """Forget a bundle request (answered, failed or given up)."""
    with session.uploads_lock:
        session.uploads.pop(request_id, None)


async def session_bundle_endpoint(request: Request) -> JSONResponse:
    """``POST /_cellucid/session_bundle``: stream an upload to a temp file, then emit the event."""
    session = viewer_from_query(request)
    request_id = request.query_params.get("requestId", "")
    with session.uploads_lock:
        pending = session.uploads.pop(request_id, None)
    if pending is None:
        raise ApiError(409, "no session bundle was requested with this requestId; call "
                            "viewer.get_session_bundle() from Python to ask for one")
    if not media_type_is_json(request.headers.get("content-type")):
        _emit(session, request_id, error="the bundle was not sent as application/json")
        raise ApiError(415, "session bundles must be sent as Content-Type: application/json")
    fd, name = tempfile.mkstemp(prefix="cellucid-", suffix=".cellucid-session")
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > MAX_BUNDLE_BYTES:
                    raise ApiError(413, f"session bundle is over {MAX_BUNDLE_BYTES >> 20} MiB")
                out.write(chunk)
    except BaseException as exc:
        os.unlink(name)
        reason = exc.message if isinstance(exc, ApiError) else "the upload was interrupted"
        _emit(session, request_id, error=reason)
        raise
    _emit(session, request_id, path=name, size=size)
    return JSONResponse({"status": "ok", "bytes": size})


def _emit(session, request_id: str, *, path: str | None = None, size: int = 0,
          error: str | None = None) -> None:
    if error is None:
        payload = {"requestId": request_id, "status": "ok", "bytes": size, "path": path}
    else:
        payload = {"requestId": request_id, "status": "error", "error": error}
    deliver(session, "session_bundle", payload)


@dataclass
class HighlightGroup:
    """One named, coloured group of cells."""

    name: str
    color: str
    cells: list[int]


@dataclass
class SessionBundle:
    """What the viewer showed: highlight groups, selection, colour-by, embedding and camera."""

    highlight_groups: list[HighlightGroup] = field(default_factory=list)
    selection: list[int] = field(default_factory=list)
    color_by: dict | None = None
    embedding: str | None = None
    camera: dict | None = None
    n_cells: int = 0

    @classmethod
    def from_json(cls, data: dict, n_cells: int) -> "SessionBundle":
        """Build a bundle from its JSON form; raises `ValueError` saying what is wrong."""
        if not isinstance(data, dict) or data.get("format") != BUNDLE_FORMAT:
            raise ValueError("not a cellucid session bundle (no \"format\": "
                             "\"cellucid-session\" field)")
        try:
            groups = [HighlightGroup(str(g["name"]), str(g["color"]),
                                     decode_cells(g["cells"], n_cells).tolist())
                      for g in data.get("highlightGroups") or []]
            selection = data.get("selection")
            cells = decode_cells(selection, n_cells).tolist() if selection is not None else []
        except (KeyError, TypeError) as exc:
            raise ValueError(f"session bundle has a malformed highlight group ({exc})") from None
        except BadEvent as exc:
            raise ValueError(f"session bundle has bad cells: {exc.message}") from None
        return cls(groups, cells, data.get("colorBy"), data.get("embedding"),
                   data.get("camera"), n_cells)

    def to_json(self) -> dict:
        """The JSON form (as the page uploads it)."""
        return {"format": BUNDLE_FORMAT, "version": 1, "n_cells": self.n_cells,
                "embedding": self.embedding, "colorBy": self.color_by, "camera": self.camera,
                "selection": encode_cells(np.asarray(self.selection), self.n_cells),
                "highlightGroups": [{"name": g.name, "color": g.color,
                                     "cells": encode_cells(np.asarray(g.cells), self.n_cells)}
                                    for g in self.highlight_groups]}

    def save(self, path: str | os.PathLike) -> Path:
        """Write the bundle as JSON to ``path``."""
        path = Path(path)
        path.write_text(json.dumps(self.to_json()))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, n_cells: int | None = None) -> "SessionBundle":
        """Read a bundle saved with `save` (or uploaded by the page)."""
        data = json.loads(Path(path).read_text())
        if n_cells is None:
            n_cells = data.get("n_cells") if isinstance(data, dict) else None
        if not isinstance(n_cells, int):
            raise ValueError("the bundle does not say how many cells it covers; pass n_cells=")
        return cls.from_json(data, n_cells)

    def to_anndata(self, adata, prefix: str = "") -> list[str]:
        """Add each highlight group as a boolean ``obs`` column; returns the column names."""
        if adata.n_obs != self.n_cells:
            raise ValueError(f"this bundle covers {self.n_cells} cells but the AnnData has "
                             f"{adata.n_obs}; apply it to the data it was made from")
        names = []
        for group in self.highlight_groups:
            column = np.zeros(self.n_cells, dtype=bool)
            column[group.cells] = True
            adata.obs[prefix + group.name] = column
            names.append(prefix + group.name)
        return names

    def apply(self, viewer) -> None:
        """Show this bundle's embedding, colour-by, groups and selection in ``viewer``."""
        if self.embedding:
            viewer.set_embedding(self.embedding)
        if self.color_by and self.color_by.get("field"):
            viewer.set_color_by(self.color_by["field"])
        viewer.clear_highlights()
        for group in self.highlight_groups:
            viewer.highlight_cells(group.cells, color=group.color, name=group.name)
        if self.selection:
            viewer.select(self.selection)
