"""Every command from Python visibly takes effect in the page and is acknowledged."""

from __future__ import annotations

import numpy as np
import pytest

import cellucid
from viewer_helpers import (as_float32, background_fraction, canvas_pixels, circle_path, count_color,
                            drag, points_in_polygon, screen_positions)

MAGENTA = (255, 0, 255)


def acks(log):
    return [e for e in log.drain() + log.seen if e.get("event") == "command_result"]


def test_screenshot_2d_categorical_with_legend(ready, artifacts):
    page = ready
    assert page.locator("[data-testid=legend-item]").count() == 10
    assert page.locator("[data-testid=legend-item][data-category='CD14+ Monocyte'] .count").inner_text() == "129"
    page.screenshot(path=str(artifacts / "viewer_2d_categorical.png"))
    assert background_fraction(canvas_pixels(page)) < 0.97


def test_highlight_and_clear(ready, viewer, pbmc68k, artifacts):
    page, log = ready, ready.cellucid_events
    assert count_color(canvas_pixels(page), MAGENTA, tol=30) == 0
    cells = np.flatnonzero(pbmc68k.obs["bulk_labels"].astype(str) == "CD14+ Monocyte")
    name = viewer.highlight_cells(cells, color="#ff00ff", name="monocytes")
    assert name == "monocytes"
    ack = log.next("command_result")
    assert ack["ok"] is True
    page.wait_for_selector("#highlights:not([hidden])")
    assert count_color(canvas_pixels(page), MAGENTA, tol=30) > 200
    viewer.select(np.flatnonzero(pbmc68k.obs["bulk_labels"].astype(str) == "CD19+ B"))
    page.screenshot(path=str(artifacts / "viewer_highlight_and_selection.png"))
    viewer.select([])
    viewer.highlight_cells([0, 1, 2], color="#00ff00")
    viewer.clear_highlights("monocytes")
    page.wait_for_selector("#highlights li >> nth=0")
    assert page.locator("#highlights li").count() == 1
    assert count_color(canvas_pixels(page), MAGENTA, tol=30) == 0
    viewer.clear_highlights()
    page.wait_for_selector("#highlights", state="hidden")


def test_set_color_by_gene_recolours(ready, viewer, artifacts):
    page = ready
    before = canvas_pixels(page)
    viewer.set_color_by("CST3")
    page.wait_for_selector("[data-testid=colorbar]")
    assert page.locator("[data-testid=legend]").is_hidden()
    after = canvas_pixels(page)
    assert (np.abs(before.astype(int) - after.astype(int)).max(axis=2) > 30).sum() > 500
    page.screenshot(path=str(artifacts / "viewer_gene_CST3.png"))
    viewer.set_color_by("louvain")
    page.wait_for_selector("[data-testid=legend-item]")
    assert page.locator("[data-testid=legend] .panel-title").inner_text() == "louvain"
    assert page.locator("#colorby").input_value() == "louvain"


def test_set_color_by_continuous_obs(ready, viewer):
    page = ready
    viewer.set_color_by("n_genes")
    page.wait_for_selector("[data-testid=colorbar]")
    assert page.locator("#colorbar .panel-title").inner_text() == "n_genes"


def test_visibility_hides_and_shows(ready, viewer):
    page = ready
    viewer.set_visibility(None, visible=False)
    # Only the small status text ("700 cells") is left over the canvas.
    assert background_fraction(canvas_pixels(page)) > 0.998
    viewer.set_visibility(None, visible=True)
    assert background_fraction(canvas_pixels(page)) < 0.97


def test_hidden_cells_are_not_selected(ready, viewer, pbmc68k):
    page, log = ready, ready.cellucid_events
    hidden = list(range(0, 700, 2))
    viewer.set_visibility(hidden, visible=False)
    box = page.locator("[data-testid=cellucid-canvas]").bounding_box()
    page.keyboard.press("l")
    drag(page, [(box["x"] + 5, box["y"] + 5), (box["x"] + box["width"] - 5, box["y"] + 5),
                (box["x"] + box["width"] - 5, box["y"] + box["height"] - 5),
                (box["x"] + 5, box["y"] + box["height"] - 5)], steps_between=10)
    event = log.next("selection")
    assert event["cells"] == list(range(1, 700, 2))


