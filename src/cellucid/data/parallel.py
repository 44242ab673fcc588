"""Running numpy work over ranges of cells on a few threads at once.

numpy releases the GIL in its element-wise loops, sorts and fancy indexing, so passes over tens
of millions of cells split into ranges run side by side on threads. ``CELLUCID_THREADS`` caps
the threads (default: the CPUs, at most ``MAX_THREADS``); ``1`` runs everything in the calling
thread.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

MAX_THREADS = 4
T = TypeVar("T")


def thread_count() -> int:
    """Threads to use: ``$CELLUCID_THREADS`` when set (``ValueError`` if not a positive
    integer), else the CPUs of this machine, at most ``MAX_THREADS``."""
    raw = os.environ.get("CELLUCID_THREADS", "").strip()
    if raw:
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value < 1:
            raise ValueError(f"CELLUCID_THREADS={raw!r} is not a positive integer")
        return value
    return max(1, min(MAX_THREADS, os.cpu_count() or 1))


def ranges(n: int, step: int) -> Iterator[tuple[int, int]]:
    """``(start, stop)`` pieces of ``[0, n)``, each ``step`` long but the last."""
    for start in range(0, n, step):
        yield start, min(n, start + step)


def map_ranges(function: Callable[[int, int], T], n: int, step: int,
               threads: int | None = None) -> list[T]:
    """``[function(start, stop) for each piece of [0, n)]``, pieces run on ``threads`` threads
    (default :func:`thread_count`; daemon threads, the calling one among them), results in
    order. The first exception of a piece is raised here once every thread has stopped."""
    pieces = list(ranges(n, step))
    threads = thread_count() if threads is None else threads
    if threads <= 1 or len(pieces) <= 1:
        return [function(a, b) for a, b in pieces]
    results: list = [None] * len(pieces)
    errors: list[BaseException] = []
    next_piece = iter(range(len(pieces)))
    lock = threading.Lock()

    def work() -> None:
        while not errors:
            with lock:
                i = next(next_piece, None)
            if i is None:
                return
            try:
                results[i] = function(*pieces[i])
            except BaseException as exc:   # noqa: BLE001 — handed to the caller below
                errors.append(exc)
    helpers = [threading.Thread(target=work, name="cellucid-work", daemon=True)
               for _ in range(min(threads, len(pieces)) - 1)]
    for helper in helpers:
        helper.start()
    work()
    for helper in helpers:
        helper.join()
    if errors:
        raise errors[0]
    return results
