"""``POST /_cellucid/events``: read, parse, check, decode and route one event from a viewer page.

Only what is routed or decoded is validated (``type``, ``viewerId``, ``viewerToken``, ``eventId``
and the cell fields); every other payload field passes through unchecked.
"""

from __future__ import annotations

import json
import re

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse

from ..errors import ApiError, BadEvent
from ..notebook.transport import request_transport
from ..session.dispatch import QueueFull
from ..session.session import ViewerSession
from . import event_checks
from .registry import Registry

ROUTING_FIELDS = ("type", "viewerId", "viewerToken", "eventId")
SERVER_ONLY_TYPES = frozenset({"session_bundle", "image", "comparison"})
# The fields decoded into lists of cells, per event type (their memory counts in the queue).
CELL_LIST_FIELDS = {"selection": ("cells",), "annotation": ("cells",),
                    "compare_request": ("group", "reference")}
MAX_TYPE_LENGTH = 256
MAX_EVENT_ID_LENGTH = 128
MAX_DEPTH = 64
OFF_LOOP_BYTES = 256 << 10   # bodies larger than this are decoded on a worker thread
# Events the kernel may work on for a while (a selection resolved over every cell) are routed on
# a worker thread too; a body naming one of these types is enough to go there.
_KERNEL_WORK = re.compile(rb'"type"\s*:\s*"(selection|mask|annotation|compare_request)"')
RETRY_AFTER_SECONDS = 1
BYTES_PER_LISTED_CELL = 40   # a Python int in a list: pointer + int object
# Raw UTF-8 cannot carry a surrogate, so one can only come from a \uD8xx–\uDFxx escape: bodies
# without one skip the full check.
_MAYBE_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


def media_type_is_json(content_type: str | None) -> bool:
    """Whether a Content-Type header names ``application/json`` (parameters allowed)."""
    if not content_type:
        return False
    return content_type.split(";", 1)[0].strip().lower() == "application/json"


