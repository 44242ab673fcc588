"""`SessionBundle`: a saved view — what `viewer.get_session_bundle()` returns and a
``.cellucid-session`` file holds — and its highlight groups.

A session is a view, not data: it holds the dataset's identity (number of cells, a hash of the
cell names, the embedding names), never its values, except those pushed from Python.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .._version import __version__
from . import sections as sec
from .document import KIND, VERSION, check_kind, parse_document, read_document, write_document


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
    """A saved view: highlight groups, selection, colouring, embedding, camera, labels, values
    pushed from Python, the comparison and gene plots shown, and the identity of the cells.

    Cells are 0-based row positions of the dataset the session was saved on. `save` writes a
    ``.cellucid-session`` file; ``viewer.load_session(bundle)`` shows it again.
    """

    highlight_groups: list[HighlightGroup] = field(default_factory=list)
    """The page's highlight groups, in the order they were made."""
    selection: list[int] = field(default_factory=list)
    """The selected cells, sorted 0-based row positions."""
    color_by: dict | None = None
    """What the view was coloured by (``{"field", "kind"}``, and ``"layer"`` for a gene read
    from a named matrix such as ``".raw"``), or None for one colour."""
    embedding: str | None = None
    """The name of the embedding shown, or None."""
    camera: dict | None = None
    """The page's camera (2-D: ``cx``, ``cy``, ``scale``; 3-D: ``target``, ``distance``,
    ``yaw``, ``pitch``) with the canvas ``width`` and ``height``, or None."""
    n_cells: int = 0
    """The number of cells of the dataset."""
    obs_names_hash: str | None = None
    """``"sha256:…"`` of the dataset's cell names (``obs_names``), or None when it had none."""
    embeddings: list[str] = field(default_factory=list)
    """The names of the dataset's embeddings when the session was saved."""
    cell_names: pd.Series | None = None
    """The names of the cells the session refers to, indexed by their positions (what
    ``strict=False`` matches other data by), or None."""
    colormap: str | None = None
    """The colour map of continuous values (``"viridis"``, …), or None."""
    point_size: float | None = None
    """The point size drawn, in CSS pixels, or None."""
    theme: str | None = None
    """``"dark"`` or ``"light"``, or None."""
    hidden: list[int] | None = None
    """The hidden cells (``show_only``, ``set_visibility``), or None when every cell shows."""
    panels: dict = field(default_factory=dict)
    """The panels docked beside the view, ``"compare"`` and ``"genePlots"``, each a dict of
    ``open`` and ``collapsed``."""
    labels: pd.Series | None = None
    """The labels given in the page: a categorical Series in cell order (NaN: no label), or
    None when there are none."""
    labels_key: str | None = None
    """The ``obs`` column the labels were written to, or None."""
    values: dict[str, pd.Series] = field(default_factory=dict)
    """Values pushed from Python (``set_color_by(values, name=…)``), by title, in cell order."""
    pushed_embeddings: dict[str, np.ndarray] = field(default_factory=dict)
    """Coordinates pushed from Python (``set_embedding(array, name=…)``), by title."""
    comparison: dict | None = None
    """The comparison shown: ``group``, ``reference`` (cells or ``"rest"``), ``method``,
    ``matrix`` (``".raw"``, ``"X"`` or a layer), ``tie_correct``, ``n_genes``, labels; or None."""
    gene_plots: dict | None = None
    """The gene plots shown: ``genes``, ``groupby``, ``matrix``; or None."""

    @classmethod
    def from_json(cls, data: dict, n_cells: int | None = None) -> SessionBundle:
        """Build a bundle from its JSON form (a session file's object, or the page's part of
        it); every field is checked. ``n_cells`` is required when ``data`` does not say it.

        Raises `ValueError` naming the field that is wrong.
        """
        data = check_kind(data)
        n = _cell_count(data.get("n_cells"), n_cells)
        groups = sec.read_groups(sec.section(data, "highlightGroups", list, []), n)
        bundle = cls(
            highlight_groups=[HighlightGroup(name, color, cells.tolist())
                              for name, color, cells in groups],
            selection=sec.read_cells(data.get("selection", []), n, "selection").tolist(),
            color_by=sec.read_color_by(data.get("colorBy")),
            embedding=sec.text(data.get("embedding"), "embedding", optional=True),
            camera=sec.read_camera(data.get("camera")), n_cells=n,
            panels=sec.read_panels(sec.section(data, "panels", dict, {})),
            values=sec.read_values(sec.section(data, "values", list, []), n),
            pushed_embeddings=sec.read_embeddings(
                sec.section(data, "pushedEmbeddings", list, []), n),
            **sec.read_settings(data))
        bundle.obs_names_hash, bundle.embeddings = sec.read_identity(data)
        if data.get("hidden") is not None:
            bundle.hidden = sec.read_cells(data["hidden"], n, "hidden").tolist()
        if (labels := sec.section(data, "labels", dict)) is not None:
            bundle.labels_key, bundle.labels = sec.read_labels(labels, n)
        if (names := sec.section(data, "cellNames", dict)) is not None:
            bundle.cell_names = sec.read_cell_names(names, n)
        if (comparison := sec.section(data, "comparison", dict)) is not None:
            bundle.comparison = sec.read_comparison(comparison, n)
        if (plots := sec.section(data, "genePlots", dict)) is not None:
            bundle.gene_plots = sec.read_gene_plots(plots)
        return bundle

    def to_json(self) -> dict:
        """The JSON form: what a ``.cellucid-session`` file holds."""
        n = self.n_cells
        doc = {"format": KIND, "version": VERSION, "cellucid": __version__, "n_cells": n,
               "dataset": {"obsNamesHash": self.obs_names_hash,
                           "embeddings": list(self.embeddings)},
               "embedding": self.embedding, "camera": self.camera, "colorBy": self.color_by,
               "colormap": self.colormap, "pointSize": self.point_size, "theme": self.theme,
               "selection": sec.write_cells(self.selection, n),
               "highlightGroups": [{"name": g.name, "color": g.color,
                                    "cells": sec.write_cells(g.cells, n)}
                                   for g in self.highlight_groups],
               "hidden": None if self.hidden is None else sec.write_cells(self.hidden, n),
               "panels": self.panels, "values": sec.write_values(self.values),
               "pushedEmbeddings": sec.write_embeddings(self.pushed_embeddings),
               "labels": None, "comparison": None, "genePlots": self.gene_plots,
               "cellNames": None}
        if self.labels is not None:
            doc["labels"] = sec.write_labels(self.labels_key or str(self.labels.name),
                                           self.labels, n)
        if self.comparison is not None:
            doc["comparison"] = sec.write_comparison(self.comparison, n)
        if self.cell_names is not None:
            doc["cellNames"] = sec.write_cell_names(self.cell_names, n)
        return doc

    def referenced_cells(self) -> np.ndarray:
        """The sorted positions of every cell the session says something about (all of them
        when it holds per-cell values)."""
        if self.values or self.pushed_embeddings:
            return np.arange(self.n_cells, dtype=np.int64)
        sets = [self.selection, self.hidden or [], *(g.cells for g in self.highlight_groups)]
        if self.labels is not None:
            sets.append(np.flatnonzero(np.asarray(self.labels.cat.codes) >= 0))
        if self.comparison is not None:
            sets.append(self.comparison["group"])
            if self.comparison["reference"] != sec.REST:
                sets.append(self.comparison["reference"])
        arrays = [np.asarray(c, dtype=np.int64) for c in sets]
        return np.unique(np.concatenate(arrays)) if arrays else np.empty(0, dtype=np.int64)

    def save(self, path: str | os.PathLike) -> Path:
        """Write the bundle as a ``.cellucid-session`` file at ``path``; returns the path."""
        return write_document(self.to_json(), path)

    @classmethod
    def load(cls, path: str | os.PathLike, n_cells: int | None = None) -> SessionBundle:
        """Read a session file (written by `save`, Save session in the page, or the page's
        upload). Raises `FileNotFoundError`, or `ValueError` naming what is wrong with it:
        not JSON (truncated or corrupt), not a session, a newer format version, a bad field."""
        return cls.from_json(read_document(path), n_cells)

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

    def apply(self, viewer, *, strict: bool = True):
        """Show this session in ``viewer`` (``viewer.load_session(self, strict=strict)``);
        returns its `SessionReport`."""
        return viewer.load_session(self, strict=strict)


def _cell_count(declared: object, given: int | None) -> int:
    if declared is None:
        declared = given
    if type(declared) is not int or declared < 0:
        raise ValueError(f"n_cells must be the number of cells (an integer), got "
                         f"{str(declared)[:40]!r}; pass n_cells= for a bundle without it")
    if given is not None and given != declared:
        raise ValueError(f"the bundle covers {declared} cells, not {given}")
    return declared


def as_bundle(source) -> SessionBundle:
    """``source`` as a `SessionBundle`: a bundle, a path (``str`` or path-like), the bytes of
    a session file, or its JSON object. Raises `FileNotFoundError`, `ValueError`, and
    `TypeError` for anything else."""
    if isinstance(source, SessionBundle):
        return source
    if isinstance(source, (bytes, bytearray)):
        return SessionBundle.from_json(parse_document(bytes(source), "the session"))
    if isinstance(source, dict):
        return SessionBundle.from_json(source)
    if isinstance(source, (str, os.PathLike)):
        return SessionBundle.from_json(read_document(source))
    raise TypeError(f"a session is a path, a SessionBundle, bytes or a dict, not "
                    f"{type(source).__name__}")
