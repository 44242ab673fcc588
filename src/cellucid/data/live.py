"""The live catalog of an in-memory AnnData: obs columns and embeddings as the user's data is NOW.

Every name is cached as ``(fingerprint, content hash, ObsField or Embedding, version)``. Each call
lists the obs columns / ``obsm`` keys again and compares the cheap :class:`Fingerprint` of what it
reads (microseconds per name); a name is re-classified only when its fingerprint changed, and
its version is bumped only when the re-classified record differs from the cached one. The
manifest, ``revision`` and every lookup use the fingerprint only, so a write into a column's
existing buffer (``adata.obs.loc[mask, "x"] = 5``, ``adata.obsm["X_umap"][:, 0] += 1``) is not
seen by them; a *deep* lookup (``deep=True``: `Dataset.check_column` / `check_embedding`) also
compares a CRC of that one name's bytes and catches it.

The revision grows by one per call that found anything different: a name added, removed or
reordered, a version bumped, the skipped ``obsm`` entries changed. Versions are never reused for a
name, even after it is removed and added again, so a page may cache by ``(name, version)``.

A lock guards the caches: the server reads from its thread pool while the user's kernel edits
the AnnData. A name that disappears between listing and reading is an `UnknownName`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DatasetError
from .catalog import FIRST_REVISION, Snapshot
from .embeddings import Embedding, make_embedding, no_embedding_message, obsm_shape, plan_drawable
from .fingerprint import Fingerprint, array_content, array_fingerprint, column_content, \
    column_fingerprint
from .names import UnknownName
from .obs import ObsField, classify_column, wants_colors

RESCANS = 100   # reads of obsm while another thread keeps resizing it


@dataclass
class _Cached:
    fingerprint: Fingerprint
    content: int | None
    item: ObsField | Embedding
    version: int


class _Names:
    """The cached entries of one kind of name, in the order last listed."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.cached: dict[str, _Cached] = {}
        self.listing: tuple[str, ...] = ()
        self._last_version: dict[str, int] = {}  # of removed names: a re-added one goes on from it

    def relist(self, listing: tuple[str, ...]) -> bool:
        """Record the names as listed now, forgetting the others; True when the listing changed."""
        if listing == self.listing:
            return False
        kept = set(listing)
        for name in [n for n in self.cached if n not in kept]:
            self._last_version[name] = self.cached.pop(name).version
        self.listing = listing
        return True

    def drop(self, name: str) -> bool:
        """Forget ``name`` (gone from the data since it was listed); True if it was listed."""
        if name not in self.listing:
            return False
        return self.relist(tuple(n for n in self.listing if n != name))

    def unknown(self, name: str) -> UnknownName:
        """The error for a name that is not (or no longer) there."""
        return UnknownName(self.what, name, self.listing)

    def store(self, name: str, fingerprint: Fingerprint, content: int | None, item, same
              ) -> tuple[_Cached, bool]:
        """Cache ``item`` (re-read from data with ``fingerprint``); True when a version was bumped."""
        old = self.cached.get(name)
        if old is not None and same(old.item, item):
            entry, bumped = _Cached(fingerprint, content, old.item, old.version), False
        else:
            version = old.version + 1 if old is not None else self._last_version.get(name, 0) + 1
            entry, bumped = _Cached(fingerprint, content, item, version), old is not None
        self.cached[name] = entry
        return entry, bumped

    def entries(self) -> list[tuple[object, int]]:
        """``(item, version)`` of every listed name that is cached, in listing order."""
        return [(c.item, c.version) for c in map(self.cached.get, self.listing) if c is not None]


def same_field(a: ObsField, b: ObsField) -> bool:
    """Whether two classified columns would show the same (descriptor and values)."""
    if a.kind != b.kind or a.info != b.info:
        return False
    if a.values is None or b.values is None:
        return a.values is None and b.values is None
    return np.array_equal(a.values, b.values, equal_nan=a.values.dtype.kind == "f")


def same_embedding(a: Embedding, b: Embedding) -> bool:
    """Whether two embeddings have the same descriptor and coordinates."""
    return a.describe() == b.describe() and np.array_equal(a.coords, b.coords, equal_nan=True)


