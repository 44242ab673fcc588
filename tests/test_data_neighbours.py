"""KNN hops over the graph and radius queries, against brute force."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from cellucid.data import open_dataset
from cellucid.data.graph import CellGraph
from cellucid.data.spatial import SpatialIndex
from cellucid.errors import DatasetError

from .data_fixtures import isolated_cache, rich_adata  # noqa: F401


def brute_hops(matrix: sp.csr_matrix, seed: int, hops: int) -> tuple[set[int], int]:
    seen, frontier, reached = {seed}, {seed}, 0
    for _ in range(hops):
        nxt = {int(j) for i in frontier for j in matrix.indices[matrix.indptr[i]:matrix.indptr[i + 1]]}
        nxt -= seen
        if not nxt:
            break
        seen |= nxt
        frontier = nxt
        reached += 1
    return seen, reached


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 40), st.floats(0.0, 0.3), st.integers(0, 6), st.data())
def test_hops_match_brute_force(n, density, hops, data):
    matrix = sp.random(n, n, density=density, format="csr",
                       random_state=data.draw(st.integers(0, 10_000)))
    seed = data.draw(st.integers(0, n - 1))
    cells, reached = CellGraph(matrix.indptr, matrix.indices, "g").hops(seed, hops)
    expected, expected_reached = brute_hops(matrix, seed, hops)
    assert cells.dtype == np.uint32 and list(cells) == sorted(expected)
    assert reached == expected_reached


@pytest.mark.filterwarnings("ignore:All-NaN slice")
@settings(max_examples=60, deadline=None)
@given(st.integers(1, 60), st.sampled_from([1, 2, 3]), st.floats(0, 3), st.data())
def test_radius_matches_brute_force(n, dims, r, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 10_000)))
    coords = rng.normal(size=(n, dims)).astype(np.float32)
    coords[rng.random(n) < 0.1] = np.nan
    center = rng.normal(size=dims)
    lo, hi = np.nanmin(coords, axis=0), np.nanmax(coords, axis=0)
    got = SpatialIndex(coords, lo, hi, background=False).within(center, r)
    dist = np.sqrt(((coords.astype(np.float64) - center) ** 2).sum(axis=1))
    assert got.dtype == np.uint32
    # points within float rounding of the boundary may go either way
    sure = set(np.flatnonzero(dist <= r - 1e-5)), set(np.flatnonzero(dist <= r + 1e-5))
    assert sure[0] <= set(got.tolist()) <= sure[1]
    assert list(got) == sorted(got.tolist())


def test_dataset_queries_and_their_errors():
    ds = open_dataset(rich_adata())
    cells, reached = ds.knn_search(10, 0)
    assert cells.tolist() == [10] and reached == 0
    assert 10 in ds.knn_cells(10, 3)
    with pytest.raises(IndexError, match="outside"):
        ds.knn_cells(300, 1)
    with pytest.raises(ValueError, match="hops"):
        ds.knn_cells(0, -1)
    assert ds.radius_cells("X_tsne_3d", [0, 0, 0], 0.5).dtype == np.uint32
    assert ds.radius_cells("X_line", [0], 0.1).ndim == 1
    with pytest.raises(ValueError, match="3 dimensions"):
        ds.radius_cells("X_tsne_3d", [0, 0], 1)
    with pytest.raises(ValueError, match="radius"):
        ds.radius_cells("X_umap", [0, 0], -1)
    with pytest.raises(KeyError, match="X_umap"):
        ds.radius_cells("X_uma", [0, 0], 1)


def test_distances_graph_is_used_without_connectivities():
    adata = rich_adata(n=40)
    adata.obsp["distances"] = adata.obsp.pop("connectivities")
    ds = open_dataset(adata)
    assert ds.manifest()["graph"] == "distances"
    assert len(ds.knn_cells(0, 1)) > 1


def test_no_graph_is_a_clear_error():
    adata = ad.AnnData(np.zeros((5, 1), np.float32), obsm={"X_umap": np.zeros((5, 2))})
    ds = open_dataset(adata)
    assert ds.manifest()["has_graph"] is False
    with pytest.raises(DatasetError, match="sc.pp.neighbors"):
        ds.knn_cells(0, 1)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_tree_and_scan_paths_agree_with_brute_force(dims):
    rng = np.random.default_rng(dims)
    coords = rng.normal(size=(5000, dims)).astype(np.float32)
    coords[::97] = np.nan
    index = SpatialIndex(coords, np.nanmin(coords, 0), np.nanmax(coords, 0), background=False)
    for r in (0.01, 0.05, 0.2, 1.0, 10.0):  # small radii ask the tree, large ones scan
        centre = rng.normal(size=dims)
        dist = np.sqrt(((coords.astype(np.float64) - centre) ** 2).sum(axis=1))
        got = set(index.within(centre, r).tolist())
        assert set(np.flatnonzero(dist <= r - 1e-5)) <= got <= set(np.flatnonzero(dist <= r + 1e-5))


def test_queries_scan_while_the_tree_is_built():
    rng = np.random.default_rng(0)
    coords = rng.normal(size=(2000, 2)).astype(np.float32)
    index = SpatialIndex(coords, coords.min(0), coords.max(0))
    early = index.within([0, 0], 0.05)  # answered whether or not the tree is ready
    assert index.wait(10)
    np.testing.assert_array_equal(early, index.within([0, 0], 0.05))
    ds = open_dataset(rich_adata())
    first = ds.radius_cells("X_umap", [0, 0], 0.3)
    assert ds.spatial_index("X_umap").wait(10)
    np.testing.assert_array_equal(first, ds.radius_cells("X_umap", [0, 0], 0.3))


def test_no_tree_is_built_for_too_many_cells(monkeypatch):
    import cellucid.data.spatial as spatial
    monkeypatch.setattr(spatial, "TREE_MAX_CELLS", 100)
    coords = np.random.default_rng(0).normal(size=(1000, 2)).astype(np.float32)
    index = spatial.SpatialIndex(coords, coords.min(0), coords.max(0))
    found = index.within([0.0, 0.0], 0.1)
    np.testing.assert_array_equal(found, np.flatnonzero(((coords ** 2).sum(1)) <= 0.01))
    assert not index._started.locked()   # no build was started: queries keep scanning
    np.testing.assert_array_equal(index.within([0.5, 0.0], 0.2),
                                  np.flatnonzero(((coords - [0.5, 0]) ** 2).sum(1) <= 0.04))
    assert index.tree is None
