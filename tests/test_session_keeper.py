"""Saving and restoring a viewer's session with a Python client playing the page: what lands in
Python (labels in ``adata.obs``, pushed values, comparisons), what the page is sent, refusals
that change nothing, other cells by name, and the page's Save/Open endpoints
(session/keeper.py, sessionfile/restore.py, server/session_files.py)."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pandas as pd
import pytest

import cellucid
from cellucid import SessionMismatch, SessionWarning
from cellucid.sessionfile import document

from .conftest import small_adata
from .test_pushed_data import get, manifest
from .viewer_client import PageClient
from .waiting import until

CAMERA = {"kind": "2d", "cx": 0.125, "cy": -0.5, "scale": 48.0, "width": 800.0,
          "height": 600.0, "homePixelsPerUnit": 40.0}


def page_view(n: int = 200, **fields) -> dict:
    """The page's part of a session, as the page uploads it."""
    return {"format": "cellucid-session", "version": 2, "n_cells": n, "embedding": "X_umap",
            "camera": CAMERA, "colorBy": {"field": "cluster", "kind": "obs"},
            "colormap": "magma", "pointSize": 3.5, "theme": "dark", "selection": [5, 6, 7],
            "highlightGroups": [{"name": "left", "color": "#ff00ff", "cells": [1, 2, 3]},
                                {"name": "right", "color": "#00e5ff", "cells": [150, 151]}],
            "hidden": None, "panels": {}, **fields}


def label(page, text: str, cells: list[int]) -> None:
    assert page.post("annotation", key="cellucid_labels", label=text,
                     cells=cells).status_code == 200


def restores(page) -> list[dict]:
    return [c for c in page.commands if c["type"] == "restoreSession"]


def open_viewer(adata, **options):
    viewer = cellucid.show_anndata(adata, **options)
    return viewer, PageClient(viewer).connect()


@pytest.fixture
def saved(tmp_path, capsys):
    """A session saved from a viewer with labels, values and coordinates pushed from Python, a
    comparison and gene plots shown; ``(path, the AnnData it was saved from, the frame)``."""
    adata = small_adata()
    viewer, page = open_viewer(adata)
    try:
        label(page, "T cells", list(range(0, 30)))
        label(page, "B cells", list(range(20, 60)))   # takes cells 20-29 from "T cells"
        label(page, "NK", [70, 71])
        viewer.wait_for_callbacks()
        viewer.set_color_by(np.linspace(0, 1, 200), name="pyscore")
        viewer.set_embedding(np.asarray(adata.obsm["X_umap"]) * 2, name="spread")
        frame = viewer.compare(list(range(10)), "rest", method="t-test")
        compared = page.commands[-1]["resultId"]
        viewer.plot_genes(["GENE1", "GENE2"], "cluster")
        plotted = page.commands[-1]["resultId"]
        page.bundle = page_view(colorBy={"field": "python:pyscore", "kind": "obs"},
                                hidden=list(range(190, 200)), panels={
            "compare": {"open": True, "collapsed": False, "resultId": compared},
            "genePlots": {"open": True, "collapsed": True, "resultId": plotted}})
        path = viewer.save_session(tmp_path / "view.cellucid-session")
    finally:
        page.close()
        viewer.stop()
    capsys.readouterr()
    return path, adata, frame


