"""Turning the two sides of a comparison into cell index arrays.

A side is given as a list (or array) of cell indices, or as a boolean mask over all cells. The
reference may also be ``"rest"``: every cell not in the group. Every malformed or degenerate input
is refused with a ``ValueError`` that says what is wrong, before any expression value is read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

REST = "rest"
MIN_CELLS = 2

# Cell labels used by the per-block statistics: which side of the comparison each cell is on.
OUTSIDE, GROUP, REFERENCE = 0, 1, 2


@dataclass(frozen=True)
class Comparison:
    """The cells of one group-vs-reference comparison.

    ``group`` and ``reference`` are sorted, duplicate-free ``int64`` cell indices that do not
    overlap; ``reference_is_rest`` tells whether the reference was given as ``"rest"``.
    """

    n_obs: int
    group: np.ndarray
    reference: np.ndarray
    reference_is_rest: bool

    @property
    def n_group(self) -> int:
        """Number of cells in the group."""
        return int(self.group.size)

    @property
    def n_reference(self) -> int:
        """Number of cells in the reference."""
        return int(self.reference.size)

    def labels(self) -> np.ndarray:
        """An ``int8`` array of ``n_obs`` labels: `GROUP`, `REFERENCE` or `OUTSIDE` per cell."""
        labels = np.full(self.n_obs, OUTSIDE, dtype=np.int8)
        labels[self.group] = GROUP
        labels[self.reference] = REFERENCE
        return labels


def cell_indices(spec: object, n_obs: int, name: str) -> np.ndarray:
    """Turn one side's spec (cell indices or a boolean mask) into sorted unique ``int64`` indices.

    Duplicate indices count once. Raises ``ValueError`` for a string, a mask whose length is not
    ``n_obs``, non-integer indices, indices outside ``[0, n_obs)``, or an array that is not 1-D.
    """
    if isinstance(spec, (str, bytes)):
        raise ValueError(f"{name} must be a list of cell indices or a boolean mask, "
                         f"not the string {spec!r}")
    try:
        arr = np.asarray(spec)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a list of cell indices or a boolean mask "
                         f"({exc})") from exc
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D list of cell indices or a boolean mask, "
                         f"got an array of shape {arr.shape}")
    if arr.dtype == bool:
        if arr.size != n_obs:
            raise ValueError(f"{name} is a boolean mask of length {arr.size}, but the matrix has "
                             f"{n_obs} cells; the mask needs one entry per cell")
        return np.flatnonzero(arr).astype(np.int64)
    if arr.size == 0:
        return np.empty(0, dtype=np.int64)
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must hold integer cell indices or booleans, "
                         f"got values of type {arr.dtype}")
    bad = arr[(arr < 0) | (arr >= n_obs)]
    if bad.size:
        shown = ", ".join(str(v) for v in bad[:5]) + (", ..." if bad.size > 5 else "")
        raise ValueError(f"{name} has {bad.size} cell indices out of range [0, {n_obs}): {shown}")
    return np.unique(arr.astype(np.int64))


def resolve_comparison(group: object, reference: object, n_obs: int) -> Comparison:
    """Resolve ``group`` and ``reference`` specs over ``n_obs`` cells into a `Comparison`.

    ``reference="rest"`` means every cell not in the group. Raises ``ValueError`` for a bad spec
    (see `cell_indices`), an empty group or reference, a group or reference of fewer than
    ``MIN_CELLS`` cells, a group and reference that share cells, or a group holding every cell
    while the reference is ``"rest"``.
    """
    if isinstance(group, str):
        raise ValueError(f"group must be a list of cell indices or a boolean mask, not {group!r} "
                         f"(only the reference may be {REST!r})")
    group_idx = cell_indices(group, n_obs, "group")
    if group_idx.size == 0:
        raise ValueError("the group is empty: select at least one cell for the group")
    is_rest = isinstance(reference, str) and reference == REST
    if is_rest:
        if group_idx.size == n_obs:
            raise ValueError(f"the group holds all {n_obs} cells, so reference 'rest' is empty: "
                             f"leave some cells out of the group or pass a reference")
        keep = np.ones(n_obs, dtype=bool)
        keep[group_idx] = False
        ref_idx = np.flatnonzero(keep).astype(np.int64)
    else:
        if isinstance(reference, str):
            raise ValueError(f"reference must be {REST!r}, a list of cell indices or a boolean "
                             f"mask, not {reference!r}")
        ref_idx = cell_indices(reference, n_obs, "reference")
        if ref_idx.size == 0:
            raise ValueError("the reference is empty: select at least one cell for the "
                             "reference, or use reference='rest'")
        shared = np.intersect1d(group_idx, ref_idx, assume_unique=True)
        if shared.size:
            shown = ", ".join(str(v) for v in shared[:5]) + (", ..." if shared.size > 5 else "")
            raise ValueError(f"the group and the reference share {shared.size} cell(s) "
                             f"({shown}); a cell can be on one side only")
    for side, idx in (("group", group_idx), ("reference", ref_idx)):
        if idx.size < MIN_CELLS:
            raise ValueError(f"the {side} has {idx.size} cell; statistics need at least "
                             f"{MIN_CELLS} cells on each side")
    return Comparison(n_obs=n_obs, group=group_idx, reference=ref_idx, reference_is_rest=is_rest)
