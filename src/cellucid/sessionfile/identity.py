"""Which cells a session speaks of, and which cells of the data at hand they are.

A session names its dataset by the number of cells, a hash of the cell names (``obs_names``)
and the embeddings, never by its data. Restoring onto the same cells maps every position to
itself; ``strict=False`` maps the cells the session refers to by their names, and says which
of them this data does not have.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

HASH_PREFIX = "sha256:"


def names_hash(names) -> str | None:
    """``"sha256:<hex>"`` of the cell names, in order (of their JSON array); None without names."""
    if names is None:
        return None
    text = json.dumps([str(n) for n in names], ensure_ascii=False)
    return HASH_PREFIX + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class SessionMismatch(ValueError):
    """A session saved on other cells, refused. ``matchable``: both sides have cell names, so
    ``strict=False`` can restore it onto the cells whose names match."""

    def __init__(self, message: str, matchable: bool) -> None:
        super().__init__(message)
        self.matchable = matchable


@dataclass
class CellMap:
    """Positions of the saved dataset → positions of this one (``to_target`` -1: not here;
    None: the same cells)."""

    n_target: int
    to_target: np.ndarray | None = None
    dropped_names: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def same_cells(self) -> bool:
        """Whether every position maps to itself."""
        return self.to_target is None

    def cells(self, saved: np.ndarray) -> np.ndarray:
        """Sorted positions here of the ``saved`` positions this data has."""
        saved = np.asarray(saved, dtype=np.int64)
        if self.to_target is None:
            return saved
        mapped = self.to_target[saved]
        return np.unique(mapped[mapped >= 0])

    def rows(self, values: np.ndarray, missing) -> np.ndarray:
        """A per-cell array of the saved cells as rows of this data (``missing`` where a cell
        of this data was not in the session)."""
        if self.to_target is None:
            return values
        out = np.full((self.n_target, *values.shape[1:]), missing, dtype=values.dtype)
        here = self.to_target >= 0
        out[self.to_target[here]] = values[here]
        return out


def match_cells(*, saved_count: int, saved_hash: str | None, saved_names: pd.Series | None,
                count: int, names: pd.Index | None, strict: bool) -> CellMap:
    """How the cells of a session (``saved_*``) map onto data of ``count`` cells named ``names``.

    Strict: the same number of cells and, where both sides have names, the same names, else
    `SessionMismatch`. Not strict: by the names of the cells the session refers to
    (``saved_names``, indexed by saved position); raises `ValueError` when either side has no
    names or this data's names repeat.
    """
    current = names_hash(names)
    same = saved_count == count and (saved_hash is None or current is None
                                     or saved_hash == current)
    checked = saved_hash is not None and current is not None
    if same and (checked or strict or saved_names is None or names is None):
        return CellMap(count, notes=[] if checked else [
            "the cell names were not checked (the session or this data has none): only the "
            "number of cells matched"])
    if strict:
        raise _mismatch(saved_count, saved_hash, count, current,
                        saved_names is not None and names is not None)
    if saved_names is None:
        raise ValueError("this session holds no cell names, so it cannot be matched by "
                         "obs_names: restore it onto the data it was saved from")
    if names is None:
        raise ValueError("this data has no cell names (obs_names) to match the session by: "
                         "open the AnnData (or .h5ad/.zarr) instead of an export directory")
    index = pd.Index(names)
    if not index.is_unique:
        raise ValueError("this data's obs_names repeat, so cells cannot be matched by name: "
                         "make them unique first (adata.obs_names_make_unique())")
    found = index.get_indexer(saved_names.to_numpy())
    to_target = np.full(saved_count, -1, dtype=np.int64)
    to_target[saved_names.index.to_numpy(dtype=np.int64)] = found
    dropped = [str(n) for n in saved_names.to_numpy()[found < 0]]
    return CellMap(count, to_target, dropped)


def _mismatch(saved_count: int, saved_hash: str | None, count: int, current: str | None,
              matchable: bool) -> SessionMismatch:
    hint = ("; restore it with strict=False to match the cells by obs_names" if matchable
            else "; open it on the data it was saved from")
    if saved_count != count:
        return SessionMismatch(f"this session was saved on {saved_count} cells, but this data "
                               f"has {count}: it is a session of other data{hint}", matchable)
    return SessionMismatch(f"this session was saved on other cells: the same number ({count}) "
                           f"but other obs_names (hash {_short(saved_hash)} saved, "
                           f"{_short(current)} here){hint}", matchable)


def _short(digest: str | None) -> str:
    return digest[len(HASH_PREFIX):len(HASH_PREFIX) + 12] if digest else "none"
