"""Comparisons, gene plots and images in the page (pbmc68k_reduced, headless Chromium), and the
dock that keeps their panels beside (or below) the plot, never over it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from scipy.spatial import ConvexHull

from viewer_helpers import (
    as_float32,
    canvas_box,
    canvas_pixels,
    circle_path,
    drag,
    points_in_polygon,
    screen_positions,
)

CENTRE_HIT = """() => { const r = document.querySelector('[data-testid=cellucid-canvas]')
    .getBoundingClientRect(); const e = document.elementFromPoint(r.left + r.width / 2,
    r.top + r.height / 2); return e ? e.dataset.testid || e.id || e.tagName : null; }"""


def rectangle(box: dict) -> tuple[float, float, float, float]:
    return box["x"], box["y"], box["x"] + box["width"], box["y"] + box["height"]


def assert_nothing_covers_the_plot(page) -> dict:
    """The canvas is what the centre of its box hits; the dock's box does not overlap it; every
    cell is drawn inside it (the camera refitted). Returns the canvas box."""
    assert page.evaluate(CENTRE_HIT) == "cellucid-canvas"
    box = canvas_box(page)
    left, top, right, bottom = rectangle(box)
    dock = page.locator("[data-testid=cellucid-dock]")
    if dock.is_visible():
        d_left, d_top, d_right, d_bottom = rectangle(dock.bounding_box())
        assert d_left >= right - 0.5 or d_top >= bottom - 0.5
    pos = screen_positions(page)
    assert ((pos[:, 0] >= left) & (pos[:, 0] <= right)
            & (pos[:, 1] >= top) & (pos[:, 1] <= bottom)).all()
    return box


def test_a_compare_from_python_fills_the_table_and_a_gene_click_recolours(ready, viewer, pbmc68k,
                                                                           artifacts):
    page = ready
    group = np.flatnonzero(pbmc68k.obs["louvain"].astype(str) == "0")
    frame = viewer.compare(group, "rest")
    table = page.locator("[data-testid=cellucid-compare-table]")
    table.wait_for()
    rows = table.locator("tr[data-gene]")
    assert rows.count() == min(100, len(frame))
    assert [rows.nth(i).get_attribute("data-gene") for i in range(5)] == frame["names"][:5].tolist()
    assert page.locator("[data-testid=cellucid-volcano] svg").count() >= 1
    page.screenshot(path=str(artifacts / "compare_panel.png"))

    before = canvas_pixels(page)
    top = frame["names"].iloc[0]
    rows.first.click()
    page.wait_for_selector(f"body[data-cellucid-color-by='{top}']", state="attached")
    page.wait_for_selector("[data-testid=colorbar]")
    after = canvas_pixels(page)
    assert (np.abs(before.astype(int) - after.astype(int)).max(axis=2) > 30).sum() > 300


def test_a_compare_started_in_the_page_reaches_the_comparison_hook(ready, viewer, pbmc68k):
    page, log = ready, ready.cellucid_events
    got = []
    viewer.on("comparison")(got.append)
    cells = np.flatnonzero(pbmc68k.obs["louvain"].astype(str) == "3").tolist()
    viewer.select(cells)
    page.locator("[data-testid=cellucid-compare]").click()
    event = log.next("comparison", timeout=60)
    assert event["group"] == cells and event["reference"] == "rest"
    viewer.wait_for_callbacks()
    result = got[0]["result"]
    assert isinstance(result, pd.DataFrame)
    pd.testing.assert_frame_equal(result, viewer.compare(cells, "rest"))
    page.locator("[data-testid=cellucid-compare-table] tr[data-gene]").first.wait_for()


def test_gene_plots_are_drawn_in_the_page(ready, viewer):
    page = ready
    dots = viewer.plot_genes(["CST3", "NKG7", "MS4A1"], "louvain")
    assert len(dots) == 3 * 11
    page.locator("[data-testid=cellucid-dotplot] svg").first.wait_for()
    page.locator("[data-testid=cellucid-violins] svg").first.wait_for()
    svg = page.locator("[data-testid=cellucid-dotplot] svg").first.inner_html()
    assert "CST3" in svg and "NKG7" in svg


def test_save_image_writes_a_png_twice_the_canvas_size(ready, viewer, tmp_path):
    page = ready
    box = page.locator("[data-testid=cellucid-canvas]").bounding_box()
    path = viewer.save_image(tmp_path / "view.png", scale=2)
    image = Image.open(path)
    assert image.size == (round(box["width"] * 2), round(box["height"] * 2))
    pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    colours = np.unique(pixels, axis=0)
    assert len(colours) > 20                          # points in colours, not a blank canvas
    background = (pixels == np.bincount(pixels[:, 0]).argmax()).all(axis=1).mean()
    assert background < 0.99


def test_bad_compare_calls_keep_the_page_working(ready, viewer):
    page, log = ready, ready.cellucid_events
    with pytest.raises(ValueError):
        viewer.compare([])
    with pytest.raises(ValueError):
        viewer.compare([1, 2, 3], [3, 4])
    viewer.highlight_cells([1, 2, 3], name="tiny")
    assert log.next("command_result")["ok"] is True


def test_lasso_a_cluster_then_compare_shows_raw_fold_changes_and_a_fitted_volcano(ready, viewer,
                                                                                   pbmc68k):
    """The demo: lasso cluster 3, press Compare. scanpy's default matrix (.raw) is compared, so
    the top rows have finite fold changes and the volcano reaches the top gene's -log10 p."""
    page, log = ready, ready.cellucid_events
    cluster = np.flatnonzero(pbmc68k.obs["louvain"].astype(str) == "3")
    pos = screen_positions(page)[cluster]
    hull = pos[ConvexHull(pos).vertices]
    centre = hull.mean(axis=0)
    outline = [tuple(centre + (p - centre) * 1.08) for p in hull]   # a little outside the cells
    page.keyboard.press("l")
    drag(page, outline + outline[:1])
    lassoed = log.next("selection", predicate=lambda e: e.get("source") == "lasso")
    inside = points_in_polygon(as_float32(pbmc68k.obsm["X_umap"]), lassoed["polygon"])
    assert set(cluster) <= set(np.flatnonzero(inside)) and lassoed["cells"] == \
        np.flatnonzero(inside).tolist()
    page.locator("[data-testid=cellucid-compare]").click()
    frame = log.next("comparison", timeout=60)["result"]
    rows = page.locator("[data-testid=cellucid-compare-table] tr[data-gene]")
    rows.first.wait_for()
    assert page.locator("[data-testid=cellucid-compare-matrix-used]").inner_text() == \
        "Compared: .raw"
    assert page.locator("[data-testid=cellucid-compare-notes]").is_hidden()
    for i in range(10):
        fold = rows.nth(i).locator("td").nth(1).inner_text()
        assert math.isfinite(float(fold)), (i, fold)
        assert fold == f"{frame['logfoldchanges'].iloc[i]:.2f}".replace("-0.00", "0.00")
    svg = page.locator("[data-testid=cellucid-volcano] svg").first
    svg.wait_for()
    top, top_p = frame["names"].iloc[0], frame["pvals_adj"].iloc[0]
    assert top_p < 1e-20
    y_max = float(svg.get_attribute("data-y-max"))
    assert -math.log10(top_p) <= y_max <= -math.log10(top_p) * 1.1
    dot = page.locator(f"[data-testid=cellucid-volcano] circle[data-gene='{top}']")
    assert dot.count() == 1
    plot, spot = svg.bounding_box(), dot.bounding_box()
    assert plot["y"] <= spot["y"] and spot["y"] + spot["height"] <= plot["y"] + plot["height"]
    omitted = int((~np.isfinite(frame["logfoldchanges"])).sum())
    note = page.locator("[data-testid=cellucid-volcano-omitted]")
    assert note.is_hidden() if omitted == 0 else note.inner_text().startswith(f"{omitted} gene")
    assert_nothing_covers_the_plot(page)


