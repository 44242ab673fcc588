"""Showing a viewer in a notebook output: the widget or the iframe, the caption, and cell re-runs.

By default the output is a `widget.CellucidWidget`: its front end shows the viewer page in an
iframe from the server's URL when the browser reaches it, and otherwise over the kernel's own
comm channel, so remote kernels, VS Code and Colab need no proxy. ``CELLUCID_DISPLAY=iframe``
gives the plain HTML output instead — an iframe and a caption, no JavaScript — which renders the
same in every front end but needs the browser to reach the server (docs/environments.md).

The caption (an output of its own under the widget) is what a reader of a saved notebook sees
when the kernel that served the viewer is gone, and it says how to bring the viewer back.

A cell run again replaces its viewer: the viewers shown by an earlier run of the same cell
(JupyterLab and Notebook 7 send the cell's id with each execution) are stopped when the new run
shows one, so their hooks, threads and data go away with their output.
"""

from __future__ import annotations

import html
import os
import sys
import threading

REPLACED_MESSAGE = "This viewer was replaced: its cell was run again."
CAPTION_STYLE = "font:12px/1.4 system-ui,sans-serif;color:#777;margin:2px 0 0 0"
DISPLAY_MODES = ("widget", "iframe")


def in_notebook() -> bool:
    """Whether this code runs in a Jupyter kernel (as opposed to a script or a terminal IPython)."""
    module = sys.modules.get("IPython")
    if module is None:
        return False
    ip = module.get_ipython()
    if ip is None:
        return False
    return getattr(ip, "kernel", None) is not None or "IPKernelApp" in getattr(ip, "config", {})


def display_mode(env=None) -> str:
    """How notebooks show viewers: ``CELLUCID_DISPLAY`` — ``widget`` (default) or ``iframe``.

    Raises `ValueError` for another value.
    """
    env = os.environ if env is None else env
    mode = env.get("CELLUCID_DISPLAY", "").strip().lower() or "widget"
    if mode not in DISPLAY_MODES:
        raise ValueError(f"CELLUCID_DISPLAY must be one of {', '.join(DISPLAY_MODES)}, "
                         f"got {mode!r}")
    return mode


def caption_html(viewer) -> str:
    """The one-line caption under a viewer: what serves it, and to re-run the cell if it died."""
    viewer_id = html.escape(viewer.viewer_id, quote=True)
    return (f'<p class="cellucid-caption" style="{CAPTION_STYLE}">cellucid viewer '
            f'<code>{viewer_id}</code> · {viewer.n_cells:,} cells · served by the Python kernel '
            f'that ran this cell. If the view above is blank, shows an error, or says the session '
            f'ended, that kernel has stopped: re-run this cell to bring the viewer back.</p>')


def iframe_html(viewer) -> str:
    """The HTML of a notebook output showing ``viewer``: a full-width iframe and a caption."""
    url = html.escape(viewer.viewer_url, quote=True)
    viewer_id = html.escape(viewer.viewer_id, quote=True)
    height = int(viewer.height)
    return (
        f'<div class="cellucid-output" data-cellucid-viewer="{viewer_id}" style="width:100%">'
        f'<iframe src="{url}" title="cellucid viewer {viewer_id}" width="100%" height="{height}" '
        f'style="border:0;width:100%;height:{height}px;display:block" '
        f'allow="clipboard-write" loading="eager"></iframe>{caption_html(viewer)}</div>'
    )


def plain_text(viewer) -> str:
    """The text form of the output, for front ends that show no HTML."""
    return (f"cellucid viewer {viewer.viewer_id} ({viewer.n_cells:,} cells): open "
            f"{viewer.viewer_url} — if the kernel that ran this cell has stopped, re-run it.")


def iframe_output(viewer) -> dict:
    """The plain HTML output of ``viewer`` (``CELLUCID_DISPLAY=iframe``, and outside kernels)."""
    return {"text/html": iframe_html(viewer), "text/plain": plain_text(viewer)}


def notebook_output(viewer) -> tuple[dict, dict]:
    """``(data, metadata)`` of ``viewer``'s notebook output in the current display mode."""
    if display_mode() == "iframe":
        return iframe_output(viewer), {}
    return viewer.widget_for_display()._repr_mimebundle_()


