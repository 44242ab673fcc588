"""Selections over every cell in the kernel, against a straightforward ground truth.

The ground truth is written here without the module under test: the crossing-number rule of
the viewer page (``web/geometry.js``) looped over every edge for every point, and the page's
projection (``web/camera.js``) written out one cell at a time.
"""

from __future__ import annotations

import numpy as np
import pytest

from cellucid.cells import decode_cells, encode_cells, encode_mask
from cellucid.data import open_dataset
from cellucid.data.lod import lod_order
from cellucid.data.tile_reader import MemoryTiles
from cellucid.selection.lasso import polygon_mask, radius_mask, screen_polygon_mask
from cellucid.selection.polygon import BOUNDARY, INSIDE, OUTSIDE, PolygonTest
from cellucid.selection.selector import CellSelector
from cellucid.selection.sources import CellPositions, TiledCells

from .data_fixtures import rich_adata


def crossing_truth(points: np.ndarray, polygon) -> np.ndarray:
    """Every point against every edge, as the page's pointInPolygon does."""
    x = points[:, 0].astype(np.float64)
    y = points[:, 1].astype(np.float64)
    inside = np.zeros(len(points), dtype=bool)
    for i in range(len(polygon)):
        xi, yi = float(polygon[i][0]), float(polygon[i][1])
        xj, yj = float(polygon[i - 1][0]), float(polygon[i - 1][1])
        with np.errstate(divide="ignore", invalid="ignore"):
            inside ^= ((yi > y) != (yj > y)) & (x < (xj - xi) * (y - yi) / (yj - yi) + xi)
    return inside


def screen_truth(coords: np.ndarray, m, width, height, polygon) -> np.ndarray:
    """The page's toClip / clipToScreen for each cell, then the crossing rule."""
    screen = np.full((len(coords), 2), np.nan)
    for i, (x, y, z) in enumerate(coords.astype(np.float64)):
        c = [m[r] * x + m[4 + r] * y + m[8 + r] * z + m[12 + r] for r in range(4)]
        if c[3] > 0:
            screen[i] = (((c[0] / c[3] + 1) / 2) * width, ((1 - c[1] / c[3]) / 2) * height)
    return crossing_truth(screen, polygon)


def perspective_camera(eye, target, fov=0.9, aspect=1.5) -> list[float]:
    """A view-projection matrix, column-major like WebGL's."""
    eye, target = np.asarray(eye, float), np.asarray(target, float)
    f = target - eye
    f /= np.linalg.norm(f)
    s = np.cross(f, [0, 1, 0])
    s /= np.linalg.norm(s)
    u = np.cross(s, f)
    view = np.eye(4)
    view[0, :3], view[1, :3], view[2, :3] = s, u, -f
    view[:3, 3] = -view[:3, :3] @ eye
    near, far, t = 0.1, 200.0, 1 / np.tan(fov / 2)
    proj = np.array([[t / aspect, 0, 0, 0], [0, t, 0, 0],
                     [0, 0, (far + near) / (near - far), 2 * far * near / (near - far)],
                     [0, 0, -1, 0]])
    return (proj @ view).T.ravel().astype(np.float32).astype(float).tolist()


def star(rng, centre, scale, vertices) -> np.ndarray:
    angles = np.sort(rng.random(vertices)) * 2 * np.pi
    radii = rng.uniform(0.2, 1.0, vertices) * scale
    return np.c_[np.cos(angles) * radii, np.sin(angles) * radii] + centre


def polygons(rng, coords):
    xy = coords[:, :2]
    centre, scale = np.nanmean(xy, axis=0), (np.nanmax(xy) - np.nanmin(xy)) / 6
    yield star(rng, centre, scale, 40)
    yield rng.normal(centre, scale, (25, 2))                       # self-intersecting
    yield np.round(star(rng, centre, scale, 12), 1)                # vertices on a grid
    yield [[-1e6, -1e6], [1e6, -1e6], [1e6, 1e6], [-1e6, 1e6]]      # the whole view
    yield star(rng, centre, scale / 50, 8)                          # tiny
    yield [[0, 0], [1, 1], [2, 2]]                                  # no area