def test_scaled_x_is_named_and_the_volcano_counts_what_it_leaves_out(ready, viewer, pbmc68k):
    page = ready
    cells = np.flatnonzero(pbmc68k.obs["louvain"].astype(str) == "3")
    with pytest.warns(UserWarning, match="X has negative values"):
        frame = viewer.compare(cells, "rest", use_raw=False)
    page.locator("[data-testid=cellucid-compare-table] tr[data-gene]").first.wait_for()
    assert page.locator("[data-testid=cellucid-compare-matrix-used]").inner_text() == "Compared: X"
    notes = page.locator("[data-testid=cellucid-compare-notes]").inner_text()
    assert "X has negative values" in notes and ".raw" in notes
    omitted = int((~np.isfinite(frame["logfoldchanges"])).sum())
    assert omitted > 0
    assert page.locator("[data-testid=cellucid-volcano-omitted]").inner_text().startswith(
        f"{omitted} genes have no finite log fold change")
    assert page.locator("[data-testid=cellucid-compare-matrix]").input_value() == "layer:X"
    # the user chooses .raw again and runs it from the panel
    viewer.select(cells.tolist())
    page.locator("[data-testid=cellucid-compare-matrix]").select_option(".raw")
    page.locator("[data-testid=cellucid-compare-run]").click()
    page.wait_for_function("() => document.querySelector("
                           "'[data-testid=cellucid-compare-matrix-used]').textContent === "
                           "'Compared: .raw'")
    assert page.locator("[data-testid=cellucid-compare-notes]").is_hidden()


