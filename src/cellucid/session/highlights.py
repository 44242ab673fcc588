"""Highlight groups made from Python: drawn by the page in their colour, and remembered, so a
comparison can name one (the page's own groups are asked of the page, in a session bundle)."""

from __future__ import annotations

from ..cells import as_index_array, encode_cells

PAGE_GROUPS_TIMEOUT = 15.0   # seconds to wait for the page's groups when a name is not ours


class HighlightGroups:
    """The highlight groups one viewer's Python side made (``session``: its `ViewerSession`)."""

    def __init__(self, session) -> None:
        self.session = session
        self.count = 0
        self.cells: dict[str, list[int]] = {}

    def add(self, cells, color: str, name: str | None) -> str:
        """Draw ``cells`` as group ``name`` (default: the next ``group N``) in ``color``
        (``#rrggbb``); returns the name. Raises `IndexError` for a cell out of range."""
        if name is None:
            self.count += 1
            name = f"group {self.count}"
        n_cells = self.session.n_cells
        cells = as_index_array(cells, n_cells)
        self.session.command("highlight", {"name": str(name), "color": color,
                                           "cells": encode_cells(cells, n_cells)})
        self.cells[str(name)] = cells.tolist()
        return str(name)

    def clear(self, name: str | None) -> None:
        """Remove group ``name``, or every group."""
        self.session.command("clearHighlights", {"name": name})
        if name is None:
            self.cells.clear()
        else:
            self.cells.pop(str(name), None)

    def forget(self) -> None:
        """Forget the groups made from Python (a restored session's groups are the page's)."""
        self.cells.clear()

    def cells_of(self, name: str) -> list[int]:
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