def sources_of(coords: np.ndarray, rng):
    """Both ways the kernel reaches coordinates: every cell, and tiles of an order."""
    order = lod_order(coords, base=200, tile_size=500, embedding="e")
    lo, hi = order.tiles.bounds("e")
    yield CellPositions(coords)
    yield TiledCells(order.tiles.starts, lo, hi,
                     lambda a, b: np.take(coords, order.order[a:b], axis=0), order.rows,
                     order.tiles.invalid("e"))


def test_polygons_select_exactly_the_cells_the_page_would():
    rng = np.random.default_rng(4)
    coords = (rng.normal(0, 3, (30_000, 2)) * [1, 2]).astype(np.float32)
    coords[:50] = np.round(coords[:50], 0)   # cells on vertices and edges of the grid polygon
    coords[50:60] = np.nan
    for polygon in polygons(rng, coords):
        polygon = np.asarray(polygon, float)
        coords[60:80] = polygon[rng.integers(0, len(polygon), 20)]   # exactly on vertices
        truth = crossing_truth(coords, polygon)
        for cells in sources_of(coords, rng):
            np.testing.assert_array_equal(polygon_mask(cells, polygon.tolist()), truth)


def test_a_3d_lasso_in_screen_space_matches_the_page_projection():
    rng = np.random.default_rng(5)
    coords = rng.normal(0, 4, (20_000, 3)).astype(np.float32)
    coords[:10] = np.nan
    width, height = 900, 600
    for eye in ([0, 0, 30], [25, 10, -5], [0, 2, 3]):   # the last one sits among the cells
        m = perspective_camera(eye, [0, 0, 0], aspect=width / height)
        polygon = star(rng, [450, 300], 250, 30)
        truth = screen_truth(coords, m, width, height, polygon)
        assert 0 < truth.sum() < len(coords)
        for cells in sources_of(coords, rng):
            got = screen_polygon_mask(cells, polygon.tolist(), m, width, height)
            np.testing.assert_array_equal(got, truth)


def test_radius_and_within():
    rng = np.random.default_rng(6)
    coords = rng.normal(0, 2, (20_000, 2)).astype(np.float32)
    for cells in sources_of(coords, rng):
        for centre, r in (([0.5, -0.3], 1.7), ([30, 30], 2.0), ([0, 0], 100.0), ([1, 1], 0.0)):
            d2 = ((coords - np.float32(centre)) ** 2).sum(axis=1, dtype=np.float32)
            np.testing.assert_array_equal(radius_mask(cells, centre, r), d2 <= np.float32(r) ** 2)
        within = rng.random(len(coords)) < 0.5
        np.testing.assert_array_equal(radius_mask(cells, [0, 0], 1.5, within=within),
                                      within & ((coords ** 2).sum(axis=1) <= 2.25))


def test_boxes_are_classified_conservatively():
    rng = np.random.default_rng(7)
    polygon = rng.normal(0, 1, (30, 2))
    test = PolygonTest(polygon)
    lo = rng.uniform(-2.5, 2.5, (400, 2))
    hi = lo + rng.uniform(0, 0.6, (400, 2))
    classes = test.classify_boxes(lo, hi)
    assert {OUTSIDE, INSIDE, BOUNDARY} <= set(classes.tolist())
    for box in range(400):
        points = rng.uniform(lo[box], hi[box], (200, 2))
        truth = crossing_truth(np.vstack([points, lo[box], hi[box]]), polygon)
        if classes[box] == INSIDE:
            assert truth.all()
        elif classes[box] == OUTSIDE:
            assert not truth.any()
    assert test.classify_boxes(np.array([[np.inf, np.inf]]), np.array([[-np.inf, -np.inf]])
                               ).tolist() == [OUTSIDE]


