"""Serving until Ctrl-C: block the calling thread, then stop the viewer (scripts and the CLI)."""

from __future__ import annotations

import signal
import threading


def block_until_interrupted(viewer) -> None:
    """Block the calling thread until Ctrl-C (or SIGTERM), then stop ``viewer``."""
    restore = _sigterm_as_interrupt()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("\ncellucid: stopping", flush=True)
    finally:
        viewer.stop("The cellucid server was stopped (Ctrl-C).")
        restore()


def _sigterm_as_interrupt():
    """Make SIGTERM stop the server like Ctrl-C (main thread only); returns the undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    return lambda: signal.signal(signal.SIGTERM, previous)