def test_select_from_python_emits_selection(ready, viewer):
    log = ready.cellucid_events
    before = canvas_pixels(ready)
    viewer.select([5, 3, 9])
    # Unselected cells dim: the picture changes.
    after = canvas_pixels(ready)
    assert (np.abs(before.astype(int) - after.astype(int)).max(axis=2) > 30).sum() > 500
    event = log.next("selection", predicate=lambda e: e["source"] == "python")
    assert event["cells"] == [3, 5, 9] and event["mode"] == "replace"
    assert ready.locator("#status").inner_text().endswith("3 selected")


def test_embedding_switch_and_reset_view(ready, viewer):
    page = ready
    start = page.evaluate("window.__cellucid.camera()")
    start_pixels = canvas_pixels(page)
    box = page.locator("[data-testid=cellucid-canvas]").bounding_box()
    page.mouse.move(box["x"] + 200, box["y"] + 200)
    page.mouse.wheel(0, -400)
    # The wheel event reaches the page on its own time: wait for the zoom it makes.
    page.wait_for_function("s => window.__cellucid.camera().scale > s * 1.5", arg=start["scale"])
    # Zoom keeps the data point under the cursor in place.
    drag(page, [(box["x"] + 300, box["y"] + 300), (box["x"] + 350, box["y"] + 320)], steps_between=5)
    viewer.reset_view()
    assert page.evaluate("window.__cellucid.camera()") == pytest.approx(start)
    before = canvas_pixels(page)
    assert (np.abs(before.astype(int) - start_pixels.astype(int)).max(axis=2) > 30).sum() < 50
    viewer.set_embedding("X_pca")
    assert page.locator("body").get_attribute("data-cellucid-embedding") == "X_pca"
    assert page.locator("#embedding").input_value() == "X_pca"
    after = canvas_pixels(page)
    assert (np.abs(before.astype(int) - after.astype(int)).max(axis=2) > 30).sum() > 500


def test_zoom_is_anchored_at_the_cursor(ready):
    page = ready
    box = page.locator("[data-testid=cellucid-canvas]").bounding_box()
    sx, sy = 180.0, 140.0
    before = page.evaluate(f"window.__cellucid.unproject({sx}, {sy})")
    scale = page.evaluate("window.__cellucid.camera().scale")
    page.mouse.move(box["x"] + sx, box["y"] + sy)
    page.mouse.wheel(0, -300)
    # Only a zoom that happened can show the anchor held: wait for it.
    page.wait_for_function("s => window.__cellucid.camera().scale > s * 1.2", arg=scale)
    after = page.evaluate(f"window.__cellucid.unproject({sx}, {sy})")
    assert after == pytest.approx(before, abs=1e-6)


def test_custom_message_and_ping(ready, viewer):
    page = ready
    page.evaluate("""() => { window.__got = []; window.addEventListener('cellucid-command', (e) => window.__got.push(e.detail)); }""")
    viewer.send_message({"type": "my_extension", "value": 42})
    got = page.evaluate("window.__got")
    assert got and got[0]["type"] == "my_extension" and got[0]["value"] == 42
    report = viewer.debug_connection()
    assert report["ok"] is True and report["ping_ms"] is not None
    snap = report["snapshot"]
    assert snap["webgl"] and snap["connected"] is True
    assert "viewerToken=[redacted]" in snap["href"]


def test_session_bundle_holds_groups_and_selection(ready, viewer):
    viewer.highlight_cells([1, 2, 3], color="#ff00ff", name="a")
    viewer.highlight_cells(list(range(100, 300)), color="#00ffff", name="b")
    viewer.select([7, 8])
    bundle = viewer.get_session_bundle(timeout=20)
    groups = {g.name: g for g in bundle.highlight_groups}
    assert set(groups) == {"a", "b"}
    assert list(groups["a"].cells) == [1, 2, 3] and groups["a"].color == "#ff00ff"
    assert list(groups["b"].cells) == list(range(100, 300))
    assert list(bundle.selection) == [7, 8]
    assert bundle.embedding == "X_umap"


