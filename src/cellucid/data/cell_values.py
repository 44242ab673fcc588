"""Values and coordinates pushed from Python (``set_color_by(values)``, ``set_embedding(array)``):
checked and aligned to the cells before anything is stored or sent.

Every refusal is a `ValueError` that says what was wrong and what to pass instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DEFAULT_TITLE = "values"
# pandas' names for the kinds of values an object array may hold that colour cleanly
_SINGLE_KINDS = {"string", "unicode", "boolean", "categorical", "integer", "floating",
                 "mixed-integer-float", "decimal", "empty"}


def values_title(values, name: str | None) -> str:
    """The title shown for pushed values: ``name``, else a Series' name, else ``"values"``."""
    if name is not None:
        if not isinstance(name, str) or not name.strip():
            raise ValueError(f"name= must be a non-empty string, got {name!r}")
        return name.strip()
    series_name = getattr(values, "name", None) if isinstance(values, pd.Series) else None
    return str(series_name) if series_name is not None else DEFAULT_TITLE


def cell_values(values, n_cells: int, cell_names: pd.Index | None) -> pd.Series:
    """``values`` as a Series of ``n_cells`` rows in cell order (positional index).

    Accepts a 1-D array, list, tuple, pandas Series (aligned by index when it is indexed by the
    cell names; a default 0…n-1 index is taken as positions) or Categorical. Raises `ValueError`
    for the wrong length or index, more than one dimension, or an object array of mixed types.
    """
    if isinstance(values, pd.DataFrame):
        raise ValueError("set_color_by takes one column of values; pass a Series (df['col']), "
                         "not a DataFrame")
    if isinstance(values, pd.Series):
        series = _aligned(values, n_cells, cell_names)
    else:
        if isinstance(values, (pd.Categorical, pd.Index)):
            array = values
        else:
            # A list keeps its items' own types (numpy would turn [1, "a"] into strings).
            array = np.asarray(values, dtype=object if isinstance(values, (list, tuple))
                               else None)
            if array.ndim != 1:
                raise ValueError(f"values must be 1-D (one value per cell), got an array of shape "
                                 f"{array.shape}")
        if len(array) != n_cells:
            raise ValueError(f"values have length {len(array)}, but the viewer shows {n_cells} "
                             f"cells: pass one value per cell, in cell order")
        series = pd.Series(array)
    _check_one_kind(series)
    if pd.api.types.is_object_dtype(series.dtype) and isinstance(values, (list, tuple)):
        series = series.infer_objects()
    return series.reset_index(drop=True)


def _aligned(series: pd.Series, n_cells: int, cell_names: pd.Index | None) -> pd.Series:
    index = series.index
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        if len(series) != n_cells:
            raise ValueError(f"values have length {len(series)}, but the viewer shows {n_cells} "
                             f"cells: pass one value per cell, in cell order")
        if cell_names is None or not index.equals(cell_names):
            return series
    if cell_names is None:
        raise ValueError("this dataset has no cell names to align a Series by; pass its values "
                         "in cell order (series.to_numpy())")
    if not index.is_unique:
        raise ValueError("the Series' index has repeated labels; it must be indexed by the cell "
                         "names (adata.obs_names), each once")
    missing = cell_names.difference(index)
    extra = index.difference(cell_names)
    if len(missing) or len(extra):
        detail = (f"{len(missing)} cells have no value (e.g. {list(missing[:3])})" if len(missing)
                  else f"{len(extra)} labels are not cells (e.g. {list(extra[:3])})")
        raise ValueError(f"the Series' index does not match the cell names: {detail}; index it by "
                         f"adata.obs_names, or pass values in cell order")
    return series.reindex(cell_names)


def _check_one_kind(series: pd.Series) -> None:
    if not pd.api.types.is_object_dtype(series.dtype):
        return
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if kind not in _SINGLE_KINDS:
        kinds = sorted({type(v).__name__ for v in series.dropna().head(1000)})
        raise ValueError(f"values mix types ({', '.join(kinds)}): convert them to one type, e.g. "
                         f"strings with .astype(str) or numbers with pd.to_numeric")


def cell_coordinates(coords, n_cells: int) -> np.ndarray:
    """``coords`` as a float array of shape ``(n_cells, 2)`` or ``(n_cells, 3)``.

    Raises `ValueError` for another shape or non-numeric values.
    """
    array = coords.to_numpy() if isinstance(coords, pd.DataFrame) else np.asarray(coords)
    if array.ndim != 2 or array.shape[1] not in (2, 3):
        raise ValueError(f"an embedding must be an array of shape (n_cells, 2) or (n_cells, 3), "
                         f"got shape {array.shape}")
    if array.shape[0] != n_cells:
        raise ValueError(f"the embedding has {array.shape[0]} rows, but the viewer shows "
                         f"{n_cells} cells: pass one row per cell, in cell order")
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool) \
            or np.issubdtype(array.dtype, np.complexfloating):
        raise ValueError(f"embedding coordinates must be real numbers, got dtype {array.dtype}")
    return array
