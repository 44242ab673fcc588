"""The genes of a tiled export: a column store whose rows are positions of the level-of-detail
order, grouped by tile within each gene, so that one gene's values in a run of tiles are one
contiguous read.

Layout (a column store of version 3, :mod:`cellucid.data.colstore`)::

    columns.json      {"format": "cellucid-columns", "version": 3, "n_rows", "n_cols", "block",
                       "nnz", "n_tiles"}
    indptr.npy        int64 (n_genes + 1): where each gene's values start
    tiles.npy         uint32 (n_genes, n_tiles + 1): offset, within its gene, of each tile's
                      first value (the last column is the gene's count)
    block_00000.bin   genes of block 0, one after the other; each gene's values as (position
                      uint32 LE, value float32 LE) pairs, tile after tile (within a tile in no
                      particular order)

Gene ``j``'s values in tiles ``[t0, t1)`` are pairs ``tiles[j, t0]`` to ``tiles[j, t1]`` of the
gene: bytes ``8 * (indptr[j] - indptr[256 b] + tiles[j, t])`` of block ``b = j // 256``.

Writing reads the matrix once in row chunks (by obs row, as it is stored) and sorts each value
into a scratch file of its group of genes; each group is then ordered by (gene, tile) with a
counting sort and appended to its block file. A matrix stored by gene (CSC) is read a group of
genes at a time instead, without scratch files. Memory stays about ``GROUP_VALUES`` values.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .chunks import csc_arrays, row_chunks
from .colstore import DEFAULT_BLOCK, FORMAT, PAIRS_VERSION, VALUE, WORD, ColumnStore, \
    ColumnStoreError

GROUP_VALUES = 16_000_000   # values sorted at once (scratch file group, CSC slab)


class TiledColumnStore(ColumnStore):
    """Read a version-3 column store in obs order (``column``, ``columns``) and by tile
    (``tile_pairs``). ``order()`` gives the order (position → obs row), read when first needed.
    Raises ``ColumnStoreError`` for a store of another version."""

    def __init__(self, source, order: Callable[[], np.ndarray]) -> None:
        super().__init__(source)
        if self.version != PAIRS_VERSION:
            raise ColumnStoreError(f"{self.files.label}: a version {self.version} column store "
                                   f"where a tiled (version {PAIRS_VERSION}) one was expected")
        meta = self.files.read_json("columns.json")
        self.n_tiles = int(meta["n_tiles"])
        self._order = order

    def column(self, j: int) -> np.ndarray:
        """Gene ``j`` in obs order: dense float32 ``(n_rows,)``."""
        positions, values = self._slice(j, j + 1)
        out = np.zeros(self.n_rows, dtype=np.float32)
        out[np.asarray(self._order())[positions]] = values
        return out

    def columns(self, start: int, stop: int) -> sp.csc_matrix:
        """Genes ``[start, stop)`` as a CSC matrix whose rows are obs rows."""
        by_position = super().columns(start, stop)
        rows = np.asarray(self._order())[by_position.indices].astype(np.int32)
        return sp.csc_matrix((by_position.data, rows, by_position.indptr),
                             shape=by_position.shape)

    def tile_offsets(self, j: int) -> np.ndarray:
        """Offset of each tile's first value within gene ``j`` (int64, ``n_tiles + 1``): one
        small read."""
        width = self.n_tiles + 1
        return self.files.elements("tiles.npy", np.uint32, self.n_cols * width, j * width,
                                   (j + 1) * width).astype(np.int64)

    def tile_pairs(self, j: int, t0: int, t1: int) -> tuple[np.ndarray, np.ndarray]:
        """Positions (uint32, in the order) and values (float32) of gene ``j`` in tiles
        ``[t0, t1)``: one contiguous read of its block file."""
        offsets = self.tile_offsets(j)
        b = j // self.block
        base, n = self._block_size(b)
        first = int(self.indptr[j]) - base
        lo, hi = first + int(offsets[t0]), first + int(offsets[t1])
        if hi == lo:
            return np.zeros(0, np.uint32), np.zeros(0, np.float32)
        words = self.files.elements(f"block_{b:05d}.bin", WORD, 2 * n, 2 * lo, 2 * hi)
        return words[0::2], words[1::2].view(VALUE)


class _Blocks:
    """Appends groups of genes, ordered by (gene, tile), to the block files of a store."""

    def __init__(self, out: Path, n_genes: int, n_tiles: int, block: int) -> None:
        self.out, self.block, self.n_tiles = out, block, n_tiles
        self.counts = np.zeros(n_genes, dtype=np.int64)
        if n_genes:
            self.offsets = np.lib.format.open_memmap(out / "tiles.npy", mode="w+",
                                                     dtype=np.uint32, shape=(n_genes, n_tiles + 1))
        else:
            self.offsets = np.zeros((0, n_tiles + 1), np.uint32)
            np.save(out / "tiles.npy", self.offsets)
        for b in range(-(-n_genes // block)):
            (out / f"block_{b:05d}.bin").write_bytes(b"")

    def add(self, first_gene: int, n_genes: int, key: np.ndarray, positions: np.ndarray,
            values: np.ndarray) -> None:
        """Genes ``[first_gene, first_gene + n_genes)``: ``key`` is ``gene - first_gene`` times
        ``n_tiles`` plus the tile, per value, in any order."""
        by_key = np.argsort(key, kind="stable")
        per_key = np.bincount(key, minlength=n_genes * self.n_tiles).reshape(n_genes,
                                                                            self.n_tiles)
        genes = slice(first_gene, first_gene + n_genes)
        self.counts[genes] = per_key.sum(axis=1)
        self.offsets[genes, 1:] = np.cumsum(per_key, axis=1)
        words = np.empty(2 * key.size, dtype=WORD)
        words[0::2] = positions[by_key]
        words[1::2] = values.astype(VALUE, copy=False)[by_key].view(WORD)
        with open(self.out / f"block_{first_gene // self.block:05d}.bin", "ab") as f:
            words.tofile(f)

    def finish(self, n_rows: int) -> None:
        indptr = np.concatenate([[0], np.cumsum(self.counts)]).astype(np.int64)
        np.save(self.out / "indptr.npy", indptr)
        if isinstance(self.offsets, np.memmap):
            self.offsets.flush()
        meta = {"format": FORMAT, "version": PAIRS_VERSION, "n_rows": n_rows,
                "n_cols": len(self.counts), "block": self.block, "nnz": int(indptr[-1]),
                "n_tiles": self.n_tiles}
        (self.out / "columns.json").write_text(json.dumps(meta))


def _group_size(values_per_gene: float, n_tiles: int, block: int) -> int:
    """Genes sorted together: a power of two dividing ``block``, holding about
    ``GROUP_VALUES`` values, and whose (gene, tile) keys fit 16 bits when they can."""
    size = block
    while size > 1 and (size * values_per_gene > GROUP_VALUES or size * n_tiles >= 1 << 16):
        size //= 2
    return size


def _key_dtype(group: int, n_tiles: int):
    return np.uint16 if group * n_tiles < 1 << 16 else np.uint32


def write_tiled_column_store(matrix, rank: np.ndarray, tile_of_row: np.ndarray, n_tiles: int,
                             out_dir: str | os.PathLike, *, chunk_cells: int | None = None,
                             block: int = DEFAULT_BLOCK, progress=None) -> Path:
    """Write ``matrix`` (cells × genes, anything :func:`~cellucid.data.chunks.row_chunks` reads,
    or CSC) as a tiled store. ``rank[i]`` is obs row ``i``'s position in the order and
    ``tile_of_row[i]`` its tile. ``progress(cells)`` is called as rows are read. Returns the
    directory."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    csc = csc_arrays(matrix)
    if csc is not None:
        n_genes = len(csc[0]) - 1
        blocks = _Blocks(out, n_genes, n_tiles, block)
        _from_csc(csc, rank, tile_of_row, blocks, n_genes, progress)
    else:
        source = row_chunks(matrix, chunk_cells)
        n_genes = source.n_cols
        blocks = _Blocks(out, n_genes, n_tiles, block)
        _from_rows(source, rank, tile_of_row, blocks, n_genes, out, progress)
    blocks.finish(len(rank))
    return out


