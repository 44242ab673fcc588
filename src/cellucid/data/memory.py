"""Handing memory freed after a large read back to the system.

Reading a store decompresses whole chunks to keep a few columns of them; the buffers are freed,
but glibc's allocator keeps small freed blocks for reuse, so the process looks tens of MB larger
than what it holds. :func:`release_freed_memory` asks the allocator to return them
(``malloc_trim``); elsewhere (macOS, Windows, musl) it does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys


def release_freed_memory() -> bool:
    """Return freed heap memory to the system where the C library can; whether it could."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return False
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return bool(trim(0))
