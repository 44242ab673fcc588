"""The entry points: `show_anndata`, `show`, `serve`, `prepare`."""

from __future__ import annotations

import os
import webbrowser

from .hosts import DEFAULT_HOST, DEFAULT_SERVE_PORT
from .notebook.display import display_viewer, in_notebook
from .session.annotations import DEFAULT_KEY as DEFAULT_ANNOTATIONS_KEY
from .viewer import Viewer
from .viewer.opening import open_viewer


def show_anndata(data, *, embedding: str | None = None, color: str | None = None,
                 height: int = 600, port: int | None = None, layer: str | None = None,
                 gene_symbols: str | None = None, title: str | None = None,
                 annotations_key: str | None = DEFAULT_ANNOTATIONS_KEY,
                 storage_options: dict | None = None, session=None,
                 session_strict: bool = True, point_budget: int | None = None) -> Viewer:
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

    ``point_budget`` is the most cells the page draws at once (default 1,000,000). Data with
    more cells is drawn by level of detail: a uniform sample of the cells first, more of them
    where the view zooms in, never more than the budget (the page lowers it further while
    frames are slow); selections are still resolved over every cell, in Python (see
    ``docs/scale.md``).

    Raises `FileNotFoundError` for a missing path or URL, `PermissionError` for refused access,
    `cellucid.DatasetError` for data that cannot be shown, `KeyError` for an unknown
    ``embedding`` or ``color``, `ValueError` for a session that is not readable or not of
    these cells (`SessionMismatch`) and for a ``point_budget`` that is not a whole number ≥ 1.
    """
    viewer = open_viewer(data, embedding=embedding, color=color, height=height, port=port,
                         layer=layer, gene_symbols=gene_symbols, title=title,
                         annotations_key=annotations_key, storage_options=storage_options,
                         session=session, session_strict=session_strict,
                         point_budget=point_budget)
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
          storage_options: dict | None = None, session=None,
          point_budget: int | None = None) -> Viewer:
    """Serve a viewer of ``data`` (anything `show_anndata` takes, URLs too) on ``host:port``
    and open it in the browser; ``session``: a saved session to open it on (as in
    `show_anndata`).

    With ``block=True`` (the default) it serves until Ctrl-C. A script that registers hooks
    passes ``block=False``, registers them on the returned viewer, then calls
    ``viewer.serve_forever()``.
    """
    viewer = open_viewer(data, embedding=embedding, color=color, height=600, port=port,
                         layer=layer, gene_symbols=gene_symbols, title=None, host=host,
                         storage_options=storage_options, session=session,
                         point_budget=point_budget)
    print(f"cellucid viewer: {viewer.viewer_url}", flush=True)
    if open_browser:
        webbrowser.open(viewer.viewer_url)
    if block:
        viewer.serve_forever()
    return viewer
