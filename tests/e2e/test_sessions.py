"""Sessions end to end in headless Chromium (pbmc68k_reduced): a view built with the real mouse
(louvain colours, two highlight groups, labels on three clusters, a comparison and its gene
plots, pan and zoom, a lasso) saved from Python, then shown again with ``session=`` and through
the page's Save session / Open session; refusals that leave the page as it was; other cells."""

from __future__ import annotations

import io
import json

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from PIL import Image

import cellucid
from cellucid import SessionMismatch, SessionWarning
from tests.browser import close_page, new_page

from conftest import VIEWPORT, EventLog
from viewer_helpers import canvas_box, canvas_pixels, circle_path, drag, screen_positions

LABELS = {"0": "T cells", "1": "monocytes", "2": "B cells"}
# Canvas pixels of the restored view against the view saved: at most this fraction may differ
# by more than PIXEL_STEP in a channel (SwiftShader draws the same frame the same way).
PIXEL_STEP = 24
MAX_CHANGED = 0.002


def settled_pixels(page) -> np.ndarray:
    """The canvas as drawn, with nothing passing over it (toast, tooltip, pointer)."""
    page.mouse.move(VIEWPORT["width"] - 5, VIEWPORT["height"] - 5)
    page.evaluate("() => { for (const id of ['toast', 'tooltip']) "
                  "document.getElementById(id).hidden = true; }")
    page.wait_for_function("() => !window.__cellucid.app.frameScheduled")
    return canvas_pixels(page)


def pixel_difference(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """(fraction of pixels differing by more than PIXEL_STEP, mean channel difference)."""
    assert a.shape == b.shape, (a.shape, b.shape)
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16))
    return float((diff.max(axis=2) > PIXEL_STEP).mean()), float(diff.mean())


def lasso_near(page, fx: float, fy: float, radius: float = 55) -> None:
    """A lasso (real mouse) around the drawn cell closest to (fx, fy) of the canvas box."""
    box = canvas_box(page)
    target = np.array([box["x"] + fx * box["width"], box["y"] + fy * box["height"]])
    pos = screen_positions(page)
    cx, cy = pos[np.argmin(np.hypot(*(pos - target).T))]
    drag(page, circle_path(cx, cy, radius, radius, n=36))


def open_page(page, viewer, log=None):
    page.goto(viewer.viewer_url)
    page.wait_for_selector("body[data-cellucid-ready='1']", state="attached", timeout=60_000)
    viewer.wait_for_ready(timeout=60)
    return page


def build_view(page, viewer, log) -> None:
    """The user's hour of work, in a few seconds."""
    lasso_source = lambda source: lambda e: e["source"] == source  # noqa: E731
    viewer.set_color_by("louvain")
    louvain = viewer.dataset.adata.obs["louvain"].astype(str).to_numpy()
    viewer.show_only(np.flatnonzero(louvain != "10"))      # cluster 10 hidden
    page.locator("[data-testid=tool-lasso]").click()
    for fx in (0.3, 0.7):                      # two highlight groups: lasso, then H
        lasso_near(page, fx, 0.5)
        log.next("selection", predicate=lasso_source("lasso"))
        page.keyboard.press("h")
        log.next("selection", predicate=lasso_source("clear"))
    for category, text in LABELS.items():       # labels on three clusters
        page.locator(f"[data-testid=legend-item][data-category='{category}']").click()
        log.next("selection", predicate=lasso_source("annotation"))
        page.locator("[data-testid=cellucid-annotate]").click()
        page.locator("[data-testid=cellucid-annotate-label]").fill(text)
        page.keyboard.press("Enter")
        log.next("annotation", predicate=lambda e, t=text: e["label"] == t)
    viewer.wait_for_callbacks()
    page.locator("[data-testid=legend-item][data-category='3']").click()
    log.next("selection", predicate=lasso_source("annotation"))
    page.locator("[data-testid=cellucid-compare]").click()   # docks beside the plot
    page.wait_for_selector("body[data-cellucid-comparison]", state="attached", timeout=60_000)
    page.locator("[data-testid=cellucid-plot-genes]").click()
    page.wait_for_selector("body[data-cellucid-gene-plot]", state="attached", timeout=60_000)
    page.locator("[data-testid=tool-click]").click()       # pan and zoom
    camera = page.evaluate("window.__cellucid.camera()")
    box = canvas_box(page)
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    drag(page, [(cx, cy), (cx + 40, cy + 25)], steps_between=6)
    page.mouse.move(cx, cy)
    page.mouse.wheel(0, -300)
    page.wait_for_function(f"() => window.__cellucid.camera().scale > {camera['scale'] * 1.3}")
    page.locator("[data-testid=cellucid-point-size]").fill("1")   # points twice their size
    page.wait_for_function("() => window.__cellucid.app.pointScale === 2")
    page.locator("[data-testid=tool-lasso]").click()       # and a lasso
    lasso_near(page, 0.5, 0.45, radius=70)
    log.next("selection", predicate=lasso_source("lasso"))