def test_a_saved_session_restores_labels_values_analyses_and_the_view(saved, capsys):
    path, before, frame = saved
    doc = json.loads(path.read_text())
    assert doc["n_cells"] == 200 and doc["dataset"]["obsNamesHash"].startswith("sha256:")
    assert "X" not in doc and "obs" not in doc   # the data itself is never saved
    adata = small_adata()   # a fresh copy of the same cells: no labels yet
    viewer, page = open_viewer(adata)
    try:
        report = viewer.load_session(path)
        assert report.complete and report.matched_cells == 200
        labels = adata.obs["cellucid_labels"]
        pd.testing.assert_series_equal(labels, before.obs["cellucid_labels"])
        assert list(labels.cat.categories) == ["T cells", "B cells", "NK"]
        pd.testing.assert_series_equal(viewer.annotations, before.obs["cellucid_labels"],
                                       check_names=False)
        command = restores(page)[-1]
        assert command["selection"] == [5, 6, 7] and command["camera"] == CAMERA
        assert command["colorBy"] == {"field": "python:pyscore", "kind": "obs"}
        assert command["highlightGroups"][1] == {"name": "right", "color": "#00e5ff",
                                                 "cells": [150, 151]}
        assert (command["colormap"], command["theme"]) == ("magma", "dark")
        assert command["hidden"] == list(range(190, 200))   # show_only / set_visibility
        assert command["revision"] == manifest(viewer)["revision"]
        compared = get(viewer, "data/comparison", id=command["panels"]["compare"]["resultId"])
        assert compared.json()["genes"]["names"] == frame["names"].tolist()
        plots = command["panels"]["genePlots"]
        assert plots["collapsed"] is True
        assert get(viewer, "data/geneplot", id=plots["resultId"]).json()["genes"] == \
            ["GENE1", "GENE2"]
        entries = {o["name"]: o for o in manifest(viewer)["obs"]}
        assert entries["python:pyscore"]["max"] == 1.0
        assert "python:spread" in {e["name"] for e in manifest(viewer)["embeddings"]}
        values = np.frombuffer(get(viewer, "data/obs", name="python:pyscore").content, dtype="<f4")
        np.testing.assert_allclose(values, np.linspace(0, 1, 200).astype(np.float32))
    finally:
        page.close()
        viewer.stop()


def test_show_anndata_with_a_session_opens_the_page_on_it(saved, capsys):
    path, before, _ = saved
    adata = small_adata()
    viewer = cellucid.show_anndata(adata, session=str(path))
    try:
        pd.testing.assert_series_equal(adata.obs["cellucid_labels"],
                                       before.obs["cellucid_labels"])
        info = get(viewer, "info").json()
        assert info["session"]["selection"] == [5, 6, 7] and info["session"]["restoreId"]
        page = PageClient(viewer).connect()
        command = page.wait_commands(2)[-1]
        assert command["type"] == "restoreSession"
        assert command["restoreId"] == info["session"]["restoreId"]   # the page skips it
        page.close()
    finally:
        viewer.stop()
    with pytest.raises(SessionMismatch):
        cellucid.show_anndata(small_adata(100), session=path)


def snapshot(viewer, adata, page) -> dict:
    return {"obs": adata.obs.copy(), "labels": viewer.annotations.copy(),
            "manifest": manifest(viewer), "commands": len(page.commands),
            "options": get(viewer, "info").json().get("session")}


def assert_unchanged(before: dict, viewer, adata, page) -> None:
    pd.testing.assert_frame_equal(adata.obs, before["obs"])
    pd.testing.assert_series_equal(viewer.annotations, before["labels"])
    assert manifest(viewer) == before["manifest"]
    assert len(page.commands) == before["commands"]
    assert get(viewer, "info").json().get("session") == before["options"]


def session_of(adata, path):
    """A session saved from a viewer of ``adata`` (its page showing `page_view`)."""
    viewer, page = open_viewer(adata)
    try:
        page.bundle = page_view(adata.n_obs)
        return viewer.save_session(path)
    finally:
        page.close()
        viewer.stop()


