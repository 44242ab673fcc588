"""Selections made with the real mouse reach the Python callback exactly (pbmc68k_reduced)."""

from __future__ import annotations

import numpy as np
import pytest

from viewer_helpers import (as_float32, bfs_hops, canvas_box, circle_path, drag, empty_spot,
                            isolated_cells, points_in_polygon, screen_positions)


def test_ready_event_payload(page, viewer, open_viewer, event_log):
    log = event_log(viewer)
    open_viewer(page, viewer)
    ready = log.next("ready")
    assert ready["n_cells"] == 700
    assert ready["dimensions"] == 2
    assert ready["embedding"] == "X_umap"


def test_lasso_delivers_cells_inside_polygon(ready, viewer, pbmc68k):
    page, log = ready, ready.cellucid_events
    xy = as_float32(pbmc68k.obsm["X_umap"])
    pos = screen_positions(page)
    page.keyboard.press("l")
    # A loop around the densest part of the plot that cuts through clusters at its edge.
    cx, cy = np.median(pos, axis=0)
    drag(page, circle_path(cx, cy, 170, 120, n=80))
    event = log.next("selection")
    assert event["source"] == "lasso"
    assert event["mode"] == "replace"
    polygon = event["polygon"]
    assert 3 <= len(polygon) <= 1000
    expected = np.flatnonzero(points_in_polygon(xy, polygon)).tolist()
    assert 0 < len(expected) < 700
    assert event["cells"] == expected
    assert page.evaluate("document.querySelector('#sketch').childElementCount") == 0

    # Shift adds a second loop; Alt subtracts a third.
    drag(page, circle_path(cx + 200, cy - 100, 80, 80), modifiers=["Shift"])
    added = log.next("selection")
    assert added["mode"] == "add"
    second = set(np.flatnonzero(points_in_polygon(xy, added["polygon"])).tolist())
    assert added["cells"] == sorted(set(expected) | second)
    drag(page, circle_path(cx, cy, 60, 60), modifiers=["Alt"])
    sub = log.next("selection")
    assert sub["mode"] == "subtract"
    third = set(np.flatnonzero(points_in_polygon(xy, sub["polygon"])).tolist())
    assert sub["cells"] == sorted((set(expected) | second) - third)

    page.keyboard.press("Escape")
    cleared = log.next("selection")
    assert cleared["cells"] == [] and cleared["mode"] == "replace"


def test_knn_drag_delivers_graph_hops(ready, viewer, pbmc68k):
    page, log = ready, ready.cellucid_events
    seed = isolated_cells(page)[0]
    x, y = screen_positions(page)[seed]
    page.keyboard.press("k")
    drag(page, [(x, y), (x + 50, y), (x + 100, y)], steps_between=5)
    event = log.next("selection")
    assert event["source"] == "knn"
    assert event["seed"] == seed
    assert event["hops"] == 3
    assert event["cells"] == bfs_hops(pbmc68k.obsp["connectivities"], seed, 3)


def test_proximity_drag_delivers_cells_within_radius(ready, viewer, pbmc68k):
    page, log = ready, ready.cellucid_events
    xy = as_float32(pbmc68k.obsm["X_umap"])
    seed = isolated_cells(page)[0]
    x, y = screen_positions(page)[seed]
    page.keyboard.press("p")
    drag(page, [(x, y), (x + 40, y + 30), (x + 60, y + 45)], steps_between=4)
    event = log.next("selection")
    assert event["source"] == "proximity"
    assert event.get("seed") == seed
    center = np.asarray(event["center"], dtype=np.float64)
    np.testing.assert_allclose(center, xy[seed], rtol=0, atol=1e-6)
    radius = event["radius"]
    ppu = page.evaluate("window.__cellucid.app.camera.pixelsPerUnit()")
    assert radius == pytest.approx(75 / ppu, rel=0.03)
    dist = np.sqrt(((xy - center) ** 2).sum(axis=1))
    expected = np.flatnonzero(dist <= radius).tolist()
    assert len(expected) > 1
    assert event["cells"] == expected
    # The circle drawn while dragging is gone once the gesture ends.
    assert page.evaluate("document.querySelector('#sketch').childElementCount") == 0


def test_legend_click_selects_category(ready, viewer, pbmc68k):
    page, log = ready, ready.cellucid_events
    labels = pbmc68k.obs["bulk_labels"].astype(str).to_numpy()
    page.locator("[data-testid=legend-item][data-category='CD19+ B']").click()
    event = log.next("selection")
    assert event["source"] == "annotation"
    assert event["field"] == "bulk_labels" and event["category"] == "CD19+ B"
    assert event["mode"] == "replace"
    first = np.flatnonzero(labels == "CD19+ B").tolist()
    assert event["cells"] == first
    page.locator("[data-testid=legend-item][data-category='CD34+']").click(modifiers=["Shift"])
    added = log.next("selection")
    assert added["mode"] == "add"
    assert added["cells"] == sorted(first + np.flatnonzero(labels == "CD34+").tolist())


def test_click_selects_its_cell(ready, viewer):
    page, log = ready, ready.cellucid_events
    cell = isolated_cells(page)[1]
    x, y = screen_positions(page)[cell]
    page.mouse.click(x, y)
    click = log.next("click")
    assert click["cell"] == cell
    assert click["button"] == 0 and click["shift"] is False and click["ctrl"] is False
    sel = log.next("selection")
    assert sel["source"] == "click" and sel["cells"] == [cell]


def test_hover_enters_and_leaves(ready, viewer, pbmc68k):
    page, log = ready, ready.cellucid_events
    cell = isolated_cells(page)[2]
    x, y = screen_positions(page)[cell]
    page.mouse.move(x - 30, y - 30)
    page.mouse.move(x, y, steps=4)
    hover = log.next("hover", predicate=lambda e: e["cell"] is not None)
    assert hover["cell"] == cell
    pos = hover["position"]
    assert pos["x"] == pytest.approx(float(np.float32(pbmc68k.obsm["X_umap"][cell, 0])), abs=1e-5)
    ex, ey = empty_spot(page)
    page.mouse.move(ex, ey, steps=3)
    left = log.next("hover")
    assert left["cell"] is None and left["position"] is None


def test_lasso_outside_the_data_selects_nothing(ready, viewer):
    page, log = ready, ready.cellucid_events
    ex, ey = empty_spot(page, min_gap_px=60)
    page.keyboard.press("l")
    drag(page, circle_path(ex, ey, 15, 15, n=16))
    event = log.next("selection")
    assert event["cells"] == []
    box = canvas_box(page)
    assert box["width"] > 500
