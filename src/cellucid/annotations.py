"""Labels the user gives cells in the page (``annotation`` events), kept in Python.

Each label names a set of cells; a later label on the same cells wins. The labels form one
categorical column whose categories keep the order they were first used in, so each label keeps
its colour as more are added.
"""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd

DEFAULT_KEY = "cellucid_labels"
MAX_LABEL_LENGTH = 200


class Annotations:
    """The labels of one viewer's cells: ``series()`` is NaN where a cell has none."""

    def __init__(self, key: str, n_cells: int, cell_names: pd.Index | None) -> None:
        self.key = key
        self.n_cells = n_cells
        self.cell_names = cell_names
        self.labels: list[str] = []
        self._codes = np.full(n_cells, -1, dtype=np.int32)
        self._lock = threading.Lock()

    def apply(self, label: str, cells: list[int]) -> pd.Series:
        """Give ``cells`` the label ``label`` (a new label is appended); returns the new column."""
        with self._lock:
            if label not in self.labels:
                self.labels.append(label)
            self._codes[np.asarray(cells, dtype=np.int64)] = self.labels.index(label)
            return self._series()

    def replace(self, labelled: list[tuple[str, np.ndarray]]) -> pd.Series:
        """Drop every label, then give each ``(label, cells)`` in turn (the categories keep
        that order); returns the new column."""
        with self._lock:
            self.labels = []
            self._codes[:] = -1
            for label, cells in labelled:
                self.labels.append(label)
                self._codes[np.asarray(cells, dtype=np.int64)] = len(self.labels) - 1
            return self._series()

    def series(self) -> pd.Series:
        """The labels as a categorical Series indexed by the cell names (NaN: no label)."""
        with self._lock:
            return self._series()

    def _series(self) -> pd.Series:
        labels = pd.Categorical.from_codes(self._codes.copy(), categories=list(self.labels))
        index = self.cell_names if self.cell_names is not None else pd.RangeIndex(self.n_cells)
        return pd.Series(labels, index=index, name=self.key)
