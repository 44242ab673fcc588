"""The tile API of the server: ``GET /_cellucid/tiles/...`` (docs/protocol.md, "Level of detail").

A page that draws a point budget reads the cells tile by tile: the tile index, the tiles' boxes
in an embedding, and for a list of tiles their positions, obs rows, colour values and the bits
of a set of cells (the selection, a highlight group, the hidden cells). ``tiles`` is a list of
tile numbers and ranges (``0-6,9,12-13``); the reply holds the tiles in ascending order, each
run of consecutive tiles read at once, and says which in ``X-Cellucid-Tiles``. Like the dataset
API, every endpoint checks the viewer's token first and runs in the server's thread pool; a tile
that cannot be read (a missing or truncated file) is a ``400`` naming the tile.
"""

from __future__ import annotations

import re

import numpy as np
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..errors import ApiError
from ..selection.masks import check_name
from ..selection.steps import MAX_HOPS
from .auth import viewer_from_query
from .dataset_api import binary_response, int_param, query_param

MAX_TILES_PARAM = 16_384          # characters of the ``tiles`` parameter
MAX_CELLS_PER_REQUEST = 1 << 22   # cells one reply may hold (positions: 48 MB in 3-D)
_TILE_LIST = re.compile(r"^\d{1,9}(-\d{1,9})?(,\d{1,9}(-\d{1,9})?)*$")


def parse_tiles(text: str | None) -> list[int]:
    """The tile numbers of a ``tiles`` parameter (``"0-6,9,12-13"``), ascending and each once.
    Raises `ApiError` 400 saying what is wrong with it."""
    if text is None or text == "":
        raise ApiError(400, "missing query parameter 'tiles' (tile numbers and ranges, e.g. "
                            "'0-6,9')")
    if len(text) > MAX_TILES_PARAM or not _TILE_LIST.match(text):
        raise ApiError(400, f"'tiles' must be tile numbers and ranges such as '0-6,9,12-13' "
                            f"(at most {MAX_TILES_PARAM} characters), got {text[:40]!r}")
    tiles: set[int] = set()
    for part in text.split(","):
        first, _, last = part.partition("-")
        a, b = int(first), int(last or first)
        if b < a:
            raise ApiError(400, f"'tiles' holds the range {part!r}, whose end comes before its "
                                f"start")
        if b - a > MAX_CELLS_PER_REQUEST:
            raise ApiError(400, f"'tiles' holds the range {part!r}, more tiles than a reply holds")
        tiles.update(range(a, b + 1))
    return sorted(tiles)


def format_tiles(tiles: list[int]) -> str:
    """``tiles`` (ascending) written as ranges: ``[0, 1, 2, 5]`` → ``"0-2,5"``."""
    parts, start = [], None
    for i, t in enumerate(tiles):
        if start is None:
            start = t
        if i + 1 == len(tiles) or tiles[i + 1] != t + 1:
            parts.append(str(start) if start == t else f"{start}-{t}")
            start = None
    return ",".join(parts)


def _view_and_tiles(request: Request):
    """The viewer's `TiledView` and the checked tiles its request names."""
    session = viewer_from_query(request)
    view = session.tiles
    tiles = parse_tiles(request.query_params.get("tiles"))
    try:
        view.check_tiles(tiles)
    except IndexError as exc:
        raise ApiError(400, str(exc)) from None
    cells = view.cells_in(tiles)
    if cells > MAX_CELLS_PER_REQUEST:
        raise ApiError(400, f"these tiles hold {cells:,} cells, more than one reply holds "
                            f"({MAX_CELLS_PER_REQUEST:,}); ask for fewer at a time")
    return session, view, tiles


def _name(request: Request, key: str = "name") -> str:
    value = query_param(request, key)
    if not value:
        raise ApiError(400, f"missing query parameter {key!r}")
    return value


def _tile_reply(values: np.ndarray, tiles: list[int], headers: dict | None = None) -> Response:
    return binary_response(values, {"X-Cellucid-Tiles": format_tiles(tiles), **(headers or {})})


def index_endpoint(request: Request) -> JSONResponse:
    """``GET _cellucid/tiles/index``: the tile index (waits for the order to be computed)."""
    return JSONResponse({"status": "ok", **viewer_from_query(request).tiles.index()})


