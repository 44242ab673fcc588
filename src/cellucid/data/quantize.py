"""Coordinates as uint16 with a per-axis range: half the bytes of float32, ~1/65534 of the range.

Value ``v`` on an axis with range ``[lo, hi]`` is stored as ``round((v - lo) / (hi - lo) * 65534)``;
``65535`` marks a row that had no valid coordinates (NaN/inf). Decoding gives back float32 within
``(hi - lo) / 131068`` of the original on each axis.
"""

from __future__ import annotations

import numpy as np

INVALID = 65535
LEVELS = 65534


def quantize(coords: np.ndarray, lo, hi) -> np.ndarray:
    """Encode float coordinates ``(n, d)`` as uint16 with per-axis ranges ``lo``/``hi``."""
    coords = np.asarray(coords, dtype=np.float64)
    lo = np.asarray(lo, dtype=np.float64)
    span = np.asarray(hi, dtype=np.float64) - lo
    scale = np.where(span > 0, LEVELS / np.where(span > 0, span, 1.0), 0.0)
    with np.errstate(invalid="ignore"):
        q = np.rint((coords - lo) * scale)
    invalid = ~np.isfinite(q).all(axis=1)
    out = np.clip(np.nan_to_num(q, nan=0.0), 0, LEVELS).astype(np.uint16)
    out[invalid] = INVALID
    return out


def dequantize(q: np.ndarray, lo, hi) -> np.ndarray:
    """Decode uint16 coordinates to float32 C-contiguous ``(n, d)``; invalid rows become NaN."""
    q = np.asarray(q)
    lo32 = np.asarray(lo, dtype=np.float32)
    step = (np.asarray(hi, dtype=np.float32) - lo32) / np.float32(LEVELS)
    out = np.empty(q.shape, dtype=np.float32)
    for k in range(q.shape[1]):
        col = q[:, k]
        np.multiply(col, step[k], out=out[:, k], casting="unsafe")
        out[:, k] += lo32[k]
    out[q[:, 0] == INVALID] = np.nan
    return out
