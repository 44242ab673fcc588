"""Opening an export directory written by :func:`cellucid.data.prepare` (``docs/export-format.md``).

Everything the manifest needs is in ``manifest.json``; arrays are memory-mapped ``.npy`` files read
on first use, so opening costs a JSON parse and a check that every file is there with its shape.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..errors import DatasetError
from .catalog import StaticCatalog
from .colstore import ColumnStore, ColumnStoreError
from .dataset import Dataset
from .embeddings import Embedding, default_embedding
from .genes import GeneIndex
from .graph import CellGraph
from .layers import default_layer_of
from .names import UnknownName
from .obs import ObsField
from .quantize import dequantize

FORMAT = "cellucid-export"
VERSION = 1
MANIFEST = "manifest.json"


def is_export_dir(path: Path) -> bool:
    """Whether ``path`` is meant to be a cellucid export directory (it has ``manifest.json``)."""
    return (Path(path) / MANIFEST).is_file()


class _Corrupt(DatasetError):
    def __init__(self, path: Path, what: str) -> None:
        super().__init__(f"corrupt cellucid export directory {str(path)!r}: {what}. Write it again "
                         "with `cellucid prepare IN OUT` (or cellucid.prepare(adata, out_dir)).")


def _array(root: Path, rel: str, shape_check, what: str) -> np.ndarray:
    try:
        arr = np.load(root / rel, mmap_mode="r")
    except (OSError, ValueError) as exc:
        raise _Corrupt(root, f"cannot read {rel} ({what}): {exc}") from None
    problem = shape_check(arr)
    if problem:
        raise _Corrupt(root, f"{rel} ({what}) {problem}")
    return arr


def _embedding(root: Path, entry: dict, n: int) -> Embedding:
    dims = int(entry["dims"])
    expected = np.uint16 if entry.get("encoding") == "uint16" else np.float32
    stored = _array(root, entry["file"], lambda a: None if a.shape == (n, dims) and
                    a.dtype == expected else f"has shape {a.shape} {a.dtype}, expected "
                    f"({n}, {dims}) {np.dtype(expected)}", f"embedding {entry['name']}")
    lo, hi = entry["min"], entry["max"]
    if expected is np.uint16:
        def load():
            return dequantize(stored, lo, hi)
    else:
        def load():
            return np.ascontiguousarray(stored, dtype=np.float32)
    return Embedding(entry["name"], entry.get("source", entry["name"]), dims,
                     entry.get("n_invalid", 0), lo, hi, loader=load)


def _obs_field(root: Path, entry: dict, n: int) -> ObsField:
    info = {k: v for k, v in entry.items() if k not in ("name", "kind", "file", "version", "title",
                                                         "source")}
    if "file" not in entry:
        return ObsField(entry["name"], entry["kind"], info, None)
    dtype = np.float32 if entry["kind"] == "continuous" else np.uint16
    values = _array(root, entry["file"], lambda a: None if a.shape == (n,) and a.dtype == dtype
                    else f"has shape {a.shape} {a.dtype}, expected ({n},) {np.dtype(dtype)}",
                    f"obs column {entry['name']}")
    return ObsField(entry["name"], entry["kind"], info, values)


def _layer(root: Path, rel: str, n: int, n_genes: int, name: str):
    try:
        store = ColumnStore(root / rel)
    except ColumnStoreError as exc:
        raise _Corrupt(root, f"layer {name}: {exc}") from None
    if store.n_rows != n or store.n_cols != n_genes:
        raise _Corrupt(root, f"layer {name} is {store.n_rows} × {store.n_cols}, expected "
                             f"{n} × {n_genes}")
    if store.n_blocks() and not (root / rel / "block_00000.indices.npy").exists():
        raise _Corrupt(root, f"layer {name} has no block files")

    def make():
        return store.column
    return make


def _graph(root: Path, entry: dict, n: int):
    indptr = _array(root, entry["indptr"], lambda a: None if a.shape == (n + 1,) else
                    f"has shape {a.shape}, expected ({n + 1},)", "graph indptr")
    indices = _array(root, entry["indices"], lambda a: None if a.ndim == 1 and
                     a.shape[0] == int(indptr[-1]) else f"has {a.shape} values, indptr says "
                     f"{int(indptr[-1])}", "graph indices")

    def load() -> CellGraph:
        return CellGraph(np.asarray(indptr), indices, entry["name"])
    return load


def read_manifest(path: Path) -> dict:
    """The parsed ``manifest.json`` of an export; ``DatasetError`` if unreadable or another format."""
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise _Corrupt(path, f"cannot read {MANIFEST} ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _Corrupt(path, f"{MANIFEST} is not a {FORMAT} manifest")
    if manifest.get("version") != VERSION:
        raise DatasetError(f"{str(path)!r} is a version {manifest.get('version')} cellucid export; "
                           f"this cellucid reads version {VERSION}. Write it again with this "
                           "version's `cellucid prepare`.")
    return manifest


def open_export(path, *, embedding=None, layer=None, gene_symbols=None) -> Dataset:
    """Open the export directory ``path`` as a :class:`Dataset` (``adata`` is None).

    Raises ``DatasetError`` for a corrupt directory (missing or inconsistent files) and
    ``KeyError`` for an unknown ``embedding``, ``layer`` or ``gene_symbols``.
    """
    root = Path(path)
    manifest = read_manifest(root)
    try:
        n = int(manifest["n_cells"])
        embeddings = [_embedding(root, e, n) for e in manifest["embeddings"]]
        obs = [_obs_field(root, e, n) for e in manifest["obs"]]
        var = json.loads((root / manifest["genes"]["var"]).read_text())
        stored_symbols = manifest["genes"].get("symbols_column")
        n_genes = len(var["names"])
        layers = {name: _layer(root, rel, n, n_genes, name)
                  for name, rel in manifest["layers"].items()}
        graph = manifest.get("graph")
        graph_loader = _graph(root, graph, n) if graph else None
    except (KeyError, TypeError, ValueError, OSError) as exc:
        if isinstance(exc, DatasetError):
            raise
        raise _Corrupt(root, f"manifest.json or a file it names is incomplete ({exc!r})") from None
    if not embeddings:
        raise _Corrupt(root, "the manifest lists no embeddings")
    if gene_symbols is not None and gene_symbols != stored_symbols:
        raise UnknownName("gene symbols column (this export stores only)", gene_symbols,
                          [stored_symbols] if stored_symbols else [])
    names = [e.name for e in embeddings]
    chosen = default_embedding(names, embedding) if embedding is not None else \
        (manifest.get("default_embedding") if manifest.get("default_embedding") in names
         else default_embedding(names, None))
    catalog = StaticCatalog(embeddings, manifest.get("skipped_embeddings", []), obs)
    return Dataset(kind="export", n_cells=n, catalog=catalog, default_embedding=chosen,
                   genes=GeneIndex(var["names"], var.get("symbols")),
                   gene_symbols=stored_symbols, layers=layers,
                   default_layer=default_layer_of(layers, layer),
                   graph_name=graph["name"] if graph else None, graph_loader=graph_loader,
                   adata_loader=None, path=str(root))
