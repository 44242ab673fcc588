"""Planning a restore: a session checked against the data at hand, its cells mapped onto this
data's, and what cannot be restored refused (strict) or reported (``strict=False``).

Planning changes nothing: a refusal leaves the viewer, its page and its data as they were.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..data.layers import RAW
from ..data.pushed import ID_PREFIX
from . import sections as sec
from .bundle import SessionBundle
from .identity import CellMap, match_cells

SHOWN_DROPPED = 10   # cell names a report prints before "and N more"


class SessionWarning(UserWarning):
    """A session was restored without some of what it holds (the message says what)."""


@dataclass
class SessionReport:
    """What restoring a session did: the cells matched, those this data has not, and what
    could not be restored (with why)."""

    n_cells: int
    """The number of cells of the data the session was restored onto."""
    matched_cells: int
    """How many of the cells the session refers to are in this data."""
    dropped_cells: list[str] = field(default_factory=list)
    """The names of the session's cells this data does not have (``strict=False``)."""
    dropped: list[str] = field(default_factory=list)
    """What of the session could not be restored, each with the reason."""
    notes: list[str] = field(default_factory=list)
    """Anything else worth knowing (cell names not checked, labels under another key)."""

    @property
    def complete(self) -> bool:
        """Whether everything in the session was restored."""
        return not self.dropped_cells and not self.dropped

    def __str__(self) -> str:
        lines = [f"session restored onto {self.n_cells} cells; {self.matched_cells} of the "
                 f"cells it refers to matched"]
        if self.dropped_cells:
            shown = ", ".join(self.dropped_cells[:SHOWN_DROPPED])
            more = len(self.dropped_cells) - SHOWN_DROPPED
            lines.append(f"{len(self.dropped_cells)} cells of the session are not in this data: "
                         f"{shown}" + (f" and {more} more" if more > 0 else ""))
        lines += [f"dropped: {d}" for d in self.dropped] + [f"note: {n}" for n in self.notes]
        return "\n".join(lines)

    def to_json(self) -> dict:
        """The report as JSON (what the page's Open session is answered with)."""
        return {"n_cells": self.n_cells, "matched_cells": self.matched_cells,
                "dropped_cells": self.dropped_cells, "dropped": self.dropped,
                "notes": self.notes, "text": str(self)}


@dataclass
class Target:
    """What a restore needs to know of the viewer it restores onto."""

    dataset: Any
    n_cells: int
    cell_names: pd.Index | None
    labels_key: str
    labels_field: str                   # what colouring by the labels is called here
    pushed_columns: list[str]           # titles of the values pushed to this viewer now
    pushed_embeddings: dict[str, int]   # titles of the coordinates pushed now → dimensions


@dataclass
class RestorePlan:
    """A session made ready for one viewer: the page's part (cells as this data's, in their
    wire form) and Python's (labels, pushed values and coordinates, analyses to run)."""

    page: dict
    labels: list[tuple[str, np.ndarray]] | None
    values: dict[str, pd.Series]
    embeddings: dict[str, np.ndarray]
    comparison: dict | None
    gene_plots: dict | None
    report: SessionReport


def plan_restore(bundle: SessionBundle, target: Target, strict: bool) -> RestorePlan:
    """Check ``bundle`` against ``target`` and map its cells.

    Raises `identity.SessionMismatch` for other cells (strict), `ValueError` for anything that
    cannot be restored (strict), or for cells that cannot be matched by name.
    """
    cell_map = match_cells(saved_count=bundle.n_cells, saved_hash=bundle.obs_names_hash,
                           saved_names=bundle.cell_names, count=target.n_cells,
                           names=target.cell_names, strict=strict)
    referenced = bundle.referenced_cells()
    report = SessionReport(target.n_cells, int(cell_map.cells(referenced).size),
                           list(cell_map.dropped_names), notes=list(cell_map.notes))
    return _Planner(bundle, target, cell_map, strict, report).plan()


