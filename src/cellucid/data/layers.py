"""The expression matrices of a dataset (``X``, ``layers``, ``.raw``): one factory each.

A dataset holds ``{"X": factory, "<layer>": factory, ..., RAW: factory}``; calling a factory
returns the source that reads that matrix best (`cellucid.data.blocks`): the matrix of the
AnnData in memory (made again when the AnnData's matrix is replaced), a CSC matrix read in place
from its file, or the column store of the gene cache or of an export. Factories of a matrix on
disk make their source on the first call, because for a matrix that is not CSC that builds the
gene cache. ``.raw`` (``adata.raw.X``, with its own genes) is held under the key `RAW`, which is
not a layer: it is never listed as one nor chosen as the default layer. An unknown matrix is an
`UnknownLayer` everywhere.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from .blocks import ColumnBlockSource, ColumnFunctionSource, ColumnStoreSource, matrix_source
from .cache import cached_column_store
from .chunks import csc_arrays
from .expression import csc_reader
from .names import UnknownName

RAW = ".raw"   # the key of ``adata.raw.X`` among a dataset's matrices
LayerFactory = Callable[[], ColumnBlockSource]


class UnknownLayer(UnknownName, ValueError):
    """An expression matrix the dataset does not have (a layer, or ``.raw``): a `KeyError`
    like every unknown name (404 over HTTP), and a `ValueError` as an argument naming no
    matrix."""

    def __init__(self, name: str, layers: Iterable[str]) -> None:
        layers = list(layers)
        super().__init__("layer", name, layers)
        if name == RAW:
            listed = ", ".join(map(repr, layers)) or "none"
            self.message = f"this dataset has no .raw: name X or a layer (it has {listed})"
            self.args = (self.message,)


def layer_names(matrices: dict) -> list[str]:
    """The layers among ``matrices`` (``X`` first when present): every key but `RAW`."""
    return [name for name in matrices if name != RAW]


def default_layer_of(layers: dict, layer: str | None) -> str:
    """The layer gene values come from: ``layer`` if given (`UnknownLayer` if unknown), else
    ``X``."""
    names = layer_names(layers)
    if layer is not None:
        if layer not in names:
            raise UnknownLayer(layer, names)
        return layer
    return "X" if "X" in names else next(iter(names), "X")


def once(make: LayerFactory) -> LayerFactory:
    """A factory that makes its source on the first call (one thread at a time) and hands the
    same one out after; a call that raises makes nothing, so the next one tries again."""
    made: list[ColumnBlockSource] = []
    lock = threading.Lock()

    def factory() -> ColumnBlockSource:
        if not made:
            with lock:
                if not made:
                    made.append(make())
        return made[0]
    return factory


def in_memory(get_matrix: Callable[[], object]) -> LayerFactory:
    """A factory of the source of a matrix held in memory, ``get_matrix()`` as it is when asked:
    the source is made again when the AnnData's matrix was replaced."""
    held: list = [None, None]   # the matrix, its source
    lock = threading.Lock()

    def factory() -> ColumnBlockSource:
        matrix = get_matrix()
        with lock:
            if held[0] is not matrix:
                held[:] = [matrix, matrix_source(matrix)]
            return held[1]
    return factory


def matrix_factory(node, path: str, element: str, n: int, progress: bool = True) -> LayerFactory:
    """A factory of the source of the matrix ``node`` of the file or store at ``path``.

    A CSC matrix is read in place; any other layout goes through the gene cache, stored under
    ``element`` (``"X"``, ``"layers/counts"``) of ``path``.
    """
    def make() -> ColumnBlockSource:
        csc = csc_arrays(node)
        if csc is not None:
            return ColumnFunctionSource(csc_reader(*csc, n), n, csc[0].shape[0] - 1)
        return ColumnStoreSource(cached_column_store(node, path, element, progress=progress))
    return once(make)


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
        factories["X"] = in_memory(lambda: adata.X)
    for name in adata.layers.keys():
        factories[str(name)] = in_memory(lambda name=name: adata.layers[name])
    if adata.raw is not None:
        factories[RAW] = _backed_factory(adata.raw.X, adata, "raw/X") if adata.isbacked else \
            in_memory(lambda: adata.raw.X)
    return factories


def _backed_factory(matrix, adata, element: str) -> LayerFactory:
    node = getattr(matrix, "group", matrix)  # anndata's backed sparse dataset wraps a group
    return matrix_factory(node, str(adata.filename), element, adata.n_obs)