async def read_body(request: Request, limit: int) -> bytes:
    """Read the request body, refusing (413) as soon as it exceeds ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise ApiError(400, "Content-Length must be a non-negative integer")
        if int(declared) > limit:
            raise _too_large(int(declared), limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(size, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(size: int, limit: int) -> ApiError:
    return ApiError(413, f"event body of {size} bytes is over this viewer's limit of {limit} "
                         f"bytes; send large cell sets as a bitmask (see docs/events.md)")


def parse_event_body(body: bytes) -> dict:
    """Decode a body into a JSON object; raises `BadEvent` saying what is wrong with it."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadEvent("event body is not valid UTF-8 JSON") from None
    try:
        obj = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise BadEvent(f"event JSON is nested too deeply (limit {MAX_DEPTH} levels)") from None
    except ValueError as exc:  # JSONDecodeError, over-long integers
        raise BadEvent(f"event body is not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise BadEvent(f"event body must be a JSON object, got a JSON {type(obj).__name__}")
    if body.count(b"[") + body.count(b"{") > MAX_DEPTH and _depth_exceeds(obj, MAX_DEPTH):
        raise BadEvent(f"event JSON is nested too deeply (limit {MAX_DEPTH} levels)")
    return obj


def _has_lone_surrogate(obj: dict) -> bool:
    """Whether any key or string in ``obj`` holds an unpaired surrogate (not encodable)."""
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _reject_constant(name: str) -> None:
    raise BadEvent(f"event JSON contains {name}, which is not valid JSON")


def _depth_exceeds(value: object, budget: int) -> bool:
    if budget < 0:
        return True
    if isinstance(value, dict):
        return any(_depth_exceeds(v, budget - 1) for v in value.values())
    if isinstance(value, list):
        return any(_depth_exceeds(v, budget - 1) for v in value
                   if isinstance(v, (dict, list)))
    return False


def check_event(registry: Registry, obj: dict, body: bytes) -> tuple[ViewerSession, str, dict]:
    """Authenticate and validate an event object parsed from ``body``; returns (session, type,
    hook payload).

    The payload's cell fields are decoded to plain lists of ints. Raises `ApiError`.
    """
    session = registry.authenticate(obj.get("viewerId"), obj.get("viewerToken"))
    if len(body) > session.event_limit:
        raise _too_large(len(body), session.event_limit)
    if _MAYBE_SURROGATE.search(body) and _has_lone_surrogate(obj):
        raise BadEvent("event JSON holds a lone UTF-16 surrogate escape (\\ud800–\\udfff "
                       "without its pair): every string must be valid Unicode")
    event_type = obj.get("type")
    if not isinstance(event_type, str) or not event_type:
        raise BadEvent("event needs a non-empty string 'type' (e.g. \"selection\")")
    if len(event_type) > MAX_TYPE_LENGTH:
        raise BadEvent(f"event 'type' is longer than {MAX_TYPE_LENGTH} characters")
    if event_type in SERVER_ONLY_TYPES:
        raise BadEvent(f"'{event_type}' events are emitted by the server only")
    event_id = obj.get("eventId")
    if event_id is not None and (not isinstance(event_id, str)
                                 or not 0 < len(event_id) <= MAX_EVENT_ID_LENGTH):
        raise BadEvent(f"'eventId' must be a string of 1 to {MAX_EVENT_ID_LENGTH} characters")
    payload = {k: v for k, v in obj.items() if k not in ROUTING_FIELDS}
    _decode_cell_fields(event_type, payload, session)
    return session, event_type, payload


def _decode_cell_fields(event_type: str, payload: dict, session: ViewerSession) -> None:
    n_cells = session.n_cells
    check = event_checks.CHECKS.get(event_type)
    if event_type == "selection":
        session.selection.check_selection(payload)
    elif event_type == "mask":
        session.selection.check_mask_event(payload)
    elif check is not None:
        check(payload, n_cells, session.selection.resolve_ref)
    elif event_type in ("hover", "click") and "cell" in payload:
        cell = payload["cell"]
        if cell is None and event_type == "hover":
            return
        if type(cell) is not int or not 0 <= cell < n_cells:
            allowed = "an integer or null" if event_type == "hover" else "an integer"
            raise BadEvent(f"'{event_type}.cell' must be {allowed} in [0, {n_cells}), "
                           f"got {cell!r}")


def process_event(registry: Registry, body: bytes, transport: str = "http") -> dict:
    """Parse, check and route one event body that came by ``transport`` (``"http"`` or
    ``"comm"``); returns the JSON reply. Raises `ApiError`."""
    obj = parse_event_body(body)
    session, event_type, payload = check_event(registry, obj, body)
    session.transport.note(transport)
    event_id = obj.get("eventId")
    if event_id is not None and not session.recent_ids.add(event_id):
        return {"status": "ok", "duplicate": True}
    listed = sum(len(payload[f]) for f in CELL_LIST_FIELDS.get(event_type, ())
                 if isinstance(payload.get(f), list))
    size = len(body) + BYTES_PER_LISTED_CELL * listed
    try:
        session.deliver(event_type, payload, size)
    except QueueFull as exc:
        if event_id is not None:
            session.recent_ids.discard(event_id)
        raise ApiError(429, f"{exc}; retry in {RETRY_AFTER_SECONDS} s",
                       headers={"Retry-After": str(RETRY_AFTER_SECONDS)}) from None
    return {"status": "ok"}


async def events_endpoint(request: Request) -> JSONResponse:
    """The ``POST /_cellucid/events`` handler."""
    if not media_type_is_json(request.headers.get("content-type")):
        raise ApiError(415, "events must be sent as Content-Type: application/json")
    registry: Registry = request.app.state.registry
    body = await read_body(request, registry.max_event_limit())
    transport = request_transport(request.headers)
    if len(body) > OFF_LOOP_BYTES or _KERNEL_WORK.search(body):
        reply = await anyio.to_thread.run_sync(process_event, registry, body, transport)
    else:
        reply = process_event(registry, body, transport)
    return JSONResponse(reply)
