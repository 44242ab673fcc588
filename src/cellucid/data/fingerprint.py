"""Cheap fingerprints and content hashes of obs columns and ``obsm`` values, to notice changes.

A :class:`Fingerprint` says *where* a value lives and what it is (dtype, length, address of its
data buffer, identity of its categories, its ``uns`` colours) without reading the values: taking
one costs microseconds whatever the number of cells. It changes when a column or array is
replaced, retyped, resized or recoloured; it does NOT change when values are written into the same
buffer in place (``adata.obs.loc[mask, "x"] = 5``). :func:`column_content` and
:func:`array_content` hash the bytes themselves (``zlib.crc32``, about 2 ms per 8 MB) and catch
those in-place edits too.

A fingerprint holds a reference to what it looked at (``keep``): while it is cached, that memory
cannot be freed and handed to a new array at the same address, so an unchanged address really
means the same buffer.
"""

from __future__ import annotations

import ctypes
import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Fingerprint:
    """What a value is and where it lives; equal fingerprints mean an unchanged value (bar in-place
    writes). ``key`` holds only numbers and strings; ``keep`` is not compared."""

    key: tuple
    keep: tuple = field(default=(), compare=False, repr=False)


def _address(buffer) -> int:
    if isinstance(buffer, np.ndarray):
        return int(buffer.__array_interface__["data"][0])
    return int(buffer.address)  # a pyarrow Buffer


def _where(buffer) -> tuple:
    if isinstance(buffer, np.ndarray):
        return _address(buffer), buffer.strides
    return _address(buffer), buffer.size


def _crc(buffer, crc: int) -> int:
    if not isinstance(buffer, np.ndarray):
        return zlib.crc32(memoryview(buffer), crc)  # a pyarrow Buffer
    arr = np.ascontiguousarray(buffer)
    if arr.dtype.hasobject:
        # object arrays have no buffer interface: hash their pointers (same pointers = same
        # objects, alive since the array holds them; equal strings at other addresses only cost
        # a needless re-classification)
        if arr.nbytes == 0:
            return crc
        raw = (ctypes.c_char * arr.nbytes).from_address(arr.__array_interface__["data"][0])
        return zlib.crc32(raw, crc)
    return zlib.crc32(memoryview(arr.reshape(-1).view(np.uint8)), crc)


def _column_buffers(series: pd.Series) -> tuple[list, tuple]:
    """The data buffers behind a column, and objects whose identity stands for the rest."""
    if isinstance(series.dtype, np.dtype):
        return [series.to_numpy()], ()
    array = series.array
    if isinstance(array, pd.Categorical):
        return [array.codes], (array.categories,)
    # pandas' masked arrays (Int64, boolean...) and numpy-backed extension arrays (strings, tz-aware
    # dates) keep plain ndarrays in these private slots; arrow-backed ones a pyarrow ChunkedArray
    parts = [getattr(array, slot, None) for slot in ("_data", "_mask", "_ndarray")]
    parts = [p for p in parts if isinstance(p, np.ndarray)]
    if parts:
        return parts, ()
    chunked = getattr(array, "_pa_array", None)
    if chunked is not None:
        return [b for chunk in chunked.chunks for b in chunk.buffers() if b is not None], (chunked,)
    return [], (array,)  # unknown storage: only its identity says whether it was replaced


def colors_key(colors) -> tuple | None:
    """``uns[f"{name}_colors"]`` as a tuple of strings (None when absent or unreadable)."""
    if colors is None:
        return None
    try:
        return tuple(str(c) for c in list(colors))
    except TypeError:
        return None


def column_fingerprint(series: pd.Series, colors=None) -> Fingerprint:
    """The :class:`Fingerprint` of one obs column and its scanpy colours (``uns[..._colors]``)."""
    buffers, identities = _column_buffers(series)
    key = (str(series.dtype), len(series), tuple(_where(b) for b in buffers),
           tuple(id(o) for o in identities), colors_key(colors))
    return Fingerprint(key, (*buffers, *identities))


def column_content(series: pd.Series) -> int | None:
    """A CRC of the bytes behind one obs column, or None when its storage cannot be hashed."""
    buffers, identities = _column_buffers(series)
    if not buffers and identities:
        return None
    crc = 0
    for buffer in buffers:
        crc = _crc(buffer, crc)
    return crc


def array_fingerprint(value) -> Fingerprint:
    """The :class:`Fingerprint` of one ``obsm`` value (numpy array, data frame or anything else)."""
    if isinstance(value, np.ndarray):
        key = ("ndarray", value.shape, value.dtype.str, value.strides, _address(value))
    else:
        key = (type(value).__name__, tuple(getattr(value, "shape", ())), id(value))
    return Fingerprint(key, (value,))


def array_content(columns: np.ndarray) -> int:
    """A CRC of the bytes of an array (the float32 coordinates an embedding was built from)."""
    return _crc(columns, 0)
