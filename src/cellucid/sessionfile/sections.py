"""Each section of a session file, read (every field checked, `ValueError` naming it) and
written: cells, the view (camera, colouring, settings, panels), labels, values and embeddings
pushed from Python, the comparison and gene plots, the dataset's identity and cell names.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..cells import decode_cells, encode_cells
from ..colors import normalize_color
from ..data.obs import MISSING_CODE, classify_column
from ..errors import BadEvent
from .arrays import decode_array, encode_array

MAX_TEXT = 256
MAX_LABEL = 200
THEMES = ("dark", "light")
COLOR_KINDS = ("obs", "gene")
PANELS = ("compare", "genePlots")
VALUE_KINDS = ("continuous", "categorical", "boolean")
REST = "rest"


# -- small checks ------------------------------------------------------------------------------
def text(value: object, field: str, limit: int = MAX_TEXT, *, optional: bool = False):
    """A non-empty string of at most ``limit`` characters (or None when ``optional``)."""
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value or len(value) > limit:
        raise ValueError(f"{field} must be a non-empty string of at most {limit} characters, "
                         f"got {str(value)[:60]!r}")
    return value


def number(value: object, field: str, *, positive: bool = False, optional: bool = False):
    """A finite number (above 0 when ``positive``; None when ``optional``)."""
    if value is None and optional:
        return None
    if type(value) not in (int, float) or not math.isfinite(value) or (positive and value <= 0):
        what = "a positive finite number" if positive else "a finite number"
        raise ValueError(f"{field} must be {what}, got {str(value)[:40]!r}")
    return value


def flag(value: object, field: str) -> bool:
    """A JSON boolean."""
    if not isinstance(value, bool):
        raise ValueError(f"{field} must be true or false, got {str(value)[:40]!r}")
    return value


def section(data: dict, key: str, kind: type, default=None):
    """``data[key]`` checked to be a ``kind`` (list or dict), or ``default`` when absent/null."""
    value = data.get(key)
    if value is None:
        return default
    if not isinstance(value, kind):
        raise ValueError(f"{key} must be a JSON {'array' if kind is list else 'object'}")
    return value


def read_cells(value: object, n_cells: int, field: str) -> np.ndarray:
    """A cell list (array or bitmask, as on the wire) of a dataset of ``n_cells`` cells."""
    try:
        return decode_cells(value, n_cells, field)
    except BadEvent as exc:
        raise ValueError(f"bad cells in {exc.message}") from None


def write_cells(cells, n_cells: int) -> list[int] | dict:
    """The smaller wire form of sorted cell positions."""
    return encode_cells(np.asarray(cells, dtype=np.int64), n_cells)


# -- the view ----------------------------------------------------------------------------------
def read_color_by(value: object) -> dict | None:
    """``{"field", "kind", "layer"}`` (``layer`` only for genes from a named matrix) or None."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("colorBy must be an object {field, kind} or null")
    kind = value.get("kind", "obs")
    if kind not in COLOR_KINDS:
        raise ValueError(f"colorBy.kind must be 'obs' or 'gene', got {str(kind)[:40]!r}")
    color = {"field": text(value.get("field"), "colorBy.field"), "kind": kind}
    layer = text(value.get("layer"), "colorBy.layer", optional=True)
    if layer is not None:
        color["layer"] = layer
    return color


