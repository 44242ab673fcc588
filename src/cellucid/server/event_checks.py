"""What the page asks of Python besides reporting (labels, comparisons, gene plots): the checks
of those events, run as they are routed. A failed check is a `BadEvent` (400) naming the field.
"""

from __future__ import annotations

from collections.abc import Callable

from ..cells import decode_cells
from ..errors import BadEvent
from ..selection.sequence import event_cells
from ..session.annotations import MAX_LABEL_LENGTH

MAX_ANNOTATION_KEY = 256
MAX_NAME_LENGTH = 256
MAX_REQUEST_ID = 128


def _text(payload: dict, field: str, event_type: str, limit: int) -> str:
    value = payload.get(field)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise BadEvent(f"'{event_type}.{field}' must be a non-empty string of at most {limit} "
                       f"characters, got {str(value)[:60]!r}")
    return value


Refs = Callable[[str], object] | None


def _cells(payload: dict, field: str, event_type: str, n_cells: int, refs: Refs) -> None:
    if field not in payload:
        raise BadEvent(f"'{event_type}.{field}' is missing: the cells it names")
    payload[field] = event_cells(decode_cells(payload[field], n_cells, field, refs))


def check_annotation(payload: dict, n_cells: int, refs: Refs = None) -> None:
    """``annotation {key, label, cells}``: a label for cells (``refs`` resolves references to
    the kernel's sets of cells)."""
    _text(payload, "key", "annotation", MAX_ANNOTATION_KEY)
    _text(payload, "label", "annotation", MAX_LABEL_LENGTH)
    _cells(payload, "cells", "annotation", n_cells, refs)


def _matrix(payload: dict, event_type: str) -> None:
    """The optional ``useRaw`` (true, false or null) and ``layer`` (a name or null) fields."""
    if payload.get("useRaw") is not None and not isinstance(payload["useRaw"], bool):
        raise BadEvent(f"'{event_type}.useRaw' must be true, false or null, "
                       f"got {str(payload['useRaw'])[:40]!r}")
    if payload.get("layer") is not None:
        _text(payload, "layer", event_type, MAX_NAME_LENGTH)


def check_compare_request(payload: dict, n_cells: int, refs: Refs = None) -> None:
    """``compare_request {requestId, group, reference, method, useRaw, layer, tieCorrect}``:
    compare two sets of cells."""
    from ..compare import METHODS, REST   # late: importing cellucid need not load the statistics

    _text(payload, "requestId", "compare_request", MAX_REQUEST_ID)
    _cells(payload, "group", "compare_request", n_cells, refs)
    if payload.get("reference", REST) == REST:
        payload["reference"] = REST
    else:
        _cells(payload, "reference", "compare_request", n_cells, refs)
    method = payload.setdefault("method", METHODS[0])
    if method not in METHODS:
        raise BadEvent(f"'compare_request.method' must be one of {', '.join(METHODS)}, "
                       f"got {str(method)[:40]!r}")
    for field in ("groupLabel", "referenceLabel"):
        if field in payload:
            _text(payload, field, "compare_request", MAX_NAME_LENGTH)
    _matrix(payload, "compare_request")
    if not isinstance(payload.setdefault("tieCorrect", False), bool):
        raise BadEvent(f"'compare_request.tieCorrect' must be true or false, "
                       f"got {str(payload['tieCorrect'])[:40]!r}")


def check_plot_genes_request(payload: dict, n_cells: int, refs: Refs = None) -> None:
    """``plot_genes_request {requestId, genes, groupby, useRaw, layer}``: dot plot and violins
    of genes."""
    from ..compare import MAX_GENES   # late, as above

    _text(payload, "requestId", "plot_genes_request", MAX_REQUEST_ID)
    _text(payload, "groupby", "plot_genes_request", MAX_NAME_LENGTH)
    genes = payload.get("genes")
    if not isinstance(genes, list) or not 0 < len(genes) <= MAX_GENES or not all(
            isinstance(g, str) and 0 < len(g) <= MAX_NAME_LENGTH for g in genes):
        raise BadEvent(f"'plot_genes_request.genes' must be a list of 1 to {MAX_GENES} gene "
                       f"names")
    _matrix(payload, "plot_genes_request")


CHECKS: dict[str, Callable[[dict, int, Refs], None]] = {
    "annotation": check_annotation,
    "compare_request": check_compare_request,
    "plot_genes_request": check_plot_genes_request,
}
