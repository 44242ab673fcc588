"""The entry points: `show_anndata`, `show`, `serve`, `prepare`."""

from __future__ import annotations

import os
import webbrowser

from .annotations import DEFAULT_KEY as DEFAULT_ANNOTATIONS_KEY
from .data import open_dataset
from .hosts import DEFAULT_HOST, DEFAULT_SERVE_PORT
from .notebook import display_viewer, in_notebook
from .server import get_server
from .sessionfile.keeper import as_bundle
from .viewer import Viewer


def _open_viewer(data, *, embedding, color, height, port, layer, gene_symbols, title,
                 host=DEFAULT_HOST, annotations_key=DEFAULT_ANNOTATIONS_KEY,
                 storage_options=None, session=None, session_strict=True) -> Viewer:
    if session is not None:
        session = as_bundle(session)   # a file that is not a session is refused before anything
    server = get_server(port, host)
    dataset = open_dataset(data, embedding=embedding, layer=layer, gene_symbols=gene_symbols,
                           storage_options=storage_options)
    try:
        viewer = Viewer(dataset, embedding=embedding, color=color, height=height, title=title,
                        server=server, annotations_key=annotations_key)
    except BaseException:
        dataset.close()   # a bad embedding or colour name: release the file at once
        raise
    viewer.owns_dataset = True
    if session is not None:
        try:
            viewer.load_session(session, strict=session_strict)
        except BaseException:
            viewer.stop()
            raise
    return viewer


def show_anndata(data, *, embedding: str | None = None, color: str | None = None,
                 height: int = 600, port: int | None = None, layer: str | None = None,
                 gene_symbols: str | None = None, title: str | None = None,
                 annotations_key: str | None = DEFAULT_ANNOTATIONS_KEY,
                 storage_options: dict | None = None, session=None,
                 session_strict: bool = True) -> Viewer:
    """Show an AnnData, ``.h5ad``, ``.zarr`` or export directory in an interactive viewer.

    ``data`` may also be the URL of an export or ``.zarr`` store (``s3://``, ``gs://``,
    ``https://``, ``file://``): it is read lazily, each part when first shown, through fsspec
    with ``storage_options`` (credentials, endpoint); see ``docs/remote.md``.

    In a notebook the viewer appears in the cell's output; in a script the viewer URL is
    printed and the call returns at once. Labels given in the page (Annotate, key A) are kept in
    ``viewer.annotations`` and, for an in-memory AnnData, written to
    ``adata.obs[annotations_key]`` as they arrive (``None``: not written).

    ``session`` (a ``.cellucid-session`` path or a `SessionBundle`) shows a saved view: the page
    opens on it, its labels in ``adata.obs``; ``session_strict=False`` restores it onto other
    cells by ``obs_names`` (see `Viewer.load_session`).

    Raises `FileNotFoundError` for a missing path or URL, `PermissionError` for refused access,
    `cellucid.DatasetError` for data that cannot be shown, `KeyError` for an unknown
    ``embedding`` or ``color``, `ValueError` for a session that is not readable or not of
    these cells (`SessionMismatch`).
    """
    viewer = _open_viewer(data, embedding=embedding, color=color, height=height, port=port,
                          layer=layer, gene_symbols=gene_symbols, title=title,
                          annotations_key=annotations_key, storage_options=storage_options,
                          session=session, session_strict=session_strict)
    if in_notebook():
        display_viewer(viewer)
    else:
        print(f"cellucid viewer: {viewer.viewer_url}", flush=True)
    return viewer


def show(path: str | os.PathLike, **options) -> Viewer:
    """`show_anndata` for a path or URL (an export written by `prepare`, or a file or store)."""
    return show_anndata(os.fspath(path), **options)


def serve(data, *, port: int = DEFAULT_SERVE_PORT, host: str = DEFAULT_HOST,
          open_browser: bool = True, block: bool = True, embedding: str | None = None,
          color: str | None = None, layer: str | None = None, gene_symbols: str | None = None,
          storage_options: dict | None = None, session=None) -> Viewer:
    """Serve a viewer of ``data`` (anything `show_anndata` takes, URLs too) on ``host:port``
    and open it in the browser; ``session``: a saved session to open it on (as in
    `show_anndata`).

    With ``block=True`` (the default) it serves until Ctrl-C. A script that registers hooks
    passes ``block=False``, registers them on the returned viewer, then calls
    ``viewer.serve_forever()``.
    """
    viewer = _open_viewer(data, embedding=embedding, color=color, height=600, port=port,
                          layer=layer, gene_symbols=gene_symbols, title=None, host=host,
                          storage_options=storage_options, session=session)
    print(f"cellucid viewer: {viewer.viewer_url}", flush=True)
    if open_browser:
        webbrowser.open(viewer.viewer_url)
    if block:
        viewer.serve_forever()
    return viewer
