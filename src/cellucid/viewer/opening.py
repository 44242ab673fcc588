"""A viewer over data that cellucid opens itself (what `show_anndata` and `serve` make): the
dataset is the viewer's own, so stopping the viewer closes it (`Viewer.owns_dataset`)."""

from __future__ import annotations

from ..data import open_dataset
from ..hosts import DEFAULT_HOST
from ..server import get_server
from ..session.annotations import DEFAULT_KEY as DEFAULT_ANNOTATIONS_KEY
from ..session.tiled_view import check_budget
from .facade import Viewer


def open_viewer(data, *, embedding, color, height, port, layer, gene_symbols, title,
                host=DEFAULT_HOST, annotations_key=DEFAULT_ANNOTATIONS_KEY,
                storage_options=None, point_budget=None) -> Viewer:
    """Open ``data`` (anything `open_dataset` takes) and show it in a new viewer that owns it.

    Raises what `open_dataset` and `Viewer` raise (`ValueError` for a bad ``point_budget``,
    before anything is opened); a viewer that cannot be made (a bad embedding or colour name)
    releases the dataset at once.
    """
    if point_budget is not None:
        check_budget(point_budget)
    server = get_server(port, host)
    dataset = open_dataset(data, embedding=embedding, layer=layer, gene_symbols=gene_symbols,
                           storage_options=storage_options)
    try:
        viewer = Viewer(dataset, embedding=embedding, color=color, height=height, title=title,
                        server=server, annotations_key=annotations_key,
                        point_budget=point_budget)
    except BaseException:
        dataset.close()
        raise
    viewer.owns_dataset = True
    return viewer