def coordinate_columns(value, n_cols: int) -> np.ndarray:
    """The first ``n_cols`` columns of an ``obsm`` value as a float32 C-contiguous copy (a copy:
    later edits of ``obsm`` must not change coordinates already served)."""
    arr = value.to_numpy() if isinstance(value, pd.DataFrame) else np.asarray(value)
    arr = arr[:, None] if arr.ndim == 1 else arr[:, :n_cols]
    return np.array(arr, dtype=np.float32, order="C")


class LiveCatalog:
    """The obs columns and embeddings of an in-memory AnnData, following its edits.

    Raises ``DatasetError`` (how to add an embedding) when ``adata`` has nothing to draw at open.
    """

    live = True

    def __init__(self, adata, n_cells: int) -> None:
        self._adata = adata
        self._n = int(n_cells)
        self._lock = threading.RLock()
        self._obs = _Names("obs column")
        self._emb = _Names("embedding")
        self._plans: dict[str, tuple[object, str, int]] = {}  # name → (obsm label, key, n_cols)
        self._skipped: list[dict] = []
        self._revision = FIRST_REVISION
        with self._lock:
            self._scan()  # classifies everything: what it finds is revision 1, every version 1
        if not self._plans:
            raise DatasetError(no_embedding_message([str(k) for k in adata.obsm.keys()],
                                                    self._skipped))

    # -- what the dataset asks ---------------------------------------------------------------

    @property
    def revision(self) -> int:
        """The revision after a cheap scan of every name."""
        with self._lock:
            self._bump_if(self._scan())
            return self._revision

    def obs_names(self) -> list[str]:
        """Names of the obs columns now, in column order."""
        with self._lock:
            self._bump_if(self._list_obs()[2])
            return list(self._obs.listing)

    def embedding_names(self) -> list[str]:
        """Names of the drawable embeddings now, sorted as the manifest lists them."""
        with self._lock:
            self._bump_if(self._list_embeddings()[1])
            return list(self._emb.listing)

    def obs_entry(self, name: str, *, deep: bool = False) -> tuple[ObsField, int]:
        """``(field, version)`` of obs column ``name`` as it is now; `UnknownName` if absent.

        ``deep`` also compares a CRC of the column's bytes (catches in-place edits; costs a pass
        over the column).
        """
        with self._lock:
            frame, labels, changed = self._list_obs()
            return self._lookup(self._obs, name, changed,
                                lambda: self._refresh_obs(frame, labels[name], name, deep))

    def embedding_entry(self, name: str, *, deep: bool = False) -> tuple[Embedding, int]:
        """``(embedding, version)`` of ``name`` as ``obsm`` is now; `UnknownName` if absent.

        ``deep`` also compares a CRC of the coordinates (catches in-place edits of ``obsm``).
        """
        with self._lock:
            obsm, changed = self._list_embeddings()
            return self._lookup(self._emb, name, changed,
                                lambda: self._refresh_embedding(obsm, name, deep))

    def snapshot(self) -> Snapshot:
        """Every name, as it is now, with the revision that goes with them."""
        with self._lock:
            self._bump_if(self._scan())
            return Snapshot(self._revision, self._obs.entries(), self._emb.entries(),
                            list(self._skipped))

    # -- scanning ----------------------------------------------------------------------------

    def _bump_if(self, changed: bool) -> None:
        if changed:
            self._revision += 1

    def _lookup(self, names: _Names, name: str, changed: bool, refresh) -> tuple[object, int]:
        """``(item, version)`` from ``refresh()`` for one listed name; bumps the revision once."""
        try:
            if name not in names.listing:
                raise names.unknown(name)
            entry, bumped = refresh()
        except UnknownName:
            self._bump_if(names.drop(name) or changed)
            raise
        self._bump_if(changed or bumped)
        return entry.item, entry.version

    def _scan(self) -> bool:
        """Refresh every name by fingerprint; True when anything changed."""
        frame, labels, changed = self._list_obs()
        for name, label in labels.items():
            try:
                changed |= self._refresh_obs(frame, label, name, False)[1]
            except UnknownName:  # removed by the user's thread since it was listed
                changed |= self._obs.drop(name)
        obsm, listed = self._list_embeddings()
        changed |= listed
        for name in self._emb.listing:
            try:
                changed |= self._refresh_embedding(obsm, name, False)[1]
            except UnknownName:
                changed |= self._emb.drop(name)
        return changed

    def _list_obs(self) -> tuple[pd.DataFrame, dict, bool]:
        frame = self._adata.obs
        labels = {str(c): c for c in frame.columns}
        return frame, labels, self._obs.relist(tuple(labels))

    def _list_embeddings(self) -> tuple[object, bool]:
        obsm, labels, shapes = _obsm_shapes(self._adata)
        plans, skipped = plan_drawable(shapes, self._n)
        self._plans = {name: (labels[key], key, n_cols) for name, key, n_cols in plans}
        changed = self._emb.relist(tuple(name for name, _, _ in plans))
        if skipped != self._skipped:
            self._skipped, changed = skipped, True
        return obsm, changed

    def _refresh_obs(self, frame: pd.DataFrame, label, name: str, deep: bool
                     ) -> tuple[_Cached, bool]:
        try:
            series = frame[label]
        except KeyError:
            raise self._obs.unknown(name) from None
        if isinstance(series, pd.DataFrame):  # a duplicated column name: the first one
            series = series.iloc[:, 0]
        colors = self._adata.uns.get(f"{name}_colors") if wants_colors(series.dtype) else None
        fingerprint = column_fingerprint(series, colors)
        cached = self._obs.cached.get(name)
        unchanged = cached is not None and cached.fingerprint == fingerprint
        if unchanged and not deep:
            return cached, False
        content = column_content(series)  # before classifying: an edit in between shows later
        if unchanged and content is not None and content == cached.content:
            return cached, False
        return self._obs.store(name, fingerprint, content, self._classify(name, series, colors),
                               same_field)

    def _classify(self, name: str, series: pd.Series, colors) -> ObsField:
        if len(series) != self._n:
            return ObsField(name, "uncolorable", {"reason": (
                f"{len(series)} values for the {self._n} cells shown; show the AnnData again")},
                None)
        try:
            return classify_column(name, series, colors)
        except (TypeError, ValueError) as exc:  # odd objects: say so rather than fail the manifest
            return ObsField(name, "uncolorable", {"reason": f"cannot be read: {exc}"}, None)

    def _refresh_embedding(self, obsm, name: str, deep: bool) -> tuple[_Cached, bool]:
        label, key, n_cols = self._plans[name]
        try:
            value = obsm[label]
        except KeyError:
            raise self._emb.unknown(name) from None
        found = array_fingerprint(value)
        fingerprint = Fingerprint((key, n_cols, *found.key), found.keep)
        cached = self._emb.cached.get(name)
        unchanged = cached is not None and cached.fingerprint == fingerprint
        if unchanged and not deep:
            return cached, False
        columns = coordinate_columns(value, n_cols)
        content = array_content(columns)
        if unchanged and content == cached.content:
            return cached, False
        return self._emb.store(name, fingerprint, content,
                               make_embedding(name, key, columns, n_cols), same_embedding)



def _obsm_shapes(adata) -> tuple[object, dict, dict]:
    """``(obsm, {name: key}, {name: shape})`` of ``adata.obsm`` as it is now.

    The user's thread may add or delete entries while this reads them: anndata iterates its
    dict when ``obsm`` is accessed, so a "changed size during iteration" means read again, and an
    entry deleted between listing and reading is left out (it is gone).
    """
    for attempt in range(RESCANS):
        try:
            obsm = adata.obsm
            keys = list(obsm.keys())
            break
        except RuntimeError as exc:   # "dictionary changed size during iteration"
            if "changed size" not in str(exc) or attempt == RESCANS - 1:
                raise
    labels, shapes = {}, {}
    for key in keys:
        try:
            shapes[str(key)] = obsm_shape(obsm[key])
        except KeyError:
            continue
        labels[str(key)] = key
    return obsm, labels, shapes