def read_camera(value: object) -> dict | None:
    """The page's camera: 2-D ``{kind: "2d", cx, cy, scale}`` or 3-D ``{kind: "3d", target,
    distance, yaw, pitch}``, with the canvas ``width``/``height`` and ``homePixelsPerUnit``."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("camera must be an object or null")
    kind = value.get("kind")
    if kind == "2d":
        camera = {"kind": kind, "cx": number(value.get("cx"), "camera.cx"),
                  "cy": number(value.get("cy"), "camera.cy"),
                  "scale": number(value.get("scale"), "camera.scale", positive=True)}
    elif kind == "3d":
        target = value.get("target")
        if not isinstance(target, list) or len(target) != 3:
            raise ValueError("camera.target must be a list of 3 numbers")
        camera = {"kind": kind, "target": [number(t, "camera.target") for t in target],
                  "distance": number(value.get("distance"), "camera.distance", positive=True),
                  "yaw": number(value.get("yaw"), "camera.yaw"),
                  "pitch": number(value.get("pitch"), "camera.pitch")}
    else:
        raise ValueError(f"camera.kind must be '2d' or '3d', got {str(kind)[:40]!r}")
    for key in ("width", "height", "homePixelsPerUnit"):
        if value.get(key) is not None:
            camera[key] = number(value[key], f"camera.{key}", positive=True)
    return camera


def read_settings(data: dict) -> dict:
    """The colour map, point size (CSS px) and theme, each None when absent."""
    theme = data.get("theme")
    if theme is not None and theme not in THEMES:
        raise ValueError(f"theme must be 'dark' or 'light', got {str(theme)[:40]!r}")
    return {"colormap": text(data.get("colormap"), "colormap", 64, optional=True),
            "point_size": number(data.get("pointSize"), "pointSize", positive=True,
                                 optional=True),
            "theme": theme}


def read_panels(value: object) -> dict:
    """``{"compare": {"open", "collapsed"}, "genePlots": {...}}`` for the panels present."""
    panels = {}
    for name, state in (value or {}).items():
        if name not in PANELS:
            continue
        if not isinstance(state, dict):
            raise ValueError(f"panels.{name} must be an object {{open, collapsed}}")
        panels[name] = {"open": flag(state.get("open", False), f"panels.{name}.open"),
                        "collapsed": flag(state.get("collapsed", False),
                                          f"panels.{name}.collapsed")}
    return panels


def read_groups(value: list, n_cells: int) -> list[tuple[str, str, np.ndarray]]:
    """``(name, #rrggbb, cells)`` of each highlight group, in order."""
    groups = []
    for i, group in enumerate(value):
        where = f"highlightGroups[{i}]"
        if not isinstance(group, dict):
            raise ValueError(f"{where} must be an object {{name, color, cells}}")
        try:
            color = normalize_color(group.get("color"))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{where}.color: {exc}") from None
        groups.append((text(group.get("name"), f"{where}.name"), color,
                       read_cells(group.get("cells"), n_cells, f"{where}.cells")))
    return groups


# -- labels --------------------------------------------------------------------------------------
def read_labels(value: dict, n_cells: int) -> tuple[str, pd.Series]:
    """``(key, labels)``: a categorical Series of ``n_cells`` rows (NaN: no label), its
    categories in the order they were first used."""
    key = text(value.get("key"), "labels.key")
    names, cells = value.get("names"), value.get("cells")
    if not isinstance(names, list) or not isinstance(cells, list) or len(names) != len(cells):
        raise ValueError("labels must hold 'names' and 'cells', two lists of the same length")
    names = [text(n, f"labels.names[{i}]", MAX_LABEL) for i, n in enumerate(names)]
    if len(set(names)) != len(names):
        raise ValueError("labels.names repeats a label")
    codes = np.full(n_cells, -1, dtype=np.int32)
    for i, listed in enumerate(cells):
        positions = read_cells(listed, n_cells, f"labels.cells[{i}]")
        if np.any(codes[positions] >= 0):
            raise ValueError(f"labels.cells[{i}] gives a cell a second label")
        codes[positions] = i
    return key, pd.Series(pd.Categorical.from_codes(codes, categories=names), name=key)


def write_labels(key: str, labels: pd.Series, n_cells: int) -> dict:
    """The labels section of ``labels`` (a categorical Series in cell order)."""
    codes = np.asarray(labels.cat.codes)
    return {"key": key, "names": [str(c) for c in labels.cat.categories],
            "cells": [write_cells(np.flatnonzero(codes == i), n_cells)
                      for i in range(len(labels.cat.categories))]}


# -- values and embeddings pushed from Python ----------------------------------------------------
def read_values(value: list, n_cells: int) -> dict[str, pd.Series]:
    """Title → the values pushed from Python under it, one per cell (as they are coloured)."""
    values = {}
    for i, entry in enumerate(value):
        where = f"values[{i}]"
        if not isinstance(entry, dict):
            raise ValueError(f"{where} must be an object {{title, kind, data}}")
        title = text(entry.get("title"), f"{where}.title")
        kind = entry.get("kind")
        if kind not in VALUE_KINDS:
            raise ValueError(f"{where}.kind must be one of {', '.join(VALUE_KINDS)}")
        data = decode_array(entry.get("data"), n_cells, f"{where}.data")
        values[title] = values_series(kind, data, entry.get("categories"), where)
    return values


def values_series(kind: str, data: np.ndarray, categories: object = None,
                  where: str = "values") -> pd.Series:
    """The Series that colours as ``data`` does: float32 values (``continuous``), or uint16
    codes (65535: missing) of ``categories`` (``categorical``) or of False/True (``boolean``).
    Raises `ValueError` naming ``where`` for codes that do not fit."""
    if kind == "continuous":
        return pd.Series(data.astype(np.float32, copy=False))
    if data.dtype != np.uint16:
        raise ValueError(f"{where}.data of {kind} values must be uint16 codes")
    missing = data == MISSING_CODE
    if kind == "boolean":
        if np.any(data[~missing] > 1):
            raise ValueError(f"{where}.data of boolean values must be 0, 1 or missing")
        return pd.Series(pd.arrays.BooleanArray(data == 1, missing))
    if not isinstance(categories, list) or len(set(map(str, categories))) != len(categories):
        raise ValueError(f"{where}.categories must be a list of distinct names")
    codes = data.astype(np.int64)
    if np.any(codes[~missing] >= len(categories)):
        raise ValueError(f"{where}.data has a code past its {len(categories)} categories")
    codes[missing] = -1
    return pd.Series(pd.Categorical.from_codes(codes, categories=[str(c) for c in categories]))


def write_values(values: dict[str, pd.Series]) -> list[dict]:
    """The values section: each Series encoded as the viewer colours it."""
    out = []
    for title, series in values.items():
        field = classify_column(title, series)
        entry = {"title": title, "kind": field.kind, "data": encode_array(field.values)}
        if field.kind == "categorical":
            entry["categories"] = list(field.info["categories"])
        out.append(entry)
    return out


def read_embeddings(value: list, n_cells: int) -> dict[str, np.ndarray]:
    """Title → coordinates (``n_cells`` × 2 or 3) pushed from Python."""
    embeddings = {}
    for i, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise ValueError(f"pushedEmbeddings[{i}] must be an object {{title, data}}")
        title = text(entry.get("title"), f"pushedEmbeddings[{i}].title")
        embeddings[title] = decode_array(entry.get("data"), n_cells,
                                         f"pushedEmbeddings[{i}].data", columns=(2, 3))
    return embeddings


def write_embeddings(embeddings: dict[str, np.ndarray]) -> list[dict]:
    """The pushed embeddings section."""
    return [{"title": title, "data": encode_array(np.asarray(coords, dtype=np.float32))}
            for title, coords in embeddings.items()]


# -- analyses ----------------------------------------------------------------------------------
def read_comparison(value: dict, n_cells: int) -> dict:
    """The comparison shown: group and reference cells (or ``"rest"``), method, matrix, tie
    correction, number of genes and the labels the page shows."""
    reference = value.get("reference", REST)
    if reference != REST:
        reference = read_cells(reference, n_cells, "comparison.reference").tolist()
    n_genes = value.get("nGenes")
    if n_genes is not None and (type(n_genes) is not int or n_genes < 1):
        raise ValueError(f"comparison.nGenes must be a positive integer or null, got {n_genes!r}")
    return {"group": read_cells(value.get("group"), n_cells, "comparison.group").tolist(),
            "reference": reference, "method": text(value.get("method"), "comparison.method"),
            "matrix": text(value.get("matrix"), "comparison.matrix"),
            "tie_correct": flag(value.get("tieCorrect", False), "comparison.tieCorrect"),
            "n_genes": n_genes,
            "group_label": text(value.get("groupLabel"), "comparison.groupLabel", optional=True),
            "reference_label": text(value.get("referenceLabel"), "comparison.referenceLabel",
                                    optional=True)}


def write_comparison(comparison: dict, n_cells: int) -> dict:
    """The comparison section of a comparison as `read_comparison` returns it."""
    reference = comparison["reference"]
    return {"group": write_cells(comparison["group"], n_cells),
            "reference": reference if reference == REST else write_cells(reference, n_cells),
            "method": comparison["method"], "matrix": comparison["matrix"],
            "tieCorrect": bool(comparison["tie_correct"]), "nGenes": comparison.get("n_genes"),
            "groupLabel": comparison.get("group_label"),
            "referenceLabel": comparison.get("reference_label")}


def read_gene_plots(value: dict) -> dict:
    """The gene plots shown: ``genes``, ``groupby`` and the ``matrix`` read."""
    genes = value.get("genes")
    if not isinstance(genes, list) or not genes:
        raise ValueError("genePlots.genes must be a non-empty list of gene names")
    return {"genes": [text(g, f"genePlots.genes[{i}]") for i, g in enumerate(genes)],
            "groupby": text(value.get("groupby"), "genePlots.groupby"),
            "matrix": text(value.get("matrix"), "genePlots.matrix")}


# -- identity ----------------------------------------------------------------------------------
def read_identity(data: dict) -> tuple[str | None, list[str]]:
    """The hash of the cell names (or None) and the dataset's embedding names."""
    dataset = section(data, "dataset", dict, {})
    digest = text(dataset.get("obsNamesHash"), "dataset.obsNamesHash", 128, optional=True)
    embeddings = dataset.get("embeddings") or []
    if not isinstance(embeddings, list):
        raise ValueError("dataset.embeddings must be a list of names")
    return digest, [text(e, f"dataset.embeddings[{i}]") for i, e in enumerate(embeddings)]


def read_cell_names(value: dict, n_cells: int) -> pd.Series:
    """The names of the cells a session refers to, indexed by their saved positions."""
    cells = read_cells(value.get("cells"), n_cells, "cellNames.cells")
    names = value.get("names")
    if not isinstance(names, list) or len(names) != len(cells) or not all(
            isinstance(n, str) for n in names):
        raise ValueError(f"cellNames.names must be a list of {len(cells)} strings, one per "
                         f"cell of cellNames.cells")
    return pd.Series(names, index=cells, dtype=object)


def write_cell_names(names: pd.Series, n_cells: int) -> dict:
    """The cellNames section of names indexed by position."""
    names = names.sort_index()
    return {"cells": write_cells(names.index.to_numpy(), n_cells),
            "names": [str(n) for n in names.to_numpy()]}
