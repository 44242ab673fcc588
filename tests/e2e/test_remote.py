"""A remote export in the browser: pbmc68k_reduced prepared, served over loopback HTTP, shown by
URL; colour by a gene, lasso with the mouse, the hook gets exactly the cells inside — and only a
small part of the export travels."""

from __future__ import annotations

import queue

import numpy as np
import pytest

from tests.range_server import RangeServer
from viewer_helpers import as_float32, circle_path, drag, points_in_polygon, screen_positions

pytest.importorskip("fsspec")
pytest.importorskip("aiohttp")


def test_remote_export_colour_by_gene_and_lasso(page, open_viewer, event_log, pbmc68k, tmp_path,
                                                monkeypatch, artifacts):
    import cellucid
    monkeypatch.setenv("CELLUCID_CACHE_DIR", str(tmp_path / "cache"))
    export = cellucid.prepare(pbmc68k, tmp_path / "site" / "pbmc.cellucid", progress=False)
    total = sum(p.stat().st_size for p in export.rglob("*") if p.is_file())
    with RangeServer(tmp_path / "site") as server:
        viewer = cellucid.show(f"{server.url}/pbmc.cellucid")
        try:
            selections: queue.Queue = queue.Queue()
            viewer.on_selection(selections.put)
            log = event_log(viewer)
            open_viewer(page, viewer)
            assert log.next("ready")["n_cells"] == 700

            viewer.set_color_by("CST3")   # returns once the page acknowledged it
            assert viewer.pending_commands == []
            page.wait_for_selector("[data-testid=colorbar]")
            assert page.locator("#colorbar .panel-title").inner_text() == "CST3 (gene)"
            gene_reads = [r for p, r, _ in server.counters.log if "/genes/000/block_" in p]
            assert len(gene_reads) == 1 and gene_reads[0].startswith("bytes=")

            xy = as_float32(pbmc68k.obsm["X_umap"])
            pos = screen_positions(page)
            page.keyboard.press("l")
            cx, cy = np.median(pos, axis=0)
            drag(page, circle_path(cx, cy, 170, 120, n=80))
            event = log.next("selection")
            assert event["source"] == "lasso"
            expected = np.flatnonzero(points_in_polygon(xy, event["polygon"])).tolist()
            assert 0 < len(expected) < 700
            hooked = selections.get(timeout=20)
            assert hooked["cells"] == expected and hooked["source"] == "lasso"
            page.screenshot(path=str(artifacts / "viewer_remote_CST3_lasso.png"))
        finally:
            viewer.stop()
    # the page read coordinates, the obs column it opened with and one gene: a small part
    assert server.counters.bytes < total / 10, (server.counters.bytes, total)
