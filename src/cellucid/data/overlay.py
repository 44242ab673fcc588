"""A dataset as one viewer's page reads it: its names with the values pushed from Python laid
over them (`pushed.PushedData`).

A name is resolved in one place (`DatasetView.source_of`): a pushed id by the pushed data, any
other name by the dataset; both answer the same questions (entries with versions, colour fields,
checks). Radius queries in a pushed embedding use the dataset's one spatial-index cache.
"""

from __future__ import annotations

import numpy as np

from ..errors import DatasetError
from .embeddings import Embedding
from .obs import ObsField
from .pushed import PushedData


class DatasetView:
    """``dataset`` with the ``pushed`` data of one viewer laid over its names."""

    def __init__(self, dataset, pushed: PushedData) -> None:
        self.dataset = dataset
        self.pushed = pushed

    def source_of(self, name: str):
        """Who answers for ``name``: the pushed data for a pushed id, else the dataset."""
        return self.pushed if self.pushed.owns(name) else self.dataset

    @property
    def revision(self) -> int:
        """Grows whenever the dataset's names or the pushed data change."""
        return int(getattr(self.dataset, "revision", 0)) + self.pushed.revision

    def manifest(self) -> dict:
        """The dataset's manifest with the pushed columns and embeddings appended."""
        manifest = dict(self.dataset.manifest())
        obs, embeddings = self.pushed.manifest_entries()
        manifest["obs"] = list(manifest.get("obs", [])) + obs
        manifest["embeddings"] = list(manifest.get("embeddings", [])) + embeddings
        manifest["revision"] = self.revision
        return manifest

    # -- per name -------------------------------------------------------------------------------
    def obs_entry(self, name: str) -> tuple[ObsField, int]:
        """``(field, version)`` of an obs column or a pushed column; `UnknownName` if neither."""
        return self.source_of(name).obs_entry(name)

    def obs_field(self, name: str) -> ObsField:
        """The field (kind, categories, …) of an obs column or a pushed column."""
        return self.obs_entry(name)[0]

    def obs_values(self, name: str) -> tuple[np.ndarray, int]:
        """Encoded values and version of an obs column or a pushed column.

        Raises `UnknownName`, or ``DatasetError`` for a column that cannot be coloured.
        """
        field, version = self.obs_entry(name)
        if field.values is None:
            raise DatasetError(f"obs column {name!r} cannot be coloured: {field.info['reason']}")
        return field.values, version

    def embedding_entry(self, name: str) -> tuple[Embedding, int]:
        """The embedding record (coordinates, bounds) and version of ``name``."""
        return self.source_of(name).embedding_entry(name)

    def embedding_info(self, name: str) -> Embedding:
        """The embedding record of ``name``; `UnknownName` if there is none."""
        return self.source_of(name).embedding_info(name)

    def resolve_color_field(self, name: str) -> tuple[str, str]:
        """``("obs", column)`` or ``("gene", var_name)``: what ``name`` colours by."""
        return self.source_of(name).resolve_color_field(name)

    def check_column(self, name: str) -> int:
        """The version of column ``name``, its bytes compared (an in-place edit shows)."""
        return self.source_of(name).check_column(name)

    def check_embedding(self, name: str) -> int:
        """The version of embedding ``name``, its bytes compared."""
        return self.source_of(name).check_embedding(name)

    def radius_cells(self, name: str, center, r: float) -> np.ndarray:
        """Cells within ``r`` of ``center`` in embedding ``name`` (pushed ones included)."""
        return self.dataset.radius_in(self.embedding_entry(name)[0], center, r)
