"""The ``.cellucid-session`` file: its round trip, every refusal, and which cells it speaks of
(sessionfile/document.py, sections.py, arrays.py, bundle.py, identity.py)."""

from __future__ import annotations

import base64
import json
import re
import zlib

import numpy as np
import pandas as pd
import pytest

from cellucid import SessionBundle, SessionMismatch
from cellucid.sessionfile import document
from cellucid.sessionfile.arrays import decode_array, encode_array
from cellucid.sessionfile.bundle import HighlightGroup
from cellucid.sessionfile.identity import match_cells, names_hash

N = 50


def full_bundle(n: int = N) -> SessionBundle:
    """A session holding every section."""
    labels = pd.Series(pd.Categorical.from_codes(
        np.where(np.arange(n) < 10, 0, np.where(np.arange(n) < 20, 2, -1)),
        categories=["T cells", "never used", "B cells"]), name="cellucid_labels")
    flags = pd.Series(pd.arrays.BooleanArray(np.arange(n) % 2 == 0, np.arange(n) % 7 == 0))
    kinds = pd.Series(pd.Categorical.from_codes(np.arange(n) % 3 - (np.arange(n) == 4),
                                                categories=["x", "y", "z"]))
    score = pd.Series(np.linspace(0, 1, n, dtype=np.float32))
    score[3] = np.nan
    names = pd.Series([f"cell{i}" for i in range(n)], index=np.arange(n))
    return SessionBundle(
        highlight_groups=[HighlightGroup("a", "#ff00ff", [1, 2, 3]),
                          HighlightGroup("b", "#00e5ff", list(range(20, 40)))],
        selection=[5, 6, 7], color_by={"field": "CD3E", "kind": "gene", "layer": ".raw"},
        embedding="X_umap", n_cells=n,
        camera={"kind": "2d", "cx": 0.25, "cy": -1.5, "scale": 37.5, "width": 800.0,
                "height": 600.0, "homePixelsPerUnit": 30.125},
        obs_names_hash=names_hash(names), embeddings=["X_umap", "X_pca"], cell_names=names,
        colormap="magma", point_size=3.25, theme="light", hidden=[40, 41],
        panels={"compare": {"open": True, "collapsed": False},
                "genePlots": {"open": True, "collapsed": True}},
        labels=labels, labels_key="cellucid_labels",
        values={"score": score, "kinds": kinds, "flags": flags},
        pushed_embeddings={"mine": np.arange(n * 3, dtype=np.float32).reshape(n, 3)},
        comparison={"group": [1, 2, 3], "reference": "rest", "method": "wilcoxon",
                    "matrix": ".raw", "tie_correct": True, "n_genes": None,
                    "group_label": "selection", "reference_label": "rest"},
        gene_plots={"genes": ["CD3E", "MS4A1"], "groupby": "louvain", "matrix": "X"})


def assert_same_bundle(a: SessionBundle, b: SessionBundle) -> None:
    plain = ("highlight_groups", "selection", "color_by", "embedding", "camera", "n_cells",
             "obs_names_hash", "embeddings", "colormap", "point_size", "theme", "hidden",
             "panels", "labels_key", "comparison", "gene_plots")
    for name in plain:
        assert getattr(a, name) == getattr(b, name), name
    pd.testing.assert_series_equal(a.labels, b.labels, check_names=False)
    assert list(a.labels.cat.categories) == list(b.labels.cat.categories)
    assert a.values.keys() == b.values.keys()
    for title in a.values:
        pd.testing.assert_series_equal(a.values[title], b.values[title])
    for title, coords in a.pushed_embeddings.items():
        np.testing.assert_array_equal(coords, b.pushed_embeddings[title])
    pd.testing.assert_series_equal(a.cell_names, b.cell_names)


def test_a_session_round_trips_through_its_file(tmp_path):
    bundle = full_bundle()
    path = bundle.save(tmp_path / "view.cellucid-session")
    doc = json.loads(path.read_text())
    assert doc["format"] == "cellucid-session" and doc["version"] == document.VERSION
    assert doc["dataset"] == {"obsNamesHash": bundle.obs_names_hash,
                              "embeddings": ["X_umap", "X_pca"]}
    assert "never used" in doc["labels"]["names"]   # a label with no cells left keeps its place
    assert_same_bundle(SessionBundle.load(path), bundle)
    assert_same_bundle(SessionBundle.from_json(json.loads(path.read_bytes())), bundle)


def test_a_3d_camera_and_large_cell_sets_round_trip(tmp_path):
    n = 100_000
    cells = list(range(0, n, 2))
    bundle = SessionBundle(selection=cells, n_cells=n, embedding="X_3d",
                           camera={"kind": "3d", "target": [1.0, 2.0, 3.0], "distance": 9.5,
                                   "yaw": 0.6, "pitch": -0.35, "width": 640.0, "height": 480.0},
                           hidden=list(range(10)))
    doc = bundle.to_json()
    assert doc["selection"]["encoding"] == "bitmask"   # the smaller wire form
    again = SessionBundle.load(bundle.save(tmp_path / "big.cellucid-session"))
    assert again.selection == cells and again.camera == bundle.camera
    assert again.labels is None and again.values == {} and again.comparison is None


