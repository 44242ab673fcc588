"""Writing the per-cell files of a tiled export (format version 4) in level-of-detail order.

:func:`write_tiled_cells` computes the order of the dataset's cells (:mod:`cellucid.data.lod`)
from its default embedding and a categorical column, writes the order and its tile index
(``lod/``), then every embedding (with its tile boxes), every colourable obs column and every
expression matrix (:mod:`cellucid.data.tiled_genes`) with the cells in that order. Coordinates
and values are copied a range of tiles at a time into memory-mapped files, so memory holds the
order (8 bytes per cell) and one range besides what the dataset holds already.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DatasetError
from .lod import BASE, MIN_PER_CATEGORY, SEED, TILE_SIZE, LodOrder, lod_order
from .progress import progress_bar
from .quantize import dequantize, quantize
from .tile_reader import category_field
from .tiled_genes import write_tiled_column_store
from .tiles import bounds_of_ranges

RANGE_CELLS = 1 << 22   # cells copied at a time
LEVEL_BASE = BASE       # cells of the first level (the order's ``base``)
TILE_CELLS = TILE_SIZE  # most cells in a tile


def order_for(dataset, category: str | None = None, seed: int = SEED) -> LodOrder:
    """The level-of-detail order of ``dataset``'s cells, in its default embedding, keeping
    every category of ``category`` (default: :func:`~cellucid.data.tile_reader.category_field`)
    in the first level. Raises ``KeyError`` for an unknown column and ``DatasetError`` for one
    that is not categorical."""
    if category is not None:
        field = dataset.obs_field(category)
        if field.kind not in ("categorical", "boolean"):
            raise DatasetError(f"obs column {category!r} is {field.kind}: the column whose every "
                               "category keeps cells at the coarsest level must be categorical")
    field = category_field(dataset, category)
    name = dataset.default_embedding
    codes = dataset.obs_values(field) if field is not None else None
    return lod_order(dataset.embedding(name), codes, seed=seed, base=LEVEL_BASE,
                     tile_size=TILE_CELLS, embedding=name, category_field=field)


def _tile_groups(starts: np.ndarray) -> list[tuple[int, int]]:
    """Runs of tiles ``[t0, t1)`` holding about ``RANGE_CELLS`` cells (at least one tile)."""
    groups, t0 = [], 0
    n_tiles = len(starts) - 1
    while t0 < n_tiles:
        t1 = max(t0 + 1, int(np.searchsorted(starts, starts[t0] + RANGE_CELLS, side="right")) - 1)
        groups.append((t0, min(t1, n_tiles)))
        t0 = min(t1, n_tiles)
    return groups


def _write_lod(lod: LodOrder, out: Path) -> dict:
    """The order's files, and its manifest entry holding the tile index itself."""
    (out / "lod" / "bounds").mkdir(parents=True)
    files = {"order": "lod/order.npy", "rank": "lod/rank.npy"}
    np.save(out / files["order"], np.asarray(lod.order, dtype=np.uint32))
    np.save(out / files["rank"], lod.rank)
    return {"base": LEVEL_BASE, "tile_size": TILE_CELLS, "seed": lod.seed,
            "min_per_category": MIN_PER_CATEGORY, "embedding": lod.embedding,
            "category_field": lod.category_field, **lod.tiles.describe(), **files,
            "tiles": lod.tiles.starts.tolist(), "levels": lod.tiles.levels.tolist()}


def _write_embedding(info, i: int, lod: LodOrder, out: Path, float32: bool) -> dict:
    """One embedding's coordinates in the order, and its tile boxes (of the stored values)."""
    n, dims = lod.n_cells, info.dims
    file, bounds_file = f"embeddings/{i:03d}.npy", f"lod/bounds/{i:03d}.npy"
    invalid = np.zeros(lod.tiles.n_tiles, dtype=np.uint32)
    target = np.lib.format.open_memmap(out / file, mode="w+", shape=(n, dims),
                                       dtype=np.float32 if float32 else np.uint16)
    starts = lod.tiles.starts
    boxes = np.empty((lod.tiles.n_tiles, 2, dims), dtype=np.float32)
    coords = info.coords
    for t0, t1 in _tile_groups(starts):
        a, b = int(starts[t0]), int(starts[t1])
        block = np.take(coords, lod.order[a:b], axis=0)
        if not float32:
            stored = quantize(block, info.min, info.max)
            target[a:b] = stored
            block = dequantize(stored, info.min, info.max)
        else:
            target[a:b] = block
        boxes[t0:t1, 0], boxes[t0:t1, 1], invalid[t0:t1] = \
            bounds_of_ranges(block, starts[t0:t1 + 1])
    target.flush()
    np.save(out / bounds_file, boxes)
    entry = {**info.describe(), "file": file, "encoding": "float32" if float32 else "uint16",
             "bounds": bounds_file}
    if invalid.any():   # tiles holding cells without coordinates
        entry["invalid"] = f"lod/bounds/{i:03d}.invalid.npy"
        np.save(out / entry["invalid"], invalid)
    return entry


def _write_obs(dataset, lod: LodOrder, out: Path) -> list[dict]:
    (out / "obs").mkdir()
    entries = []
    for i, name in enumerate(dataset.obs_names):
        field = dataset.obs_field(name)
        entry = field.describe()
        if field.values is not None:
            entry["file"] = f"obs/{i:04d}.npy"
            values = field.values
            target = np.lib.format.open_memmap(out / entry["file"], mode="w+",
                                               dtype=values.dtype, shape=values.shape)
            for a in range(0, lod.n_cells, RANGE_CELLS):
                b = min(lod.n_cells, a + RANGE_CELLS)
                target[a:b] = values[lod.order[a:b]]
            target.flush()
        entries.append(entry)
    return entries


def _tile_of_row(lod: LodOrder) -> np.ndarray:
    """The tile of each obs row (uint16, or uint32 past 65,535 tiles)."""
    tiles = lod.tiles
    dtype = np.uint16 if tiles.n_tiles <= 1 << 16 else np.uint32
    of_position = np.repeat(np.arange(tiles.n_tiles, dtype=dtype), tiles.counts())
    return of_position[lod.rank]


def write_tiled_cells(dataset, matrices: dict, out: Path, *, float32: bool, chunk_cells,
                      progress: bool, category: str | None = None) -> dict:
    """Write the order, embeddings, obs columns and ``matrices`` (``{layer: matrix}``) of
    ``dataset`` in level-of-detail order under ``out``; returns the manifest entries
    ``{"lod", "embeddings", "obs", "layers"}``. Raises what :func:`order_for` raises."""
    lod = order_for(dataset, category)
    manifest = {"lod": _write_lod(lod, out)}
    (out / "embeddings").mkdir()
    manifest["embeddings"] = [_write_embedding(dataset.embedding_info(name), i, lod, out, float32)
                              for i, name in enumerate(dataset.embedding_names)]
    manifest["obs"] = _write_obs(dataset, lod, out)
    layers = {}
    tile_of_row = _tile_of_row(lod) if matrices else None
    for i, (name, matrix) in enumerate(matrices.items()):
        rel = f"genes/{i:03d}"
        with progress_bar(dataset.n_cells, f"cellucid prepare: {name}", unit="cells",
                          enabled=progress) as bar:
            write_tiled_column_store(matrix, lod.rank, tile_of_row, lod.tiles.n_tiles, out / rel,
                                     chunk_cells=chunk_cells, progress=bar.update)
        layers[name] = rel
    manifest["layers"] = layers
    return manifest