@pytest.fixture(scope="module")
def built(browser, pbmc68k, tmp_path_factory, artifacts):
    """The view built and saved from Python; what it showed, for the restores to match."""
    page = new_page(browser, VIEWPORT)
    adata = pbmc68k.copy()
    viewer = cellucid.show_anndata(adata)
    folder = tmp_path_factory.mktemp("sessions")
    try:
        log = EventLog(viewer, page)
        open_page(page, viewer)
        build_view(page, viewer, log)
        viewer.wait_for_callbacks()
        bundle = viewer.get_session_bundle(timeout=30)
        page.screenshot(path=str(artifacts / "session_saved_page.png"))
        saved = {
            "artifacts": artifacts, "pixels": settled_pixels(page),
            "groups": [(g.name, g.color, g.cells) for g in bundle.highlight_groups],
            "hidden": bundle.hidden,
            "selection": viewer.selection, "labels": adata.obs["cellucid_labels"].copy(),
            "genes": page.locator("[data-testid=cellucid-compare-table] tr[data-gene]")
                         .evaluate_all("rows => rows.slice(0, 10).map(r => r.dataset.gene)"),
            "camera": page.evaluate("window.__cellucid.camera()"),
            "point_size": page.evaluate("window.__cellucid.pointSize()"),
            "path": viewer.save_session(folder / "pbmc.cellucid-session"),
        }
        with page.expect_download() as download:               # and Save session in the page
            page.locator("[data-testid=cellucid-save-session]").click()
        assert download.value.suggested_filename == "cellucid.cellucid-session"
        saved["page_path"] = folder / "from-page.cellucid-session"
        download.value.save_as(saved["page_path"])
    finally:
        viewer.stop()
    assert len(saved["groups"]) == 2 and saved["selection"]
    assert saved["hidden"] == np.flatnonzero(pbmc68k.obs["louvain"] == "10").tolist()
    assert saved["labels"].value_counts().to_dict() == {
        text: int((pbmc68k.obs["louvain"] == c).sum()) for c, text in LABELS.items()}
    yield saved, page
    close_page(page, False)


def check_restored(page, viewer, adata, saved, what: str) -> None:
    """The page shows the view saved, and the labels are in ``adata.obs``."""
    assert page.evaluate("document.body.dataset.cellucidColorBy") == "louvain"
    bundle = viewer.get_session_bundle(timeout=30)
    assert [(g.name, g.color, g.cells) for g in bundle.highlight_groups] == saved["groups"]
    assert bundle.selection == saved["selection"] and bundle.hidden == saved["hidden"]
    assert bundle.point_size == pytest.approx(saved["point_size"], rel=1e-6)
    assert page.evaluate("window.__cellucid.app.pointScale") == pytest.approx(2, rel=1e-6)
    assert page.locator("[data-testid=cellucid-point-size]").input_value() == "1"
    viewer.wait_for_callbacks()
    assert viewer.selection == saved["selection"]          # the page told Python
    pd.testing.assert_series_equal(adata.obs["cellucid_labels"], saved["labels"])
    assert page.locator("[data-testid=cellucid-compare-table] tr[data-gene]").evaluate_all(
        "rows => rows.slice(0, 10).map(r => r.dataset.gene)") == saved["genes"]
    assert page.locator("[data-testid=cellucid-dotplot] svg").count() >= 1
    assert page.evaluate("window.__cellucid.camera()") == saved["camera"]
    pixels = settled_pixels(page)
    Image.fromarray(pixels).save(saved["artifacts"] / f"session_{what.split()[0]}.png")
    changed, mean = pixel_difference(pixels, saved["pixels"])
    print(f"\n{what}: {changed:.5f} of the canvas pixels differ by > {PIXEL_STEP}; "
          f"mean channel difference {mean:.4f}")
    assert changed <= MAX_CHANGED and mean < 0.5


