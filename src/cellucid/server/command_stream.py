"""The page's side of the command channel: ``GET /_cellucid/commands`` (Server-Sent Events) and
its long-poll fallback ``GET /_cellucid/commands/poll``."""

from __future__ import annotations

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ..errors import ApiError
from ..session.commands import CommandChannel
from .auth import viewer_from_query

MAX_POLL_SECONDS = 25.0


class EventStreamResponse(Response):
    """An SSE response that ends as soon as the client disconnects."""

    def __init__(self, channel: CommandChannel, last_seen: int = 0) -> None:
        self.channel = channel
        self.last_seen = last_seen
        self.status_code = 200
        self.background = None
        self.init_headers({"content-type": "text/event-stream; charset=utf-8",
                           "cache-control": "no-cache, no-transform",
                           "x-accel-buffering": "no"})

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        async with anyio.create_task_group() as group:
            async def watch_disconnect() -> None:
                while (await receive())["type"] != "http.disconnect":
                    pass
                group.cancel_scope.cancel()

            group.start_soon(watch_disconnect)
            try:
                async for chunk in self.channel.stream(self.last_seen):
                    await send({"type": "http.response.body", "body": chunk.encode(),
                                "more_body": True})
                await send({"type": "http.response.body", "body": b"", "more_body": False})
            except OSError:
                pass
            group.cancel_scope.cancel()


async def commands_endpoint(request: Request) -> EventStreamResponse:
    """``GET /_cellucid/commands``: the SSE command stream."""
    session = viewer_from_query(request)
    last_seen = request.headers.get("last-event-id", "")
    return EventStreamResponse(session.commands, int(last_seen) if last_seen.isdigit() else 0)


async def poll_endpoint(request: Request) -> JSONResponse:
    """``GET /_cellucid/commands/poll``: the long-poll fallback of the command stream."""
    session = viewer_from_query(request)
    try:
        after = int(request.query_params.get("after", "0"))
        wait = float(request.query_params.get("wait", str(MAX_POLL_SECONDS)))
    except ValueError:
        raise ApiError(400, "'after' must be an integer and 'wait' a number of seconds") from None
    if not 0 <= wait <= MAX_POLL_SECONDS or wait != wait:
        raise ApiError(400, f"'wait' must be between 0 and {MAX_POLL_SECONDS:g} seconds")
    items = await session.commands.poll(after, wait)
    return JSONResponse({"status": "ok",
                         "commands": [{"seq": seq, "command": cmd} for seq, cmd in items]})
