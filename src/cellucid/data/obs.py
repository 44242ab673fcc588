"""Cell metadata (``obs``) columns as the viewer colours them.

Each column becomes one :class:`ObsField` of a kind:

* ``categorical``: pandas categoricals, and strings with at most ``MAX_STRING_CATEGORIES``
  distinct values; ``uint16`` codes, ``65535`` = missing; colours from ``uns[f"{name}_colors"]``.
* ``boolean``: ``False``/``True`` as codes 0/1 (missing 65535).
* ``continuous``: any number, as float32 (NaN = missing, infinities too).
* ``uncolorable``: what cannot be coloured (identifiers, too many categories, dates, objects);
  listed with the reason so nothing disappears silently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..colors import parse_hex_color

MISSING_CODE = 65535
MAX_CATEGORIES = 65534  # the largest code the uint16 encoding can hold
MAX_STRING_CATEGORIES = 1000  # strings with more distinct values are not coloured
SAMPLE_ROWS = 20_000  # first values of a long string column looked at to spot identifiers


@dataclass
class ObsField:
    """One obs column: its manifest entry (``info``) and its encoded values (``None`` if uncolorable)."""

    name: str
    kind: str
    info: dict
    values: np.ndarray | None

    def describe(self) -> dict:
        """The manifest entry of this column."""
        return {"name": self.name, "kind": self.kind, **self.info}


def normalize_colors(colors, n_categories: int) -> list[str] | None:
    """Return ``colors`` as ``#rrggbb`` strings when there is one valid colour per category."""
    if colors is None:
        return None
    try:
        items = [str(c.decode() if isinstance(c, bytes) else c) for c in list(colors)]
    except TypeError:
        return None
    if len(items) != n_categories:
        return None
    out = [parse_hex_color(c, allow_alpha=True) for c in items]
    return None if None in out else out


def _categorical_field(name: str, cat: pd.Categorical, colors) -> ObsField:
    categories = [str(c) for c in cat.categories]
    if len(categories) > MAX_CATEGORIES:
        return _uncolorable(name, f"{len(categories)} categories: more than {MAX_CATEGORIES} "
                                  "cannot be coloured")
    codes = np.asarray(cat.codes)
    values = codes.astype(np.uint16)
    values[codes < 0] = MISSING_CODE
    counts = np.bincount(codes[codes >= 0], minlength=len(categories)).astype(int).tolist()
    info = {"categories": categories, "counts": counts,
            "colors": normalize_colors(colors, len(categories)),
            "n_missing": int(np.count_nonzero(codes < 0))}
    return ObsField(name, "categorical", info, values)


def _uncolorable(name: str, reason: str) -> ObsField:
    return ObsField(name, "uncolorable", {"reason": reason}, None)


def _boolean_field(name: str, series: pd.Series) -> ObsField:
    missing = np.asarray(series.isna())
    truth = np.asarray(series.fillna(False), dtype=bool)
    values = truth.astype(np.uint16)
    values[missing] = MISSING_CODE
    n_true = int(np.count_nonzero(truth & ~missing))
    n_false = int(len(values) - n_true - np.count_nonzero(missing))
    info = {"categories": ["False", "True"], "counts": [n_false, n_true], "colors": None,
            "n_missing": int(np.count_nonzero(missing))}
    return ObsField(name, "boolean", info, values)


def _continuous_field(name: str, series: pd.Series) -> ObsField:
    if isinstance(series.dtype, np.dtype):
        raw = series.to_numpy()
    else:  # nullable extension types: NA becomes NaN
        raw = series.to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(over="ignore", invalid="ignore"):
        values = np.array(raw, dtype=np.float32)  # a copy: later edits of obs do not leak in
    finite = np.isfinite(values)
    n_missing = int(values.size - np.count_nonzero(finite))
    if n_missing:
        values[~finite] = np.nan
    if n_missing == values.size:
        lo = hi = None
    elif n_missing:
        lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
    else:
        lo, hi = float(values.min()), float(values.max())
    return ObsField(name, "continuous", {"min": lo, "max": hi, "n_missing": n_missing}, values)


def _string_field(name: str, series: pd.Series, colors) -> ObsField:
    n = len(series)
    if n > SAMPLE_ROWS:  # an identifier column shows itself in its first values: skip the rest
        decided = classify_from_sample(name, series.iloc[:SAMPLE_ROWS])
        if decided is not None:
            return decided
    present = series.dropna()
    n_unique = int(present.nunique())
    if n_unique > 1 and n_unique == len(present) and n > MAX_STRING_CATEGORIES // 10:
        return _uncolorable(name, f"{n_unique} unique values: an identifier")
    if n_unique > MAX_STRING_CATEGORIES:
        return _uncolorable(name, f"{n_unique} distinct values: too many to colour "
                                  f"(at most {MAX_STRING_CATEGORIES}); make it categorical "
                                  "to colour it anyway")
    strings = series.astype(object).where(series.notna(), None)
    strings = strings.map(lambda v: v if v is None else str(v))
    cat = pd.Categorical(strings)
    return _categorical_field(name, cat, colors)


def classify_column(name: str, values, colors=None) -> ObsField:
    """Turn one obs column (anything pandas accepts) into an :class:`ObsField`.

    ``colors`` is the scanpy-style ``uns[f"{name}_colors"]`` list, if any.
    """
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return _categorical_field(name, series.array, colors)
    if pd.api.types.is_bool_dtype(dtype):
        return _boolean_field(name, series)
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_complex_dtype(dtype):
        return _continuous_field(name, series)
    if pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(dtype):
        return _uncolorable(name, f"dtype {dtype}: dates and durations are not coloured")
    if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
        if pd.api.types.infer_dtype(series, skipna=True) == "boolean":
            return _boolean_field(name, series.astype("boolean"))
        return _string_field(name, series, colors)
    return _uncolorable(name, f"dtype {dtype} cannot be coloured")


def classify_obs(frame: pd.DataFrame, colors_for) -> list[ObsField]:
    """Classify every column of ``frame``; ``colors_for(name)`` returns its ``uns`` colours or None."""
    fields = []
    for name in frame.columns:
        series = frame[name]
        colors = colors_for(str(name)) if wants_colors(series.dtype) else None
        fields.append(classify_column(str(name), series, colors))
    return fields


def wants_colors(dtype) -> bool:
    """Whether a column of this dtype can become categorical (and so use ``uns`` colours)."""
    return isinstance(dtype, pd.CategoricalDtype) or pd.api.types.is_object_dtype(dtype) or \
        pd.api.types.is_string_dtype(dtype)


def classify_from_sample(name: str, sample) -> ObsField | None:
    """Decide from the first values of a long string column whether it is uncolorable.

    More than ``MAX_STRING_CATEGORIES`` distinct values in the sample means more in the whole
    column: the column is uncolorable for certain and need not be read. Returns None when the
    whole column must be read to decide.
    """
    present = pd.Series(sample).dropna()
    n_unique = int(present.nunique())
    if n_unique <= MAX_STRING_CATEGORIES:
        return None
    if n_unique == len(present):
        return _uncolorable(name, f"the first {len(present)} values are all different: "
                                  "an identifier")
    return _uncolorable(name, f"more than {MAX_STRING_CATEGORIES} distinct values: too many to "
                              "colour; make it categorical to colour it anyway")