def test_referenced_cells_are_every_cell_a_session_speaks_of():
    bundle = full_bundle()
    bundle.values, bundle.pushed_embeddings = {}, {}
    expected = set(range(1, 4)) | set(range(20, 40)) | {5, 6, 7, 40, 41} | set(range(20))
    assert set(bundle.referenced_cells().tolist()) == expected
    assert full_bundle().referenced_cells().tolist() == list(range(N))   # values: every cell


def test_a_version_1_bundle_still_reads(tmp_path):
    v1 = {"format": "cellucid-session", "version": 1, "n_cells": 10, "embedding": "X_umap",
          "colorBy": {"field": "louvain", "kind": "obs"}, "selection": [1, 2],
          "camera": {"kind": "2d", "cx": 0, "cy": 0, "scale": 1},
          "highlightGroups": [{"name": "g", "color": "#F0F", "cells": [3]}]}
    bundle = SessionBundle.from_json(v1)
    assert bundle.highlight_groups == [HighlightGroup("g", "#ff00ff", [3])]
    assert bundle.obs_names_hash is None and bundle.cell_names is None and bundle.labels is None


def truncated(raw: bytes) -> bytes:
    return raw[: len(raw) // 2]


def corrupt(raw: bytes) -> bytes:
    middle = len(raw) // 2
    return raw[:middle] + b"}}]]" + raw[middle + 4:]


@pytest.mark.parametrize("mangle, message", [
    (truncated, "truncated"),
    (lambda raw: raw[:-1], "truncated"),
    (corrupt, "not valid JSON"),
    (lambda raw: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + raw, "not UTF-8"),
    (lambda raw: b"", "not valid JSON"),
    (lambda raw: b'{"format": "vitessce", "version": 1}',
     "not a cellucid session: its \"format\" is 'vitessce'"),
    (lambda raw: b'{"cells": [1, 2]}', "has no \"format\" field (its fields: cells)"),
    (lambda raw: b"[1, 2, 3]", "holds a JSON list"),
    (lambda raw: raw.replace(b'"version":2', b'"version":3'),
     "newer cellucid (session format version 3"),
    (lambda raw: raw.replace(b'"version":2', b'"version":"2"'),
     "bad session format version"),
    (lambda raw: raw.replace(b'"version":2', b'"version":0'), "bad session format version"),
    (lambda raw: b'{"format": "cellucid-session", "version": 2, "n": NaN}',
     "NaN is not valid JSON"),
    (lambda raw: b"[" * 100_000, "nests too deeply"),
])
def test_a_file_that_is_not_a_readable_session_is_refused_naming_why(tmp_path, mangle, message):
    raw = document.dump_document(full_bundle().to_json())
    path = tmp_path / "bad.cellucid-session"
    path.write_bytes(mangle(raw))
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        SessionBundle.load(path)
    assert str(path) in str(info.value)


def with_field(path: str, value):
    doc = full_bundle().to_json()
    target, *keys = path.split(".")
    if not keys:
        doc[target] = value
        return doc
    node = doc[target]
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    last = keys[-1]
    node[int(last) if isinstance(node, list) else last] = value
    return doc


@pytest.mark.parametrize("field, value, message", [
    ("n_cells", "50", "n_cells must be the number of cells"),
    ("selection", [N], "bad cells in 'selection' holds cell 50"),
    ("highlightGroups.0.color", "red", "highlightGroups\\[0\\].color"),
    ("highlightGroups.1.name", "", "highlightGroups\\[1\\].name must be a non-empty string"),
    ("highlightGroups", {"a": 1}, "highlightGroups must be a JSON array"),
    ("camera.kind", "4d", "camera.kind must be '2d' or '3d'"),
    ("camera.scale", -1, "camera.scale must be a positive finite number"),
    ("camera.cx", "0", "camera.cx must be a finite number"),
    ("colorBy.kind", "rna", "colorBy.kind must be 'obs' or 'gene'"),
    ("theme", "blue", "theme must be 'dark' or 'light'"),
    ("pointSize", 0, "pointSize must be a positive finite number"),
    ("panels.compare.open", "yes", "panels.compare.open must be true or false"),
    ("labels.cells.1", [1], "labels.cells\\[1\\] gives a cell a second label"),
    ("labels.names.1", "T cells", "labels.names repeats a label"),
    ("labels.names", ["only one"], "two lists of the same length"),
    ("values.0.kind", "text", "values\\[0\\].kind must be one of"),
    ("values.0.data.dtype", "<i8", "values\\[0\\].data.dtype must be one of"),
    ("values.0.data.shape", [N + 1], "values\\[0\\].data.shape must be \\[50\\]"),
    ("values.0.data.data", "not base64!", "values\\[0\\].data.data' is not valid standard base64"),
    ("values.0.data.data", base64.b64encode(b"\x00" * 10).decode(), "not valid deflate-raw"),
    ("values.1.categories", ["x"], "values\\[1\\].data has a code past its 1 categories"),
    ("pushedEmbeddings.0.data.shape", [N, 4],
     "pushedEmbeddings\\[0\\].data.shape must be \\[50, 2 or 3\\]"),
    ("comparison.group", [1, 1000], "comparison.group"),
    ("comparison.nGenes", 0, "comparison.nGenes must be a positive integer"),
    ("genePlots.genes", [], "genePlots.genes must be a non-empty list"),
    ("cellNames.names", ["a"], "cellNames.names must be a list of 50 strings"),
    ("dataset.embeddings", "X_umap", "dataset.embeddings must be a list"),
])
def test_a_bad_field_is_refused_naming_it(field, value, message):
    with pytest.raises(ValueError, match=message):
        SessionBundle.from_json(with_field(field, value))


def test_a_deflate_bomb_is_refused_before_it_inflates():
    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    packed = bomb.compress(b"\x00" * (50 << 20)) + bomb.flush()
    value = {"dtype": "<f4", "shape": [N], "data": base64.b64encode(packed).decode()}
    with pytest.raises(ValueError, match="inflates past the 200 bytes"):
        decode_array(value, N, "values[0].data")
    assert decode_array(encode_array(np.arange(N, dtype=np.float32)), N, "x").tolist() == \
        list(range(N))


def test_reading_refuses_a_huge_file_and_a_missing_one(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError):
        SessionBundle.load(tmp_path / "nothing.cellucid-session")
    path = full_bundle().save(tmp_path / "s.cellucid-session")
    monkeypatch.setattr(document, "MAX_SESSION_BYTES", 100)
    with pytest.raises(ValueError, match="a session file is at most"):
        SessionBundle.load(path)


def test_a_failed_write_leaves_the_old_file_whole(tmp_path):
    path = full_bundle().save(tmp_path / "s.cellucid-session")
    before = path.read_bytes()
    broken = full_bundle()
    broken.camera = {"kind": "2d", "cx": float("nan"), "cy": 0.0, "scale": 1.0}
    with pytest.raises(ValueError):
        broken.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["s.cellucid-session"]


# -- which cells ---------------------------------------------------------------------------------
def test_the_names_hash_follows_names_and_order():
    assert names_hash(["a", "b"]) == names_hash(pd.Index(["a", "b"]))
    assert names_hash(["a", "b"]) != names_hash(["b", "a"])
    assert names_hash(["a\nb"]) != names_hash(["a", "b"])
    assert names_hash(None) is None and names_hash(["x"]).startswith("sha256:")


def test_strict_matching_needs_the_same_cells():
    names = pd.Index([f"c{i}" for i in range(5)])
    same = match_cells(saved_count=5, saved_hash=names_hash(names), saved_names=None, count=5,
                       names=names, strict=True)
    assert same.same_cells and same.notes == []
    with pytest.raises(SessionMismatch, match="saved on 5 cells, but this data has 4") as info:
        match_cells(saved_count=5, saved_hash=names_hash(names),
                    saved_names=pd.Series(list(names)), count=4, names=names[:4], strict=True)
    assert info.value.matchable and "strict=False" in str(info.value)
    other = pd.Index([f"d{i}" for i in range(5)])
    with pytest.raises(SessionMismatch,
                       match="the same number \\(5\\) but other obs_names") as info:
        match_cells(saved_count=5, saved_hash=names_hash(names), saved_names=None, count=5,
                    names=other, strict=True)
    assert not info.value.matchable and "open it on the data it was saved from" in str(info.value)
    unchecked = match_cells(saved_count=5, saved_hash=None, saved_names=None, count=5,
                            names=names, strict=True)
    assert unchecked.same_cells and "not checked" in unchecked.notes[0]


def test_matching_by_name_maps_cells_and_names_the_missing_ones():
    saved = pd.Series(["c0", "c2", "c4", "c7"], index=[0, 2, 4, 7])
    here = pd.Index(["c4", "c9", "c0", "c2"])
    cell_map = match_cells(saved_count=8, saved_hash="sha256:x", saved_names=saved, count=4,
                           names=here, strict=False)
    assert cell_map.dropped_names == ["c7"]
    assert cell_map.cells(np.array([0, 2, 4, 7, 5])).tolist() == [0, 2, 3]
    values = np.arange(8, dtype=np.float32)
    assert np.array_equal(cell_map.rows(values, np.nan), [4, np.nan, 0, 2], equal_nan=True)
    with pytest.raises(ValueError, match="holds no cell names"):
        match_cells(saved_count=8, saved_hash=None, saved_names=None, count=4, names=here,
                    strict=False)
    with pytest.raises(ValueError, match="this data has no cell names"):
        match_cells(saved_count=8, saved_hash=None, saved_names=saved, count=4, names=None,
                    strict=False)
    with pytest.raises(ValueError, match="obs_names_make_unique"):
        match_cells(saved_count=8, saved_hash=None, saved_names=saved, count=4,
                    names=pd.Index(["c0", "c0", "c2", "c4"]), strict=False)
