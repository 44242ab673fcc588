"""A viewer's selection, highlight groups and hidden cells, kept in the kernel over every cell.

:class:`SelectionState` is the one place that holds them (a :class:`~cellucid.selection.masks.
CellMasks`), whichever way the page draws:

* a page that draws every cell sends a selection's cells; they are kept as they come;
* a page that draws a sample (a tiled viewer, ``tiled_view.py``) sends a *step* without cells
  (:mod:`cellucid.selection.steps`): the kernel resolves it over every cell, combines it with
  the selection before it, keeps the result and gives the ``selection`` event every selected
  cell (a plain list, or a :class:`~cellucid.selection.sequence.CellSequence` past a million);
  the page reads the selection's bits for the tiles it draws. ``mask`` events make or drop a
  highlight group or the saved reference (from cells, or from another set by reference).

Python's own changes (`Viewer.select`, `highlight_cells`, `set_visibility`, `show_only`,
`show_all`) go through :meth:`SelectionState.command_cells`, which keeps the set and says what
the command carries: the cells for a page that draws every cell, a reference to the set for a
tiled one. Cells with hidden cells are never selected.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..cells import REF, decode_cells, encode_cells
from ..errors import BadEvent
from ..selection import masks as named
from ..selection.lasso import polygon_mask, radius_mask, screen_polygon_mask
from ..selection.masks import CellMasks
from ..selection.sequence import event_cells
from ..selection.sources import CellPositions
from ..selection.steps import SOURCES, apply_mode, check_step, step_mask

PAGE_SETS = (named.SAVED,)   # sets a page may make besides highlight groups


def is_step(payload: dict) -> bool:
    """Whether a ``selection`` payload without cells is a step for the kernel to resolve."""
    return "cells" not in payload and payload.get("source") in SOURCES


class ViewerCells:
    """Every cell of one viewer, for resolving steps (a :class:`~cellucid.selection.steps.
    StepCells`): ``data`` (`data.overlay.DatasetView`), ``tiles`` (`tiled_view.TiledView`) and
    the viewer's sets."""

    def __init__(self, data, tiles, masks: CellMasks) -> None:
        self.data = data
        self.tiles = tiles
        self.masks = masks
        self.n_cells = masks.n_cells

    def dims(self, embedding: str) -> int:
        """Dimensions of ``embedding``; `UnknownName` (a ``KeyError``) when unknown."""
        return int(self.data.embedding_entry(embedding)[0].dims)

    def _positions(self, embedding: str) -> CellPositions:
        info, _ = self.data.embedding_entry(embedding)
        if info.dims == 1:
            return CellPositions(self.tiles.one_d_cells(embedding))
        return CellPositions(info.coords)

    def _plain(self, embedding: str) -> bool:
        # pushed embeddings and 1-D ones are tested cell by cell in obs order
        return self.data.pushed.owns(embedding) or self.dims(embedding) == 1

    def lasso(self, embedding: str, polygon) -> np.ndarray:
        """Cells inside ``polygon`` (data coordinates; in 1-D ``y`` is the page's jitter)."""
        if self._plain(embedding):
            return polygon_mask(self._positions(embedding), polygon)
        return self.tiles.selector().lasso(embedding, polygon)

    def screen_lasso(self, embedding: str, polygon, view_projection, width, height
                     ) -> np.ndarray:
        """Cells of a 3-D embedding whose projection is inside the screen ``polygon``."""
        if self._plain(embedding):
            return screen_polygon_mask(self._positions(embedding), polygon, view_projection,
                                       width, height)
        return self.tiles.selector().screen_lasso(embedding, polygon, view_projection, width,
                                                  height)

    def radius(self, embedding: str, center, radius: float) -> np.ndarray:
        """Cells within ``radius`` of ``center``."""
        if self.data.pushed.owns(embedding):
            return radius_mask(self._positions(embedding), center, radius)
        return self.tiles.selector().radius(embedding, center, radius)

    def require_graph(self) -> None:
        """``ValueError`` when the dataset has no neighbourhood graph."""
        if not self.data.dataset.has_graph:
            raise ValueError("this dataset has no neighbourhood graph (obsp['connectivities'])"
                             "; compute one with sc.pp.neighbors(adata) and show it again")

    def knn(self, seed: int, hops: int) -> np.ndarray:
        """Cells within ``hops`` graph hops of ``seed``."""
        self.require_graph()
        return self.tiles.selector().knn(seed, hops)

    def category_code(self, field: str, category: str) -> int:
        """The code of ``category`` in categorical obs column ``field``; ``KeyError`` for an
        unknown column, ``ValueError`` for a category it does not have."""
        info = self.data.obs_field(field)
        categories = [str(c) for c in info.info.get("categories") or []]
        if info.kind not in ("categorical", "boolean") or category not in categories:
            raise ValueError(f"{category[:80]!r} is not a category of obs column {field!r}")
        return categories.index(category)

    def category(self, field: str, category: str) -> np.ndarray:
        """Cells of ``category`` of categorical obs column ``field``."""
        code = self.category_code(field, category)
        values, _ = self.data.obs_values(field)
        return values == code

    def held(self, name: str) -> np.ndarray:
        """The set ``name``."""
        return self.masks.mask(name)


