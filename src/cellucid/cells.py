"""The cell-list wire codec: a JSON array of row positions, or a (deflated) bitmask object.

Both directions use it: `decode_cells` for events coming from the page, `encode_cells` for
commands going to it. docs/protocol.md ("Cell lists") describes the format.
"""

from __future__ import annotations

import base64
import binascii
import math
import zlib
from collections.abc import Callable, Iterable

import numpy as np

from .errors import BadEvent

BITMASK = "bitmask"
REF = "ref"
COMPRESSIONS = ("deflate-raw", "none")
ARRAY_LIMIT_BYTES = 1 << 20
BITMASK_SLACK_BYTES = 256 << 10


def mask_bytes(n_cells: int) -> int:
    """Length of the uncompressed bitmask of ``n_cells`` cells."""
    return (n_cells + 7) // 8


def base64_length(n_bytes: int) -> int:
    """Length of the standard (padded) base64 text of ``n_bytes`` bytes."""
    return 4 * math.ceil(n_bytes / 3)


def event_size_limit(n_cells: int) -> int:
    """The largest event body accepted for a viewer of ``n_cells`` cells (the size rule of §3.1)."""
    return max(ARRAY_LIMIT_BYTES, base64_length(mask_bytes(n_cells)) + BITMASK_SLACK_BYTES)


def decode_cells(value: object, n_cells: int, field: str = "cells",
                 refs: Callable[[str], np.ndarray] | None = None) -> np.ndarray:
    """Decode a wire cell list into a sorted, de-duplicated ``int64`` array.

    ``refs(name)`` gives the cells of a set the kernel holds, for the reference form
    ``{"encoding": "ref", "mask": name}`` (refused without it). Raises `BadEvent` naming the
    failed check (type, range, encoding, base64, length, padding bits, count, reference).
    """
    if isinstance(value, list):
        return _decode_array(value, n_cells, field)
    if isinstance(value, dict) and value.get("encoding") == REF:
        return _decode_ref(value, field, refs)
    if isinstance(value, dict):
        return _decode_bitmask(value, n_cells, field)
    raise BadEvent(f"'{field}' must be a list of cell indices or a bitmask object, "
                   f"not {type(value).__name__}")


def _decode_array(value: list, n_cells: int, field: str) -> np.ndarray:
    if not value:
        return np.empty(0, dtype=np.int64)
    if set(map(type, value)) != {int}:
        raise BadEvent(f"'{field}' must be a flat list of integer cell indices "
                       f"(no floats, booleans, strings or nested lists)")
    try:
        arr = np.asarray(value, dtype=np.int64)
    except OverflowError:
        raise BadEvent(f"'{field}' holds an integer too large to be a cell index") from None
    bad = _first_out_of_range(arr, n_cells)
    if bad is not None:
        raise BadEvent(f"'{field}' holds cell {bad}, outside [0, {n_cells}) for this dataset "
                       f"of {n_cells} cells")
    return np.unique(arr)


def _decode_ref(value: dict, field: str, refs) -> np.ndarray:
    name = value.get("mask")
    if refs is None:
        raise BadEvent(f"'{field}' refers to the kernel's set {str(name)[:80]!r}, which only a "
                       f"viewer's own events can do")
    if not isinstance(name, str):
        raise BadEvent(f"'{field}.mask' must name a set of cells (\"selection\", "
                       f"\"group:<name>\", …), got {str(name)[:40]!r}")
    return np.asarray(refs(name), dtype=np.int64)


def _first_out_of_range(arr: np.ndarray, n_cells: int) -> int | None:
    """A position of non-empty ``arr`` outside ``[0, n_cells)``, or None."""
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0:
        return lo
    return hi if hi >= n_cells else None


def _decode_bitmask(value: dict, n_cells: int, field: str) -> np.ndarray:
    encoding = value.get("encoding")
    if encoding != BITMASK:
        raise BadEvent(f"'{field}.encoding' must be \"bitmask\", got {encoding!r}")
    compression = value.get("compression", "none")
    if compression not in COMPRESSIONS:
        raise BadEvent(f"'{field}.compression' must be one of {list(COMPRESSIONS)}, "
                       f"got {compression!r}")
    n = value.get("n")
    if type(n) is not int or n != n_cells:
        raise BadEvent(f"'{field}.n' must be the dataset's cell count {n_cells}, got {n!r}")
    count = value.get("count")
    if type(count) is not int:
        raise BadEvent(f"'{field}.count' must be an integer (the number of set bits), got {count!r}")
    raw = decode_base64(value.get("data"), field)
    expected = mask_bytes(n_cells)
    mask = inflate_bounded(raw, expected, field) if compression == "deflate-raw" else raw
    if len(mask) != expected:
        raise BadEvent(f"'{field}' bitmask has {len(mask)} bytes; {n_cells} cells need exactly "
                       f"{expected}")
    arr = np.frombuffer(mask, dtype=np.uint8)
    tail_bits = n_cells & 7
    if tail_bits and arr[-1] >> tail_bits:
        raise BadEvent(f"'{field}' bitmask has bits set past cell {n_cells - 1}")
    bits = np.unpackbits(arr, bitorder="little")
    cells = np.flatnonzero(bits)
    if cells.size != count:
        raise BadEvent(f"'{field}.count' is {count} but the bitmask has {cells.size} bits set")
    return cells.astype(np.int64, copy=False)


