"""Values and embeddings pushed from Python: stored per viewer, served through the dataset
routes, named in commands by id and revision (data/pushed.py, data/overlay.py, session/live.py)."""

from __future__ import annotations

import httpx
import numpy as np
import pandas as pd
import pytest

from .viewer_client import PageClient


def get(viewer, path: str, **params) -> httpx.Response:
    auth = {"viewerId": viewer.viewer_id, "viewerToken": viewer.viewer_token}
    return httpx.get(f"{viewer.server_url}_cellucid/{path}", params={**auth, **params})


def manifest(viewer) -> dict:
    return get(viewer, "data/manifest").json()


def test_float_values_become_a_continuous_column_with_a_title(viewer):
    page = PageClient(viewer).connect()
    before = manifest(viewer)["revision"]
    scores = pd.Series(np.linspace(0, 1, viewer.n_cells), name="pyscore")
    viewer.set_color_by(scores)
    command = page.commands[-1]
    assert command["type"] == "setColorBy" and command["field"] == "python:pyscore"
    after = manifest(viewer)
    assert command["revision"] == after["revision"] > before
    entry = after["obs"][-1]
    assert (entry["name"], entry["title"], entry["kind"], entry["source"], entry["version"]) == \
        ("python:pyscore", "pyscore", "continuous", "python", 1)
    reply = get(viewer, "data/obs", name="python:pyscore")
    assert reply.headers["x-cellucid-version"] == "1"
    np.testing.assert_array_equal(np.frombuffer(reply.content, np.float32),
                                  scores.to_numpy(np.float32))
    page.close()


def test_pushing_the_same_title_again_bumps_its_version(viewer):
    PageClient(viewer).connect()
    viewer.set_color_by(np.zeros(viewer.n_cells), name="x")
    viewer.set_color_by(np.ones(viewer.n_cells), name="x")
    assert [e["version"] for e in manifest(viewer)["obs"] if e["name"] == "python:x"] == [2]
    values = np.frombuffer(get(viewer, "data/obs", name="python:x").content, np.float32)
    assert (values == 1).all()


def test_strings_become_categories_with_counts(viewer):
    PageClient(viewer).connect()
    sides = np.where(np.arange(viewer.n_cells) < 150, "left", "right")
    viewer.set_color_by(sides, name="side")
    entry = manifest(viewer)["obs"][-1]
    assert entry["categories"] == ["left", "right"] and entry["counts"] == [150, 50]
    codes = np.frombuffer(get(viewer, "data/obs", name="python:side").content, np.uint16)
    assert codes.tolist() == [0] * 150 + [1] * 50


def test_a_series_indexed_by_obs_names_is_aligned(viewer, adata):
    PageClient(viewer).connect()
    values = pd.Series(np.arange(adata.n_obs, dtype=float), index=adata.obs_names)[::-1]
    viewer.set_color_by(values, name="aligned")
    served = np.frombuffer(get(viewer, "data/obs", name="python:aligned").content, np.float32)
    assert served.tolist() == list(range(adata.n_obs))


@pytest.mark.parametrize("bad, message", [
    (np.zeros(3), "length 3"), (np.zeros((200, 2)), "1-D"),
    (np.array([1, "a"] * 100, dtype=object), "mix types"),
    (np.array([f"id{i}" for i in range(200)]), "cannot be coloured"),
])
def test_bad_values_change_nothing(viewer, bad, message):
    page = PageClient(viewer).connect()
    viewer.set_color_by("cluster")
    shown = manifest(viewer)
    with pytest.raises(ValueError, match=message):
        viewer.set_color_by(bad)
    assert manifest(viewer) == shown and len(page.commands) == 1


def test_names_and_values_do_not_mix(viewer):
    with pytest.raises(ValueError, match="name="):
        viewer.set_color_by("cluster", name="other")
    with pytest.raises(KeyError, match="cluster"):
        viewer.set_color_by("clustr")


def test_coordinates_become_an_embedding_that_radius_queries_use(viewer):
    page = PageClient(viewer).connect()
    coords = np.zeros((viewer.n_cells, 3), dtype=np.float32)
    coords[:10] = 5.0
    viewer.set_embedding(coords, name="moved")
    command = page.commands[-1]
    assert (command["type"], command["name"]) == ("setEmbedding", "python:moved")
    entry = manifest(viewer)["embeddings"][-1]
    assert (entry["dims"], entry["title"], entry["source"]) == (3, "moved", "python")
    served = np.frombuffer(get(viewer, "data/embedding", name="python:moved").content, np.float32)
    np.testing.assert_array_equal(served.reshape(-1, 3), coords)
    near = get(viewer, "data/radius", embedding="python:moved", x=5, y=5, z=5, r=0.1)
    assert np.frombuffer(near.content, np.uint32).tolist() == list(range(10))
    with pytest.raises(ValueError, match="shape"):
        viewer.set_embedding(np.zeros((viewer.n_cells, 4)))
    with pytest.raises(KeyError, match="X_umap"):
        viewer.set_embedding("X_umpa")


def test_pushed_data_belongs_to_its_viewer(make_viewer):
    a, b = make_viewer(), make_viewer()
    PageClient(a).connect()
    a.set_color_by(np.zeros(a.n_cells), name="mine")
    assert get(a, "data/obs", name="python:mine").status_code == 200
    reply = get(b, "data/obs", name="python:mine")
    assert reply.status_code == 404 and "python:mine" in reply.json()["message"]


def test_refresh_and_subset_views_are_commands(viewer):
    page = PageClient(viewer).connect()
    viewer.refresh()
    viewer.show_only([1, 2, 3])
    viewer.show_all()
    kinds = [(c["type"], c.get("cells")) for c in page.commands]
    assert kinds == [("refresh", None), ("showOnly", [1, 2, 3]), ("showAll", None)]
    assert page.commands[0]["revision"] == manifest(viewer)["revision"]
    with pytest.raises(IndexError):
        viewer.show_only([10_000])
