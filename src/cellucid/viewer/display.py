"""How a `Viewer` shows itself: its notebook widget, and the ``_repr_*_`` hooks of IPython and
marimo (a viewer as a cell's last value)."""

from __future__ import annotations

from ..notebook.client_url import client_base_url
from ..notebook.display import (
    display_mode,
    iframe_bundle,
    iframe_html,
    in_notebook,
    output_bundle,
)


class _Html:
    """HTML for marimo's display protocol."""

    def __init__(self, markup: str) -> None:
        self.markup = markup

    def _repr_html_(self) -> str:
        return self.markup


class DisplayMethods:
    """The display side of `Viewer` (mixed in; uses its server, id, token and height)."""

    _widget = None

    @property
    def widget(self):
        """This viewer's notebook widget (a `cellucid.widget.CellucidWidget`, made once).

        In marimo: ``mo.ui.anywidget(viewer.widget)``; a viewer as a cell's value shows it too.
        """
        if self._widget is None:
            from ..notebook.widget import viewer_widget

            self._widget = viewer_widget(self, client_base_url(self._server))
        return self._widget

    def widget_for_display(self):
        """`widget`, pointed at the URL of the route chosen now (it may have changed)."""
        widget = self.widget
        url = client_base_url(self._server)
        if widget.http_url != url:
            widget.http_url = url
        return widget

    def _repr_html_(self) -> str:
        return iframe_html(self)

    def _repr_mimebundle_(self, include=None, exclude=None):
        # Outside a kernel (terminal IPython) no front end could show a widget.
        if not in_notebook():
            return iframe_bundle(self)
        return output_bundle(self)

    def _display_(self):
        """marimo's display protocol: the widget (or the iframe with CELLUCID_DISPLAY=iframe)."""
        if display_mode() == "iframe":
            return _Html(iframe_html(self))
        return self.widget_for_display()