def test_panels_dock_beside_the_plot_and_a_lasso_at_its_centre_works(ready, viewer, pbmc68k):
    page, log = ready, ready.cellucid_events
    full = canvas_box(page)
    selections, comparisons = [], []
    viewer.on_selection(selections.append)
    viewer.on("comparison")(comparisons.append)
    viewer.compare(np.flatnonzero(pbmc68k.obs["louvain"].astype(str) == "0"), "rest")
    page.locator("[data-testid=cellucid-compare-table] tr[data-gene]").first.wait_for()
    assert page.evaluate("document.body.dataset.cellucidDock") == "beside"
    box = assert_nothing_covers_the_plot(page)
    assert box["width"] < full["width"] - 250 and box["height"] == full["height"]

    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    radius = 0.3 * min(box["width"], box["height"])
    page.keyboard.press("l")
    drag(page, circle_path(cx, cy, radius, radius, n=60))
    lassoed = log.next("selection", predicate=lambda e: e.get("source") == "lasso")
    viewer.wait_for_callbacks()
    assert selections and selections[-1]["cells"] == lassoed["cells"] and lassoed["cells"]
    page.locator("[data-testid=cellucid-compare]").click()
    event = log.next("comparison", timeout=60)
    viewer.wait_for_callbacks()
    assert event["group"] == lassoed["cells"] and comparisons[-1]["group"] == lassoed["cells"]

    # Collapsed, the panel leaves the plot all but a strip; closed, all of it.
    page.locator("[data-testid=cellucid-compare-panel-collapse]").click()
    page.wait_for_function("() => document.querySelector('#view').dataset.dockCollapsed === '1'")
    page.wait_for_function(f"() => document.querySelector('#gl').getBoundingClientRect().width > "
                           f"{full['width'] - 60}")
    assert_nothing_covers_the_plot(page)
    page.locator("[data-testid=cellucid-compare-panel-close]").click()
    page.wait_for_function("() => document.body.dataset.cellucidDock === 'none'")
    page.wait_for_function(f"() => document.querySelector('#gl').getBoundingClientRect().width "
                           f"=== {full['width']}")
    assert_nothing_covers_the_plot(page)


def test_in_a_600px_notebook_output_the_panels_go_below(ready, viewer, pbmc68k):
    page = ready
    page.set_viewport_size({"width": 760, "height": 600})
    viewer.compare(np.flatnonzero(pbmc68k.obs["louvain"].astype(str) == "3"), "rest")
    viewer.plot_genes(["CST3", "NKG7"], "louvain")
    page.locator("[data-testid=cellucid-dotplot] svg").first.wait_for()
    assert page.evaluate("document.body.dataset.cellucidDock") == "below"
    box = assert_nothing_covers_the_plot(page)
    assert box["height"] >= 200 and box["y"] + box["height"] <= 600
    dock = page.locator("[data-testid=cellucid-dock]").bounding_box()
    assert dock["y"] + dock["height"] <= 600 + 0.5
    # Annotate (A) opens in the dock too, and the plot still shows every cell.
    page.locator("[data-testid=cellucid-canvas]").focus()
    page.keyboard.press("a")
    page.locator("[data-testid=cellucid-annotate-label]").wait_for()
    assert page.locator("[data-testid=cellucid-dock] [data-testid=cellucid-annotate-label]").count()
    assert_nothing_covers_the_plot(page)