def _from_csc(csc, rank, tile_of_row, blocks: _Blocks, n_genes: int, progress) -> None:
    indptr_source, indices, data = csc
    indptr = np.asarray(indptr_source[:], dtype=np.int64)
    per_gene = (indptr[-1] - indptr[0]) / max(1, n_genes)
    group = _group_size(per_gene, blocks.n_tiles, blocks.block)
    for g0 in range(0, n_genes, group):
        g1 = min(n_genes, g0 + group)
        lo, hi = indptr[g0], indptr[g1]
        rows = np.asarray(indices[lo:hi]).astype(np.int64)
        local = np.repeat(np.arange(g1 - g0), np.diff(indptr[g0:g1 + 1]))
        key = (local * blocks.n_tiles + tile_of_row[rows]).astype(_key_dtype(g1 - g0,
                                                                             blocks.n_tiles))
        blocks.add(g0, g1 - g0, key, rank[rows], np.asarray(data[lo:hi]))
    if progress is not None:
        progress(len(rank))


def _from_rows(source, rank, tile_of_row, blocks: _Blocks, n_genes: int, out: Path,
               progress) -> None:
    scratch = out / ".scratch"
    scratch.mkdir()
    try:
        group = None
        for first_row, piece in source.chunks():
            piece = piece.tocsc() if sp.issparse(piece) else sp.csc_matrix(piece)
            if group is None:   # from the first chunk: how many values a gene has
                per_gene = piece.nnz / max(1, n_genes) * source.n_rows / max(1, piece.shape[0])
                group = _group_size(per_gene, blocks.n_tiles, blocks.block)
            _spill(piece, first_row, rank, tile_of_row, group, blocks.n_tiles, scratch)
            if progress is not None:
                progress(piece.shape[0])
        group = group or blocks.block
        for g0 in range(0, n_genes, group):
            g1 = min(n_genes, g0 + group)
            blocks.add(g0, g1 - g0, *_read_spill(scratch, g0 // group,
                                                 _key_dtype(group, blocks.n_tiles)))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _spill(piece: sp.csc_matrix, first_row: int, rank, tile_of_row, group: int, n_tiles: int,
           scratch: Path) -> None:
    """Append each value of a row chunk to the scratch files of its group of genes."""
    cptr = piece.indptr.astype(np.int64)
    genes = np.repeat(np.arange(piece.shape[1], dtype=np.int64), np.diff(cptr))
    rows = piece.indices.astype(np.int64) + first_row
    key = ((genes % group) * n_tiles + tile_of_row[rows]).astype(_key_dtype(group, n_tiles))
    positions = rank[rows]
    values = piece.data.astype(VALUE, copy=False)
    # values are in gene order already (CSC): a group is a contiguous run
    bounds = np.searchsorted(genes, np.arange(0, piece.shape[1] + group, group))
    for g, (a, z) in enumerate(zip(bounds[:-1], bounds[1:])):
        if z > a:
            for suffix, array in (("key", key), ("pos", positions), ("val", values)):
                with open(scratch / f"{g:05d}.{suffix}", "ab") as f:
                    array[a:z].tofile(f)


def _read_spill(scratch: Path, g: int, key_dtype):
    """``(key, positions, values)`` of scratch group ``g`` (empty when it got no value); the
    files are removed once read."""
    arrays = []
    for suffix, dtype in (("key", key_dtype), ("pos", np.uint32), ("val", VALUE)):
        path = scratch / f"{g:05d}.{suffix}"
        arrays.append(np.fromfile(path, dtype=dtype) if path.exists() else np.zeros(0, dtype))
        path.unlink(missing_ok=True)
    return arrays
