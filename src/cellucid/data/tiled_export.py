"""Reading a tiled export (format version 4): cells stored in level-of-detail order.

Every per-cell file of a version-4 export (positions, obs columns, genes of ``X``, the layers and
``.raw``) holds the cells in the
order of ``lod/order.npy`` (position → obs row), so the cells of a run of tiles are one range of
each file (``docs/export-format.md``). Two ways of reading it:

* by tile, through the dataset's ``lod`` (an :class:`ExportTiles`): positions, obs values and
  gene values of the tiles asked for, one range read per run of consecutive tiles — what a page
  drawing a point budget needs;
* the dataset API of every other input (embeddings, obs columns and genes in obs order), through
  ``lod/rank.npy`` and ``lod/order.npy``, each array read in full on first use.

A per-cell file shorter than the manifest says (a truncated copy or upload) is found when a
range past its end is read: a :class:`TileError` names the tile, its level and the file. A
local export's files are memory-mapped as far as they go.

:func:`open_export` and :func:`export_dataset` open an export of any version this cellucid
reads, versions 1 to 3 through :mod:`cellucid.data.export`.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from ..errors import DatasetError
from .blocks import ColumnStoreSource
from .colstore import ColumnStoreError
from .dataset import Dataset
from .embeddings import Embedding
from .export import TILED_VERSION, Corrupt, LazyObsField, LocalExport, assemble_dataset, \
    dataset_from_export, graph_of, manifest_errors, raw_genes_of, read_manifest
from .layers import RAW, once
from .names import UnknownName
from .obs import ObsField
from .parallel import map_ranges
from .quantize import dequantize
from .tile_reader import TileReader, finite_extent
from .tiled_genes import TiledColumnStore
from .tiles import TileIndex

GATHER_CHUNK = 1 << 22


class TileError(DatasetError):
    """A tile of an export that cannot be read: its file is missing, truncated or damaged."""


class LocalCellFiles:
    """``.npy`` files of a local export read by element range, each mapped as far as it goes."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.label = str(self.root)
        self._maps: dict[str, tuple[np.ndarray, tuple]] = {}
        self._lock = threading.Lock()

    def _map(self, name: str) -> tuple[np.ndarray, tuple]:
        held = self._maps.get(name)
        if held is None:
            path = self.root / name
            try:
                with open(path, "rb") as f:
                    major, _ = np.lib.format.read_magic(f)
                    read_header = np.lib.format.read_array_header_1_0 if major == 1 else \
                        np.lib.format.read_array_header_2_0
                    shape, _, dtype = read_header(f)
                    offset = f.tell()
                size = path.stat().st_size
            except (OSError, ValueError) as exc:
                raise Corrupt(self.label, f"cannot read {name} ({exc})") from None
            held_values = max(0, (size - offset) // dtype.itemsize)
            flat = np.memmap(path, dtype=dtype, mode="r", offset=offset, shape=(held_values,)) \
                if held_values else np.zeros(0, dtype)
            held = (flat, tuple(shape))
            with self._lock:
                self._maps[name] = held
        return held

    def check(self, name: str, dtype, n: int, shape: tuple | None = None) -> None:
        """Raise `Corrupt` unless ``name`` exists with ``n`` values of ``dtype`` (in ``shape``,
        default ``(n,)``) in its header."""
        flat, stored = self._map(name)
        shape = shape or (n,)
        if flat.dtype != np.dtype(dtype) or stored != tuple(shape):
            raise Corrupt(self.label, f"{name} has shape {stored} {flat.dtype}, expected "
                                      f"{tuple(shape)} {np.dtype(dtype)}")

    def read_array(self, name: str) -> np.ndarray:
        """The whole (small) ``.npy`` file ``name``; `Corrupt` if unreadable."""
        try:
            return np.load(self.root / name)
        except (OSError, ValueError) as exc:
            raise Corrupt(self.label, f"cannot read {name} ({exc})") from None

    def elements(self, name: str, dtype, n: int, start: int, stop: int) -> np.ndarray:
        """Values ``[start, stop)`` of ``name`` (its values in C order, ``n`` in all); `Corrupt`
        when the file holds something else or ends before ``stop``."""
        flat, stored = self._map(name)
        if flat.dtype != np.dtype(dtype) or int(np.prod(stored)) != n:
            raise Corrupt(self.label, f"{name} has shape {stored} {flat.dtype}, expected {n} "
                                      f"values of {np.dtype(dtype)}")
        if stop > flat.shape[0]:
            raise Corrupt(self.label, f"{name} is truncated: it holds {flat.shape[0]:,} of its "
                                      f"{n:,} values")
        return flat[start:stop]


def _with_advice(exc: BaseException) -> str:
    text = str(exc).rstrip(".")
    return text if "cellucid prepare" in text else \
        f"{text}; write the export again with `cellucid prepare`"


def _cell_files(src):
    """The range reader of an export's per-cell files: remote files, or local ones."""
    return getattr(src, "files", None) or LocalCellFiles(src.root)


def _decode(raw: np.ndarray, entry: dict) -> np.ndarray:
    if entry.get("encoding") == "uint16":
        return dequantize(raw, entry["min"], entry["max"])
    return np.array(raw, dtype=np.float32)


class ExportTiles(TileReader):
    """The tiles of a version-4 export (see module docstring). ``dataset`` is set once the
    :class:`Dataset` over the same export is built (gene names and layers come from it)."""

    def __init__(self, files, manifest: dict) -> None:
        self.files = files
        self.manifest = manifest
        self.lod = manifest["lod"]
        self.n = int(manifest["n_cells"])
        self.dataset: Dataset | None = None
        self.files_are_remote = False
        self._embeddings = {e["name"]: e for e in manifest["embeddings"]}
        self._obs = {e["name"]: e for e in manifest["obs"] if "file" in e}
        self._tiles: TileIndex | None = None
        self._lock = threading.Lock()

    @property
    def tiles(self) -> TileIndex:
        """The tile index (from the manifest)."""
        if self._tiles is None:
            try:
                tiles = TileIndex(self.lod["tiles"], self.lod["levels"])
            except (KeyError, TypeError, ValueError) as exc:
                raise Corrupt(self.files.label, f"the tile index of manifest.json is damaged "
                                                f"({exc})") from None
            if tiles.n_cells != self.n:
                raise Corrupt(self.files.label, f"the tile index holds {tiles.n_cells} cells, "
                                                f"the manifest {self.n}")
            with self._lock:
                self._tiles = self._tiles or tiles
        return self._tiles

    def _small(self, name: str, dtype, shape: tuple, what: str) -> np.ndarray:
        """A small ``.npy`` file read whole (one request remotely), checked against ``shape``."""
        try:
            arr = self.files.read_array(name)
        except (DatasetError, OSError) as exc:
            raise Corrupt(self.files.label, f"{what} ({name}) cannot be read: {exc}") from None
        if arr.shape != shape or arr.dtype != np.dtype(dtype):
            raise Corrupt(self.files.label, f"{what} ({name}) has shape {arr.shape} "
                                            f"{arr.dtype}, expected {shape} {np.dtype(dtype)}")
        return arr

    def _read(self, name: str, dtype, n: int, start: int, stop: int, what: str) -> np.ndarray:
        try:
            return self.files.elements(name, dtype, n, start, stop)
        except (DatasetError, OSError) as exc:
            raise Corrupt(self.files.label, f"{what} ({name}) cannot be read: {exc}") from None

    def _entry(self, table: dict, name: str, what: str) -> dict:
        try:
            return table[name]
        except KeyError:
            raise UnknownName(what, name, list(table)) from None

    def _tile_read(self, what: str, name: str, start: int, stop: int, read) -> np.ndarray:
        """``read()``, or a `TileError` naming the first tile of ``[start, stop)`` that fails."""
        try:
            return read(start, stop)
        except (DatasetError, OSError, ValueError) as exc:
            cause = exc
        tiles = self.tiles
        for t in range(tiles.tile_of(start), tiles.tile_of(max(start, stop - 1)) + 1):
            a, b = tiles.cell_range(t)
            try:
                read(a, b)
            except (DatasetError, OSError, ValueError) as exc:
                raise TileError(f"tile {t} (level {int(tiles.levels[t])}, cells {a:,}–{b:,}) of "
                                f"{what} cannot be read: {_with_advice(exc)}") from None
        raise TileError(f"{what} cannot be read: {_with_advice(cause)}") from None

    def rows(self, start: int, stop: int) -> np.ndarray:
        """Obs rows of positions ``[start, stop)`` (a range of ``lod/order.npy``)."""
        return self._tile_read("the cell order", self.lod["order"], start, stop,
                               lambda a, b: self.files.elements(self.lod["order"], np.uint32,
                                                                self.n, a, b))

    def bounds(self, embedding: str) -> tuple[np.ndarray, np.ndarray]:
        """Tile boxes of ``embedding`` (its ``bounds`` file), read on first use."""
        entry = self._entry(self._embeddings, embedding, "embedding")
        if not self.tiles.has_bounds(embedding):
            n_tiles, dims = self.tiles.n_tiles, int(entry["dims"])
            boxes = self._small(entry["bounds"], np.float32, (n_tiles, 2, dims),
                                f"the tile boxes of embedding {embedding!r}")
            invalid = self._small(entry["invalid"], np.uint32, (n_tiles,),
                                  f"the tiles' cells without coordinates in {embedding!r}") \
                if "invalid" in entry else None
            with self._lock:
                self.tiles.add_bounds(embedding, boxes[:, 0], boxes[:, 1], invalid)
        return self.tiles.bounds(embedding)

    def position_range(self, embedding: str, start: int, stop: int) -> np.ndarray:
        """Coordinates (float32) of positions ``[start, stop)`` in ``embedding``."""
        entry = self._entry(self._embeddings, embedding, "embedding")
        dims = int(entry["dims"])
        dtype = np.uint16 if entry.get("encoding") == "uint16" else np.float32

        def read(a: int, b: int) -> np.ndarray:
            raw = self.files.elements(entry["file"], dtype, self.n * dims, a * dims, b * dims)
            return _decode(np.asarray(raw).reshape(-1, dims), entry)
        return self._tile_read(f"embedding {embedding!r}", entry["file"], start, stop, read)

    def obs_range(self, name: str, start: int, stop: int) -> np.ndarray:
        """Encoded values of obs column ``name`` at positions ``[start, stop)``."""
        entry = self._entry(self._obs, name, "obs column")
        dtype = np.float32 if entry["kind"] == "continuous" else np.uint16
        return self._tile_read(f"obs column {name!r}", entry["file"], start, stop,
                               lambda a, b: np.array(self.files.elements(entry["file"], dtype,
                                                                         self.n, a, b)))

    def gene_range(self, gene: str, t0: int, t1: int, layer: str | None) -> np.ndarray:
        """Values of ``gene`` in tiles ``[t0, t1)``: its tile offsets, then one range read."""
        dataset = self.dataset
        store = dataset.layer(layer).store
        j = dataset.genes_of(layer).position(gene)
        a, b = int(self.tiles.starts[t0]), int(self.tiles.starts[t1])

        def read(start: int, stop: int) -> np.ndarray:
            u0, u1 = self.tiles.tile_of(start), self.tiles.tile_of(stop - 1) + 1
            try:
                positions, values = store.tile_pairs(j, u0, u1)
            except ColumnStoreError as exc:
                raise Corrupt(self.files.label, str(exc)) from None
            out = np.zeros(stop - start, dtype=np.float32)
            out[np.asarray(positions, dtype=np.int64) - start] = values
            return out
        return self._tile_read(f"gene {gene!r}", "genes", a, b, read)

    def gene_extent(self, gene: str, layer: str | None = None) -> tuple[float, float]:
        """``(min, max)`` of ``gene`` over every cell from its stored values alone (the cells
        without one hold 0): one read of the gene."""
        store = self.dataset.layer(layer).store
        j = self.dataset.genes_of(layer).position(gene)
        try:
            _, values = store.tile_pairs(j, 0, self.tiles.n_tiles)
        except ColumnStoreError as exc:
            raise TileError(f"gene {gene!r} cannot be read: {_with_advice(exc)}") from None
        values = np.asarray(values, dtype=np.float32)
        if values.size < self.n:   # cells without a stored value are 0
            values = np.append(values, np.float32(0))
        return finite_extent(values)

    def whole(self, name: str, dtype, n: int, what: str) -> np.ndarray:
        """All of per-cell file ``name`` (memory-mapped locally, one read remotely)."""
        return self._read(name, dtype, n, 0, n, what)

    def in_obs_order(self, stored: np.ndarray) -> np.ndarray:
        """``stored`` (rows in the order) rearranged into obs order, in ranges of cells."""
        rank = self.whole(self.lod["rank"], np.uint32, self.n, "the cell ranks")
        out = np.empty((self.n,) + stored.shape[1:], dtype=stored.dtype)

        def gather(a: int, b: int) -> None:
            out[a:b] = np.take(stored, rank[a:b], axis=0)
        map_ranges(gather, self.n, GATHER_CHUNK)
        return out


def _memo(load):
    """``load`` called once, on first use, and its result kept."""
    held: list = []
    lock = threading.Lock()

    def get():
        if not held:
            with lock:
                if not held:
                    held.append(load())
        return held[0]
    return get


def _embedding(tiles: ExportTiles, entry: dict, n: int) -> Embedding:
    dims = int(entry["dims"])
    dtype = np.uint16 if entry.get("encoding") == "uint16" else np.float32
    what = f"embedding {entry['name']}"
    if not tiles.files_are_remote:
        tiles.files.check(entry["file"], dtype, n * dims, (n, dims))

    def load() -> np.ndarray:
        stored = np.asarray(tiles.whole(entry["file"], dtype, n * dims, what)).reshape(n, dims)
        return _decode(tiles.in_obs_order(stored), entry)
    return Embedding(entry["name"], entry.get("source", entry["name"]), dims,
                     entry.get("n_invalid", 0), entry["min"], entry["max"], loader=load)


def _obs_field(tiles: ExportTiles, entry: dict, n: int) -> ObsField:
    info = {k: v for k, v in entry.items() if k not in ("name", "kind", "file", "version",
                                                         "title", "source")}
    if "file" not in entry:
        return ObsField(entry["name"], entry["kind"], info, None)
    dtype = np.float32 if entry["kind"] == "continuous" else np.uint16
    if not tiles.files_are_remote:
        tiles.files.check(entry["file"], dtype, n)

    def load() -> np.ndarray:
        stored = tiles.whole(entry["file"], dtype, n, f"obs column {entry['name']}")
        return tiles.in_obs_order(np.asarray(stored))
    return LazyObsField(entry["name"], entry["kind"], info, load)


def _layer(src, tiles: ExportTiles, rel: str, order, n: int, n_genes: int, name: str):
    def open_store() -> TiledColumnStore:
        try:
            source = src.files.sub(rel) if tiles.files_are_remote else Path(src.root) / rel
            store = TiledColumnStore(source, order)
        except ColumnStoreError as exc:
            raise Corrupt(src.label, f"layer {name}: {exc}") from None
        if store.n_rows != n or store.n_cols != n_genes or store.n_tiles != tiles.tiles.n_tiles:
            raise Corrupt(src.label, f"layer {name} is {store.n_rows} × {store.n_cols} in "
                                     f"{store.n_tiles} tiles, expected {n} × {n_genes} in "
                                     f"{tiles.tiles.n_tiles}")
        return store
    if tiles.files_are_remote:   # columns.json, indptr.npy: read with the first gene
        return once(lambda: ColumnStoreSource(open_store()))
    source = ColumnStoreSource(open_store())
    return lambda: source


def tiled_dataset(src, manifest: dict, *, embedding=None, layer=None, gene_symbols=None,
                  path: str | None = None) -> Dataset:
    """A :class:`Dataset` over the version-4 export files ``src`` (local or remote), its
    ``lod`` an :class:`ExportTiles`, with its ``.raw`` when it has one. Raises `Corrupt` for a
    manifest or files that do not match, ``KeyError`` for an unknown ``embedding``, ``layer`` or
    ``gene_symbols``."""
    tiles = ExportTiles(_cell_files(src), manifest)
    tiles.files_are_remote = bool(getattr(src, "lazy", False))
    with manifest_errors(src.label):
        n = int(manifest["n_cells"])
        lod = manifest["lod"]
        if not tiles.files_are_remote:
            for key in ("order", "rank"):
                tiles.files.check(lod[key], np.uint32, n)
        tiles.tiles   # the tile index of the manifest, checked
        embeddings = [_embedding(tiles, e, n) for e in manifest["embeddings"]]
        obs = [_obs_field(tiles, e, n) for e in manifest["obs"]]
        var = src.read_json(manifest["genes"]["var"])
        n_genes = len(var["names"])
        order = _memo(lambda: tiles.whole(lod["order"], np.uint32, n, "the cell order"))
        layers = {name: _layer(src, tiles, rel, order, n, n_genes, name)
                  for name, rel in manifest["layers"].items()}
        raw = manifest.get("raw")
        raw_genes = raw_genes_of(src, raw)
        if raw_genes is not None:
            layers[RAW] = _layer(src, tiles, raw["matrix"], order, n, len(raw_genes), ".raw")
        graph = manifest.get("graph")
        graph_arrays = graph_of(src, graph, n) if graph else None
    dataset = assemble_dataset(src, manifest, embeddings, obs, var, layers, graph_arrays,
                               embedding=embedding, layer=layer, gene_symbols=gene_symbols,
                               path=path, lod=tiles, raw_genes=raw_genes)
    tiles.dataset = dataset
    return dataset


def export_dataset(src, manifest: dict, **options) -> Dataset:
    """A :class:`Dataset` over export files ``src`` of any version this cellucid reads."""
    if manifest.get("version", 0) >= TILED_VERSION:
        return tiled_dataset(src, manifest, **options)
    return dataset_from_export(src, manifest, **options)


def open_export(path, *, embedding=None, layer=None, gene_symbols=None) -> Dataset:
    """Open the export directory ``path`` as a :class:`Dataset` (``adata`` is None).

    Raises ``DatasetError`` for a corrupt directory (missing or inconsistent files) or one
    written by a newer cellucid, and ``KeyError`` for an unknown ``embedding``, ``layer`` or
    ``gene_symbols``.
    """
    root = Path(path)
    manifest = read_manifest(root)
    return export_dataset(LocalExport(root), manifest, embedding=embedding, layer=layer,
                          gene_symbols=gene_symbols, path=str(root))
