"""A viewer over data that cellucid opens itself (what `show_anndata` and `serve` make): the
dataset is the viewer's own, so stopping the viewer closes it (`Viewer.owns_dataset`)."""

from __future__ import annotations

from ..data import open_dataset
from ..hosts import DEFAULT_HOST
from ..server import get_server
from ..session.annotations import DEFAULT_KEY as DEFAULT_ANNOTATIONS_KEY
from ..session.tiled_view import check_budget
from ..sessionfile.bundle import as_bundle
from .facade import Viewer


def open_viewer(data, *, embedding, color, height, port, layer, gene_symbols, title,
                host=DEFAULT_HOST, annotations_key=DEFAULT_ANNOTATIONS_KEY,
                storage_options=None, session=None, session_strict=True,
                point_budget=None) -> Viewer:
    """Open ``data`` (anything `open_dataset` takes) and show it in a new viewer that owns it,
    on the saved ``session`` (a path or a `SessionBundle`) when one is given.

    Raises what `open_dataset`, `Viewer` and `Viewer.load_session` raise (`ValueError` for a
    bad ``point_budget``, before anything is opened); a viewer that cannot be made (a bad
    embedding or colour name) releases the dataset at once, and one whose session is refused
    is stopped.
    """
    if point_budget is not None:
        check_budget(point_budget)
    if session is not None:
        session = as_bundle(session)   # a file that is not a session is refused before anything
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
    if session is not None:
        try:
            viewer.load_session(session, strict=session_strict)
        except BaseException:
            viewer.stop()
            raise
    return viewer
