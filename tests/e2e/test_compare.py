"""Comparisons, gene plots and images in the page (pbmc68k_reduced, headless Chromium)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from viewer_helpers import canvas_pixels


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
