"""Viewer-local data: colour columns and embeddings pushed from Python for one viewer, and the
view the dataset API serves (the dataset's own names plus these).

Pushed data is held by the viewer's session, addressed by an id (``python:<title>``), served
through the same token-checked routes as obs columns and embeddings, and dropped with the viewer.
Each id has a version, bumped when it is pushed again, so a page caches by (id, version).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .data.embeddings import Embedding, make_embedding
from .data.names import UnknownName
from .data.obs import ObsField, classify_column
from .data.spatial import SpatialIndex

ID_PREFIX = "python:"


def local_id(title: str) -> str:
    """The id of pushed data titled ``title``."""
    return ID_PREFIX + title


@dataclass
class _Entry:
    title: str
    version: int
    item: object              # ObsField or Embedding
    spatial: SpatialIndex | None = None


class LocalData:
    """The columns and embeddings pushed from Python for one viewer."""

    def __init__(self, n_cells: int) -> None:
        self.n_cells = n_cells
        self.revision = 0
        self._columns: dict[str, _Entry] = {}
        self._embeddings: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def put_values(self, title: str, values: pd.Series, colors: list[str] | None = None) -> str:
        """Store values (already aligned to the cells) as a colour column; returns its id.

        Raises `ValueError` when they cannot be coloured (the reason says why).
        """
        key = local_id(title)
        field = classify_column(key, values, colors)
        if field.values is None:
            raise ValueError(f"these values cannot be coloured: {field.info['reason']}")
        self._put(self._columns, key, title, field)
        return key

    def put_embedding(self, title: str, coords: np.ndarray) -> str:
        """Store ``(n, 2|3)`` coordinates as an embedding; returns its id."""
        key = local_id(title)
        embedding = make_embedding(key, "python", coords, coords.shape[1])
        self._put(self._embeddings, key, title, embedding)
        return key

    def _put(self, table: dict, key: str, title: str, item) -> None:
        with self._lock:
            old = table.get(key)
            table[key] = _Entry(title, (old.version + 1) if old else 1, item)
            self.revision += 1

    def column(self, key: str) -> tuple[ObsField, int]:
        """The field and version of pushed column ``key``; `UnknownName` if there is none."""
        entry = self._columns.get(key)
        if entry is None:
            raise UnknownName("column pushed from Python", key, list(self._columns))
        return entry.item, entry.version

    def embedding(self, key: str) -> tuple[Embedding, int]:
        """The embedding and version of pushed embedding ``key``; `UnknownName` if none."""
        entry = self._embeddings.get(key)
        if entry is None:
            raise UnknownName("embedding pushed from Python", key, list(self._embeddings))
        return entry.item, entry.version

    def pushed(self) -> tuple[dict[str, ObsField], dict[str, Embedding]]:
        """Everything pushed now, by title: ``(columns, embeddings)``."""
        with self._lock:
            return ({e.title: e.item for e in self._columns.values()},
                    {e.title: e.item for e in self._embeddings.values()})

    def spatial_index(self, key: str) -> SpatialIndex:
        """The spatial index of pushed embedding ``key`` (built on first use, per version)."""
        with self._lock:
            entry = self._embeddings.get(key)
            if entry is None:
                raise UnknownName("embedding pushed from Python", key, list(self._embeddings))
            if entry.spatial is None:
                info = entry.item
                entry.spatial = SpatialIndex(info.coords, info.min, info.max)
            return entry.spatial

    def manifest_entries(self) -> tuple[list[dict], list[dict]]:
        """Manifest entries ``(obs, embeddings)`` of the pushed data."""
        with self._lock:
            columns = list(self._columns.values())
            embeddings = list(self._embeddings.values())
        describe = lambda e: {**e.item.describe(), "version": e.version, "title": e.title,  # noqa: E731
                              "source": "python"}
        return [describe(e) for e in columns], [describe(e) for e in embeddings]


class ViewData:
    """What one viewer's page reads: its dataset, with the data pushed from Python added."""

    def __init__(self, dataset, local: LocalData) -> None:
        self.dataset = dataset
        self.local = local

    @property
    def revision(self) -> int:
        """Grows whenever the dataset's names or the pushed data change."""
        return int(getattr(self.dataset, "revision", 0)) + self.local.revision

    def manifest(self) -> dict:
        """The dataset's manifest with the pushed columns and embeddings appended."""
        manifest = dict(self.dataset.manifest())
        obs, embeddings = self.local.manifest_entries()
        manifest["obs"] = list(manifest.get("obs", [])) + obs
        manifest["embeddings"] = list(manifest.get("embeddings", [])) + embeddings
        manifest["revision"] = self.revision
        return manifest

    def obs_values(self, name: str) -> tuple[np.ndarray, int]:
        """Encoded values and version of an obs column or a pushed column."""
        if name.startswith(ID_PREFIX):
            field, version = self.local.column(name)
            return field.values, version
        field, version = self.dataset.obs_entry(name)
        return self.dataset.obs_values(name), version

    def obs_field(self, name: str) -> ObsField:
        """The field (kind, categories, …) of an obs column or a pushed column."""
        if name.startswith(ID_PREFIX):
            return self.local.column(name)[0]
        return self.dataset.obs_entry(name)[0]

    def embedding_info(self, name: str) -> tuple[Embedding, int]:
        """The embedding record (coordinates, bounds) and version of ``name``."""
        if name.startswith(ID_PREFIX):
            return self.local.embedding(name)
        return self.dataset.embedding_entry(name)

    def radius_cells(self, name: str, center, r: float) -> np.ndarray:
        """Cells within ``r`` of ``center`` in embedding ``name`` (pushed ones included)."""
        if not name.startswith(ID_PREFIX):
            return self.dataset.radius_cells(name, center, r)
        return self.local.spatial_index(name).within(np.asarray(center, dtype=np.float64), r)
