"""Values pushed from Python for one viewer: colour columns and embeddings.

Pushed data is held by the viewer's session, addressed by an id (``python:<title>``), laid over
the dataset's own names (`overlay.DatasetView`), served through the same token-checked routes as
obs columns and embeddings, and dropped with the viewer. Each id has a version, bumped when it
is pushed again, so a page caches by (id, version). `PushedData` answers the name questions of a
:class:`~cellucid.data.Dataset` for its own ids, so the view asks one or the other.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .embeddings import Embedding, make_embedding
from .names import UnknownName
from .obs import ObsField, classify_column

ID_PREFIX = "python:"


def pushed_id(title: str) -> str:
    """The id of pushed data titled ``title``."""
    return ID_PREFIX + title


@dataclass
class _Entry:
    title: str
    version: int
    item: ObsField | Embedding


class PushedData:
    """The columns and embeddings pushed from Python for one viewer of ``n_cells`` cells."""

    def __init__(self, n_cells: int) -> None:
        self.n_cells = n_cells
        self.revision = 0
        self._columns: dict[str, _Entry] = {}
        self._embeddings: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    @staticmethod
    def owns(name: str) -> bool:
        """Whether ``name`` is the id of pushed data (pushed or not yet)."""
        return name.startswith(ID_PREFIX)

    # -- pushing --------------------------------------------------------------------------------
    def put_values(self, title: str, values: pd.Series, colors: list[str] | None = None) -> str:
        """Store values (already aligned to the cells) as a colour column; returns its id.

        Raises `ValueError` when they cannot be coloured (the reason says why).
        """
        key = pushed_id(title)
        field = classify_column(key, values, colors)
        if field.values is None:
            raise ValueError(f"these values cannot be coloured: {field.info['reason']}")
        self._put(self._columns, key, title, field)
        return key

    def put_embedding(self, title: str, coords: np.ndarray) -> str:
        """Store ``(n, 2|3)`` coordinates as an embedding; returns its id."""
        key = pushed_id(title)
        embedding = make_embedding(key, "python", coords, coords.shape[1])
        self._put(self._embeddings, key, title, embedding)
        return key

    def _put(self, table: dict, key: str, title: str, item) -> None:
        with self._lock:
            old = table.get(key)
            table[key] = _Entry(title, (old.version + 1) if old else 1, item)
            self.revision += 1

    # -- the name questions of a dataset, for pushed ids ----------------------------------------
    def obs_entry(self, key: str) -> tuple[ObsField, int]:
        """The field and version of pushed column ``key``; `UnknownName` if there is none."""
        entry = self._columns.get(key)
        if entry is None:
            raise UnknownName("column pushed from Python", key, list(self._columns))
        return entry.item, entry.version

    def embedding_entry(self, key: str) -> tuple[Embedding, int]:
        """The embedding and version of pushed embedding ``key``; `UnknownName` if none."""
        entry = self._embeddings.get(key)
        if entry is None:
            raise UnknownName("embedding pushed from Python", key, list(self._embeddings))
        return entry.item, entry.version

    def embedding_info(self, key: str) -> Embedding:
        """The pushed embedding ``key``; `UnknownName` if there is none."""
        return self.embedding_entry(key)[0]

    def check_column(self, key: str) -> int:
        """The version of pushed column ``key`` (pushed values are never edited in place)."""
        return self.obs_entry(key)[1]

    def check_embedding(self, key: str) -> int:
        """The version of pushed embedding ``key``."""
        return self.embedding_entry(key)[1]

    def resolve_color_field(self, key: str) -> tuple[str, str]:
        """``("obs", key)`` for a pushed column; `UnknownName` if there is none."""
        self.obs_entry(key)
        return "obs", key

    def by_title(self) -> tuple[dict[str, ObsField], dict[str, Embedding]]:
        """Everything pushed now, by title: ``(columns, embeddings)``."""
        with self._lock:
            return ({e.title: e.item for e in self._columns.values()},
                    {e.title: e.item for e in self._embeddings.values()})

    def manifest_entries(self) -> tuple[list[dict], list[dict]]:
        """Manifest entries ``(obs, embeddings)`` of the pushed data."""
        with self._lock:
            columns = list(self._columns.values())
            embeddings = list(self._embeddings.values())
        return [_describe(e) for e in columns], [_describe(e) for e in embeddings]


def _describe(entry: _Entry) -> dict:
    return {**entry.item.describe(), "version": entry.version, "title": entry.title,
            "source": "python"}
