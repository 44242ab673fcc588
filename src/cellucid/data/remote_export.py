"""Opening an export at a URL, reading only what is looked at.

Opening reads ``manifest.json`` and ``genes/var.json``. Then each thing is read when first asked
for, with one request (or one byte range) through fsspec, kept in the local disk cache:

* an embedding's coordinates when it is shown (its ``.npy`` file);
* an obs column when it is coloured by (its ``.npy`` file);
* a gene when it is coloured by: the layer's ``columns.json`` and ``indptr.npy`` once, then one
  byte range of one block file per gene (version 2; version 1 exports need two ranges);
* in a tiled export (version 4), a tile's positions, values or gene values: one byte range per
  run of tiles (:mod:`cellucid.data.tiled_export`);
* the graph's two files on the first KNN query.
"""

from __future__ import annotations

import hashlib
import io
import json

import numpy as np

from .colstore import ColumnStore
from .dataset import Dataset
from .export import MANIFEST, Corrupt, check_manifest
from .tiled_export import export_dataset
from .fs import Location
from .remote import RemoteFiles
from .remote_cache import remote_cache


class RemoteExport:
    """The files of an export at a URL, each read on first use (see module docstring)."""

    lazy = True

    def __init__(self, files: RemoteFiles) -> None:
        self.files = files
        self.label = files.label

    def read_json(self, rel: str) -> dict:
        """The parsed JSON file ``rel`` (one request, or the cache)."""
        return self.files.read_json(rel)

    def array(self, rel: str, check, what: str):
        """A loader of the ``.npy`` file ``rel``: reads it whole when called, checks it with
        ``check`` (`Corrupt` on a problem, `RemoteError` when it cannot be read)."""
        def load() -> np.ndarray:
            raw = self.files.read(rel)
            try:
                arr = np.load(io.BytesIO(raw), allow_pickle=False)
            except (ValueError, OSError, EOFError) as exc:
                raise Corrupt(self.label, f"{rel} ({what}) cannot be read: {exc} (a truncated "
                                          "upload?)") from None
            problem = check(arr)
            if problem:
                raise Corrupt(self.label, f"{rel} ({what}) {problem}")
            return arr
        return load

    def column_store(self, rel: str) -> ColumnStore:
        """The column store in directory ``rel`` (reads its ``columns.json`` and ``indptr.npy``)."""
        return ColumnStore(self.files.sub(rel))


def export_namespace(manifest: dict, raw: bytes) -> str:
    """What names this version of an export in the cache: its id, else a hash of its manifest."""
    export_id = manifest.get("id")
    if isinstance(export_id, str) and export_id:
        return export_id
    return hashlib.sha256(raw).hexdigest()[:32]


def read_remote_manifest(location: Location) -> tuple[dict, bytes]:
    """The manifest at ``location`` (never from the cache: it says which version to read).

    Raises ``FileNotFoundError``/``PermissionError`` when it is missing or refused, `RemoteError`
    when the storage cannot be reached, ``DatasetError`` when it is not a readable manifest.
    """
    try:
        raw = location.fs.cat_file(location.path(MANIFEST))
    except Exception as exc:   # noqa: BLE001 — every backend has its own exception types
        raise location.error(exc, MANIFEST, opening=True) from None
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        raise Corrupt(location.display, f"cannot read {MANIFEST} ({exc})") from None
    return check_manifest(manifest, location.display), raw


def open_remote_export(location: Location, manifest: dict, raw: bytes, *, embedding=None,
                       layer=None, gene_symbols=None) -> Dataset:
    """A :class:`Dataset` over the export at ``location`` whose manifest was read as ``raw``.

    Raises what :func:`~cellucid.data.tiled_export.export_dataset` raises, and `RemoteError` when
    ``genes/var.json`` cannot be read.
    """
    files = RemoteFiles(location, export_namespace(manifest, raw), remote_cache())
    dataset = export_dataset(RemoteExport(files), manifest, embedding=embedding,
                                  layer=layer, gene_symbols=gene_symbols, path=location.display)
    dataset.remote_stats = files.stats   # requests, bytes fetched, cache hits
    return dataset