def test_a_saved_session_reopens_as_it_was_from_python_and_through_the_page(built, pbmc68k):
    saved, page = built
    adata = pbmc68k.copy()
    viewer = cellucid.show_anndata(adata, session=saved["path"])
    try:
        open_page(page, viewer)
        check_restored(page, viewer, adata, saved, "session= from Python")
    finally:
        viewer.stop()
    from_page = saved["page_path"]
    doc = json.loads(from_page.read_text())
    assert doc["format"] == "cellucid-session" and doc["labels"]["names"] == list(LABELS.values())
    assert {k: v for k, v in doc.items() if k != "cellucid"} == {
        k: v for k, v in json.loads(saved["path"].read_text()).items() if k != "cellucid"}

    adata = pbmc68k.copy()
    viewer = cellucid.show_anndata(adata)
    try:
        open_page(page, viewer)
        with page.expect_file_chooser() as chooser:             # Open session in the page
            page.locator("[data-testid=cellucid-open-session]").click()
        chooser.value.set_files(str(from_page))
        page.wait_for_selector("body[data-cellucid-restores='1']", state="attached",
                               timeout=60_000)
        check_restored(page, viewer, adata, saved, "Save session / Open session in the page")
    finally:
        viewer.stop()


def other_data(n: int) -> ad.AnnData:
    rng = np.random.default_rng(5)
    other = ad.AnnData(np.zeros((n, 3), dtype=np.float32))
    other.obs_names = [f"other{i}" for i in range(n)]
    other.obsm["X_umap"] = rng.normal(size=(n, 2)).astype(np.float32)
    return other


