"""Opening an AnnData ``.zarr`` store at a URL without downloading it.

Opening reads what any store opens with (:mod:`cellucid.data.store`): the obs columns, the first
columns of each ``obsm`` entry, ``var`` — through zarr on an fsspec store, so only those chunks
travel. Genes are read on demand. A CSC matrix gives one gene from two short slices; a matrix
stored by cell (CSR or dense) has no column layout, so each gene read scans it over the network:
the first gene read warns (`SlowRemoteGenes`) and says how to write a cellucid export instead.
The zarr chunks themselves are not kept in the disk cache.
"""

from __future__ import annotations

import warnings

import numpy as np

from .blocks import ColumnFunctionSource
from .chunks import csc_arrays, encoding_of, stored_shape
from .dataset import Dataset
from .expression import csc_reader
from .fs import Location, RemoteError
from .layers import element_of, once, store_matrices

SCAN_VALUES = 8_000_000   # stored values scanned per step of a CSR column read


class SlowRemoteGenes(UserWarning):
    """Genes of a remote store without a column layout: each read scans the matrix."""


def open_zarr_group(location: Location):
    """The zarr group at ``location``, read-only (zarr 3 ``FsspecStore``, or a zarr 2 mapper)."""
    import zarr
    try:
        if int(zarr.__version__.split(".")[0]) >= 3:
            from zarr.storage import FsspecStore   # its own filesystem: zarr 3 runs it async
            store = FsspecStore.from_url(location.url, storage_options=location.storage_options,
                                         read_only=True)
        else:
            store = location.fs.get_mapper(location.root)
        return zarr.open_group(store, mode="r")
    except Exception as exc:   # noqa: BLE001 — fsspec backends and zarr raise their own types
        raise location.error(exc, opening=True) from None


def _csr_reader(group, n: int):
    indptr = np.asarray(group["indptr"][:], dtype=np.int64)
    indices, data = group["indices"], group["data"]
    nnz = int(indptr[-1])

    def read(j: int) -> np.ndarray:
        out = np.zeros(n, dtype=np.float32)
        for a in range(0, nnz, SCAN_VALUES):
            b = min(nnz, a + SCAN_VALUES)
            hits = np.flatnonzero(np.asarray(indices[a:b]) == j)
            if hits.size:
                rows = np.searchsorted(indptr, a + hits, side="right") - 1
                out[rows] = np.asarray(data.get_coordinate_selection(a + hits))
        return out
    return read


def _dense_reader(array):
    def read(j: int) -> np.ndarray:
        return np.ascontiguousarray(np.asarray(array[:, j]).ravel(), dtype=np.float32)
    return read


def _guarded(what: str, call, *args):
    try:
        return call(*args)
    except RemoteError:
        raise
    except Exception as exc:   # noqa: BLE001 — a chunk that could not be fetched
        raise RemoteError(f"cannot read {what}: {type(exc).__name__}: {exc}") from None


def remote_matrix_factory(node, label: str, element: str, n: int, warned: set | None = None):
    """A factory of the source of matrix ``node`` of the store at ``label`` (a URL without
    secrets), read one gene at a time; a matrix not stored by gene warns `SlowRemoteGenes` when
    the source is made (with the first gene read), once for all the factories sharing
    ``warned``. Read failures raise `RemoteError` (a ``DatasetError``)."""
    warned = set() if warned is None else warned

    def make():
        csc = csc_arrays(node)
        if csc is not None:
            reader = _guarded(f"{element} of {label}", csc_reader, *csc, n)
        else:
            layout = "CSR" if encoding_of(node) == "csr_matrix" else "dense"
            if not warned:
                warned.add(element)
                warnings.warn(
                    f"{label} is a remote .zarr store whose {element} is stored by cell "
                    f"({layout}): each gene read scans that matrix over the network, which is "
                    "slow. Write a cellucid export once — it reads one gene with one small "
                    f"request: `cellucid prepare {label} <local dir or s3://…/name.cellucid>`, "
                    "then show that.", SlowRemoteGenes, stacklevel=2)
            reader = _guarded(f"{element} of {label}", _csr_reader, node, n) \
                if layout == "CSR" else _dense_reader(node)

        def read(j: int) -> np.ndarray:
            return _guarded(f"gene {j} of {element} of {label}", reader, j)
        return ColumnFunctionSource(read, n, stored_shape(node)[1])
    return once(make)


def remote_store_layers(root, label: str, n: int) -> dict:
    """``{"X": factory, "<layer>": factory, ..., RAW: factory}`` for the matrices of a remote
    zarr group."""
    warned: set = set()   # one warning per store, with its first gene
    return {key: remote_matrix_factory(node, label, element_of(key), n, warned)
            for key, node in store_matrices(root).items()}


def open_remote_zarr(location: Location, **options) -> Dataset:
    """A :class:`Dataset` over the AnnData ``.zarr`` store at ``location`` (``adata`` is None).

    Raises ``FileNotFoundError``/``PermissionError`` when it is missing or refused, and what
    :func:`~cellucid.data.store.dataset_from_store` raises for a store that is not AnnData.
    """
    from .store import dataset_from_store
    root = open_zarr_group(location)
    try:
        return dataset_from_store(root, location.display, "zarr", adata_loader=None,
                                  layer_factories=remote_store_layers, **options)
    except (OSError, RuntimeError) as exc:   # a chunk that could not be fetched while opening
        raise location.error(exc, opening=True) from None
