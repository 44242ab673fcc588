"""``open_dataset``: pick the reader for what the user handed us."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import DatasetError
from .dataset import Dataset
from .urls import is_url, local_path_of


def open_dataset(data, *, embedding: str | None = None, layer: str | None = None,
                 gene_symbols: str | None = None, storage_options: dict | None = None) -> Dataset:
    """Open ``data`` as a :class:`Dataset`.

    ``data`` is an AnnData (in memory or backed), a path to an ``.h5ad`` file (opened read-only,
    X stays on disk), a ``.zarr`` store, or an export directory written by :func:`prepare` — or
    the URL of an export or ``.zarr`` store (``s3://``, ``gs://``, ``https://``, ``file://``, any
    fsspec URL; see ``docs/remote.md``), read lazily with ``storage_options`` handed to fsspec.
    ``embedding`` picks the embedding shown first (default: a UMAP, else the first one), ``layer``
    the matrix gene values come from (default ``X``), ``gene_symbols`` a ``var`` column of gene
    symbols to search and colour by.

    Raises ``FileNotFoundError`` for a missing path or URL, ``PermissionError`` for a URL whose
    storage refuses access; ``DatasetError`` for something that is not AnnData, a corrupt file or
    export, an export written by a newer cellucid, storage that cannot be reached, or data
    without a usable embedding; ``KeyError`` for an unknown ``embedding``/``layer``/
    ``gene_symbols``; ``ImportError`` naming ``pip install 'cellucid[remote]'`` for a URL when
    fsspec is missing. Messages name URLs without their credentials.
    """
    options = {"embedding": embedding, "layer": layer, "gene_symbols": gene_symbols}
    if is_url(data):
        local = local_path_of(data)
        if local is None:
            return open_url(data, storage_options, **options)
        data = local
    if isinstance(data, (str, os.PathLike)):
        return open_path(Path(data).expanduser(), **options)
    import anndata
    if isinstance(data, anndata.AnnData):
        from .from_anndata import dataset_from_anndata
        return dataset_from_anndata(data, **options)
    raise DatasetError(f"cannot show a {type(data).__name__}: pass an AnnData, or the path of an "
                       ".h5ad file, a .zarr store or a directory written by cellucid.prepare")


def open_url(url: str, storage_options: dict | None = None, **options) -> Dataset:
    """Open the export or ``.zarr`` store at ``url`` lazily (see :func:`open_dataset`)."""
    from .fs import Location
    from .remote_export import open_remote_export, read_remote_manifest
    from .remote_zarr import open_remote_zarr
    location = Location(url, storage_options)
    if location.bare.endswith(".h5ad"):
        raise DatasetError(f"{location.display}: a remote .h5ad cannot be read lazily; download "
                           "it and write a cellucid export of it (`cellucid prepare FILE.h5ad "
                           "OUT`, OUT a local directory or s3://…/NAME.cellucid), or a .zarr store")
    if location.bare.endswith(".zarr"):
        return open_remote_zarr(location, **options)
    try:
        manifest, raw = read_remote_manifest(location)
    except FileNotFoundError:
        if _is_remote_zarr(location):
            return open_remote_zarr(location, **options)
        raise FileNotFoundError(f"nothing to show at {location.display}: neither a cellucid "
                                "export (no manifest.json) nor a .zarr store (no zarr.json or "
                                ".zgroup); check the URL") from None
    return open_remote_export(location, manifest, raw, **options)


def _is_remote_zarr(location) -> bool:
    for marker in ("zarr.json", ".zgroup"):
        try:
            if location.fs.exists(location.path(marker)):
                return True
        except Exception:   # noqa: BLE001 — unreadable means no
            continue
    return False


def open_path(path: Path, **options) -> Dataset:
    """Open a path: an ``.h5ad`` file, a ``.zarr`` store or an export directory."""
    if not path.exists():
        raise FileNotFoundError(f"no such file or directory: {str(path)!r} (looked for an .h5ad "
                                "file, a .zarr store or a cellucid export directory written by "
                                "cellucid.prepare); check the path")
    if path.is_dir():
        from .export import is_export_dir
        from .tiled_export import open_export
        if is_export_dir(path):
            return open_export(path, **options)
        if _is_zarr(path):
            return _open_zarr(path, **options)
        raise DatasetError(f"{str(path)!r} is a directory but neither a cellucid export (no "
                           "manifest.json) nor a .zarr store (no zarr.json or .zgroup); pass an "
                           ".h5ad file, a .zarr store or a directory written by cellucid.prepare")
    return _open_h5ad(path, **options)


def _is_zarr(path: Path) -> bool:
    return (path / "zarr.json").exists() or (path / ".zgroup").exists()


def _open_h5ad(path: Path, **options) -> Dataset:
    import h5py
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise DatasetError(f"{str(path)!r} is not an AnnData .h5ad file (it is not HDF5: {exc}); "
                           "pass an .h5ad file, a .zarr store or a cellucid export directory"
                           ) from exc
    from .chunks import encoding_of
    from .store import dataset_from_store

    def load_adata():
        import anndata
        return anndata.read_h5ad(path, backed="r")
    if "obs" in handle and encoding_of(handle["obs"]) != "dataframe":
        handle.close()  # written by anndata < 0.7: let anndata itself read the old layout
        return _open_legacy_h5ad(path, load_adata, **options)
    try:
        return dataset_from_store(handle, str(path), "h5ad", closer=handle.close,
                                  adata_loader=load_adata, **options)
    except BaseException:
        handle.close()
        raise


def _open_zarr(path: Path, **options) -> Dataset:
    import zarr
    try:
        root = zarr.open_group(str(path), mode="r")
    except Exception as exc:
        raise DatasetError(f"{str(path)!r} is not a readable .zarr store: {exc}") from exc
    from .store import dataset_from_store

    def load_adata():
        import anndata
        return anndata.read_zarr(path)
    return dataset_from_store(root, str(path), "zarr", adata_loader=load_adata, **options)


def _open_legacy_h5ad(path: Path, load_adata, **options) -> Dataset:
    from .from_anndata import dataset_from_anndata
    try:
        adata = load_adata()
    except Exception as exc:
        raise DatasetError(f"{str(path)!r} looks like an old AnnData file that anndata cannot "
                           f"read ({exc}); re-write it with a current anndata") from exc
    return dataset_from_anndata(adata, **options)
