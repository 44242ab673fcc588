"""Comparisons, gene plots and images from Python and from the page (session/analyses.py,
session/page_work.py, server/event_checks.py, session/image.py), with a Python client playing
the page."""

from __future__ import annotations

import io

import httpx
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from cellucid.compare import dataset_source, rank_genes

from .test_pushed_data import get
from .viewer_client import PageClient


def png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (10, 20, 30)).save(out, format="PNG")
    return out.getvalue()


def test_compare_returns_scanpys_frame_and_shows_it(viewer, adata):
    page = PageClient(viewer).connect()
    group = np.flatnonzero(adata.obs["cluster"] == "a")
    frame = viewer.compare(group, "rest", method="t-test")
    assert list(frame.columns) == ["names", "scores", "logfoldchanges", "pvals", "pvals_adj",
                                   "pct_nz_group", "pct_nz_reference"]
    direct = rank_genes(dataset_source(viewer.dataset), group, method="t-test",
                        gene_names=np.asarray(viewer.dataset.genes.names, dtype=object))
    pd.testing.assert_frame_equal(frame, direct)
    shown = page.commands[-1]
    assert shown["type"] == "showComparison" and "requestId" not in shown
    body = get(viewer, "data/comparison", id=shown["resultId"]).json()
    assert body["genes"]["names"] == frame["names"].tolist()
    assert body["group"] == {"label": "group", "n_cells": len(group)}
    assert body["reference"] == {"label": "rest", "n_cells": adata.n_obs - len(group)}
    np.testing.assert_allclose(body["genes"]["scores"], frame["scores"], rtol=1e-6)
    missing = get(viewer, "data/comparison", id="r999")
    assert missing.status_code == 404 and "r999" in missing.json()["message"]


def test_compare_by_highlight_group_names(viewer, adata):
    made_in_page = {"format": "cellucid-session", "version": 1,
                    "highlightGroups": [{"name": "P", "color": "#00ff00", "cells": [5, 6, 7]}]}
    PageClient(viewer, bundle=made_in_page).connect()
    a = np.flatnonzero(adata.obs["cluster"] == "a")
    b = np.flatnonzero(adata.obs["cluster"] == "b")
    viewer.highlight_cells(a, name="A")
    viewer.highlight_cells(b, name="B")
    frame = viewer.compare("A", "B", method="wilcoxon")
    direct = rank_genes(dataset_source(viewer.dataset), a, b,
                        gene_names=np.asarray(viewer.dataset.genes.names, dtype=object))
    pd.testing.assert_frame_equal(frame, direct)
    in_page = viewer.compare("P")          # a group made in the page: asked from the page
    direct = rank_genes(dataset_source(viewer.dataset), [5, 6, 7],
                        gene_names=np.asarray(viewer.dataset.genes.names, dtype=object))
    pd.testing.assert_frame_equal(in_page, direct)
    with pytest.raises(KeyError, match="'A', 'B', 'P'"):
        viewer.compare("C")


@pytest.mark.parametrize("group, reference, message", [
    ([], "rest", "empty"),
    ([1, 2, 3], [3, 4, 5], "share 1 cell"),
    (np.arange(200), "rest", "all 200 cells"),
    ([1, 2, 3], "rest", None),
])
def test_bad_comparisons_are_value_errors(viewer, group, reference, message):
    if message is None:   # the matching good call, so the refusals above are about the input
        assert len(viewer.compare(group, reference)) == viewer.dataset.n_genes
        return
    with pytest.raises(ValueError, match=message):
        viewer.compare(group, reference)


def test_a_compare_from_the_page_reaches_the_comparison_hook(viewer, adata):
    page = PageClient(viewer).connect()
    got = []
    viewer.on("comparison")(got.append)
    group = np.flatnonzero(adata.obs["cluster"] == "c").tolist()
    with viewer._session.dispatcher.subscribe("comparison") as replies:
        assert page.post("compare_request", requestId="q1", group=group, reference="rest",
                         method="wilcoxon").status_code == 200
        replies.next(30)
    viewer.wait_for_callbacks()
    event = got[0]
    assert event["group"] == group and event["reference"] == "rest"
    assert event["matrix"] == "X" and event["tie_correct"] is False
    assert event["method"] == "wilcoxon" and isinstance(event["result"], pd.DataFrame)
    shown = [c for c in page.wait_commands(1) if c["type"] == "showComparison"]
    assert shown[0]["requestId"] == "q1" and shown[0]["resultId"]


def test_a_refused_compare_from_the_page_is_answered_with_the_reason(viewer):
    page = PageClient(viewer).connect()
    page.post("compare_request", requestId="q2", group=[1, 2], reference=[2, 3])
    command = page.wait_commands(1)[0]
    assert command == {**command, "type": "showComparison", "requestId": "q2"}
    assert "share" in command["error"]


