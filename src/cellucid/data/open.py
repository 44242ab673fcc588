"""``open_dataset``: pick the reader for what the user handed us."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import DatasetError
from .dataset import Dataset


def open_dataset(data, *, embedding: str | None = None, layer: str | None = None,
                 gene_symbols: str | None = None) -> Dataset:
    """Open ``data`` as a :class:`Dataset`.

    ``data`` is an AnnData (in memory or backed), a path to an ``.h5ad`` file (opened read-only,
    X stays on disk), a ``.zarr`` store, or an export directory written by :func:`prepare`.
    ``embedding`` picks the embedding shown first (default: a UMAP, else the first one), ``layer``
    the matrix gene values come from (default ``X``), ``gene_symbols`` a ``var`` column of gene
    symbols to search and colour by.

    Raises ``FileNotFoundError`` for a missing path; ``DatasetError`` for something that is not
    AnnData, a corrupt file or export directory, or data without a usable embedding; ``KeyError``
    for an unknown ``embedding``/``layer``/``gene_symbols``.
    """
    if isinstance(data, (str, os.PathLike)):
        return _open_path(Path(data).expanduser(), embedding=embedding, layer=layer,
                          gene_symbols=gene_symbols)
    try:
        import anndata
    except ImportError:  # pragma: no cover - anndata is a dependency
        anndata = None
    if anndata is not None and isinstance(data, anndata.AnnData):
        from .from_anndata import dataset_from_anndata
        return dataset_from_anndata(data, embedding=embedding, layer=layer,
                                    gene_symbols=gene_symbols)
    raise DatasetError(f"cannot show a {type(data).__name__}: pass an AnnData, or the path of an "
                       ".h5ad file, a .zarr store or a directory written by cellucid.prepare")


def _open_path(path: Path, **options) -> Dataset:
    if not path.exists():
        raise FileNotFoundError(f"no such file or directory: {str(path)!r} (expected an .h5ad "
                                "file, a .zarr store or a cellucid export directory)")
    import anndata
    try:
        adata = anndata.read_h5ad(path, backed="r")
    except Exception as exc:
        raise DatasetError(f"{str(path)!r} is not a readable AnnData file: {exc}") from exc
    from .from_anndata import dataset_from_anndata
    return dataset_from_anndata(adata, **options)
