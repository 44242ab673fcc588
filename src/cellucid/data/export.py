"""Opening an export written by :func:`cellucid.data.prepare` (``docs/export-format.md``).

Everything the manifest needs is in ``manifest.json`` (and the gene names in ``genes/var.json``).
A local export directory is checked at open (every file there with its shape) and its arrays are
memory-mapped; a remote one (:mod:`cellucid.data.remote_export`) reads each file on first use.
Versions 1 to 3 of the format are read here (``.raw`` and the log1p base came with version 3);
version 4 (cells in level-of-detail order, ``.raw`` and the log1p base kept) by
:mod:`cellucid.data.tiled_export`, which also opens every version (``open_export``). A later
version is refused with a message saying that a newer cellucid wrote it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from .._version import __version__
from ..errors import DatasetError
from .blocks import ColumnStoreSource
from .catalog import StaticCatalog
from .colstore import ColumnStore, ColumnStoreError
from .dataset import Dataset
from .embeddings import Embedding, default_embedding
from .genes import GeneIndex
from .layers import RAW, default_layer_of, once
from .names import UnknownName
from .obs import ObsField
from .quantize import dequantize
from .raw import log1p_base_of

FORMAT = "cellucid-export"
VERSION = 4
READABLE_VERSIONS = (1, 2, 3, 4)
TILED_VERSION = 4   # the first version whose cells are in level-of-detail order
MANIFEST = "manifest.json"


def is_export_dir(path: Path) -> bool:
    """Whether ``path`` is meant to be a cellucid export directory (it has ``manifest.json``)."""
    return (Path(path) / MANIFEST).is_file()


class Corrupt(DatasetError):
    """An export whose manifest or files are missing, damaged or inconsistent."""

    def __init__(self, label: str, what: str) -> None:
        super().__init__(f"corrupt cellucid export {label!r}: {what}. Write it again with "
                         "`cellucid prepare IN OUT` (or cellucid.prepare(adata, out)).")


def check_manifest(manifest, label: str) -> dict:
    """``manifest`` if it is a cellucid export manifest of a version this cellucid reads.

    Raises ``DatasetError`` saying to upgrade cellucid for a version from the future, and a
    `Corrupt` error for anything that is not a manifest of a known version.
    """
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise Corrupt(label, f"{MANIFEST} is not a {FORMAT} manifest")
    version = manifest.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > VERSION:
        raise DatasetError(
            f"{label} was written by a newer cellucid (export format version {version}, by "
            f"cellucid {manifest.get('cellucid_version', '?')}); this cellucid {__version__} "
            f"reads versions up to {VERSION}: upgrade cellucid (pip install -U cellucid)")
    if version not in READABLE_VERSIONS:
        raise Corrupt(label, f"{MANIFEST} has an unknown format version {version!r}")
    if "lod" in manifest and version < TILED_VERSION:   # its files would be read in obs order
        raise Corrupt(label, f"{MANIFEST} says format version {version} but has a level-of-detail "
                             f"index, which only version {TILED_VERSION} exports have")
    return manifest


def read_manifest(path: Path) -> dict:
    """The parsed ``manifest.json`` of a local export; ``DatasetError`` if unreadable, another
    format or a version this cellucid does not read."""
    try:
        manifest = json.loads((Path(path) / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise Corrupt(str(path), f"cannot read {MANIFEST} ({exc})") from None
    return check_manifest(manifest, str(path))


class LazyObsField(ObsField):
    """An :class:`ObsField` whose values are read on first use (a remote export's column)."""

    def __init__(self, name: str, kind: str, info: dict, loader: Callable[[], np.ndarray]):
        self.name, self.kind, self.info = name, kind, info
        self._loader = loader
        self._values: np.ndarray | None = None
        self._lock = threading.Lock()

    @property
    def values(self) -> np.ndarray:
        """The encoded values, read on first use and kept."""
        if self._values is None:
            with self._lock:
                if self._values is None:
                    self._values = self._loader()
        return self._values

    def __repr__(self) -> str:
        return f"LazyObsField(name={self.name!r}, kind={self.kind!r})"


class LocalExport:
    """The files of a local export directory: checked now, memory-mapped."""

    lazy = False

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.label = str(self.root)

    def read_json(self, rel: str) -> dict:
        """The parsed JSON file ``rel``."""
        try:
            return json.loads((self.root / rel).read_text())
        except (OSError, ValueError) as exc:
            raise Corrupt(self.label, f"cannot read {rel} ({exc})") from None

    def array(self, rel: str, check: Callable[[np.ndarray], str | None], what: str):
        """A loader of the ``.npy`` file ``rel``, checked now (``Corrupt`` when ``check`` finds
        a problem)."""
        try:
            arr = np.load(self.root / rel, mmap_mode="r")
        except (OSError, ValueError) as exc:
            raise Corrupt(self.label, f"cannot read {rel} ({what}): {exc}") from None
        problem = check(arr)
        if problem:
            raise Corrupt(self.label, f"{rel} ({what}) {problem}")
        return lambda: arr

    def column_store(self, rel: str) -> ColumnStore:
        """The column store in directory ``rel``; its first block file is checked now."""
        store = ColumnStore(self.root / rel)
        if store.n_blocks():
            store.check_block(0)
        return store


def _shape_check(shape: tuple, dtype) -> Callable[[np.ndarray], str | None]:
    def check(arr: np.ndarray) -> str | None:
        if arr.shape == shape and arr.dtype == dtype:
            return None
        return f"has shape {arr.shape} {arr.dtype}, expected {shape} {np.dtype(dtype)}"
    return check


def _embedding(src, entry: dict, n: int) -> Embedding:
    dims = int(entry["dims"])
    quantized = entry.get("encoding") == "uint16"
    stored = src.array(entry["file"], _shape_check((n, dims), np.uint16 if quantized else
                                                   np.float32), f"embedding {entry['name']}")
    lo, hi = entry["min"], entry["max"]
    if quantized:
        def load():
            return dequantize(stored(), lo, hi)
    else:
        def load():
            return np.ascontiguousarray(stored(), dtype=np.float32)
    return Embedding(entry["name"], entry.get("source", entry["name"]), dims,
                     entry.get("n_invalid", 0), lo, hi, loader=load)


def _obs_field(src, entry: dict, n: int) -> ObsField:
    info = {k: v for k, v in entry.items() if k not in ("name", "kind", "file", "version", "title",
                                                         "source")}
    if "file" not in entry:
        return ObsField(entry["name"], entry["kind"], info, None)
    dtype = np.float32 if entry["kind"] == "continuous" else np.uint16
    values = src.array(entry["file"], _shape_check((n,), dtype), f"obs column {entry['name']}")
    if src.lazy:
        return LazyObsField(entry["name"], entry["kind"], info, values)
    return ObsField(entry["name"], entry["kind"], info, values())


def _layer(src, rel: str, n: int, n_genes: int, name: str):
    def open_store() -> ColumnStore:
        try:
            store = src.column_store(rel)
        except ColumnStoreError as exc:
            raise Corrupt(src.label, f"layer {name}: {exc}") from None
        if store.n_rows != n or store.n_cols != n_genes:
            raise Corrupt(src.label, f"layer {name} is {store.n_rows} × {store.n_cols}, "
                                     f"expected {n} × {n_genes}")
        return store
    if src.lazy:   # remote: columns.json and indptr.npy are read with the first gene
        return once(lambda: ColumnStoreSource(open_store()))
    source = ColumnStoreSource(open_store())
    return lambda: source


def raw_genes_of(src, entry: dict | None) -> GeneIndex | None:
    """The genes of the export's ``.raw`` (manifest entry ``entry``; versions 3 and 4), or None
    when it has none."""
    if entry is None:
        return None
    var = src.read_json(entry["var"])
    return GeneIndex(var["names"], var.get("symbols"))


def _raw(src, entry: dict | None, n: int, layers: dict) -> GeneIndex | None:
    """The genes of the export's ``.raw`` (version 3), its matrix put in ``layers`` as `RAW`."""
    genes = raw_genes_of(src, entry)
    if genes is not None:
        layers[RAW] = _layer(src, entry["matrix"], n, len(genes), ".raw")
    return genes


def graph_of(src, entry: dict, n: int):
    """A function giving the export's graph (``entry`` of the manifest) as CSR ``(indptr,
    indices)``, its files checked now."""
    indptr = src.array(entry["indptr"], lambda a: None if a.shape == (n + 1,) else
                       f"has shape {a.shape}, expected ({n + 1},)", "graph indptr")

    def check_indices(a: np.ndarray) -> str | None:
        total = int(indptr()[-1])
        return None if a.ndim == 1 and a.shape[0] == total else \
            f"has {a.shape} values, indptr says {total}"
    indices = src.array(entry["indices"], check_indices, "graph indices")

    def arrays() -> tuple:
        return np.asarray(indptr()), indices()
    return arrays


def dataset_from_export(src, manifest: dict, *, embedding=None, layer=None,
                        gene_symbols=None, path: str | None = None) -> Dataset:
    """A :class:`Dataset` over the export files ``src`` (local or remote) and their ``manifest``.

    Raises `Corrupt` (a ``DatasetError``) for an incomplete manifest or files that do not match
    it, ``KeyError`` for an unknown ``embedding``, ``layer`` or ``gene_symbols``.
    """
    with manifest_errors(src.label):
        n = int(manifest["n_cells"])
        embeddings = [_embedding(src, e, n) for e in manifest["embeddings"]]
        obs = [_obs_field(src, e, n) for e in manifest["obs"]]
        var = src.read_json(manifest["genes"]["var"])
        n_genes = len(var["names"])
        layers = {name: _layer(src, rel, n, n_genes, name)
                  for name, rel in manifest["layers"].items()}
        raw_genes = _raw(src, manifest.get("raw"), n, layers)
        graph = manifest.get("graph")
        graph_arrays = graph_of(src, graph, n) if graph else None
    return assemble_dataset(src, manifest, embeddings, obs, var, layers, graph_arrays,
                            embedding=embedding, layer=layer, gene_symbols=gene_symbols,
                            path=path, raw_genes=raw_genes)


@contextmanager
def manifest_errors(label: str):
    """Turn what reading an incomplete manifest raises (a missing key, a wrong type) into
    `Corrupt`; a ``DatasetError`` passes as it is."""
    try:
        yield
    except (KeyError, TypeError, ValueError, OSError) as exc:
        if isinstance(exc, DatasetError):
            raise
        raise Corrupt(label, f"manifest.json or a file it names is incomplete ({exc!r})"
                      ) from None


def assemble_dataset(src, manifest: dict, embeddings: list, obs: list, var: dict, layers: dict,
                     graph_arrays, *, embedding=None, layer=None, gene_symbols=None,
                     path: str | None = None, lod=None, raw_genes: GeneIndex | None = None
                     ) -> Dataset:
    """The :class:`Dataset` of an export whose parts have been read (any version): ``layers``
    holds `RAW`'s factory when ``raw_genes`` (the genes of ``.raw``) is given; the log1p base is
    the manifest's (versions 3 and 4; None before).

    Raises `Corrupt` when there is no embedding, ``KeyError`` for an unknown ``embedding``,
    ``layer`` or ``gene_symbols``.
    """
    if not embeddings:
        raise Corrupt(src.label, "the manifest lists no embeddings")
    stored_symbols = manifest["genes"].get("symbols_column")
    if gene_symbols is not None and gene_symbols != stored_symbols:
        raise UnknownName("gene symbols column (this export stores only)", gene_symbols,
                          [stored_symbols] if stored_symbols else [])
    names = [e.name for e in embeddings]
    chosen = default_embedding(names, embedding) if embedding is not None else \
        (manifest.get("default_embedding") if manifest.get("default_embedding") in names
         else default_embedding(names, None))
    graph = manifest.get("graph")
    catalog = StaticCatalog(embeddings, manifest.get("skipped_embeddings", []), obs)
    return Dataset(kind="export", n_cells=int(manifest["n_cells"]), catalog=catalog,
                   default_embedding=chosen, genes=GeneIndex(var["names"], var.get("symbols")),
                   gene_symbols=stored_symbols, layers=layers,
                   default_layer=default_layer_of(layers, layer),
                   graph_name=graph["name"] if graph else None, graph_arrays=graph_arrays,
                   adata_loader=None, path=path or src.label, lod=lod,
                   raw_genes=raw_genes,
                   log1p_base=log1p_base_of({"base": manifest.get("log1p_base")}))
