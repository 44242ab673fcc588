"""`SessionBundle`: the page's state (highlight groups, selection, colour-by, embedding, camera)
as Python works with it, read from what the page uploads on request (the upload's endpoint is
`server.uploads`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..cells import decode_cells, encode_cells
from ..errors import BadEvent

BUNDLE_FORMAT = "cellucid-session"


@dataclass
class HighlightGroup:
    """One named, coloured group of cells."""

    name: str
    """The group's name, as the page shows it."""
    color: str
    """Its colour, ``#rrggbb``."""
    cells: list[int]
    """Its cells, sorted 0-based row positions."""


@dataclass
class SessionBundle:
    """What the viewer showed: highlight groups, selection, colour-by, embedding and camera."""

    highlight_groups: list[HighlightGroup] = field(default_factory=list)
    """The page's highlight groups, in the order they were made."""
    selection: list[int] = field(default_factory=list)
    """The selected cells, sorted 0-based row positions."""
    color_by: dict | None = None
    """What the view was coloured by (``{"field", "kind"}``), or None."""
    embedding: str | None = None
    """The name of the embedding shown, or None."""
    camera: dict | None = None
    """The page's camera state, or None."""
    n_cells: int = 0
    """The number of cells of the dataset."""

    @classmethod
    def from_json(cls, data: dict, n_cells: int, refs=None) -> "SessionBundle":
        """Build a bundle from its JSON form; raises `ValueError` saying what is wrong.

        ``refs(name)`` gives the cells of a set the kernel holds (a tiled page's bundle names
        its selection and groups by reference, ``{"encoding": "ref", "mask": name}``)."""
        if not isinstance(data, dict) or data.get("format") != BUNDLE_FORMAT:
            raise ValueError("not a cellucid session bundle (no \"format\": "
                             "\"cellucid-session\" field)")
        try:
            groups = [HighlightGroup(str(g["name"]), str(g["color"]),
                                     decode_cells(g["cells"], n_cells, refs=refs).tolist())
                      for g in data.get("highlightGroups") or []]
            selection = data.get("selection")
            cells = decode_cells(selection, n_cells, refs=refs).tolist() \
                if selection is not None else []
        except (KeyError, TypeError) as exc:
            raise ValueError(f"session bundle has a malformed highlight group ({exc})") from None
        except BadEvent as exc:
            raise ValueError(f"session bundle has bad cells: {exc.message}") from None
        return cls(groups, cells, data.get("colorBy"), data.get("embedding"),
                   data.get("camera"), n_cells)

    def to_json(self) -> dict:
        """The JSON form (as the page uploads it)."""
        return {"format": BUNDLE_FORMAT, "version": 1, "n_cells": self.n_cells,
                "embedding": self.embedding, "colorBy": self.color_by, "camera": self.camera,
                "selection": encode_cells(np.asarray(self.selection), self.n_cells),
                "highlightGroups": [{"name": g.name, "color": g.color,
                                     "cells": encode_cells(np.asarray(g.cells), self.n_cells)}
                                    for g in self.highlight_groups]}

    def save(self, path: str | os.PathLike) -> Path:
        """Write the bundle as JSON to ``path``."""
        path = Path(path)
        path.write_text(json.dumps(self.to_json()))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, n_cells: int | None = None) -> "SessionBundle":
        """Read a bundle saved with `save` (or uploaded by the page)."""
        data = json.loads(Path(path).read_text())
        if n_cells is None:
            n_cells = data.get("n_cells") if isinstance(data, dict) else None
        if not isinstance(n_cells, int):
            raise ValueError("the bundle does not say how many cells it covers; pass n_cells=")
        return cls.from_json(data, n_cells)

    def to_anndata(self, adata, prefix: str = "") -> list[str]:
        """Add each highlight group as a boolean ``obs`` column; returns the column names."""
        if adata.n_obs != self.n_cells:
            raise ValueError(f"this bundle covers {self.n_cells} cells but the AnnData has "
                             f"{adata.n_obs}; apply it to the data it was made from")
        names = []
        for group in self.highlight_groups:
            column = np.zeros(self.n_cells, dtype=bool)
            column[group.cells] = True
            adata.obs[prefix + group.name] = column
            names.append(prefix + group.name)
        return names

    def apply(self, viewer) -> None:
        """Show this bundle's embedding, colour-by, groups and selection in ``viewer``."""
        if self.embedding:
            viewer.set_embedding(self.embedding)
        if self.color_by and self.color_by.get("field"):
            viewer.set_color_by(self.color_by["field"])
        viewer.clear_highlights()
        for group in self.highlight_groups:
            viewer.highlight_cells(group.cells, color=group.color, name=group.name)
        if self.selection:
            viewer.select(self.selection)
