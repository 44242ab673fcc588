"""Large arrays whose memory is made at once.

A fresh array of hundreds of megabytes is paid for page by page as it is first written: on a
virtual machine under load, 60M uint32 cell indices (240 MB) took over a second to fill for the
first time, against 0.1 s once its memory was mapped. :func:`filled_empty` maps the memory in one
call (``MAP_POPULATE``) where the system offers it, so writing it costs only the writing.
"""

from __future__ import annotations

import mmap

import numpy as np

POPULATE_BYTES = 16 << 20   # smaller arrays come from numpy's allocator as usual


def filled_empty(n: int, dtype) -> np.ndarray:
    """An uninitialised 1-D array of ``n`` values of ``dtype`` whose memory is mapped already
    (``np.empty`` for small arrays, or where ``MAP_POPULATE`` does not exist)."""
    dtype = np.dtype(dtype)
    size = int(n) * dtype.itemsize
    flags = getattr(mmap, "MAP_POPULATE", None)
    if size < POPULATE_BYTES or flags is None:
        return np.empty(n, dtype=dtype)
    try:
        region = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | flags)
    except (OSError, ValueError):
        return np.empty(n, dtype=dtype)
    return np.frombuffer(region, dtype=dtype)
