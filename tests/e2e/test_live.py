"""The live loop in one open viewer, never reloaded: what Python computes after show comes back
into the page (pbmc68k_reduced, headless Chromium, the real mouse)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import cellucid
from viewer_helpers import as_float32, circle_path, drag, points_in_polygon, screen_positions


@pytest.fixture
def live(page, pbmc68k, open_viewer, event_log):
    """A viewer of a private copy of pbmc68k (the test adds columns to it), open in ``page``."""
    adata = pbmc68k.copy()
    viewer = cellucid.show_anndata(adata, color="louvain")
    log = event_log(viewer)
    open_viewer(page, viewer)
    yield page, viewer, adata, log
    viewer.stop()


def legend(page) -> dict[str, int]:
    items = page.locator("[data-testid=legend-item]")
    return {items.nth(i).get_attribute("data-category"): int(items.nth(i).get_attribute("data-count"))
            for i in range(items.count())}


def menu_options(page, testid: str) -> list[str]:
    return page.eval_on_selector_all(f"[data-testid={testid}] option",
                                     "els => els.filter(e => !e.hidden).map(e => e.textContent)")


def lasso_around_middle(page, log, coords) -> tuple[dict, list[int]]:
    pos = screen_positions(page)
    cx, cy = np.median(pos, axis=0)
    page.keyboard.press("l")
    drag(page, circle_path(cx, cy, 150, 110, n=60))
    event = log.next("selection", predicate=lambda e: e.get("source") == "lasso")
    expected = np.flatnonzero(points_in_polygon(as_float32(coords), event["polygon"])).tolist()
    return event, expected


def test_the_live_loop_in_one_viewer(live, artifacts):
    page, viewer, adata, log = live

    # An obs column added after show: colour by it, the legend lists its categories.
    adata.obs["halves"] = pd.Categorical(np.where(np.arange(adata.n_obs) < 300, "first", "second"))
    viewer.set_color_by("halves")
    assert legend(page) == {"first": 300, "second": 400}
    assert page.locator("[data-testid=legend-title]").inner_text() == "halves"

    # refresh(): the colour-by menu offers a numeric column added after show.
    adata.obs["late_score"] = np.linspace(0, 1, adata.n_obs)
    assert "late_score" not in menu_options(page, "colorby-select")
    viewer.refresh()
    assert "late_score" in menu_options(page, "colorby-select")
    assert legend(page) == {"first": 300, "second": 400}       # what was shown stays

    # Values from Python: a float Series named pyscore gets a colour bar titled pyscore.
    viewer.set_color_by(pd.Series(adata.obs["n_genes"].to_numpy(float), name="pyscore"))
    page.wait_for_selector("[data-testid=colorbar]")
    assert page.locator("[data-testid=colorbar-title]").inner_text() == "pyscore"

    # A string array with name="side": a legend with each category's count.
    side = np.where(adata.obsm["X_umap"][:, 0] < 0, "left", "right")
    viewer.set_color_by(side, name="side")
    assert legend(page) == {"left": int((side == "left").sum()), "right": int((side == "right").sum())}
    assert page.locator("[data-testid=legend-title]").inner_text() == "side"
    page.screenshot(path=str(artifacts / "live_values_side.png"))

    # An embedding added after show: switch to it; a lasso returns exactly its cells inside.
    rng = np.random.default_rng(1)
    adata.obsm["X_new"] = rng.normal(size=(adata.n_obs, 2)).astype(np.float32)
    viewer.set_embedding("X_new")
    assert page.evaluate("document.body.dataset.cellucidEmbedding") == "X_new"
    event, expected = lasso_around_middle(page, log, adata.obsm["X_new"])
    assert 0 < len(expected) < adata.n_obs and event["cells"] == expected

    # Label that selection in the page: it lands in adata.obs, then colour by it.
    page.locator("[data-testid=cellucid-annotate]").click()
    field = page.locator("[data-testid=cellucid-annotate-label]")
    field.fill("lassoed")
    field.press("Enter")
    label = log.next("annotation")
    assert label["label"] == "lassoed" and label["cells"] == expected
    column = adata.obs["cellucid_labels"]
    assert np.flatnonzero(column.astype(object) == "lassoed").tolist() == expected
    assert column.isna().sum() == adata.n_obs - len(expected)
    viewer.set_color_by("cellucid_labels")
    assert legend(page) == {"lassoed": len(expected)}
    page.screenshot(path=str(artifacts / "live_labels.png"))


def test_coordinates_from_python_fit_the_view_and_take_a_lasso(live):
    page, viewer, adata, log = live
    coords = adata.obsm["X_pca"][:, :2] * 100 + 5000      # far from the UMAP's range
    viewer.set_embedding(coords, name="scaled pca")
    event, expected = lasso_around_middle(page, log, coords)
    assert 0 < len(expected) < adata.n_obs and event["cells"] == expected
    assert "scaled pca" in " ".join(menu_options(page, "embedding-select"))


def test_show_only_hides_the_rest_and_fits(live):
    page, viewer, adata, log = live
    subset = np.flatnonzero(adata.obs["louvain"].astype(str) == "0")
    viewer.show_only(subset)
    visible = page.evaluate("window.__cellucid.app.n - window.__cellucid.app.hiddenCount()")
    assert visible == len(subset)
    pos = screen_positions(page)[subset]
    box = page.locator("[data-testid=cellucid-canvas]").bounding_box()
    spread = (pos.max(axis=0) - pos.min(axis=0)) / [box["width"], box["height"]]
    assert spread.max() > 0.5                                  # the subset fills the view
    viewer.show_all()
    assert page.evaluate("window.__cellucid.app.hiddenCount()") == 0


def test_bad_calls_keep_what_is_shown(live):
    page, viewer, adata, log = live
    before = legend(page)
    for bad in (np.zeros(3), np.zeros((adata.n_obs, 2)), ["a", 1] * (adata.n_obs // 2)):
        with pytest.raises(ValueError):
            viewer.set_color_by(bad)
    with pytest.raises(KeyError, match="louvain"):
        viewer.set_color_by("louvian")
    with pytest.raises(ValueError, match="shape"):
        viewer.set_embedding(np.zeros((adata.n_obs, 5)))
    assert legend(page) == before
    viewer.highlight_cells([1, 2, 3])        # the viewer still takes commands
    assert log.next("command_result")["ok"] is True


def test_a_selection_hook_clusters_and_the_page_shows_it(live):
    """A real analysis: cluster the selected cells on their neighbours graph in the hook, push
    the clusters as a new obs column, and the page colours by it."""
    sc = pytest.importorskip("scanpy")
    page, viewer, adata, log = live
    done = {}

    @viewer.on_selection
    def recluster(event):
        cells = event["cells"]
        if len(cells) < 30:
            return
        sub = adata[cells].copy()
        try:
            sc.tl.leiden(sub, resolution=0.5, key_added="sub", flavor="igraph", n_iterations=2)
            labels = sub.obs["sub"].astype(str).to_numpy()
        except ImportError:     # leiden's optional dependency is missing: k-means instead
            from scipy.cluster.vq import kmeans2
            _, codes = kmeans2(sub.obsm["X_pca"][:, :10].astype(float), 3, seed=0, minit="++")
            labels = codes.astype(str)
        column = pd.Series(pd.NA, index=adata.obs_names, dtype=object)
        column.iloc[cells] = labels
        adata.obs["leiden_sub"] = pd.Categorical(column)
        viewer.set_color_by("leiden_sub")
        done["labels"] = labels

    event, expected = lasso_around_middle(page, log, adata.obsm["X_umap"])
    assert event["cells"] == expected and len(expected) >= 30
    viewer.wait_for_callbacks(60)
    counts = pd.Series(done["labels"]).value_counts().to_dict()
    assert len(counts) >= 2 and legend(page) == counts
