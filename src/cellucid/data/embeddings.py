"""Which ``obsm`` entries can be drawn, as what, and their cleaned float32 coordinates.

Every numeric ``obsm`` entry with one column is a 1D embedding, two columns 2D, three 3D. A wider
one (``X_pca``, 50 columns) is offered twice: under its own name as 2D (its first two columns) and,
unless the data already has that name, as ``<name>_3d`` (its first three columns). Rows holding a
NaN or an infinity are set to NaN in every column: the viewer keeps them out of view and the cell
indices stay what they are.
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import DatasetError
from .names import UnknownName


class Embedding:
    """One drawable embedding: what the manifest says about it, and its coordinates.

    ``coords`` is float32, C-contiguous ``(n, dims)`` with invalid rows all-NaN; when built with a
    ``loader`` instead, it is read on first use and kept.
    """

    def __init__(self, name: str, source: str, dims: int, n_invalid: int, lo: list[float],
                 hi: list[float], coords: np.ndarray | None = None, loader=None) -> None:
        self.name = name
        self.source = source
        self.dims = int(dims)
        self.n_invalid = int(n_invalid)
        self.min = [float(v) for v in lo]
        self.max = [float(v) for v in hi]
        self._coords = coords
        self._loader = loader
        self._lock = threading.Lock()

    @property
    def coords(self) -> np.ndarray:
        """The coordinates, float32 C-contiguous ``(n, dims)``."""
        if self._coords is None:
            with self._lock:
                if self._coords is None:
                    self._coords = self._loader()
        return self._coords

    def describe(self) -> dict:
        """The manifest entry of this embedding."""
        return {"name": self.name, "dims": self.dims, "source": self.source,
                "min": self.min, "max": self.max, "n_invalid": self.n_invalid}


def obsm_shape(value) -> tuple[int, ...] | None:
    """The shape of an ``obsm`` value if it can be drawn (a numeric dense array or frame), else None.

    ``value`` is anything with ``dtype`` and ``shape``: numpy, dask, an h5py/zarr array of a store.
    """
    if sp.issparse(value):
        return None
    if isinstance(value, pd.DataFrame):
        if not all(pd.api.types.is_numeric_dtype(t) for t in value.dtypes):
            return None
        return value.shape
    dtype = getattr(value, "dtype", None)
    shape = getattr(value, "shape", None)
    if dtype is None or shape is None or not np.issubdtype(dtype, np.number) or \
            np.issubdtype(dtype, np.complexfloating):
        return None
    return tuple(int(s) for s in shape)


def plan_embeddings(shapes: dict[str, tuple[int, ...] | None], n_cells: int
                    ) -> tuple[list[tuple[str, str, int]], list[dict]]:
    """Decide, from ``obsm`` shapes (None: not drawable), which embeddings to offer.

    Returns ``(plans, skipped)`` as :func:`plan_drawable` does. Raises ``DatasetError`` saying how
    to add an embedding when none can be drawn.
    """
    plans, skipped = plan_drawable(shapes, n_cells)
    if not plans:
        raise DatasetError(no_embedding_message(list(shapes), skipped))
    return plans, skipped


def plan_drawable(shapes: dict[str, tuple[int, ...] | None], n_cells: int
                  ) -> tuple[list[tuple[str, str, int]], list[dict]]:
    """Which embeddings ``obsm`` entries of these shapes (None: not drawable) give; never raises.

    Returns ``(plans, skipped)``: ``plans`` is a list of ``(name, obsm_key, n_columns)`` and
    ``skipped`` a list of ``{"name", "reason"}`` for entries that cannot be drawn.
    """
    plans: list[tuple[str, str, int]] = []
    skipped: list[dict] = []
    for key in sorted(shapes, key=str.lower):  # the same order whatever stored the data
        shape = shapes[key]
        if shape is None:
            skipped.append({"name": key, "reason": "not a numeric dense array"})
            continue
        if len(shape) == 1:
            shape = (shape[0], 1)
        if len(shape) != 2 or shape[0] != n_cells or shape[1] < 1:
            skipped.append({"name": key, "reason": f"shape {tuple(shape)} is not (n_cells, k)"})
            continue
        width = int(shape[1])
        plans.append((key, key, width if width <= 3 else 2))
        if width > 3 and f"{key}_3d" not in shapes:
            plans.append((f"{key}_3d", key, 3))
    return plans, skipped


def clean_coords(values: np.ndarray, n_cols: int) -> tuple[np.ndarray, int]:
    """Return float32 C-contiguous coordinates of the first ``n_cols`` columns, invalid rows NaN.

    The second value is the number of rows that held a NaN or infinity.
    """
    arr = np.asarray(values)
    if arr.ndim == 1:
        arr = arr[:, None]
    coords = np.ascontiguousarray(arr[:, :n_cols], dtype=np.float32)
    # column by column: numpy reduces a strided column far faster than along axis 1 of (n, 2)
    finite = np.isfinite(coords[:, 0])
    for k in range(1, coords.shape[1]):
        finite &= np.isfinite(coords[:, k])
    n_invalid = int(coords.shape[0] - np.count_nonzero(finite))
    if n_invalid:
        if not coords.flags.writeable or np.shares_memory(coords, arr):
            coords = coords.copy()
        coords[~finite] = np.nan
    return coords, n_invalid


def make_embedding(name: str, source: str, values: np.ndarray, n_cols: int) -> Embedding:
    """Build an :class:`Embedding` (clean coordinates plus per-axis bounds of the valid rows)."""
    coords, n_invalid = clean_coords(values, n_cols)
    lo, hi = [], []
    for k in range(coords.shape[1]):
        col = coords[:, k]
        if n_invalid == coords.shape[0]:
            lo.append(0.0)
            hi.append(0.0)
        elif n_invalid:
            lo.append(float(np.nanmin(col)))
            hi.append(float(np.nanmax(col)))
        else:
            lo.append(float(col.min()))
            hi.append(float(col.max()))
    return Embedding(name, source, coords.shape[1], n_invalid, lo, hi, coords=coords)


def default_embedding(names: list[str], requested: str | None) -> str:
    """Pick the embedding to show first: ``requested``, else a UMAP (2D first), else the first.

    Raises ``KeyError`` naming the closest embeddings when ``requested`` is not one of ``names``.
    """
    if requested is not None:
        if requested not in names:
            raise UnknownName("embedding", requested, names)
        return requested
    if "X_umap" in names:
        return "X_umap"
    umaps = [n for n in names if "umap" in n.lower()]
    if umaps:
        return umaps[0]
    return names[0]


def no_embedding_message(obsm_keys: list[str], skipped: list[dict]) -> str:
    """The error text for data with nothing to draw: what was found and how to add an embedding."""
    if obsm_keys:
        found = "; ".join(f"{s['name']!r} ({s['reason']})" for s in skipped) or \
            ", ".join(repr(k) for k in obsm_keys)
        head = f"no usable embedding: obsm holds {found}"
    else:
        head = "no usable embedding: obsm is empty"
    return (head + ". Add one with an (n_cells, 1-3) array, e.g. "
            "`adata.obsm[\"X_umap\"] = coords`, or compute it with scanpy: "
            "`sc.pp.neighbors(adata); sc.tl.umap(adata)`.")
