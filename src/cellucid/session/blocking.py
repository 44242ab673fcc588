"""The one blocking loop of the synchronous API: every wait for the page goes through `wait`.

On a thread that reads a notebook kernel's shell messages (a running cell, a widget callback),
the page's messages would otherwise wait for that very thread: `wait` then blocks in slices of
`SLICE_SECONDS` and answers them in between (`comm_pump`). Anywhere else it blocks once, for the
whole timeout. Either way the notebook's interrupt (SIGINT → `KeyboardInterrupt`) ends it at
once: lock waits are interruptible, and a slice is short.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from ..notebook import comm_pump

T = TypeVar("T")
SLICE_SECONDS = 0.005


def wait(take: Callable[[float | None], T | None], timeout: float | None,
         timed_out: Callable[[], Exception]) -> T:
    """Call ``take(seconds)`` — which blocks at most that long (None: without limit) and returns
    a result or None — until it returns a result, and return it.

    Raises ``timed_out()`` once ``timeout`` seconds have passed (``None``: never), and whatever
    ``take`` raises.
    """
    pump = comm_pump.pump_here()
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        if pump is not None:
            pump.pump()
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise timed_out()
        if pump is not None:
            remaining = SLICE_SECONDS if remaining is None else min(remaining, SLICE_SECONDS)
        result = take(remaining)
        if result is not None:
            return result