def mimebundle(viewer):
    """What IPython shows for ``viewer`` (its ``_repr_mimebundle_``): the output of the display
    mode in a kernel; the plain HTML outside one (terminal IPython), where no front end could
    show a widget."""
    if not in_notebook():
        return iframe_output(viewer)
    return notebook_output(viewer)


class HtmlOutput:
    """HTML for marimo's display protocol."""

    def __init__(self, markup: str) -> None:
        self.markup = markup

    def _repr_html_(self) -> str:
        return self.markup


def marimo_output(viewer):
    """What marimo shows for ``viewer`` (its ``_display_``): the widget, or the iframe with
    ``CELLUCID_DISPLAY=iframe``."""
    if display_mode() == "iframe":
        return HtmlOutput(iframe_html(viewer))
    return viewer.widget_for_display()


def new_widget(viewer):
    """A new notebook widget for ``viewer`` (`notebook.widget.CellucidWidget`), its page loaded
    from the URL of the route chosen now when the browser reaches it."""
    from .client_url import client_base_url
    from .widget import CellucidWidget   # late: anywidget loads with the first widget

    return CellucidWidget(viewer.server, viewer_id=viewer.viewer_id,
                          viewer_token=viewer.viewer_token,
                          http_url=client_base_url(viewer.server), height=viewer.height,
                          plain_text=plain_text(viewer))


def pointed_at_current_url(widget, server):
    """``widget``, its page's URL set to that of the route chosen now (it may have changed)."""
    from .client_url import client_base_url

    url = client_base_url(server)
    if widget.http_url != url:
        widget.http_url = url
    return widget


def display_viewer(viewer) -> None:
    """Display ``viewer`` in the current notebook output (replacing the cell's earlier viewers)."""
    from IPython.display import display

    from .client_url import choose_route

    replace_cell_viewers(viewer)
    choose_route(viewer.server, refresh=True)
    data, metadata = notebook_output(viewer)
    display(data, metadata=metadata, raw=True)
    if "text/html" not in data:
        # Its own output, plain HTML: it stays readable in a saved notebook after the kernel
        # (and with it the widget) is gone.
        display({"text/html": caption_html(viewer), "text/plain": plain_text(viewer)}, raw=True)


def current_cell() -> tuple[str, str] | None:
    """``(cell id, execution request id)`` of the cell running now, or None when unknown.

    The cell id comes from the ``cellId`` metadata that JupyterLab and Notebook 7 put on each
    execute request; the request id tells one run of that cell from the next.
    """
    module = sys.modules.get("IPython")
    ip = module.get_ipython() if module is not None else None
    if ip is None:
        return None
    getter = getattr(ip, "get_parent", None)
    parent = getter() if callable(getter) else getattr(ip, "parent_header", None)
    if not isinstance(parent, dict):
        return None
    cell_id = (parent.get("metadata") or {}).get("cellId")
    run_id = (parent.get("header") or {}).get("msg_id")
    if not cell_id or not run_id:
        return None
    return str(cell_id), str(run_id)


class CellViewers:
    """The viewers each cell showed in its latest run."""

    def __init__(self) -> None:
        self._runs: dict[str, tuple[str, list]] = {}
        self._lock = threading.Lock()

    def add(self, cell: tuple[str, str] | None, viewer) -> list:
        """Record that ``cell`` showed ``viewer``; returns the viewers of the cell's older runs."""
        if cell is None:
            return []
        cell_id, run_id = cell
        with self._lock:
            previous = self._runs.get(cell_id)
            if previous is not None and previous[0] == run_id:
                if viewer not in previous[1]:
                    previous[1].append(viewer)
                return []
            self._runs[cell_id] = (run_id, [viewer])
        return [] if previous is None else [v for v in previous[1] if v is not viewer]

    def viewers(self, cell_id: str) -> list:
        """The viewers of the latest run of ``cell_id``."""
        with self._lock:
            run = self._runs.get(cell_id)
            return list(run[1]) if run else []


cell_viewers = CellViewers()


def replace_cell_viewers(viewer, cell: tuple[str, str] | None = None) -> list:
    """Stop the viewers an earlier run of the running cell showed; returns those stopped."""
    old = cell_viewers.add(cell if cell is not None else current_cell(), viewer)
    for previous in old:
        previous.stop(REPLACED_MESSAGE)
    return old
