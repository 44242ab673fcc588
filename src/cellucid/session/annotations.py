"""Labels the user gives cells in the page (``annotation`` events), kept in Python.

Each label names a set of cells; a later label on the same cells wins. The labels form one
categorical column whose categories keep the order they were first used in, so each label keeps
its colour as more are added. The column is written to the AnnData in memory as each label
arrives (``adata.obs[key]``), or else pushed as a column of the viewer's own; either way the page
is told to refresh.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import pandas as pd

from ..data.pushed import pushed_id

DEFAULT_KEY = "cellucid_labels"
MAX_LABEL_LENGTH = 200


class Labels:
    """The labels of one viewer's cells: ``series()`` is NaN where a cell has none.

    ``cell_names`` gives the index of the series (None: positions); it is read on first use.
    """

    def __init__(self, key: str, n_cells: int,
                 cell_names: Callable[[], pd.Index | None] = lambda: None) -> None:
        self.key = key
        self.n_cells = n_cells
        self._cell_names = cell_names
        self._index: pd.Index | None = None
        self.categories: list[str] = []
        self._codes = np.full(n_cells, -1, dtype=np.int32)
        self._lock = threading.Lock()

    def apply(self, label: str, cells: list[int]) -> pd.Series:
        """Give ``cells`` the label ``label`` (a new label is appended); returns the new column."""
        with self._lock:
            if label not in self.categories:
                self.categories.append(label)
            self._codes[np.asarray(cells, dtype=np.int64)] = self.categories.index(label)
            return self._series()

    def replace(self, labelled: list[tuple[str, np.ndarray]]) -> pd.Series:
        """Drop every label, then give each ``(label, cells)`` in turn (the categories keep
        that order); returns the new column."""
        with self._lock:
            self.categories = []
            self._codes[:] = -1
            for label, cells in labelled:
                self.categories.append(label)
                self._codes[np.asarray(cells, dtype=np.int64)] = len(self.categories) - 1
            return self._series()

    def series(self) -> pd.Series:
        """The labels as a categorical Series indexed by the cell names (NaN: no label)."""
        with self._lock:
            return self._series()

    def _series(self) -> pd.Series:
        labels = pd.Categorical.from_codes(self._codes.copy(), categories=list(self.categories))
        if self._index is None:
            names = self._cell_names()
            self._index = names if names is not None else pd.RangeIndex(self.n_cells)
        return pd.Series(labels, index=self._index, name=self.key)


class Annotations:
    """The labels made in one viewer's page (``session``: its `ViewerSession`), written where
    Python reads them as they arrive; ``key`` None keeps them out of the AnnData."""

    def __init__(self, session, key: str | None) -> None:
        self.session = session
        dataset = session.dataset
        self.labels = Labels(key or DEFAULT_KEY, session.n_cells, lambda: dataset.cell_names)
        self.adata = session.dataset.adata_in_memory if key is not None else None

    def series(self) -> pd.Series:
        """The labels as a categorical Series indexed by the cell names (NaN: no label)."""
        return self.labels.series()

    def apply(self, payload: dict) -> None:
        """Take an ``annotation`` event as it is routed, so hooks and waiters see the labels
        already applied (payloads of another key are left alone)."""
        if payload["key"] != self.labels.key:
            return
        self.publish(self.labels.apply(payload["label"].strip(), payload["cells"]))

    def replace(self, labelled: list[tuple[str, np.ndarray]]) -> None:
        """Put labels restored from a session in place of every label (``(label, cells)``
        pairs, in category order), written where live labels are."""
        self.publish(self.labels.replace(labelled))

    @property
    def field(self) -> str:
        """What colouring by the labels is called: the obs column, or the pushed column."""
        return self.labels.key if self.adata is not None else pushed_id(self.labels.key)

    def publish(self, series: pd.Series) -> None:
        """Write the labels column where labels go (``adata.obs``, else a column pushed to the
        page) and tell the page to refresh; live labels and restored ones alike."""
        session = self.session
        if self.adata is not None:
            self.adata.obs[self.labels.key] = series.array   # categorical, in cell order
        else:
            session.pushed.put_values(self.labels.key, series.reset_index(drop=True))
        if not session.stopped:
            session.commands.push("refresh", {"revision": session.data.revision})