def test_the_selector_of_a_dataset_answers_on_every_path():
    adata = rich_adata(n=6000, n_genes=5)
    ds = open_dataset(adata)
    order = lod_order(ds.embedding("X_umap"), ds.obs_values("cluster"), base=100,
                      tile_size=300, embedding="X_umap")
    selector = CellSelector(ds, MemoryTiles(ds, order))
    assert isinstance(selector.cells("X_umap"), TiledCells)
    assert isinstance(selector.cells("X_pca"), CellPositions)
    polygon = [[-3, -3], [4, -2], [3, 4], [-2, 2]]
    for name in ("X_umap", "X_pca"):
        np.testing.assert_array_equal(selector.lasso(name, polygon),
                                      crossing_truth(ds.embedding(name), polygon))
    expected = np.zeros(ds.n_cells, bool)
    expected[ds.knn_cells(17, 3)] = True
    np.testing.assert_array_equal(selector.knn(17, 3), expected)
    expected = np.zeros(ds.n_cells, bool)
    expected[ds.radius_cells("X_umap", [0.5, 0.5], 2.0)] = True
    np.testing.assert_array_equal(selector.radius("X_umap", [0.5, 0.5], 2.0), expected)
    with pytest.raises(KeyError, match="X_umap"):
        selector.lasso("X_umapp", polygon)
    with pytest.raises(IndexError, match="seed cell"):
        selector.knn(6000, 1)
    with pytest.raises(ValueError, match="3-D"):
        selector.lasso("X_tsne_3d", polygon)


@pytest.mark.parametrize("polygon, message", [
    ([[0, 0], [1, 1]], "2 point"),
    ([], "0 point"),
    ([[0, 0], [1, float("nan")], [2, 0]], "point 1"),
    ([[0, 0], [1, float("inf")], [2, 0]], "not a finite number"),
    ([[0, 0, 0], "a", [1, 2]], "list of"),
    ("abc", "list of"),
])
def test_bad_polygons_are_refused_with_what_was_wrong(polygon, message):
    cells = CellPositions(np.zeros((10, 2), np.float32))
    with pytest.raises(ValueError, match=message):
        polygon_mask(cells, polygon)


def test_bad_cameras_centres_and_masks_are_refused():
    cells3 = CellPositions(np.zeros((10, 3), np.float32))
    square = [[0, 0], [10, 0], [10, 10]]
    with pytest.raises(ValueError, match="16 finite numbers"):
        screen_polygon_mask(cells3, square, [1, 2, 3], 100, 100)
    with pytest.raises(ValueError, match="viewport"):
        screen_polygon_mask(cells3, square, np.eye(4).ravel(), 0, 100)
    with pytest.raises(ValueError, match="3-D"):
        screen_polygon_mask(CellPositions(np.zeros((10, 2), np.float32)), square,
                            np.eye(4).ravel(), 100, 100)
    with pytest.raises(ValueError, match="centre"):
        radius_mask(cells3, [0, 0], 1.0)
    with pytest.raises(ValueError, match="radius"):
        radius_mask(cells3, [0, 0, 0], -1.0)
    with pytest.raises(ValueError, match="within"):
        radius_mask(cells3, [0, 0, 0], 1.0, within=np.ones(9, bool))


def test_a_mask_encodes_like_its_cells():
    rng = np.random.default_rng(8)
    for n, share in ((100, 0.1), (50_000, 0.001), (50_000, 0.4), (50_000, 0.999), (7, 0.0)):
        mask = rng.random(n) < share
        wire = encode_mask(mask)
        assert wire == encode_cells(np.flatnonzero(mask), n)
        np.testing.assert_array_equal(decode_cells(wire, n), np.flatnonzero(mask))
    with pytest.raises(TypeError, match="bool"):
        encode_mask(np.zeros(5, np.uint8))
