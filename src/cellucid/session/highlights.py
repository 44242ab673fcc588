"""Highlight groups made from Python: drawn by the page in their colour, and remembered, so a
comparison can name one (the page's own groups are asked of the page, in a session bundle).
Each is also a set of the session's `selection_state.SelectionState` (``group:<name>``), which
a tiled page reads tile by tile."""

from __future__ import annotations

import numpy as np

from ..cells import as_index_array
from ..selection.masks import group_mask

PAGE_GROUPS_TIMEOUT = 15.0   # seconds to wait for the page's groups when a name is not ours


class HighlightGroups:
    """The highlight groups one viewer's Python side made (``session``: its `ViewerSession`)."""

    def __init__(self, session) -> None:
        self.session = session
        self.count = 0
        self.cells: dict[str, np.ndarray] = {}

    def add(self, cells, color: str, name: str | None) -> str:
        """Draw ``cells`` as group ``name`` (default: the next ``group N``) in ``color``
        (``#rrggbb``); returns the name. Raises `IndexError` for a cell out of range."""
        if name is None:
            self.count += 1
            name = f"group {self.count}"
        session = self.session
        cells = as_index_array(cells, session.n_cells)
        session.check_running()
        fields = session.selection.command_cells(group_mask(name), cells)
        session.command("highlight", {"name": str(name), "color": color, **fields})
        self.cells[str(name)] = cells
        return str(name)

    def clear(self, name: str | None) -> None:
        """Remove group ``name``, or every group."""
        self.session.command("clearHighlights", {"name": name})
        for group in list(self.cells) if name is None else [str(name)]:
            self.cells.pop(group, None)
            self.session.selection.masks.drop(group_mask(group))

    def forget(self) -> None:
        """Forget the groups made from Python (a restored session's groups are the page's)."""
        self.cells.clear()

    def cells_of(self, name: str):
        """The cells of group ``name``: one made from Python, else one of the page's.

        Raises `KeyError` naming the groups there are.
        """
        if name in self.cells:
            return self.cells[name]
        known = list(self.cells)
        if self.session.commands.connected:
            bundle = self.session.uploads.session_bundle(PAGE_GROUPS_TIMEOUT)
            for group in bundle.highlight_groups:
                if group.name == name:
                    return group.cells
            known += [g.name for g in bundle.highlight_groups]
        raise KeyError(f"no highlight group named {name!r}; the viewer has "
                       f"{', '.join(map(repr, known)) or 'none'} — or pass cell indices or a mask")
