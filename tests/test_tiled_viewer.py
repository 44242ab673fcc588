"""A viewer above its point budget, as its page sees it over HTTP: the tile API, selection steps
resolved in the kernel over every cell, the sets of cells the kernel holds, commands that name
those sets, and the errors each bad input gets (server/tile_api.py, session/selection_state.py)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import cellucid
from cellucid.server.tile_api import format_tiles, parse_tiles
from cellucid.session.tiled_view import one_d_jitter, order_sizes

from .viewer_client import PageClient
from .waiting import until

N = 30_000
BUDGET = 2_000
WEB = Path(cellucid.__file__).parent / "web"


@pytest.fixture(scope="module")
def atlas():
    ad = pytest.importorskip("anndata")
    rng = np.random.default_rng(5)
    adata = ad.AnnData(sp.random(N, 4, density=0.2, format="csr", dtype=np.float32,
                                 random_state=1))
    adata.var_names = [f"G{i}" for i in range(4)]
    adata.obsm["X_umap"] = rng.normal(size=(N, 2)).astype(np.float32)
    adata.obsm["X_3d"] = rng.normal(size=(N, 3)).astype(np.float32)
    adata.obsm["X_line"] = rng.normal(size=(N, 1)).astype(np.float32)
    adata.obs["cluster"] = pd.Categorical(rng.choice(list("abc"), N))
    adata.obs["barcode"] = [f"cell{i}" for i in range(N)]
    rows = np.repeat(np.arange(N), 3)
    nn = sp.csr_matrix((np.ones(3 * N, np.float32), (rows, rng.integers(0, N, 3 * N))),
                       shape=(N, N))
    adata.obsp["connectivities"] = (nn + nn.T).tocsr()
    return adata


@pytest.fixture
def tiled(atlas, capsys):
    viewer = cellucid.show_anndata(atlas, point_budget=BUDGET)
    capsys.readouterr()
    page = PageClient(viewer)
    yield viewer, page
    page.close()
    viewer.stop()


def get(page, path, **params):
    v = page.viewer
    return page.http.get(f"_cellucid/{path}", params={"viewerId": v.viewer_id,
                                                      "viewerToken": v.viewer_token, **params})


def array(reply, dtype):
    assert reply.status_code == 200, reply.text
    return np.frombuffer(reply.content, dtype=dtype)


def selection_of(viewer, page, **step):
    got = []
    viewer.on_selection(got.append)
    reply = page.post("selection", **step)
    assert reply.status_code == 200, reply.text
    viewer.wait_for_callbacks()
    viewer.off("selection")
    return got[-1]


def test_tile_lists_are_ranges_ascending_once():
    assert parse_tiles("7,0-2,2,5") == [0, 1, 2, 5, 7]
    assert format_tiles([0, 1, 2, 5, 7, 8]) == "0-2,5,7-8"
    for bad, words in [(None, "missing"), ("", "missing"), ("1,,2", "ranges such as"),
                       ("a-b", "ranges such as"), ("5-2", "end comes before"),
                       ("0-999999999", "more tiles")]:
        with pytest.raises(Exception, match=words):
            parse_tiles(bad)


def test_the_budget_decides_and_sizes_the_order(atlas, capsys):
    assert order_sizes(1_000_000) == {"base": 65_536, "tile_size": 65_536}
    assert order_sizes(20_000) == {"base": 2_500, "tile_size": 2_500}
    for bad in (0, -5, 2.5, True, "10"):
        with pytest.raises(ValueError, match="point_budget must be a whole number of cells ≥ 1"):
            cellucid.show_anndata(atlas, point_budget=bad)
    small = cellucid.show_anndata(atlas, point_budget=N)
    try:
        assert small._session.options["tiled"] is False   # every cell fits: today's path
    finally:
        small.stop()
    capsys.readouterr()


def test_the_tile_api_gives_each_tiles_cells(tiled, atlas):
    viewer, page = tiled
    info = page.http.get("_cellucid/info", params={"viewerId": viewer.viewer_id,
                                                   "viewerToken": viewer.viewer_token}).json()
    assert info["tiled"] is True and info["pointBudget"] == BUDGET
    index = get(page, "tiles/index").json()
    starts = np.asarray(index["starts"])
    assert starts[-1] == N and index["level_starts"][1] <= BUDGET // 8 + 100
    rows = array(get(page, "tiles/rows", tiles="0-2,5"), np.uint32)
    assert len(rows) == (starts[3] - starts[0]) + (starts[6] - starts[5])
    reply = get(page, "tiles/positions", embedding="X_umap", tiles="5,0-2")
    assert reply.headers["x-cellucid-tiles"] == "0-2,5"
    np.testing.assert_array_equal(array(reply, np.float32).reshape(-1, 2),
                                  atlas.obsm["X_umap"][rows])
    codes = array(get(page, "tiles/obs", name="cluster", tiles="0-2,5"), np.uint16)
    np.testing.assert_array_equal(codes, atlas.obs["cluster"].cat.codes.to_numpy()[rows])
    gene = get(page, "tiles/gene", name="G2", tiles="0-2,5")
    column = atlas[:, "G2"].X.toarray().ravel()
    np.testing.assert_array_equal(array(gene, np.float32), column[rows])
    assert float(gene.headers["x-cellucid-max"]) == pytest.approx(float(column.max()))
    boxes = array(get(page, "tiles/bounds", embedding="X_3d"), np.float32).reshape(-1, 2, 3)
    xyz = atlas.obsm["X_3d"][array(get(page, "tiles/rows", tiles="3"), np.uint32)]
    assert (boxes[3, 0] <= xyz.min(axis=0)).all() and (boxes[3, 1] >= xyz.max(axis=0)).all()


@pytest.mark.parametrize("path, params, status, words", [
    ("tiles/positions", {"embedding": "X_umap", "tiles": "0-99999"}, 400, "does not exist"),
    ("tiles/positions", {"embedding": "X_umap"}, 400, "missing query parameter 'tiles'"),
    ("tiles/positions", {"embedding": "X_umapp", "tiles": "0"}, 404, "X_umap"),
    ("tiles/obs", {"name": "barcode", "tiles": "0"}, 400, "cannot be coloured"),
    ("tiles/gene", {"name": "G9", "tiles": "0"}, 404, "G"),
    ("tiles/mask", {"name": "group:none", "tiles": "0"}, 404, "no set of cells named"),
    ("tiles/mask", {"name": "everything", "tiles": "0"}, 400, "not a set of cells"),
    ("tiles/knn", {"seed": "-1", "hops": "1", "tiles": "0"}, 400, "'seed' must be"),
])
def test_bad_tile_requests_say_what_is_wrong(tiled, path, params, status, words):
    _, page = tiled
    reply = get(page, path, **params)
    assert reply.status_code == status, reply.text
    assert words in reply.json()["message"]
    assert page.http.get(f"_cellucid/{path}", params=params).status_code == 403


def test_lasso_proximity_knn_category_and_click_steps_are_exact(tiled, atlas):
    viewer, page = tiled
    xy = atlas.obsm["X_umap"].astype(np.float64)
    square = [[-0.5, -0.5], [0.7, -0.5], [0.7, 0.9], [-0.5, 0.9]]
    event = selection_of(viewer, page, source="lasso", mode="replace", polygon=square,
                         embedding="X_umap")
    truth = np.flatnonzero((xy[:, 0] > -0.5) & (xy[:, 0] < 0.7) & (xy[:, 1] > -0.5) &
                           (xy[:, 1] < 0.9))
    assert event["cells"] == truth.tolist() and event["polygon"] == square
    near = selection_of(viewer, page, source="proximity", mode="add", center=[1.0, 1.0],
                        radius=0.5, embedding="X_umap")
    ring = np.flatnonzero(((xy - 1.0) ** 2).sum(axis=1) <= 0.25)
    assert near["cells"] == np.union1d(truth, ring).tolist()
    graph = atlas.obsp["connectivities"]
    hops = selection_of(viewer, page, source="knn", mode="replace", seed=7, hops=1)
    assert hops["cells"] == sorted({7, *graph.indices[graph.indptr[7]:graph.indptr[8]].tolist()})
    category = selection_of(viewer, page, source="annotation", mode="subtract", field="cluster",
                            category="b")
    b = set(np.flatnonzero(atlas.obs["cluster"].to_numpy() == "b").tolist())
    assert category["cells"] == sorted(set(hops["cells"]) - b)
    clicked = selection_of(viewer, page, source="click", mode="add", cell=12)
    assert 12 in clicked["cells"]
    assert selection_of(viewer, page, source="clear", mode="replace")["cells"] == []
    custom = selection_of(viewer, page, source="my-tool", note=1)
    assert custom == {"source": "my-tool", "note": 1}, "other selections pass as they are"


def test_a_one_d_lasso_uses_the_pages_jitter(tiled, atlas):
    node = shutil.which("node")
    if node is None:
        pytest.skip("needs node to run the page's hash")
    rows = [0, 1, 2, 12345, N - 1]
    script = (f"import('{(WEB / 'data.js').as_uri()}').then((m) => console.log(JSON.stringify("
              f"{rows}.map((i) => (m.hash01(i) * 2 - 1) * 1.5))))")
    page_values = json.loads(subprocess.run([node, "--input-type=module", "-e", script],
                                            capture_output=True, text=True, check=True).stdout)
    ours = one_d_jitter(np.asarray(rows), 0.0, 12.5)   # half = 12.5 * 0.12 = 1.5
    np.testing.assert_allclose(ours, np.float32(page_values), rtol=0, atol=0)
    viewer, page = tiled
    x = atlas.obsm["X_line"][:, 0]
    info = viewer.dataset.embedding_info("X_line")
    y = one_d_jitter(np.arange(N), float(info.min[0]), float(info.max[0]))
    event = selection_of(viewer, page, source="lasso", polygon=[[-1, -5], [0.5, -5], [0.5, 0],
                                                                [-1, 0]], embedding="X_line")
    assert event["cells"] == np.flatnonzero((x > -1) & (x < 0.5) & (y < 0)).tolist()


@pytest.mark.parametrize("step, words", [
    ({"source": "lasso", "polygon": [[0, 0], [1, 1]], "embedding": "X_umap"},
     "2 point\\(s\\); a polygon needs at least 3"),
    ({"source": "lasso", "polygon": [[0, 0], [1, 1], [1e999, 0]], "embedding": "X_umap"},
     "not a finite number"),
    ({"source": "lasso", "polygon": [[0, 0], [1, 1], [1, 0]], "embedding": "X_3d"},
     "needs 'screen'"),
    ({"source": "lasso", "polygon": [[0, 0], [1, 1], [1, 0]], "embedding": "X_tsne"},
     "unknown embedding 'X_tsne'"),
    ({"source": "proximity", "center": [0], "radius": 1, "embedding": "X_umap"},
     "2 finite numbers"),
    ({"source": "knn", "seed": N, "hops": 1}, "must be a cell in"),
    ({"source": "annotation", "field": "cluster", "category": "zzz"}, "not a category"),
    ({"source": "click", "cell": "3"}, "must be a cell in"),
    ({"source": "lasso", "mode": "toggle", "polygon": [[0, 0], [1, 1], [1, 0]],
      "embedding": "X_umap"}, "mode"),
])
def test_a_bad_step_is_a_400_naming_the_problem(tiled, step, words):
    viewer, page = tiled
    body = json.dumps({"type": "selection", "viewerId": viewer.viewer_id,
                       "viewerToken": viewer.viewer_token, **step}).replace("Infinity", "1e999")
    reply = page.post_raw(body)
    assert reply.status_code == 400, reply.text
    assert re.search(words, reply.json()["message"])


def test_hidden_cells_are_never_selected_and_python_commands_name_the_sets(tiled, atlas):
    viewer, page = tiled
    page.connect()
    viewer.show_only(np.arange(100))
    command = page.commands[-1]
    assert command["type"] == "showOnly" and "cells" not in command
    assert command["mask"]["name"] == "hidden" and command["mask"]["count"] == N - 100
    extent = get(page, "tiles/extent", embedding="X_umap").json()
    np.testing.assert_allclose(extent["min"], atlas.obsm["X_umap"][:100].min(axis=0))
    everything = [[-99, -99], [99, -99], [99, 99], [-99, 99]]
    event = selection_of(viewer, page, source="lasso", polygon=everything, embedding="X_umap")
    assert event["cells"] == list(range(100))
    viewer.show_all()
    assert page.commands[-1]["mask"]["count"] == 0
    viewer.highlight_cells(np.arange(0, N, 2), color="#00ff00", name="evens")
    assert page.commands[-1]["mask"] == {"name": "group:evens", "version":
                                         page.commands[-1]["mask"]["version"], "count": N // 2}
    bits = array(get(page, "tiles/mask", name="group:evens", tiles="0"), np.uint8)
    rows = array(get(page, "tiles/rows", tiles="0"), np.uint32)
    np.testing.assert_array_equal(np.unpackbits(bits, bitorder="little")[:len(rows)],
                                  (rows % 2 == 0).astype(np.uint8))
    viewer.select([5, 3])
    select = page.commands[-1]
    assert select["type"] == "select" and select["mask"]["name"] == "python"
    echoed = selection_of(viewer, page, source="python", mode="replace")
    assert echoed["cells"] == [3, 5] and viewer.selection == [3, 5]


def test_pages_make_groups_and_references_from_the_kernels_sets(tiled, atlas):
    viewer, page = tiled
    selection_of(viewer, page, source="annotation", field="cluster", category="a")
    a = np.flatnonzero(atlas.obs["cluster"].to_numpy() == "a")
    ref = {"encoding": "ref", "mask": "selection"}
    assert page.post("mask", name="group:mine", color="#ff0000", cells=ref).status_code == 200
    count = get(page, "tiles/mask", name="group:mine", tiles="0").headers["x-cellucid-count"]
    assert int(count) == len(a)
    assert page.post("mask", name="group:mine", cells=None).status_code == 200
    assert get(page, "tiles/mask", name="group:mine", tiles="0").status_code == 404
    for name in ("selection", "hidden", "nothing"):
        reply = page.post("mask", name=name, cells=[1])
        assert reply.status_code == 400 and "mask.name" in reply.json()["message"]
    reply = page.post("annotation", key=viewer.annotations.name, label="A cells", cells=ref)
    assert reply.status_code == 200, reply.text
    until(lambda: (viewer.annotations == "A cells").sum() == len(a), what="labels applied")
    bad = page.post("annotation", key="k", label="x", cells={"encoding": "ref", "mask": "zz"})
    assert bad.status_code == 400 and "not a set of cells" in bad.json()["message"]


def test_a_tiled_pages_session_bundle_names_the_kernels_sets(tiled, atlas):
    viewer, page = tiled
    selection_of(viewer, page, source="annotation", field="cluster", category="c")
    viewer.highlight_cells([1, 2, 3], name="few")
    page.bundle = {"format": "cellucid-session", "version": 1, "n_cells": N,
                   "selection": {"encoding": "ref", "mask": "selection"},
                   "highlightGroups": [{"name": "few", "color": "#ff0000",
                                        "cells": {"encoding": "ref", "mask": "group:few"}}]}
    page.connect()
    bundle = viewer.get_session_bundle(timeout=10)
    assert bundle.selection == np.flatnonzero(atlas.obs["cluster"].to_numpy() == "c").tolist()
    assert bundle.highlight_groups[0].cells == [1, 2, 3]


def test_the_tile_api_and_steps_work_over_the_notebooks_comm(tiled, atlas):
    from .comm_client import CommPage
    viewer, _ = tiled
    comm = CommPage(viewer.widget)
    status, headers, body = comm.get("_cellucid/tiles/rows", tiles="0-1")
    assert status == 200 and headers["x-cellucid-tiles"] == "0-1"
    rows = np.frombuffer(body, np.uint32)
    status, _, body = comm.get("_cellucid/tiles/positions", embedding="X_umap", tiles="0-1")
    np.testing.assert_array_equal(np.frombuffer(body, np.float32).reshape(-1, 2),
                                  atlas.obsm["X_umap"][rows])


def test_a_comparison_of_the_kernels_sets_by_reference(tiled, atlas):
    viewer, page = tiled
    selection_of(viewer, page, source="annotation", field="cluster", category="a")
    assert page.post("mask", name="saved", cells={"encoding": "ref", "mask": "selection"}
                     ).status_code == 200
    selection_of(viewer, page, source="annotation", field="cluster", category="b")
    done = []
    viewer.on("comparison")(done.append)
    reply = page.post("compare_request", requestId="r1", method="t-test",
                      group={"encoding": "ref", "mask": "selection"},
                      reference={"encoding": "ref", "mask": "saved"})
    assert reply.status_code == 200, reply.text
    until(lambda: done, timeout=60, what="the comparison")
    labels = atlas.obs["cluster"].to_numpy()
    assert list(done[0]["group"]) == np.flatnonzero(labels == "b").tolist()
    assert list(done[0]["reference"]) == np.flatnonzero(labels == "a").tolist()


def test_the_knn_preview_is_the_neighbourhood_in_the_tiles_asked(tiled, atlas):
    _, page = tiled
    reply = get(page, "tiles/knn", seed=7, hops=1, tiles="0-3")
    rows = array(get(page, "tiles/rows", tiles="0-3"), np.uint32)
    graph = atlas.obsp["connectivities"]
    near = {7, *graph.indices[graph.indptr[7]:graph.indptr[8]].tolist()}
    starts = np.asarray(get(page, "tiles/index").json()["starts"])
    bits, at, expected = array(reply, np.uint8), 0, []
    for t in range(4):
        count = int(starts[t + 1] - starts[t])
        expected.append(np.packbits(np.isin(rows[starts[t] - starts[0]:starts[t + 1] - starts[0]],
                                            list(near)), bitorder="little"))
        at += (count + 7) // 8
    np.testing.assert_array_equal(bits, np.concatenate(expected))
    assert int(reply.headers["x-cellucid-count"]) == len(near)


def test_a_session_saves_the_kernels_sets_and_is_not_restored_onto_a_tiled_view(tiled, atlas,
                                                                                 tmp_path):
    from cellucid.sessionfile import document
    viewer, page = tiled
    labels = atlas.obs["cluster"].to_numpy()
    selection_of(viewer, page, source="annotation", mode="replace", field="cluster",
                 category="a")
    viewer.highlight_cells(np.flatnonzero(labels == "b"), name="bees")
    viewer.set_visibility(np.flatnonzero(labels == "c"), visible=False)
    ref = lambda name: {"encoding": "ref", "mask": name}   # noqa: E731 — how the page names them
    view = {"format": "cellucid-session", "version": 2, "n_cells": N, "embedding": "X_umap",
            "colorBy": None, "selection": ref("selection"), "hidden": ref("hidden"),
            "highlightGroups": [{"name": "bees", "color": "#ff00ff", "cells": ref("group:bees")}],
            "panels": {}}
    url = (f"{viewer.server_url}_cellucid/session/save?viewerId={viewer.viewer_id}"
           f"&viewerToken={viewer.viewer_token}")
    reply = page.http.post(url, json=view)
    assert reply.status_code == 200, reply.text
    saved = cellucid.SessionBundle.from_json(document.parse_document(reply.content))
    assert saved.selection == np.flatnonzero(labels == "a").tolist()
    assert saved.highlight_groups[0].cells == np.flatnonzero(labels == "b").tolist()
    assert saved.hidden == np.flatnonzero(labels == "c").tolist()
    bad = page.http.post(url, json={**view, "selection": ref("group:nope")})
    assert bad.status_code == 400 and "group:nope" in bad.json()["message"]
    with pytest.raises(ValueError, match="point budget .* level of detail"):
        viewer.load_session(saved)
    assert list(viewer.selection) == saved.selection   # refused before anything changed
