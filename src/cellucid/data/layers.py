"""The expression matrices of a dataset (``X`` and ``layers``): one reader factory each, and the default.

A dataset holds ``{"X": factory, "<layer>": factory, ...}``; calling a factory returns the column
reader of :mod:`cellucid.data.expression` for that matrix. Factories run on the first gene read
of their layer, because for a matrix on disk that is not CSC the first read builds the gene cache.
"""

from __future__ import annotations

from .cache import cached_column_store
from .chunks import csc_arrays
from .expression import column_reader, csc_reader
from .names import UnknownName


def default_layer_of(layers: dict, layer: str | None) -> str:
    """The layer gene values come from: ``layer`` if given (``KeyError`` if unknown), else ``X``."""
    if layer is not None:
        if layer not in layers:
            raise UnknownName("layer", layer, list(layers))
        return layer
    return "X" if "X" in layers else next(iter(layers), "X")


def matrix_factory(node, path: str, element: str, n: int, progress: bool = True):
    """A factory of the column reader for the matrix ``node`` of the file or store at ``path``.

    A CSC matrix is read in place; any other layout goes through the gene cache, stored under
    ``element`` (``"X"``, ``"layers/counts"``) of ``path``.
    """
    def make():
        csc = csc_arrays(node)
        if csc is not None:
            return csc_reader(*csc, n)
        return cached_column_store(node, path, element, progress=progress).column
    return make


def store_layers(root, path: str, n: int) -> dict:
    """``{"X": factory, "<layer>": factory, ...}`` for the matrices of an h5py/zarr store."""
    layers = {}
    if "X" in root:
        layers["X"] = matrix_factory(root["X"], path, "X", n)
    if "layers" in root:
        for name in root["layers"].keys():
            layers[str(name)] = matrix_factory(root["layers"][name], path, f"layers/{name}", n)
    return layers


def anndata_layers(adata) -> dict:
    """``{"X": factory, "<layer>": factory, ...}`` for an AnnData.

    In memory every matrix is read in place; a dask array (``X`` or a layer) is read as dask
    tasks, one per row chunk, on the active scheduler. Opened backed by anndata, only ``X`` is on
    disk (its layers are in memory) and is read like the ``X`` of a store.
    """
    factories = {}
    if adata.isbacked:
        x = adata.X
        node = getattr(x, "group", x)  # anndata's backed sparse dataset wraps an h5py group
        factories["X"] = matrix_factory(node, str(adata.filename), "X", adata.n_obs)
    elif adata.X is not None:
        factories["X"] = lambda: column_reader(adata.X)
    for name in adata.layers.keys():
        factories[str(name)] = lambda name=name: column_reader(adata.layers[name])
    return factories
