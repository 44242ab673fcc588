"""Above the point budget: the page draws a sample by level of detail, the kernel answers exactly.

Two million cells shown with a budget of 20,000: the page draws about 1 % of them. A lasso drawn
with the mouse reaches Python with exactly the cells inside it over all two million (numpy ground
truth), undrawn ones included; colouring by a gene colours the drawn cells with their own values,
fetched for the drawn tiles only; zooming in draws more cells of the region looked at; a 3-D lasso
is exact too; a refused selection and an unreadable tile are said in the page, which keeps
working.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import cellucid
from viewer_helpers import canvas_box, clustered_points, circle_path, drag, points_in_polygon

N = 2_000_000
BUDGET = 20_000
SETTLED = "body[data-cellucid-tiles-pending='0']"


@pytest.fixture(scope="module")
def atlas():
    ad = pytest.importorskip("anndata")
    import pandas as pd

    xyz, labels = clustered_points(np.random.default_rng(11), N, 3)
    genes = sp.random(N, 3, density=0.3, format="csr", dtype=np.float32, random_state=3)
    adata = ad.AnnData(genes)
    adata.var_names = ["g0", "g1", "g2"]
    adata.obsm["X_umap"] = np.ascontiguousarray(xyz[:, :2])
    adata.obsm["X_3d"] = xyz
    adata.obs["cluster"] = pd.Categorical.from_codes(labels, [f"c{i}" for i in range(12)])
    return adata


@pytest.fixture(scope="module")
def viewer(atlas):
    v = cellucid.show_anndata(atlas, point_budget=BUDGET)
    yield v
    v.stop()


def open_settled(page, viewer, open_viewer):
    open_viewer(page, viewer, timeout=120)
    page.wait_for_selector(SETTLED, state="attached", timeout=60_000)


def drawn(page) -> dict:
    """The cells the page draws: obs rows, positions (x, y, z), the tile state."""
    state = page.evaluate("""() => { const c = window.__cellucid, s = c.app.scene;
        return {rows: Array.from(s.rows), pos: Array.from(s.positions), tiles: c.tiles()}; }""")
    state["rows"] = np.asarray(state["rows"], dtype=np.int64)
    state["pos"] = np.asarray(state["pos"], dtype=np.float64).reshape(-1, 3)
    return state


def test_a_lasso_above_the_budget_is_exact_over_every_cell(page, viewer, atlas, open_viewer,
                                                          event_log):
    log = event_log(viewer, page)
    open_settled(page, viewer, open_viewer)
    shown = drawn(page)
    assert 0.5 * BUDGET <= len(shown["rows"]) <= BUDGET, "the page draws the budget, not all"
    box = canvas_box(page)
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.keyboard.press("l")
    drag(page, circle_path(cx - 60, cy + 20, 170, 120), steps_between=2)
    event = log.next("selection", timeout=60)
    assert event["source"] == "lasso" and event["mode"] == "replace"
    truth = np.flatnonzero(points_in_polygon(atlas.obsm["X_umap"], event["polygon"]))
    assert len(truth) > 100_000
    assert event["cells"] == truth.tolist()
    undrawn = np.setdiff1d(truth, shown["rows"])
    assert len(undrawn) > 0.9 * len(truth), "most of the cells inside were never drawn"
    # The page shows the kernel's selection in the tiles it draws.
    page.wait_for_function(f"() => window.__cellucid.app.selection.count === {len(truth)}")
    marked = page.evaluate("""() => { const s = window.__cellucid.app.scene;
        return Array.from(s.selected, (v) => s.rows[v]); }""")
    assert sorted(marked) == np.intersect1d(truth, drawn(page)["rows"]).tolist()
    # A shift-lasso adds, resolved in the kernel too.
    page.keyboard.down("Shift")
    drag(page, circle_path(cx + 220, cy - 120, 60, 60), steps_between=2)
    page.keyboard.up("Shift")
    added = log.next("selection", timeout=60)
    extra = np.flatnonzero(points_in_polygon(atlas.obsm["X_umap"], added["polygon"]))
    assert added["mode"] == "add"
    assert added["cells"] == np.union1d(truth, extra).tolist()


def test_colour_by_a_gene_fetches_and_shows_the_drawn_tiles_only(page, viewer, atlas,
                                                                 open_viewer):
    open_settled(page, viewer, open_viewer)
    asked = []
    page.on("request", lambda r: asked.append(r.url) if "tiles/gene" in r.url else None)
    viewer.set_color_by("g1")
    state = drawn(page)
    values = np.asarray(page.evaluate("Array.from(window.__cellucid.app.scene.values)"))
    column = atlas[:, "g1"].X.toarray().ravel()
    lo, hi = float(column.min()), float(column.max())
    expected = np.clip((column[state["rows"]] - lo) / (hi - lo), 0, 1)
    np.testing.assert_allclose(values, expected, atol=1e-6)
    assert page.evaluate("document.body.dataset.cellucidColorBy") == "g1"
    fetched = set()
    for url in asked:
        query = url.split("tiles=")[1].split("&")[0]
        for part in query.split("%2C"):
            a, _, b = part.partition("-")
            fetched.update(range(int(a), int(b or a) + 1))
    assert fetched and fetched <= set(state["tiles"]["wanted"]), "only tiles the view draws"


def test_zooming_in_draws_more_cells_of_the_view(page, viewer, atlas, open_viewer):
    open_settled(page, viewer, open_viewer)
    before = drawn(page)
    box = canvas_box(page)
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    for _ in range(5):
        page.mouse.wheel(0, -300)
    page.wait_for_timeout(200)
    page.wait_for_selector(SETTLED, state="attached", timeout=60_000)
    after = drawn(page)
    view = page.evaluate("""() => { const c = window.__cellucid.app.camera;
        return [c.unproject(0, 0), c.unproject(c.width, c.height)]; }""")
    (x0, y1), (x1, y0) = view[0][:2], view[1][:2]

    def inside(state):
        p = state["pos"]
        return int(((p[:, 0] >= x0) & (p[:, 0] <= x1) & (p[:, 1] >= y0) & (p[:, 1] <= y1)).sum())
    assert inside(after) > 3 * inside(before)
    assert len(after["rows"]) <= BUDGET
    assert after["tiles"]["budget"] <= BUDGET


def test_a_3d_lasso_above_the_budget_is_exact(page, viewer, atlas, open_viewer, event_log):
    log = event_log(viewer, page)
    open_settled(page, viewer, open_viewer)
    viewer.set_embedding("X_3d")
    page.wait_for_selector("body[data-cellucid-dims='3']", state="attached")
    page.wait_for_selector(SETTLED, state="attached", timeout=60_000)
    box = canvas_box(page)
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.keyboard.press("l")
    drag(page, circle_path(cx, cy, 150, 110), steps_between=2)
    event = log.next("selection", timeout=60)
    screen = event["screen"]
    m = np.asarray(screen["viewProjection"], dtype=np.float64)
    xyz = atlas.obsm["X_3d"].astype(np.float64)
    clip = [m[r] * xyz[:, 0] + m[4 + r] * xyz[:, 1] + m[8 + r] * xyz[:, 2] + m[12 + r]
            for r in (0, 1, 3)]
    front = clip[2] > 0
    sx = (clip[0] / np.where(front, clip[2], 1) + 1) / 2 * screen["width"]
    sy = (1 - clip[1] / np.where(front, clip[2], 1)) / 2 * screen["height"]
    truth = np.flatnonzero(points_in_polygon(np.c_[sx, sy], screen["polygon"]) & front)
    assert len(truth) > 10_000
    assert event["cells"] == truth.tolist()
    assert event["embedding"] == "X_3d"


def test_a_refused_step_is_said_in_the_page_which_keeps_working(page, viewer, open_viewer,
                                                                event_log):
    log = event_log(viewer, page)
    open_settled(page, viewer, open_viewer)
    page.evaluate("""() => window.__cellucid.bridge.send("selection",
        {source: "lasso", mode: "replace", polygon: [[0, 0], [1, 1]], embedding: "X_umap"})""")
    toast = page.get_by_test_id("toast")
    toast.wait_for(timeout=10_000)
    assert "2 point(s); a polygon needs at least 3" in toast.inner_text()
    page.evaluate("""() => window.__cellucid.bridge.send("selection",
        {source: "lasso", mode: "replace", polygon: [[-1, -1], [1, -1], [1, 1]],
         embedding: "X_umap"})""")
    assert len(log.next("selection", timeout=30)["cells"]) > 0


def test_an_unreadable_tile_is_named_in_the_page_and_the_view_keeps_working(
        page, atlas, open_viewer, tmp_path):
    from cellucid.data import tiled_writer
    small = atlas[:60_000].copy()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(tiled_writer, "LEVEL_BASE", 2_000)
        patch.setattr(tiled_writer, "TILE_CELLS", 2_000)
        out = cellucid.prepare(small, tmp_path / "small.cellucid", progress=False)
    manifest = json.loads((Path(out) / "manifest.json").read_text())
    positions = Path(out) / next(e["file"] for e in manifest["embeddings"]
                                 if e["name"] == "X_umap")
    data = positions.read_bytes()
    positions.write_bytes(data[:len(data) // 3])   # level 0 stays readable, deeper tiles not
    viewer = cellucid.show(out, point_budget=BUDGET)
    try:
        open_viewer(page, viewer, timeout=60)
        toast = page.get_by_test_id("toast")
        toast.wait_for(timeout=20_000)
        assert "tile" in toast.inner_text() and "truncated" in toast.inner_text()
        assert page.evaluate("window.__cellucid.app.scene.n") >= 2_000
        viewer.set_color_by("cluster")   # the open view still takes commands
    finally:
        viewer.stop()


def test_hover_and_click_pick_among_the_drawn_cells(page, viewer, open_viewer, event_log):
    log = event_log(viewer, page)
    open_settled(page, viewer, open_viewer)
    box = canvas_box(page)
    spot = page.evaluate("""() => { const a = window.__cellucid.app;
        for (let y = 100; y < a.camera.height - 100; y += 7)
          for (let x = 100; x < a.camera.width - 100; x += 7) {
            const cell = a.pick(x, y); if (cell >= 0) return {x, y, cell}; }
        return null; }""")
    assert spot is not None
    rows = drawn(page)["rows"]
    assert spot["cell"] in rows
    page.mouse.move(box["x"] + spot["x"], box["y"] + spot["y"])
    hovered = log.next("hover", timeout=20, predicate=lambda e: e["cell"] is not None)
    page.mouse.click(box["x"] + spot["x"], box["y"] + spot["y"])
    clicked = log.next("click", timeout=20)
    assert clicked["cell"] == hovered["cell"] and clicked["cell"] in rows
    selected = log.next("selection", timeout=20)
    assert selected["source"] == "click" and selected["cells"] == [clicked["cell"]]


def test_a_budget_in_the_url_lowers_it_and_a_bad_one_is_refused_in_the_page(page, viewer):
    page.goto(viewer.viewer_url + "&pointBudget=5000")
    page.wait_for_selector(SETTLED, state="attached", timeout=60_000)
    assert page.evaluate("window.__cellucid.tiles().budget") == 5000
    assert drawn(page)["rows"].size <= 5000
    page.goto(viewer.viewer_url + "&pointBudget=0")
    page.wait_for_selector("body[data-cellucid-ready='1']", state="attached", timeout=60_000)
    toast = page.get_by_test_id("toast")
    toast.wait_for(timeout=10_000)
    assert "pointBudget=0" in toast.inner_text() and "≥ 1" in toast.inner_text()
    assert page.evaluate("window.__cellucid.tiles().budget") <= BUDGET


def test_a_legend_category_and_highlight_go_through_the_kernels_sets(page, viewer, atlas,
                                                                     open_viewer, event_log):
    log = event_log(viewer, page)
    open_settled(page, viewer, open_viewer)
    page.locator("[data-testid=legend-item][data-category='c3']").click()
    picked = log.next("selection", timeout=30)
    truth = np.flatnonzero(atlas.obs["cluster"].cat.codes.to_numpy() == 3)
    assert picked["source"] == "annotation" and picked["cells"] == truth.tolist()
    page.wait_for_function(f"() => window.__cellucid.app.selection.count === {len(truth)}")
    page.keyboard.press("h")
    kept = log.next("mask", timeout=30)
    assert kept["name"] == "group:group 1" and kept["cells"] == truth.tolist()
    assert log.next("selection", timeout=30)["source"] == "clear"
    group = page.locator("#highlights li[data-group='group 1']")
    group.wait_for(timeout=10_000)
    assert f"{len(truth):,}" in group.inner_text()
    page.wait_for_function("""() => { const s = window.__cellucid.app.scene;
        return s && s.groups.get('group:group 1') && s.groups.get('group:group 1').length > 0; }""")
    drawn_group = page.evaluate("""() => { const s = window.__cellucid.app.scene;
        return Array.from(s.groups.get('group:group 1'), (v) => s.rows[v]); }""")
    assert set(drawn_group) <= set(truth.tolist())
