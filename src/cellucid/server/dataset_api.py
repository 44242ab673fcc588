"""The dataset API of the server: ``GET /_cellucid/data/...`` (see ``docs/protocol.md``).

Every endpoint checks the viewer's token first, then answers JSON (manifest, gene search) or a raw
little-endian typed array with ``X-Cellucid-Dtype``/``X-Cellucid-Shape`` headers. Endpoints are
plain functions: Starlette runs them in its thread pool, so a slow read never blocks the event
loop. Bad parameters are ``400``. Errors of the data layer pass through untouched: the server's
exception handlers turn `UnknownName` into ``404`` with the closest real names and
`DatasetError` (an uncolorable obs column) into ``400``.
"""

from __future__ import annotations

import math

import numpy as np
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..errors import ApiError
from .auth import viewer_from_query

MAX_HOPS = 50
MAX_GENE_RESULTS = 1000


def _dataset(request: Request):
    return viewer_from_query(request).dataset


def query_param(request: Request, key: str, default: str | None = None) -> str:
    """The query parameter ``key`` (or ``default``). Raises `ApiError` 400 when it is missing."""
    value = request.query_params.get(key, default)
    if value is None:
        raise ApiError(400, f"missing query parameter {key!r}")
    return value


def _number_param(request: Request, key: str, parse, kind: str, max_chars: int,
                  default: str | None = None):
    raw = query_param(request, key, default)
    try:
        if len(raw) > max_chars:  # refused before parsing: int() of a huge string is slow
            raise ValueError
        return parse(raw)
    except ValueError:
        raise ApiError(400, f"{key!r} must be {kind}, got {raw[:40]!r}") from None


def int_param(request: Request, key: str, lo: int, hi: int, default: int | None = None) -> int:
    """The integer query parameter ``key``, within ``[lo, hi]``. Raises `ApiError` 400 saying
    what is wrong with it."""
    value = _number_param(request, key, int, "an integer", 20,
                          None if default is None else str(default))
    if not lo <= value <= hi:
        raise ApiError(400, f"{key!r} must be between {lo} and {hi}, got {value}")
    return value


def _float_param(request: Request, key: str) -> float:
    value = _number_param(request, key, float, "a number", 64)
    if not math.isfinite(value):
        raise ApiError(400, f"{key!r} must be a finite number, got {request.query_params[key]!r}")
    return value


def binary_response(values: np.ndarray, headers: dict[str, str] | None = None) -> Response:
    """A raw little-endian typed-array reply with its dtype and shape in headers."""
    dtype = values.dtype.newbyteorder("<") if values.dtype.byteorder == ">" else values.dtype
    data = np.ascontiguousarray(values, dtype=dtype)
    all_headers = {"X-Cellucid-Dtype": data.dtype.name,
                   "X-Cellucid-Shape": ",".join(str(s) for s in data.shape),
                   "Cache-Control": "no-store", **(headers or {})}
    return Response(data.tobytes(), media_type="application/octet-stream", headers=all_headers)


def _view(request: Request):
    """The viewer's data: its dataset plus what Python pushed (`data.overlay.DatasetView`)."""
    return viewer_from_query(request).data


def manifest_endpoint(request: Request) -> JSONResponse:
    """``GET _cellucid/data/manifest``: the manifest (dataset and pushed data) as JSON."""
    return JSONResponse({"status": "ok", **_view(request).manifest()})


def embedding_endpoint(request: Request) -> Response:
    """``GET _cellucid/data/embedding?name=``: float32 ``n,d`` coordinates."""
    info, version = _view(request).embedding_entry(query_param(request, "name"))
    return binary_response(info.coords, {"X-Cellucid-Version": str(version)})


def obs_endpoint(request: Request) -> Response:
    """``GET _cellucid/data/obs?name=``: uint16 codes or float32 values of one colour column."""
    values, version = _view(request).obs_values(query_param(request, "name"))
    return binary_response(values, {"X-Cellucid-Version": str(version)})