def test_the_page_chooses_the_matrix_and_is_told_which_one_was_compared(adata, capsys):
    """.raw by default (scanpy's); X when asked (its negative values are noted); a layer."""
    import cellucid
    from cellucid.compare import NegativeValuesWarning

    adata.layers["counts"] = adata.X.copy()
    adata.raw = adata
    adata.X = adata.X - 1.0                      # scaled-like: negative values
    viewer = cellucid.show_anndata(adata)
    try:
        page = PageClient(viewer).connect()
        group = np.flatnonzero(adata.obs["cluster"] == "a").tolist()
        asks = {"q1": {}, "q2": {"useRaw": False}, "q3": {"layer": "counts", "tieCorrect": True},
                "q4": {"useRaw": True, "layer": "counts"}, "q5": {"layer": "nope"}}
        with pytest.warns(NegativeValuesWarning, match="X has negative values in 20 of 20"):
            for request_id, fields in asks.items():
                assert page.post("compare_request", requestId=request_id, group=group,
                                 **fields).status_code == 200
            answers = {c["requestId"]: c for c in page.wait_commands(5, timeout=30)}
        bodies = {q: get(viewer, "data/comparison", id=answers[q]["resultId"]).json()
                  for q in ("q1", "q2", "q3")}
        assert bodies["q1"]["matrix"] == {"key": ".raw", "label": ".raw"}
        assert bodies["q1"]["notes"] == [] and bodies["q1"]["tie_correct"] is False
        assert bodies["q2"]["matrix"] == {"key": "X", "label": "X"}
        assert "X has negative values" in bodies["q2"]["notes"][0]
        assert bodies["q3"]["matrix"] == {"key": "counts", "label": "layer 'counts'"}
        assert bodies["q3"]["tie_correct"] is True
        frame = viewer.compare(group, layer="counts", tie_correct=True)
        np.testing.assert_allclose(bodies["q3"]["genes"]["scores"], frame["scores"], rtol=1e-6)
        assert "name two matrices" in answers["q4"]["error"]
        assert "unknown layer 'nope'" in answers["q5"]["error"]
        page.post("plot_genes_request", requestId="p1", genes=["GENE1"], groupby="cluster",
                  useRaw=False)
        shown = [c for c in page.wait_commands(7, timeout=30) if c.get("requestId") == "p1"]
        plot = get(viewer, "data/geneplot", id=shown[0]["resultId"]).json()
        assert plot["matrix"]["label"] == "X" and plot["dot"][0]["mean_expression"] < 0.5
    finally:
        viewer.stop()


@pytest.mark.parametrize("payload, field", [
    ({"requestId": "q", "group": [1], "method": "anova"}, "method"),
    ({"requestId": "q", "group": [1], "useRaw": 1}, "useRaw"),
    ({"requestId": "q", "group": [1], "layer": 3}, "layer"),
    ({"requestId": "q", "group": [1], "tieCorrect": 1}, "tieCorrect"),
    ({"requestId": "q", "group": [999]}, "outside"),
    ({"requestId": "q"}, "group"),
    ({"group": [1]}, "requestId"),
])
def test_malformed_compare_requests_are_400(viewer, payload, field):
    page = PageClient(viewer).connect()
    reply = page.post("compare_request", **payload)
    assert reply.status_code == 400 and field in reply.json()["message"]


def test_plot_genes_from_python_and_from_the_page(viewer, adata):
    page = PageClient(viewer).connect()
    dots = viewer.plot_genes(["GENE1", "GENE2"], "cluster")
    assert list(dots.columns) == ["gene", "group", "mean_expression", "fraction_expressing",
                                  "n_cells"]
    values = adata[adata.obs["cluster"] == "a", "GENE1"].X.ravel()
    row = dots[(dots.gene == "GENE1") & (dots.group == "a")].iloc[0]
    assert row.mean_expression == pytest.approx(values.mean())
    assert row.fraction_expressing == pytest.approx((values > 0).mean())
    shown = page.commands[-1]
    body = get(viewer, "data/geneplot", id=shown["resultId"]).json()
    assert body["genes"] == ["GENE1", "GENE2"] and body["categories"] == ["a", "b", "c", "d"]
    assert len(body["dot"]) == 8 and len(body["violins"]) == 8
    assert body["violins"][0]["values"] and body["violins"][0]["median"] is not None

    page.post("plot_genes_request", requestId="p1", genes=["GENE3"], groupby="cluster")
    page.post("plot_genes_request", requestId="p2", genes=["GENE3"], groupby="score")
    answers = {c["requestId"]: c for c in page.wait_commands(3) if c.get("requestId")}
    assert answers["p1"]["resultId"] and "categorical" in answers["p2"]["error"]


def test_plot_genes_refusals(viewer):
    with pytest.raises(ValueError, match="categorical"):
        viewer.plot_genes(["GENE1"], "score")
    with pytest.raises(KeyError, match="GENE1"):
        viewer.plot_genes(["GENE1x"], "cluster")
    with pytest.raises(ValueError, match="30"):
        viewer.plot_genes([f"GENE{i}" for i in range(31)], "cluster")


def test_save_image_writes_the_png_the_page_sends(viewer, tmp_path):
    PageClient(viewer, image=png(64, 48)).connect()
    path = viewer.save_image(tmp_path / "view.png", scale=2)
    assert path == tmp_path / "view.png" and Image.open(path).size == (64, 48)
    with pytest.raises(ValueError, match="scale"):
        viewer.save_image(tmp_path / "x.png", scale=0)


def test_save_image_refuses_what_is_not_a_png(viewer, tmp_path):
    PageClient(viewer, image=b"not a png at all, but long enough to read").connect()
    with pytest.raises(Exception, match="image"):
        viewer.save_image(tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_unrequested_image_uploads_are_refused(viewer):
    auth = f"viewerId={viewer.viewer_id}&viewerToken={viewer.viewer_token}"
    reply = httpx.post(f"{viewer.server_url}_cellucid/image?{auth}&requestId=nope",
                       content=png(2, 2), headers={"content-type": "image/png"})
    assert reply.status_code == 409 and "save_image" in reply.json()["message"]


def test_a_page_that_cannot_render_the_image_fails_at_once(viewer, tmp_path):
    import time

    PageClient(viewer, refuse={"requestImage"}).connect()
    start = time.monotonic()
    with pytest.raises(Exception, match="refused by the test page"):
        viewer.save_image(tmp_path / "x.png", timeout=30)
    assert time.monotonic() - start < 5
