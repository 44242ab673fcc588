"""Per-cell arrays inside a session file (values and coordinates pushed from Python): little-endian
bytes, deflated, in base64, with their dtype and shape.

``{"dtype": "<f4", "shape": [700], "compression": "deflate-raw", "data": "<base64>"}``; reading
checks the dtype against a short list, the shape against the cells, and inflates no further than
the shape needs.
"""

from __future__ import annotations

import base64
import zlib

import numpy as np

from ..cells import decode_base64, inflate_bounded
from ..errors import BadEvent

DTYPES = ("<f4", "<f8", "<u2")
COMPRESSION = "deflate-raw"


def encode_array(values: np.ndarray) -> dict:
    """``values`` (float32, float64 or uint16; 1-D or 2-D) in the session file's array form."""
    array = np.ascontiguousarray(values)
    dtype = array.dtype.newbyteorder("<").str
    if dtype not in DTYPES:
        raise TypeError(f"a session array must be one of {DTYPES}, got {array.dtype}")
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    packed = compressor.compress(array.astype(dtype, copy=False).tobytes()) + compressor.flush()
    return {"dtype": dtype, "shape": list(array.shape), "compression": COMPRESSION,
            "data": base64.b64encode(packed).decode("ascii")}


def decode_array(value: object, rows: int, field: str, *, columns: tuple[int, ...] = ()
                 ) -> np.ndarray:
    """Read an array written by `encode_array`: ``rows`` long, with ``columns`` as its allowed
    second dimension (empty: 1-D). Raises `ValueError` naming ``field`` and the failed check."""
    if not isinstance(value, dict):
        raise ValueError(f"{field} must be an array object (dtype, shape, data)")
    dtype, shape = value.get("dtype"), value.get("shape")
    if dtype not in DTYPES:
        raise ValueError(f"{field}.dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    if value.get("compression", COMPRESSION) != COMPRESSION:
        raise ValueError(f"{field}.compression must be {COMPRESSION!r}")
    want = f"[{rows}]" if not columns else f"[{rows}, {' or '.join(map(str, columns))}]"
    if (not isinstance(shape, list) or any(type(s) is not int for s in shape)
            or shape[:1] != [rows] or len(shape) != 1 + bool(columns)
            or (columns and shape[1] not in columns)):
        raise ValueError(f"{field}.shape must be {want} (one row per cell), got {shape!r}")
    expected = int(np.prod(shape)) * np.dtype(dtype).itemsize
    try:
        raw = inflate_bounded(decode_base64(value.get("data"), field), expected, field)
    except BadEvent as exc:
        raise ValueError(exc.message) from None
    if len(raw) != expected:
        raise ValueError(f"{field} holds {len(raw)} bytes; shape {shape} of {dtype} needs "
                         f"{expected}")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).astype(dtype[1:], copy=True)