def gene_endpoint(request: Request) -> Response:
    """``GET _cellucid/data/gene?name=&layer=``: float32 values of one gene, with min/max headers."""
    dataset = _dataset(request)
    values = dataset.gene_values(query_param(request, "name"), request.query_params.get("layer"))
    finite = values[np.isfinite(values)] if not np.isfinite(values).all() else values
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    return binary_response(values, {"X-Cellucid-Min": repr(lo), "X-Cellucid-Max": repr(hi)})


def genes_endpoint(request: Request) -> JSONResponse:
    """``GET _cellucid/data/genes?q=&limit=``: gene search as JSON."""
    dataset = _dataset(request)
    q = query_param(request, "q", "")
    if len(q) > 200:
        raise ApiError(400, "'q' must be at most 200 characters")
    limit = int_param(request, "limit", 0, MAX_GENE_RESULTS, default=20)
    genes, total = dataset.search_genes(q, limit)
    return JSONResponse({"status": "ok", "genes": genes, "total": total})


def knn_endpoint(request: Request) -> Response:
    """``GET _cellucid/data/knn?seed=&hops=``: uint32 cells within ``hops`` graph hops of ``seed``."""
    dataset = _dataset(request)
    seed = int_param(request, "seed", 0, dataset.n_cells - 1)
    hops = int_param(request, "hops", 0, MAX_HOPS)
    if not dataset.has_graph:
        raise ApiError(404, "this dataset has no neighbourhood graph (obsp['connectivities']); "
                            "compute one with sc.pp.neighbors(adata) and show it again")
    cells, reached = dataset.knn_search(seed, hops)
    return binary_response(cells, {"X-Cellucid-Hops-Reached": str(reached)})


def radius_endpoint(request: Request) -> Response:
    """``GET _cellucid/data/radius?embedding=&x=&y=&z=&r=``: uint32 cells within ``r`` of a point."""
    view = _view(request)
    info, _ = view.embedding_entry(query_param(request, "embedding"))
    center = [_float_param(request, axis) for axis in "xyz"[:info.dims]]
    r = _float_param(request, "r")
    if r < 0:
        raise ApiError(400, f"'r' must be ≥ 0, got {r}")
    return binary_response(view.radius_cells(info.name, center, r))


def comparison_endpoint(request: Request) -> JSONResponse:
    """``GET _cellucid/data/comparison?id=``: a comparison computed for this viewer, as JSON."""
    session = viewer_from_query(request)
    return JSONResponse({"status": "ok",
                         **session.analyses.comparison_json(query_param(request, "id"))})


def geneplot_endpoint(request: Request) -> JSONResponse:
    """``GET _cellucid/data/geneplot?id=``: dot-plot and violin data computed for this viewer."""
    session = viewer_from_query(request)
    return JSONResponse({"status": "ok",
                         **session.analyses.gene_plot_json(query_param(request, "id"))})


def dataset_endpoints() -> list[Route]:
    """The endpoints of the dataset API, listed by the server's app next to its own."""
    return [
        Route("/_cellucid/data/manifest", manifest_endpoint, methods=["GET"]),
        Route("/_cellucid/data/embedding", embedding_endpoint, methods=["GET"]),
        Route("/_cellucid/data/obs", obs_endpoint, methods=["GET"]),
        Route("/_cellucid/data/gene", gene_endpoint, methods=["GET"]),
        Route("/_cellucid/data/genes", genes_endpoint, methods=["GET"]),
        Route("/_cellucid/data/knn", knn_endpoint, methods=["GET"]),
        Route("/_cellucid/data/radius", radius_endpoint, methods=["GET"]),
        Route("/_cellucid/data/comparison", comparison_endpoint, methods=["GET"]),
        Route("/_cellucid/data/geneplot", geneplot_endpoint, methods=["GET"]),
    ]
