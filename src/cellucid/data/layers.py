"""The expression matrices of a dataset (``X``, ``layers``, ``.raw``): one reader factory each.

A dataset holds ``{"X": factory, "<layer>": factory, ..., RAW: factory}``; calling a factory
returns the column reader of :mod:`cellucid.data.expression` for that matrix. Factories run on
the first gene read of their matrix, because for a matrix on disk that is not CSC the first read
builds the gene cache. ``.raw`` (``adata.raw.X``, with its own genes) is held under the key
`RAW`, which is not a layer: it is never listed as one nor chosen as the default layer.
"""

from __future__ import annotations

from .cache import cached_column_store
from .chunks import csc_arrays
from .expression import column_reader, csc_reader
from .names import UnknownName


RAW = ".raw"   # the key of ``adata.raw.X`` among a dataset's matrices


def layer_names(matrices: dict) -> list[str]:
    """The layers among ``matrices`` (``X`` first when present): every key but `RAW`."""
    return [name for name in matrices if name != RAW]


def default_layer_of(layers: dict, layer: str | None) -> str:
    """The layer gene values come from: ``layer`` if given (``KeyError`` if unknown), else ``X``."""
    names = layer_names(layers)
    if layer is not None:
        if layer not in names:
            raise UnknownName("layer", layer, names)
        return layer
    return "X" if "X" in names else next(iter(names), "X")


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


def store_matrices(root) -> dict:
    """``{"X": node, "<layer>": node, ..., RAW: node}``: the matrices of an h5py/zarr store,
    unread, keyed as a dataset's matrices and in that order."""
    found = {}
    if "X" in root:
        found["X"] = root["X"]
    if "layers" in root:
        for name in root["layers"].keys():
            found[str(name)] = root["layers"][name]
    if "raw" in root and "X" in root["raw"]:
        found[RAW] = root["raw"]["X"]
    return found


def element_of(key: str) -> str:
    """Where matrix ``key`` lives in an AnnData store: ``X``, ``layers/<name>`` or ``raw/X``."""
    return "raw/X" if key == RAW else key if key == "X" else f"layers/{key}"


def store_layers(root, path: str, n: int) -> dict:
    """``{"X": factory, "<layer>": factory, ..., RAW: factory}`` for the matrices of an
    h5py/zarr store."""
    return {key: matrix_factory(node, path, element_of(key), n)
            for key, node in store_matrices(root).items()}


def anndata_layers(adata) -> dict:
    """``{"X": factory, "<layer>": factory, ..., RAW: factory}`` for an AnnData (`RAW` when it
    has a ``.raw``).

    In memory every matrix is read in place; a dask array (``X``, a layer or ``.raw``) is read as
    dask tasks, one per row chunk, on the active scheduler. Opened backed by anndata, ``X`` and
    ``.raw`` are on disk (the layers are in memory) and are read like the matrices of a store.
    """
    factories = {}
    if adata.isbacked:
        factories["X"] = _backed_factory(adata.X, adata, "X")
    elif adata.X is not None:
        factories["X"] = lambda: column_reader(adata.X)
    for name in adata.layers.keys():
        factories[str(name)] = lambda name=name: column_reader(adata.layers[name])
    if adata.raw is not None:
        factories[RAW] = _backed_factory(adata.raw.X, adata, "raw/X") if adata.isbacked else \
            (lambda: column_reader(adata.raw.X))
    return factories


def _backed_factory(matrix, adata, element: str):
    node = getattr(matrix, "group", matrix)  # anndata's backed sparse dataset wraps an h5py group
    return matrix_factory(node, str(adata.filename), element, adata.n_obs)
