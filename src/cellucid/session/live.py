"""The live loop: colour and embeddings as the data is now (docs/live-analysis.md).

A name is resolved against the dataset as it is when asked (an obs column, also one added after
show, or a gene; an ``obsm`` key), values and coordinates from Python are checked, aligned and
pushed (`data.pushed`), and names are resolved over both (`data.overlay`); either way the page gets a command naming what to fetch, with the data's
``revision`` so it knows to read the manifest again first.
"""

from __future__ import annotations

import pandas as pd

from ..data.cell_values import cell_coordinates, cell_values, values_title


class LiveValues:
    """What one viewer's page colours by and shows, sent as commands (``session``: its
    `ViewerSession`)."""

    def __init__(self, session) -> None:
        self.session = session

    def color_by(self, field, name: str | None) -> None:
        """Colour by a name or by values computed in Python; see `Viewer.set_color_by`."""
        session = self.session
        if isinstance(field, str):
            kind, field_id = self._resolve_color_name(field)
        else:
            title = values_title(field, name)
            # a Series is aligned by the cell names; reading them can cost more than showing
            names = session.dataset.cell_names if isinstance(field, pd.Series) else None
            series = cell_values(field, session.n_cells, names)
            session.check_running()
            kind, field_id = "obs", session.pushed.put_values(title, series)
        session.command("setColorBy", {"field": field_id, "kind": kind,
                                       "revision": session.data.revision})

    def _resolve_color_name(self, name: str) -> tuple[str, str]:
        data = self.session.data
        kind, field = data.resolve_color_field(name)
        if kind == "obs":
            data.check_column(field)   # an in-place edit of the column shows too
        return kind, field

    def show_embedding(self, embedding, name: str | None) -> None:
        """Show an ``obsm`` key or coordinates from Python; see `Viewer.set_embedding`."""
        session = self.session
        if isinstance(embedding, str):
            session.data.embedding_info(embedding)
            session.data.check_embedding(embedding)
            key = embedding
        else:
            title = values_title(None, name) if name is not None else "embedding"
            coords = cell_coordinates(embedding, session.n_cells)
            session.check_running()
            key = session.pushed.put_embedding(title, coords)
        session.command("setEmbedding", {"name": key, "revision": session.data.revision})

    def refresh(self) -> None:
        """Offer the page the names the data has now; see `Viewer.refresh`."""
        self.session.command("refresh", {"revision": self.session.data.revision})
