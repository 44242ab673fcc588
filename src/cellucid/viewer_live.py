"""The `Viewer`'s live loop: colour by names resolved against the data as it is now or by
values from Python, embeddings from Python, refresh, subset views, and the labels made in the
page (docs/live-analysis.md)."""

from __future__ import annotations

from .local_data import ID_PREFIX
from .values import cell_coordinates, cell_values, values_title


class LiveMethods:
    """Mixed into `Viewer` (uses its dataset, session and commands)."""

    def set_color_by(self, field, *, name: str | None = None) -> None:
        """Colour the cells by an obs column or gene name, or by values computed in Python.

        ``field`` is a name (an obs column, also one added after show, or a gene) or one value
        per cell: a 1-D array, list, pandas Series (aligned by ``obs_names``) or Categorical.
        Numbers get a colour bar, strings/categories/booleans a legend; the title shown is
        ``name``, else the Series' name, else ``"values"``. Raises `KeyError` naming the closest
        real names for an unknown name, `ValueError` for values that do not fit the cells.
        """
        if isinstance(field, str):
            if name is not None:
                raise ValueError("name= titles values pushed from Python; a column or gene is "
                                 "shown under its own name")
            kind, field_id = self._resolve_color_name(field)
        else:
            title = values_title(field, name)
            series = cell_values(field, self.n_cells, self._cell_names())
            self._check_running()
            kind, field_id = "obs", self._session.local.put_values(title, series)
        self._command("setColorBy", {"field": field_id, "kind": kind,
                                     "revision": self._session.data.revision})

    def _resolve_color_name(self, name: str) -> tuple[str, str]:
        if name.startswith(ID_PREFIX):
            self._session.local.column(name)
            return "obs", name
        kind, field = self.dataset.resolve_color_field(name)
        if kind == "obs":
            self.dataset.check_column(field)   # an in-place edit of the column shows too
        return kind, field

    def set_embedding(self, embedding, *, name: str | None = None) -> None:
        """Show another embedding: an ``obsm`` key (also one added after show) or coordinates.

        Coordinates are an array of shape ``(n_cells, 2)`` or ``(n_cells, 3)``, shown under
        ``name`` (default ``"embedding"``); the view fits them. Raises `KeyError` naming the
        closest embeddings for an unknown key, `ValueError` for coordinates of the wrong shape.
        """
        if isinstance(embedding, str):
            if name is not None:
                raise ValueError("name= titles coordinates pushed from Python; an obsm "
                                 "embedding is shown under its own name")
            if embedding.startswith(ID_PREFIX):
                self._session.local.embedding(embedding)
            else:
                self._check_embedding(embedding)
                self.dataset.check_embedding(embedding)
            key = embedding
        else:
            title = values_title(None, name) if name is not None else "embedding"
            coords = cell_coordinates(embedding, self.n_cells)
            self._check_running()
            key = self._session.local.put_embedding(title, coords)
        self._command("setEmbedding", {"name": key, "revision": self._session.data.revision})

    def refresh(self) -> None:
        """Offer the page the names the data has now (colour-by menu, embeddings, genes).

        The view, the selection and the highlight groups stay; a column coloured by that
        changed since is drawn with its new values.
        """
        self._command("refresh", {"revision": self._session.data.revision})

    def show_only(self, cells) -> None:
        """Hide every cell but ``cells`` and fit the view to them (`show_all` undoes it).

        Raises `IndexError` for a cell out of range.
        """
        self._command("showOnly", {"cells": self._cells(cells)})

    def show_all(self) -> None:
        """Show every cell again and fit the view to them."""
        self._command("showAll")

    # -- labels made in the page --------------------------------------------------------------
    @property
    def annotations(self):
        """The labels given in the page: a categorical pandas Series indexed by ``obs_names``
        (NaN where a cell has none); a later label on the same cells wins."""
        return self._labels.series()

    def _on_annotation(self, payload: dict) -> None:
        # Runs as the event is routed, so hooks and waiters see the labels already applied.
        if payload["key"] != self._labels.key:
            return
        self._publish_labels(self._labels.apply(payload["label"].strip(), payload["cells"]))

    def _publish_labels(self, series) -> None:
        """Write the labels column where labels go (``adata.obs``, else a column pushed to the
        page) and tell the page; live labels and labels restored from a session alike."""
        adata = self._in_memory_adata() if self._write_labels else None
        if adata is not None:
            adata.obs[self._labels.key] = series.array   # categorical, in cell order
        else:
            self._session.local.put_values(self._labels.key, series.reset_index(drop=True))
        if not self._session.stopped:
            self._session.commands.push("refresh", {"revision": self._session.data.revision})

    def _in_memory_adata(self):
        in_memory = getattr(self.dataset, "kind", None) == "anndata"
        adata = getattr(self.dataset, "adata", None) if in_memory else None
        return adata if adata is not None and not getattr(adata, "isbacked", False) else None

    def _cell_names(self):
        adata = getattr(self.dataset, "adata", None)
        return adata.obs_names if adata is not None else None