def decode_base64(data: object, field: str) -> bytes:
    """The bytes of ``field``'s ``.data``, standard base64; `BadEvent` when it is not that."""
    if not isinstance(data, str):
        raise BadEvent(f"'{field}.data' must be a base64 string")
    try:
        return base64.b64decode(data.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise BadEvent(f"'{field}.data' is not valid standard base64") from None


def inflate_bounded(raw: bytes, expected: int, field: str) -> bytes:
    """Inflate raw deflate data, never producing more than ``expected + 1`` bytes.

    Raises `BadEvent` naming ``field`` for bad, truncated or over-long deflate data.
    """
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    try:
        out = inflater.decompress(raw, expected + 1)
    except zlib.error as exc:
        raise BadEvent(f"'{field}.data' is not valid deflate-raw data ({exc})") from None
    if len(out) > expected or inflater.unconsumed_tail:
        raise BadEvent(f"'{field}' inflates past the {expected} bytes it should hold")
    if not inflater.eof:
        raise BadEvent(f"'{field}.data' deflate stream is truncated")
    if inflater.unused_data:
        raise BadEvent(f"'{field}.data' has bytes after the end of the deflate stream")
    return out


def as_index_array(cells: Iterable[int] | np.ndarray, n_cells: int, what: str = "cells") -> np.ndarray:
    """Validate cell positions given from Python into a sorted unique ``int64`` array.

    Accepts a list/array of ints or a boolean mask of length ``n_cells``; raises `IndexError`
    for positions out of range and `TypeError` for anything else.
    """
    if not isinstance(cells, (list, tuple, np.ndarray)):
        cells = list(cells)
    arr = np.asarray(cells)
    if arr.dtype == bool:
        if arr.shape != (n_cells,):
            raise IndexError(f"a boolean mask for {what} must have length {n_cells}, "
                             f"got shape {arr.shape}")
        return np.flatnonzero(arr).astype(np.int64)
    if arr.size == 0:
        return np.empty(0, dtype=np.int64)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        raise TypeError(f"{what} must be integer row positions (or a boolean mask), "
                        f"got dtype {arr.dtype}")
    arr = arr.astype(np.int64, copy=False)
    bad = _first_out_of_range(arr, n_cells)
    if bad is not None:
        raise IndexError(f"cell {bad} is out of range: this dataset has {n_cells} cells "
                         f"(valid positions 0..{n_cells - 1})")
    return np.unique(arr)


def encode_cells(cells: np.ndarray, n_cells: int) -> list[int] | dict:
    """Encode sorted cell positions in the smaller wire form (array or deflated bitmask).

    The twin of ``encodeCells`` in ``web/cells.js``: both follow the rule of docs/protocol.md,
    with the same thresholds.
    """
    cells = np.asarray(cells, dtype=np.int64)
    if _array_cost(cells.size, n_cells) <= 4096:
        return cells.tolist()
    bits = np.zeros(mask_bytes(n_cells) * 8, dtype=np.uint8)
    bits[cells] = 1
    return _smaller_form(lambda: cells, np.packbits(bits, bitorder="little"), n_cells,
                         int(cells.size))


def encode_mask(mask: np.ndarray) -> list[int] | dict:
    """Encode the cells set in the bool ``mask`` (one entry per cell of the dataset) in the
    smaller wire form, by the rule of :func:`encode_cells`, without listing them when the
    bitmask is smaller. Raises ``TypeError`` for a mask that is not a 1-D bool array."""
    mask = np.asarray(mask)
    if mask.ndim != 1 or mask.dtype != bool:
        raise TypeError(f"a cell mask must be a 1-D bool array, got {mask.shape} {mask.dtype}")
    n_cells, count = mask.shape[0], int(np.count_nonzero(mask))
    if _array_cost(count, n_cells) <= 4096:
        return np.flatnonzero(mask).tolist()
    return _smaller_form(lambda: np.flatnonzero(mask), np.packbits(mask, bitorder="little"),
                         n_cells, count)


def _array_cost(count: int, n_cells: int) -> int:
    # A JSON int costs about its digit count plus a comma.
    return int(count * (len(str(max(n_cells - 1, 0))) + 1))


def _smaller_form(cells, packed: np.ndarray, n_cells: int, count: int) -> list[int] | dict:
    """The bitmask object of ``packed`` (``ceil(n/8)`` bytes), or the list ``cells()`` when
    that is no longer."""
    mask = packed.tobytes()
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated = compressor.compress(mask) + compressor.flush()
    bitmask = {"encoding": BITMASK, "n": n_cells, "count": count}
    if len(deflated) < len(mask):
        bitmask.update(compression="deflate-raw", data=base64.b64encode(deflated).decode("ascii"))
    else:
        bitmask.update(compression="none", data=base64.b64encode(mask).decode("ascii"))
    if _array_cost(count, n_cells) <= len(bitmask["data"]) + 80:
        return np.asarray(cells()).tolist()
    return bitmask