class _Planner:
    def __init__(self, bundle: SessionBundle, target: Target, cell_map: CellMap, strict: bool,
                 report: SessionReport) -> None:
        self.bundle, self.target, self.map = bundle, target, cell_map
        self.strict, self.report = strict, report

    def give_up(self, what: str, why: str) -> None:
        """Refuse the session (strict) or leave ``what`` out and report it."""
        if self.strict:
            raise ValueError(f"cannot restore {what}: {why}; restore with strict=False to "
                             f"leave it out")
        self.report.dropped.append(f"{what} ({why})")

    def cells(self, saved, what: str) -> np.ndarray:
        here = self.map.cells(np.asarray(saved, dtype=np.int64))
        lost = len(saved) - here.size
        if lost:
            self.report.dropped.append(f"{lost} of the {len(saved)} cells of {what} (not in "
                                       f"this data)")
        return here

    def wire(self, saved, what: str) -> list[int] | dict:
        return sec.write_cells(self.cells(saved, what), self.target.n_cells)

    def plan(self) -> RestorePlan:
        b = self.bundle
        page = {"theme": b.theme, "colormap": b.colormap, "pointSize": b.point_size,
                "panels": b.panels, "selection": self.wire(b.selection, "the selection"),
                "hidden": None if b.hidden is None else self.wire(b.hidden, "the hidden cells"),
                "highlightGroups": [{"name": g.name, "color": g.color,
                                     "cells": self.wire(g.cells, f"highlight group {g.name!r}")}
                                    for g in b.highlight_groups]}
        embedding = self.embedding()
        if embedding is not None:
            page["embedding"] = embedding
            page["camera"] = self.camera(embedding)
        color = self.color_by()
        if color is not False:
            page["colorBy"] = color
        return RestorePlan(page, self.labels(), self.values(), self.embeddings(),
                           self.comparison(), self.gene_plots(), self.report)

    # -- the view ------------------------------------------------------------------------------
    def dims_of(self, name: str) -> int | None:
        if name.startswith(ID_PREFIX):
            title = name[len(ID_PREFIX):]
            if title in self.bundle.pushed_embeddings:
                return int(self.bundle.pushed_embeddings[title].shape[1])
            return self.target.pushed_embeddings.get(title)
        if name in self.target.dataset.embedding_names:
            return int(self.target.dataset.embedding_info(name).dims)
        return None

    def embedding(self) -> str | None:
        name = self.bundle.embedding
        if name is None:
            return None
        if self.dims_of(name) is None:
            known = ", ".join(self.target.dataset.embedding_names)
            self.give_up(f"the embedding {name!r}", f"this data has {known}")
            return None
        return name

    def camera(self, embedding: str) -> dict | None:
        camera = self.bundle.camera
        if camera is None:
            return None
        kind = "3d" if self.dims_of(embedding) == 3 else "2d"
        if camera["kind"] != kind:
            self.give_up("the camera", f"it is a {camera['kind']} camera, and {embedding!r} is "
                                       f"drawn with a {kind} one here")
            return None
        return camera

    def labels_field(self, name: str) -> bool:
        key = self.bundle.labels_key
        return self.bundle.labels is not None and key is not None and \
            name in (key, ID_PREFIX + key)

    def color_by(self):
        """The colouring for the page: a dict, None (one colour), or False (left as it is)."""
        color = self.bundle.color_by
        if color is None:
            return None
        name = color["field"]
        if color["kind"] == "gene":
            why = self.gene_missing(name, color.get("layer"))
        elif self.labels_field(name):
            return {"field": self.target.labels_field, "kind": "obs"}
        elif name.startswith(ID_PREFIX):
            title = name[len(ID_PREFIX):]
            known = title in self.bundle.values or title in self.target.pushed_columns
            why = None if known else "the session does not hold these values"
        else:
            why = self.column_missing(name, ("categorical", "boolean", "continuous"))
        if why:
            self.give_up(f"the colouring by {name!r}", why)
            return False
        return color

    def column_missing(self, name: str, kinds: tuple[str, ...]) -> str | None:
        dataset = self.target.dataset
        if name not in dataset.obs_names:
            return "this data has no such obs column"
        kind = dataset.obs_field(name).kind
        return None if kind in kinds else f"it is {kind} here"

    def matrix_missing(self, key: str | None) -> str | None:
        dataset = self.target.dataset
        if key is None or key in dataset.layers:
            return None
        if key == RAW:
            return None if dataset.has_raw else "this data has no .raw"
        return f"this data has no layer {key!r}"

    def gene_missing(self, gene: str, matrix: str | None) -> str | None:
        why = self.matrix_missing(matrix)
        if why is None and self.target.dataset.genes_of(matrix).find(gene) is None:
            why = f"this data has no gene {gene!r}" + (f" in {matrix}" if matrix else "")
        return why

    # -- Python's part -------------------------------------------------------------------------
    def labels(self) -> list[tuple[str, np.ndarray]] | None:
        labels = self.bundle.labels
        if labels is None:
            return None
        if self.bundle.labels_key != self.target.labels_key:
            self.report.notes.append(f"the labels saved under {self.bundle.labels_key!r} are "
                                     f"restored under this viewer's {self.target.labels_key!r}")
        codes = np.asarray(labels.cat.codes)
        return [(str(label), self.cells(np.flatnonzero(codes == i), f"the label {label!r}"))
                for i, label in enumerate(labels.cat.categories)]

    def values(self) -> dict[str, pd.Series]:
        return {title: remap_series(series, self.map)
                for title, series in self.bundle.values.items()}

    def embeddings(self) -> dict[str, np.ndarray]:
        return {title: self.map.rows(coords.astype(np.float32), np.nan)
                for title, coords in self.bundle.pushed_embeddings.items()}

    def comparison(self) -> dict | None:
        saved = self.bundle.comparison
        if saved is None:
            return None
        why = self.matrix_missing(saved["matrix"])
        if why:
            self.give_up("the comparison", why)
            return None
        comparison = dict(saved, group=self.cells(saved["group"], "the comparison's group"))
        if saved["reference"] != sec.REST:
            comparison["reference"] = self.cells(saved["reference"],
                                                 "the comparison's reference")
        return comparison

    def gene_plots(self) -> dict | None:
        plots = self.bundle.gene_plots
        if plots is None:
            return None
        groupby = plots["groupby"]
        if self.labels_field(groupby):
            why, groupby = None, self.target.labels_field
        else:
            why = self.column_missing(groupby, ("categorical", "boolean"))
        genes = [g for g in plots["genes"] if not self.gene_missing(g, plots["matrix"])]
        why = why or self.matrix_missing(plots["matrix"]) or (
            None if genes else "none of its genes is in this data")
        if why:
            self.give_up("the gene plots", why)
            return None
        if len(genes) < len(plots["genes"]):
            self.give_up(f"{len(plots['genes']) - len(genes)} genes of the gene plots",
                         "not in this data")
        return dict(plots, genes=genes, groupby=groupby)


def remap_series(series: pd.Series, cell_map: CellMap) -> pd.Series:
    """Per-cell values of the saved cells as values of this data's (missing where unknown)."""
    if cell_map.same_cells:
        return series
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes = cell_map.rows(np.asarray(series.cat.codes, dtype=np.int64), -1)
        return pd.Series(pd.Categorical.from_codes(codes, categories=series.cat.categories))
    if pd.api.types.is_bool_dtype(series.dtype):
        values = cell_map.rows(series.to_numpy(dtype=bool, na_value=False), False)
        missing = cell_map.rows(series.isna().to_numpy(), True)
        return pd.Series(pd.arrays.BooleanArray(values, missing))
    return pd.Series(cell_map.rows(series.to_numpy(dtype=np.float32), np.nan))
