"""Python's commands that change a viewer's sets of cells: the selection (`Viewer.select`) and
the hidden cells (`set_visibility`, `show_only`, `show_all`).

Each keeps the set in the session's `selection_state.SelectionState` first, then sends the
command with what the page needs: the cells for a page that draws every cell, a reference to
the kernel's set for a tiled one (which reads the set's bits for the tiles it draws).
"""

from __future__ import annotations

from ..cells import as_index_array
from ..selection.masks import PYTHON


class SetCommands:
    """The set-changing commands of one viewer (``session``: its `ViewerSession`)."""

    def __init__(self, session) -> None:
        self.session = session

    def _cells(self, cells):
        return as_index_array(cells, self.session.n_cells)

    def select(self, cells) -> None:
        """Make ``cells`` the selection. Raises `IndexError` for a cell out of range."""
        session = self.session
        chosen = self._cells(cells)
        session.check_running()
        session.command("select", session.selection.command_cells(PYTHON, chosen))

    def set_visibility(self, cells, visible: bool) -> None:
        """Show or hide ``cells`` (None: all of them)."""
        session = self.session
        chosen = None if cells is None else self._cells(cells)
        session.check_running()
        fields = session.selection.hide(chosen, visible) or {
            "cells": None if chosen is None else session.wire_cells(chosen)}
        session.command("setVisibility", {**fields, "visible": visible})

    def show_only(self, cells) -> None:
        """Hide every cell but ``cells``. Raises `IndexError` for a cell out of range."""
        session = self.session
        chosen = self._cells(cells)
        session.check_running()
        fields = session.selection.show_only(chosen) or {"cells": session.wire_cells(chosen)}
        session.command("showOnly", fields)

    def show_all(self) -> None:
        """Show every cell again."""
        session = self.session
        session.check_running()
        session.command("showAll", session.selection.show_only(None))
