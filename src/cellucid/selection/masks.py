"""The named sets of cells one viewer keeps in the kernel, as bool masks over every cell.

A page that draws a sample of the cells cannot hold its selection, highlight groups or hidden
cells as lists (a selection of 50M cells is 200 MB of indices), so the kernel holds them:
``selection`` (the current selection), ``hidden`` (cells `set_visibility`/`show_only` hid),
``python`` (the cells `Viewer.select` asked for, until the page takes them), ``saved`` (the
page's saved reference selection) and ``group:<name>`` (highlight groups). Each set has a
version, new every time it changes, and its count of cells; the page reads a set's bits for
the tiles it draws and keys its cache by (name, version).
"""

from __future__ import annotations

import threading
from typing import NamedTuple

import numpy as np

SELECTION = "selection"
HIDDEN = "hidden"
PYTHON = "python"
SAVED = "saved"
GROUP_PREFIX = "group:"
MAX_NAME_LENGTH = 262
BUILT_IN = (SELECTION, HIDDEN, PYTHON, SAVED)


class MaskInfo(NamedTuple):
    """A set's name, version (0: never set) and count of cells."""

    name: str
    version: int
    count: int

    def wire(self) -> dict:
        """The ``{"name", "version", "count"}`` object commands and replies carry."""
        return {"name": self.name, "version": self.version, "count": self.count}


def group_mask(group: str) -> str:
    """The set name of highlight group ``group``."""
    return GROUP_PREFIX + str(group)


def check_name(name: object) -> str:
    """``name`` when it names a set (a built-in one, or ``group:<name>``); ``ValueError`` saying
    which names exist otherwise."""
    if isinstance(name, str) and (name in BUILT_IN or (
            name.startswith(GROUP_PREFIX) and len(GROUP_PREFIX) < len(name) <= MAX_NAME_LENGTH)):
        return name
    raise ValueError(f"{str(name)[:80]!r} is not a set of cells: the names are "
                     f"{', '.join(BUILT_IN)} and group:<name> (a highlight group)")


class CellMasks:
    """The named sets of one viewer's cells (see module docstring). Thread-safe; the arrays
    handed out are read-only views, replaced (never changed) when a set changes."""

    def __init__(self, n_cells: int) -> None:
        self.n_cells = int(n_cells)
        self._masks: dict[str, tuple[np.ndarray, MaskInfo]] = {}
        self._versions = 0
        self._lock = threading.Lock()

    def set(self, name: str, mask: np.ndarray) -> MaskInfo:
        """Make ``mask`` (bool, one entry per cell; kept, not copied) the set ``name``; returns
        its new info. ``ValueError`` for a bad name or a mask of the wrong shape."""
        check_name(name)
        mask = np.asarray(mask)
        if mask.shape != (self.n_cells,) or mask.dtype != bool:
            raise ValueError(f"a set of cells must be a bool mask of the {self.n_cells} cells, "
                             f"got {mask.shape} {mask.dtype}")
        view = mask.view()
        view.flags.writeable = False
        count = int(np.count_nonzero(mask))
        with self._lock:
            self._versions += 1
            info = MaskInfo(name, self._versions, count)
            self._masks[name] = (view, info)
        return info

    def set_cells(self, name: str, cells) -> MaskInfo:
        """Make the sorted cell indices ``cells`` the set ``name``; returns its info."""
        mask = np.zeros(self.n_cells, dtype=bool)
        mask[np.asarray(cells, dtype=np.int64)] = True
        return self.set(name, mask)

    def drop(self, name: str) -> None:
        """Forget the set ``name`` (nothing when it does not exist)."""
        with self._lock:
            self._masks.pop(name, None)

    def has(self, name: str) -> bool:
        """Whether the set ``name`` has been set."""
        return name in self._masks

    def mask(self, name: str) -> np.ndarray:
        """The cells of set ``name`` as a read-only bool mask: empty for ``selection``,
        ``hidden`` and ``python`` before they are set. ``KeyError`` for a group or ``saved``
        that does not exist."""
        held = self._masks.get(name)
        if held is not None:
            return held[0]
        if name in (SELECTION, HIDDEN, PYTHON):
            empty = np.zeros(self.n_cells, dtype=bool)
            empty.flags.writeable = False
            return empty
        raise KeyError(f"no set of cells named {name!r}; the viewer holds "
                       f"{', '.join(self.names()) or 'none'}")

    def info(self, name: str) -> MaskInfo:
        """The info of set ``name`` (version 0 and count 0 when it was never set)."""
        held = self._masks.get(name)
        return held[1] if held is not None else MaskInfo(name, 0, 0)

    def names(self) -> list[str]:
        """The names of the sets that hold cells or were set."""
        with self._lock:
            return sorted(self._masks)

    def visible(self) -> np.ndarray | None:
        """The cells that are not hidden, or None when none is hidden."""
        held = self._masks.get(HIDDEN)
        if held is None or held[1].count == 0:
            return None
        return ~held[0]