def bounds_endpoint(request: Request) -> Response:
    """``GET _cellucid/tiles/bounds?embedding=``: float32 ``n_tiles,2,dims`` tile boxes."""
    view = viewer_from_query(request).tiles
    return binary_response(view.bounds(_name(request, "embedding")))


def positions_endpoint(request: Request) -> Response:
    """``GET _cellucid/tiles/positions?embedding=&tiles=``: float32 ``cells,dims``."""
    _, view, tiles = _view_and_tiles(request)
    return _tile_reply(view.positions(_name(request, "embedding"), tiles), tiles)


def rows_endpoint(request: Request) -> Response:
    """``GET _cellucid/tiles/rows?tiles=``: uint32 obs rows of the tiles' cells."""
    _, view, tiles = _view_and_tiles(request)
    return _tile_reply(view.rows(tiles), tiles)


def obs_endpoint(request: Request) -> Response:
    """``GET _cellucid/tiles/obs?name=&tiles=``: uint16 codes or float32 values."""
    _, view, tiles = _view_and_tiles(request)
    values, version = view.obs(_name(request), tiles)
    return _tile_reply(values, tiles, {"X-Cellucid-Version": str(version)})


def gene_endpoint(request: Request) -> Response:
    """``GET _cellucid/tiles/gene?name=&layer=&tiles=``: float32 values; the gene's min and
    max over every cell in headers."""
    _, view, tiles = _view_and_tiles(request)
    values, (lo, hi) = view.gene(_name(request), request.query_params.get("layer"), tiles)
    return _tile_reply(values, tiles, {"X-Cellucid-Min": repr(lo), "X-Cellucid-Max": repr(hi)})


def mask_endpoint(request: Request) -> Response:
    """``GET _cellucid/tiles/mask?name=&tiles=``: the set's bits, packed per tile; its version
    and count in headers."""
    session, view, tiles = _view_and_tiles(request)
    masks = session.selection.masks
    try:
        name = check_name(_name(request))
        info = masks.info(name)
        mask = masks.mask(name)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from None
    except KeyError as exc:
        raise ApiError(404, str(exc).strip('"')) from None
    return _tile_reply(view.mask_bits(mask, tiles), tiles,
                       {"X-Cellucid-Version": str(info.version),
                        "X-Cellucid-Count": str(info.count)})


def knn_endpoint(request: Request) -> Response:
    """``GET _cellucid/tiles/knn?seed=&hops=&tiles=``: the cells within ``hops`` graph hops of
    ``seed`` (over every cell), as bits packed per tile of ``tiles``; their count in a header."""
    session, view, tiles = _view_and_tiles(request)
    cells = session.selection.cells
    seed = int_param(request, "seed", 0, cells.n_cells - 1)
    hops = int_param(request, "hops", 0, MAX_HOPS)
    try:
        mask = cells.knn(seed, hops)
    except ValueError as exc:
        raise ApiError(404, str(exc)) from None
    return _tile_reply(view.mask_bits(mask, tiles), tiles,
                       {"X-Cellucid-Count": str(int(mask.sum()))})


def extent_endpoint(request: Request) -> JSONResponse:
    """``GET _cellucid/tiles/extent?embedding=``: bounds and count of the cells not hidden."""
    session = viewer_from_query(request)
    extent = session.tiles.extent(_name(request, "embedding"), session.selection.masks.visible())
    return JSONResponse({"status": "ok", **extent})


def tile_endpoints() -> list[Route]:
    """The endpoints of the tile API, mounted by the server next to the dataset API."""
    return [
        Route("/_cellucid/tiles/index", index_endpoint, methods=["GET"]),
        Route("/_cellucid/tiles/bounds", bounds_endpoint, methods=["GET"]),
        Route("/_cellucid/tiles/positions", positions_endpoint, methods=["GET"]),
        Route("/_cellucid/tiles/rows", rows_endpoint, methods=["GET"]),
        Route("/_cellucid/tiles/obs", obs_endpoint, methods=["GET"]),
        Route("/_cellucid/tiles/gene", gene_endpoint, methods=["GET"]),
        Route("/_cellucid/tiles/mask", mask_endpoint, methods=["GET"]),
        Route("/_cellucid/tiles/knn", knn_endpoint, methods=["GET"]),
        Route("/_cellucid/tiles/extent", extent_endpoint, methods=["GET"]),
    ]
