"""Gene reads from an AnnData that anndata opened backed: X stays on disk, read via the gene cache."""

from __future__ import annotations

from .expression import column_reader
from .store import matrix_factory


def backed_layer_factories(adata) -> dict:
    """``{"X": factory, ...}`` for a backed AnnData (its layers are in memory, X is on disk)."""
    x = adata.X
    node = getattr(x, "group", x)  # anndata's backed sparse dataset wraps an h5py group
    factories = {"X": matrix_factory(node, str(adata.filename), "X", adata.n_obs)}
    for name in adata.layers.keys():
        factories[str(name)] = lambda name=name: column_reader(adata.layers[name])
    return factories