def test_refusals_leave_the_page_as_it_was_and_other_cells_restore_by_name(built, pbmc68k,
                                                                           tmp_path):
    saved, page = built
    path = saved["path"]
    for n, message in ((700, "other obs_names"),
                       (500, "saved on 700 cells, but this data has 500")):
        other = other_data(n)
        viewer = cellucid.show_anndata(other)
        try:
            with pytest.raises(SessionMismatch, match=message):
                viewer.load_session(path)
            assert "cellucid_labels" not in other.obs
        finally:
            viewer.stop()

    subset = pbmc68k[::2].copy()                   # other cells: restored where names match
    viewer = cellucid.show_anndata(subset)
    try:
        with pytest.warns(SessionWarning):
            report = viewer.load_session(path, strict=False)
        compared = np.flatnonzero(pbmc68k.obs["louvain"] == "3")   # the comparison's group
        referenced = set(saved["selection"]) | set(np.flatnonzero(saved["labels"].notna())) | {
            c for _, _, cells in saved["groups"] for c in cells} | set(compared) | set(
            saved["hidden"])
        kept = set(subset.obs_names)
        assert report.dropped_cells == [pbmc68k.obs_names[c] for c in sorted(referenced)
                                        if pbmc68k.obs_names[c] not in kept]
        pd.testing.assert_series_equal(subset.obs["cellucid_labels"],
                                       saved["labels"].loc[subset.obs_names])
        open_page(page, viewer)
        position = {name: i for i, name in enumerate(subset.obs_names)}
        expected = [[position[pbmc68k.obs_names[c]] for c in cells
                     if pbmc68k.obs_names[c] in position] for _, _, cells in saved["groups"]]
        groups = viewer.get_session_bundle(timeout=30).highlight_groups
        assert [g.cells for g in groups] == expected
        other_cells = viewer.save_session(tmp_path / "subset.cellucid-session")
    finally:
        viewer.stop()

    raw = path.read_bytes()
    bad = {"truncated": (raw[: len(raw) // 2], "truncated"),
           "future": (raw.replace(b'"version":2', b'"version":9'), "newer cellucid"),
           "wrong kind": (_png(), "not a cellucid session"),
           "other cells": (other_cells.read_bytes(), "saved on 350 cells, but this data has 700")}
    adata = pbmc68k.copy()
    viewer = cellucid.show_anndata(adata, session=path)
    statuses = []
    page.on("response", lambda r: statuses.append(r.status) if "/_cellucid/" in r.url else None)
    try:
        open_page(page, viewer)
        before = settled_pixels(page)
        obs = adata.obs.copy()
        groups = viewer.get_session_bundle(timeout=30).highlight_groups
        page.on("dialog", lambda dialog: dialog.dismiss())   # "restore the matching cells?" no
        for name, (content, message) in bad.items():
            file = tmp_path / f"{name.replace(' ', '-')}.cellucid-session"
            file.write_bytes(content)
            with pytest.raises(ValueError, match=message):
                viewer.load_session(file)
            with page.expect_file_chooser() as chooser:
                page.locator("[data-testid=cellucid-open-session]").click()
            chooser.value.set_files(str(file))
            page.wait_for_function(
                "(m) => (document.body.dataset.cellucidSessionError || '').includes(m)",
                arg=message)
            assert "Cannot open the session" in page.locator("[data-testid=toast]").inner_text()
            page.evaluate("() => { delete document.body.dataset.cellucidSessionError; }")
        assert statuses and max(statuses) < 500
        assert page.evaluate("document.body.dataset.cellucidRestores") == "1"   # the start only
        pd.testing.assert_frame_equal(adata.obs, obs)
        assert viewer.get_session_bundle(timeout=30).highlight_groups == groups
        changed, mean = pixel_difference(settled_pixels(page), before)
        print(f"\nafter the refusals: {changed:.5f} of the pixels differ; mean {mean:.4f}")
        assert changed == 0.0
        viewer.select([1, 2, 3])                              # the page still answers
        assert viewer.get_session_bundle(timeout=30).selection == [1, 2, 3]
    finally:
        viewer.stop()


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


def test_a_3d_view_reopens_with_its_orbit(browser, pbmc68k, tmp_path):
    adata = pbmc68k.copy()    # X_pca_3d: the first three principal components
    page = new_page(browser, VIEWPORT)
    viewer = cellucid.show_anndata(adata, embedding="X_pca_3d", color="bulk_labels")
    try:
        open_page(page, viewer)
        box = canvas_box(page)
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        drag(page, [(cx, cy), (cx + 90, cy - 40)], steps_between=8)    # orbit
        page.mouse.move(cx, cy)
        page.mouse.wheel(0, -200)
        camera = page.evaluate("window.__cellucid.camera()")
        assert camera["kind"] == "3d" and camera["yaw"] != 0.6
        before = settled_pixels(page)
        path = viewer.save_session(tmp_path / "3d.cellucid-session")
    finally:
        viewer.stop()
    without = pbmc68k.copy()
    del without.obsm["X_pca"]
    with pytest.raises(ValueError, match="cannot restore the embedding 'X_pca_3d'"):
        cellucid.show_anndata(without, session=path)               # data without it
    viewer = cellucid.show_anndata(adata.copy(), session=path)
    try:
        open_page(page, viewer)
        assert page.evaluate("window.__cellucid.camera()") == camera
        changed, mean = pixel_difference(settled_pixels(page), before)
        print(f"\n3-D view: {changed:.5f} of the pixels differ; mean {mean:.4f}")
        assert changed <= MAX_CHANGED and mean < 0.5
    finally:
        viewer.stop()
        close_page(page, False)