def lasso_around(page, side: str) -> None:
    """Draw a lasso (real mouse) around a cell in the middle of the ``left``/``right`` half."""
    pos = screen_positions(page)
    left = pos[:, 0] < np.median(pos[:, 0])
    half = pos[left if side == "left" else ~left]
    centre = np.median(half, axis=0)
    cx, cy = half[np.argmin(np.hypot(*(half - centre).T))]
    drag(page, circle_path(cx, cy, 60, 60, n=40))


def hex_rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i:i + 2], 16) for i in (1, 3, 5))


def test_user_makes_highlight_groups_and_removes_one(ready, viewer):
    page, log = ready, ready.cellucid_events
    groups = page.locator("#highlights li")
    page.keyboard.press("h")
    toast = page.locator("#toast")
    toast.wait_for(state="visible")
    assert toast.inner_text() == "select cells first" and groups.count() == 0

    page.keyboard.press("l")
    lasso_around(page, "left")
    first = log.next("selection", predicate=lambda e: e["source"] == "lasso")["cells"]
    # Typing "h" in the gene search box makes no group.
    page.locator("[data-testid=gene-search]").type("h")
    assert page.locator("[data-testid=gene-search]").input_value() == "h"
    assert page.evaluate("window.__cellucid.app.highlights.size") == 0
    page.locator("[data-testid=gene-search]").fill("")
    page.locator("[data-testid=cellucid-canvas]").focus()
    before = canvas_pixels(page)
    page.keyboard.press("h")
    log.next("selection", predicate=lambda e: e["source"] == "clear")
    groups.first.wait_for()

    lasso_around(page, "right")
    second = log.next("selection", predicate=lambda e: e["source"] == "lasso" and e["mode"] == "replace")["cells"]
    page.locator("[data-testid=action-highlight]").click()
    log.next("selection", predicate=lambda e: e["source"] == "clear")
    groups.nth(1).wait_for()
    assert first and second and first != second

    bundle = viewer.get_session_bundle(timeout=20)
    assert [(g.name, list(g.cells)) for g in bundle.highlight_groups] == [("group 1", first), ("group 2", second)]
    colors = [g.color for g in bundle.highlight_groups]
    assert colors[0] != colors[1]
    assert list(bundle.selection) == []
    after = canvas_pixels(page)
    for color in colors:
        assert count_color(before, hex_rgb(color), tol=30) == 0
        assert count_color(after, hex_rgb(color), tol=30) > 50

    remove = page.get_by_role("button", name="Remove highlight group group 1")
    assert remove.get_attribute("data-testid") == "highlight-remove"
    remove.click()
    page.wait_for_selector("#highlights li[data-group='group 1']", state="detached")
    bundle = viewer.get_session_bundle(timeout=20)
    assert [(g.name, list(g.cells)) for g in bundle.highlight_groups] == [("group 2", second)]
    assert count_color(canvas_pixels(page), hex_rgb(colors[0]), tol=30) == 0


