"""Waiting in tests on a condition of the system under test, with a deadline, never a bare sleep."""

from __future__ import annotations

import time
from collections.abc import Callable


def until(condition: Callable[[], object], timeout: float = 10.0, what: str = "a condition"):
    """Return ``condition()``'s first truthy value; `AssertionError` naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.002)