def bad_files(saved_path, tmp_path) -> dict[str, tuple[bytes, str]]:
    raw = saved_path.read_bytes()
    doc = json.loads(raw)
    other_data = session_of(small_adata(300, seed=1), tmp_path / "other.cellucid-session")
    other = dict(doc, dataset=dict(doc["dataset"], obsNamesHash="sha256:" + "0" * 64))
    no_embedding = dict(doc, embedding="X_gone")
    return {"truncated": (raw[: len(raw) // 3], "truncated"),
            "future": (raw.replace(b'"version":2', b'"version":7'), "newer cellucid"),
            "wrong kind": (b'{"cells": [1, 2]}', "not a cellucid session"),
            "a picture": (b"\x89PNG\r\n\x1a\n" + raw[:40], "not a cellucid session"),
            "other names": (json.dumps(other).encode(), "other obs_names"),
            "other data": (other_data.read_bytes(), "saved on 300 cells, but this data has 200"),
            "missing embedding": (json.dumps(no_embedding).encode(),
                                  "cannot restore the embedding 'X_gone'")}


def test_every_refusal_leaves_the_view_labels_and_data_as_they_were(saved, tmp_path, capsys):
    adata = small_adata()
    viewer, page = open_viewer(adata)
    try:
        label(page, "mine", [3, 4])
        viewer.set_color_by(np.arange(200) % 5, name="fives")
        viewer.wait_for_callbacks()
        until(lambda: len(page.commands) >= 2, what="the refresh and colour commands")
        before = snapshot(viewer, adata, page)
        http = httpx.Client(base_url=viewer.server_url, timeout=10)
        auth = f"viewerId={viewer.viewer_id}&viewerToken={viewer.viewer_token}"
        bad = bad_files(saved[0], tmp_path)
        for name, (raw, message) in bad.items():
            path = tmp_path / f"{name}.cellucid-session"
            path.write_bytes(raw)
            with pytest.raises(ValueError, match=message):
                viewer.load_session(path)
            reply = http.post(f"_cellucid/session/open?{auth}", content=raw,
                              headers={"content-type": "application/json"})
            assert reply.status_code in (400, 409), (name, reply.status_code)
            assert message in reply.json()["message"]
            assert_unchanged(before, viewer, adata, page)
        mismatch = http.post(f"_cellucid/session/open?{auth}", content=bad["other data"][0],
                             headers={"content-type": "application/json"})
        assert mismatch.status_code == 409 and mismatch.json()["matchable"] is True
        assert http.post(f"_cellucid/session/open?{auth}", content=b"{}",
                         headers={"content-type": "text/plain"}).status_code == 415
        assert http.post(f"_cellucid/session/open?viewerId={viewer.viewer_id}",
                         content=saved[0].read_bytes(),
                         headers={"content-type": "application/json"}).status_code == 403
        assert_unchanged(before, viewer, adata, page)
    finally:
        page.close()
        viewer.stop()


def test_other_cells_by_name_restore_what_matches_and_report_the_rest(saved, capsys):
    path, before, _ = saved
    subset = small_adata()[::2].copy()   # 100 of the 200 cells
    viewer, page = open_viewer(subset)
    try:
        with pytest.raises(SessionMismatch, match="strict=False") as refused:
            viewer.load_session(path)
        assert refused.value.matchable
        with pytest.warns(SessionWarning, match="cells of the session are not in this data"):
            report = viewer.load_session(path, strict=False)
        kept = set(subset.obs_names)
        dropped = [n for n in before.obs_names if n not in kept]
        assert report.dropped_cells == dropped and report.matched_cells == 100
        assert any("highlight group 'left'" in d for d in report.dropped)
        expected = before.obs["cellucid_labels"].loc[subset.obs_names]
        pd.testing.assert_series_equal(subset.obs["cellucid_labels"], expected)
        command = restores(page)[-1]
        position = {name: i for i, name in enumerate(subset.obs_names)}
        assert command["highlightGroups"][0]["cells"] == [position[before.obs_names[2]]]
        assert command["selection"] == [position[before.obs_names[6]]]
        assert command["hidden"] == [position[before.obs_names[c]] for c in range(190, 200, 2)]
        values = np.frombuffer(get(viewer, "data/obs", name="python:pyscore").content, dtype="<f4")
        np.testing.assert_allclose(values, np.linspace(0, 1, 200)[::2].astype(np.float32))
        assert "saved on 200 cells" in str(refused.value)
    finally:
        page.close()
        viewer.stop()


def test_opening_in_the_page_is_the_same_restore_as_from_python(saved, capsys):
    path = saved[0]
    results = []
    for how in ("python", "page"):
        adata = small_adata()[::2].copy()
        viewer, page = open_viewer(adata)
        try:
            if how == "python":
                with pytest.warns(SessionWarning):
                    viewer.load_session(path, strict=False)
            else:
                reply = httpx.post(f"{viewer.server_url}_cellucid/session/open?viewerId="
                                   f"{viewer.viewer_id}&viewerToken={viewer.viewer_token}"
                                   f"&strict=0", content=path.read_bytes(),
                                   headers={"content-type": "application/json"}, timeout=30)
                assert reply.status_code == 200
                assert len(reply.json()["report"]["dropped_cells"]) == 100
                until(lambda: restores(page), what="the restoreSession command")
            command = {k: v for k, v in restores(page)[-1].items()
                       if k not in ("id", "restoreId", "panels")}
            results.append((adata.obs.copy(), command, manifest(viewer)["obs"]))
        finally:
            page.close()
            viewer.stop()
    (obs_a, command_a, manifest_a), (obs_b, command_b, manifest_b) = results
    pd.testing.assert_frame_equal(obs_a, obs_b)
    assert command_a == command_b and manifest_a == manifest_b


def test_save_in_the_page_returns_the_whole_session(capsys):
    adata = small_adata()
    viewer, page = open_viewer(adata)
    try:
        label(page, "T cells", [1, 2])
        viewer.wait_for_callbacks()
        url = (f"{viewer.server_url}_cellucid/session/save?viewerId={viewer.viewer_id}"
               f"&viewerToken={viewer.viewer_token}")
        reply = httpx.post(url, json=page_view())
        assert reply.status_code == 200
        doc = document.parse_document(reply.content)
        assert doc["labels"]["names"] == ["T cells"] and doc["selection"] == [5, 6, 7]
        assert doc["cellNames"]["names"][:3] == [adata.obs_names[i] for i in (1, 2, 3)]
        bad = httpx.post(url, json=page_view(selection=[999]))
        assert bad.status_code == 400 and "holds cell 999" in bad.json()["message"]
    finally:
        page.close()
        viewer.stop()


def test_labels_restored_where_this_viewer_keeps_its_labels(saved, capsys):
    path, before, _ = saved
    adata = small_adata()
    viewer, page = open_viewer(adata, annotations_key=None)
    try:
        doc = json.loads(path.read_text())
        doc["colorBy"] = {"field": "cellucid_labels", "kind": "obs"}
        viewer.load_session(doc)
        assert "cellucid_labels" not in adata.obs
        assert restores(page)[-1]["colorBy"] == {"field": "python:cellucid_labels",
                                                 "kind": "obs"}
        counts = {o["name"]: o for o in manifest(viewer)["obs"]}["python:cellucid_labels"]
        assert counts["categories"] == ["T cells", "B cells", "NK"]
        assert counts["counts"] == before.obs["cellucid_labels"].value_counts(sort=False
                                                                              ).tolist()
    finally:
        page.close()
        viewer.stop()


def test_what_this_data_cannot_show_is_refused_strictly_or_left_out(capsys):
    adata = small_adata()
    viewer, page = open_viewer(adata)
    try:
        doc = page_view(colorBy={"field": "GENE3", "kind": "gene", "layer": ".raw"},
                        camera={"kind": "3d", "target": [0, 0, 0], "distance": 5, "yaw": 0,
                                "pitch": 0})
        doc["genePlots"] = {"genes": ["GENE1", "NOPE"], "groupby": "score", "matrix": "X"}
        with pytest.raises(ValueError, match="cannot restore the camera: it is a 3d camera"):
            viewer.load_session(doc)
        doc["camera"] = CAMERA
        with pytest.raises(ValueError, match="colouring by 'GENE3': this data has no .raw"):
            viewer.load_session(doc)
        assert restores(page) == []
        with pytest.warns(SessionWarning) as warned:
            report = viewer.load_session(doc, strict=False)
        assert report.dropped == ["the colouring by 'GENE3' (this data has no .raw)",
                                  "the gene plots (it is continuous here)"]
        assert "dropped: the gene plots" in str(warned[0].message)
        command = restores(page)[-1]
        assert "colorBy" not in command and command["camera"] == CAMERA   # colouring kept as is
        doc.update(colorBy={"field": "GENE3", "kind": "gene"}, genePlots={
            "genes": ["GENE1", "NOPE"], "groupby": "cluster", "matrix": "X"})
        with pytest.warns(SessionWarning, match="1 genes of the gene plots"):
            viewer.load_session(doc, strict=False)
        command = restores(page)[-1]
        assert command["colorBy"] == {"field": "GENE3", "kind": "gene"}
        shown = command["panels"]["genePlots"]
        assert shown["open"] is True
        assert get(viewer, "data/geneplot", id=shown["resultId"]).json()["genes"] == ["GENE1"]
    finally:
        page.close()
        viewer.stop()