class SelectionState:
    """The sets of cells of one viewer (see module docstring). ``notify(fields)`` tells the
    page(s) of a change the kernel made (a ``masks`` command) when the viewer is tiled."""

    def __init__(self, data, tiles, notify: Callable[[dict], None] | None = None) -> None:
        self.tiles = tiles
        self.masks = CellMasks(data.dataset.n_cells)
        self.cells = ViewerCells(data, tiles, self.masks)
        self.notify = notify or (lambda fields: None)

    @property
    def n_cells(self) -> int:
        """Cells of the viewer."""
        return self.masks.n_cells

    # -- events from the page ------------------------------------------------------------------
    def resolve_ref(self, name: str) -> np.ndarray:
        """The cells of set ``name`` (a reference in an event's cells); `BadEvent` if none."""
        try:
            return np.flatnonzero(self.masks.mask(named.check_name(name)))
        except (KeyError, ValueError) as exc:
            raise BadEvent(str(exc).strip('"')) from None

    def check_selection(self, payload: dict) -> None:
        """Check a ``selection`` event: its cells (decoded in place) or, without them and with
        a ``source`` of :data:`~cellucid.selection.steps.SOURCES`, the step for the kernel to
        resolve (any other event passes as it is). Raises `BadEvent` naming the problem."""
        if "cells" in payload:
            cells = decode_cells(payload["cells"], self.n_cells, refs=self.resolve_ref)
            payload["cells"] = event_cells(cells)
            return
        if not is_step(payload):
            return
        try:
            check_step(payload, self.cells)
            if payload["source"] == "knn":
                self.cells.require_graph()
            elif payload["source"] == "annotation":
                self.cells.category_code(payload["field"], payload["category"])
        except (KeyError, ValueError) as exc:
            raise BadEvent(str(exc).strip('"')) from None

    def on_selection(self, payload: dict) -> None:
        """A routed ``selection``: keep its cells, or resolve its step over every cell (then
        ``payload["cells"]`` holds the whole selection after it)."""
        if "cells" in payload:
            self.masks.set_cells(named.SELECTION, np.asarray(payload["cells"]))
            return
        if not is_step(payload):
            return
        step = step_mask(payload, self.cells)
        visible = self.masks.visible()
        if visible is not None:
            step &= visible
        previous = self.masks.mask(named.SELECTION)
        selection = apply_mode(previous, step, payload["mode"])
        if payload["source"] == "python":
            self.masks.drop(named.PYTHON)
        info = self.masks.set(named.SELECTION, selection)
        payload["cells"] = event_cells(selection)
        self.notify({"masks": [info.wire()]})

    def check_mask_event(self, payload: dict) -> None:
        """Check a ``mask`` event ``{name, cells, color?}`` (make, or with ``cells: null``
        drop, a highlight group or the saved reference); decodes its cells in place."""
        name = payload.get("name")
        try:
            named.check_name(name)
        except ValueError as exc:
            raise BadEvent(f"'mask.name': {exc}") from None
        if not (name.startswith(named.GROUP_PREFIX) or name in PAGE_SETS):
            raise BadEvent(f"'mask.name' must be group:<name> or one of {', '.join(PAGE_SETS)}; "
                           f"{name!r} is kept by the kernel alone")
        if payload.get("cells") is not None:
            payload["cells"] = event_cells(decode_cells(payload["cells"], self.n_cells,
                                                        "cells", refs=self.resolve_ref))

    def on_mask_event(self, payload: dict) -> None:
        """A routed ``mask`` event: keep or drop the set."""
        name = payload["name"]
        if payload.get("cells") is None:
            self.masks.drop(name)
            return
        info = self.masks.set_cells(name, np.asarray(payload["cells"]))
        payload["count"] = info.count

    # -- changes from Python -----------------------------------------------------------------
    def command_cells(self, name: str, cells: np.ndarray | None) -> dict:
        """Make the sorted ``cells`` the set ``name`` (``None``: drop it) and return what a
        command carries: ``{"cells": <wire form>}`` for a page that draws every cell,
        ``{"mask": {"name", "version", "count"}}`` for a tiled one."""
        if cells is None:
            self.masks.drop(name)
            info = self.masks.info(name)
        else:
            info = self.masks.set_cells(name, cells)
        if self.tiles.tiled:
            return {"mask": info.wire()}
        return {"cells": encode_cells(np.asarray(cells if cells is not None else [],
                                                 dtype=np.int64), self.n_cells)}

    def hide(self, cells: np.ndarray | None, visible: bool) -> dict:
        """Show or hide ``cells`` (None: all) in the ``hidden`` set; returns the command's
        ``mask`` field (tiled) or ``{}``."""
        hidden = np.array(self.masks.mask(named.HIDDEN))
        if cells is None:
            hidden[:] = not visible
        else:
            hidden[np.asarray(cells, dtype=np.int64)] = not visible
        return self._hidden(hidden)

    def show_only(self, cells: np.ndarray | None) -> dict:
        """Hide every cell but ``cells`` (None: show all); returns the ``mask`` field (tiled)
        or ``{}``."""
        hidden = np.zeros(self.n_cells, dtype=bool)
        if cells is not None:
            hidden[:] = True
            hidden[np.asarray(cells, dtype=np.int64)] = False
        return self._hidden(hidden)

    def _hidden(self, hidden: np.ndarray) -> dict:
        info = self.masks.set(named.HIDDEN, hidden)
        return {"mask": info.wire()} if self.tiles.tiled else {}

    def inline_refs(self, view: dict) -> dict:
        """A page's view (a session's page part) with each cell list a tiled page names by
        reference (the selection, the hidden cells, a highlight group) replaced by the cells of
        the set the kernel holds. Raises `ValueError` for a reference to no set."""
        if not isinstance(view, dict):
            return view

        def inline(value):
            if isinstance(value, dict) and value.get("encoding") == REF:
                try:
                    cells = self.resolve_ref(value.get("mask"))
                except BadEvent as exc:
                    raise ValueError(str(exc)) from None
                return encode_cells(cells, self.n_cells)
            return value
        view = {**view, **{key: inline(view[key]) for key in ("selection", "hidden")
                           if key in view}}
        groups = view.get("highlightGroups")
        if isinstance(groups, list):
            view["highlightGroups"] = [{**g, "cells": inline(g.get("cells"))}
                                       if isinstance(g, dict) else g for g in groups]
        return view

    def selected(self) -> np.ndarray:
        """The selection as a read-only bool mask over every cell."""
        return self.masks.mask(named.SELECTION)
