"""Gene reads from an AnnData whose matrices stay on disk."""

from __future__ import annotations

from .expression import column_reader


def backed_layer_factories(adata) -> dict:
    """``{"X": factory, ...}`` for a backed AnnData."""
    factories = {"X": lambda: column_reader(adata.X)}
    for name in adata.layers.keys():
        factories[str(name)] = lambda name=name: column_reader(adata.layers[name])
    return factories