def test_3d_embedding_orbit_and_lasso(page, pbmc68k, open_viewer, event_log, artifacts):
    adata = pbmc68k.copy()
    adata.obsm["X_umap_3d"] = np.asarray(adata.obsm["X_pca"][:, :3], dtype=np.float32)
    viewer = cellucid.show_anndata(adata, embedding="X_umap_3d")
    try:
        log = event_log(viewer)
        open_viewer(page, viewer)
        ready = log.next("ready")
        assert ready["dimensions"] == 3 and ready["embedding"] == "X_umap_3d"
        box = page.locator("[data-testid=cellucid-canvas]").bounding_box()
        cam0 = page.evaluate("window.__cellucid.camera()")
        drag(page, [(box["x"] + 300, box["y"] + 300), (box["x"] + 380, box["y"] + 260)], steps_between=8)
        cam1 = page.evaluate("window.__cellucid.camera()")
        assert cam1["yaw"] != cam0["yaw"] and cam1["pitch"] != cam0["pitch"]
        page.screenshot(path=str(artifacts / "viewer_3d.png"))
        assert background_fraction(canvas_pixels(page)) < 0.98
        # A lasso in 3D selects the cells whose projection lies inside the screen loop.
        page.keyboard.press("l")
        cx, cy = box["width"] / 2, box["height"] / 2
        loop = circle_path(cx, cy, 150, 110, n=60)
        drag(page, [(box["x"] + x, box["y"] + y) for x, y in loop])
        event = log.next("selection")
        m = np.asarray(page.evaluate("Array.from(window.__cellucid.app.camera.viewProjection())"), dtype=np.float64).reshape(4, 4).T
        xyz = as_float32(adata.obsm["X_umap_3d"])
        clip = np.c_[xyz, np.ones(len(xyz))] @ m.T
        sx = (clip[:, 0] / clip[:, 3] + 1) / 2 * box["width"]
        sy = (1 - clip[:, 1] / clip[:, 3]) / 2 * box["height"]
        inside = points_in_polygon(np.c_[sx, sy], np.asarray(loop))
        got = set(event["cells"])
        exp = set(np.flatnonzero(inside).tolist())
        # The page simplifies the loop (≤ 0.5 px); cells within a pixel of the edge may differ.
        assert len(got ^ exp) <= max(2, len(exp) // 100)
        assert len(event["polygon"][0]) == 3
        viewer.reset_view()
        assert page.evaluate("window.__cellucid.camera()")["yaw"] == pytest.approx(cam0["yaw"])
    finally:
        viewer.stop()


def test_freeze_on_stop(ready, viewer):
    page = ready
    viewer.stop("Stopped by the test.")
    page.wait_for_selector("#frozen:not([hidden])")
    assert "Stopped by the test." in page.locator("#frozen").inner_text()
    assert page.locator("[data-testid=session-ended]").is_hidden()


def test_gene_search_box_and_ui_controls(ready, viewer):
    page = ready
    box = page.locator("[data-testid=gene-search]")
    box.click()
    box.type("CST")
    page.wait_for_selector("#gene-suggestions li")
    names = page.locator("#gene-suggestions li").all_inner_texts()
    assert "CST3" in names
    box.press("Enter")
    page.wait_for_selector("[data-testid=colorbar]")
    assert page.locator("#colorbar .panel-title").inner_text() == "CST3 (gene)"
    page.locator("[data-testid=colorby-select]").select_option("louvain")
    page.wait_for_selector("[data-testid=legend-item]")
    assert page.locator("[data-testid=legend] .panel-title").inner_text() == "louvain"
    page.locator("[data-testid=embedding-select]").select_option("X_pca")
    page.wait_for_selector("body[data-cellucid-embedding='X_pca']", state="attached")
    page.locator("[data-testid=tool-lasso]").click()
    assert page.locator("[data-testid=cellucid-canvas]").get_attribute("data-tool") == "lasso"
    page.keyboard.press("k")
    assert page.locator("[data-testid=tool-knn]").get_attribute("class") == "tool active"


@pytest.mark.parametrize("color, title", [("louvain", "louvain"), ("CST3", "CST3")])
def test_color_from_python_is_the_first_colouring(page, pbmc68k, open_viewer, color, title):
    viewer = cellucid.show_anndata(pbmc68k, color=color)
    try:
        open_viewer(page, viewer)
        assert page.locator("#colorby").input_value().endswith(color)
        panel = "[data-testid=legend]" if color == "louvain" else "#colorbar"
        assert page.locator(f"{panel} .panel-title").inner_text().startswith(title)
        assert not [line for line in page.cellucid_logs if "cannot colour" in line]
    finally:
        viewer.stop()
