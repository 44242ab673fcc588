"""At a million cells: a lasso around everything delivers every cell to the Python callback."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import cellucid
from viewer_helpers import clustered_points, drag

N = 1_000_000


@pytest.fixture(scope="module")
def million():
    ad = pytest.importorskip("anndata")
    import pandas as pd

    coords, labels = clustered_points(np.random.default_rng(7), N, 2)
    adata = ad.AnnData(sp.csr_matrix((N, 4), dtype=np.float32))
    adata.obsm["X_umap"] = coords
    adata.obs["cluster"] = pd.Categorical([f"c{i}" for i in labels])
    return adata


def test_lasso_around_a_million_cells_delivers_them_all(page, million, open_viewer, event_log):
    viewer = cellucid.show_anndata(million)
    try:
        log = event_log(viewer)
        open_viewer(page, viewer, timeout=120)
        assert log.next("ready", timeout=60)["n_cells"] == N
        box = page.locator("[data-testid=cellucid-canvas]").bounding_box()
        x0, y0 = box["x"] + 3, box["y"] + 3
        x1, y1 = box["x"] + box["width"] - 3, box["y"] + box["height"] - 3
        page.keyboard.press("l")
        drag(page, [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0 + 1)], steps_between=4)
        event = log.next("selection", timeout=120)
        assert event["source"] == "lasso"
        cells = event["cells"]
        assert len(cells) == N
        assert cells[0] == 0 and cells[-1] == N - 1
        # Large cell lists from Python arrive as bitmasks and are decoded by the page.
        viewer.highlight_cells(np.arange(0, N, 3), color="#ff00ff", name="every third")
        count = page.evaluate("window.__cellucid.app.highlights.get('every third').cells.length")
        assert count == len(range(0, N, 3))
        viewer.select(np.arange(1, N, 2))
        echoed = log.next("selection", timeout=120, predicate=lambda e: e["source"] == "python")
        assert len(echoed["cells"]) == N // 2 and echoed["cells"][:2] == [1, 3]
    finally:
        viewer.stop()
