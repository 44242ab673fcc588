"""``prepare``: write a dataset as a cellucid export directory, the input that opens fastest.

The format is described in ``docs/export-format.md``: cells in level-of-detail order, cut into
tiles (:mod:`cellucid.data.tiled_writer`). ``X``, the layers asked for and ``.raw`` are written,
each with the genes it has. The expression matrices are read once in row chunks and written gene
by gene through scratch files, so an atlas larger than memory can be prepared from a backed
``.h5ad``, a ``.zarr`` store or a dask-backed AnnData.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path

import numpy as np

from .._version import __version__
from ..errors import DatasetError
from .export import FORMAT, MANIFEST, VERSION, is_export_dir
from .layers import RAW, UnknownLayer
from .open import open_dataset
from .progress import progress_bar
from .publish import prepare_with_urls
from .tiled_writer import write_tiled_cells
from .urls import is_url

GRAPH_COPY_VALUES = 16_000_000  # graph indices copied per step


def prepare(adata_or_path, out_dir, *, float32: bool = False, chunk_cells: int | None = None,
            progress: bool = True, embedding: str | None = None, layers=None,
            raw: bool = True, gene_symbols: str | None = None, overwrite: bool = False,
            storage_options: dict | None = None, keep_categories: str | None = None
            ) -> Path | str:
    """Write ``adata_or_path`` (AnnData, ``.h5ad``, ``.zarr``) as an export directory ``out_dir``.

    ``out_dir`` may be a writable fsspec URL (``s3://bucket/atlas.cellucid``, ``gs://…``): the
    export is written locally, then uploaded (:mod:`cellucid.data.publish`; ``storage_options``
    go to fsspec) and the URL is returned. A remote ``.zarr`` input is read into memory first.

    ``float32`` keeps coordinates as float32 instead of uint16 with per-axis ranges;
    ``chunk_cells`` sets the rows read at a time (default: about 4M stored values per chunk; for
    a dask array its own row chunks, computed as tasks on the active dask scheduler);
    ``layers`` lists the layers to export besides ``X`` (default none, ``"all"`` for every one);
    ``.raw`` (its matrix and genes) is kept unless ``raw=False``, so comparisons and gene plots
    of the export read what scanpy reads by default; ``uns["log1p"]["base"]`` is kept too;
    ``embedding``/``gene_symbols`` are recorded as the defaults of the export; the cells are
    tiled in ``embedding`` (see :mod:`cellucid.data.lod`), and every category of the
    categorical obs column ``keep_categories`` (default: the first with colours of its own, else
    the first categorical one) keeps cells in the coarsest level of detail.
    Returns the directory. Raises ``FileExistsError`` when ``out_dir`` holds files and
    ``overwrite`` is false, ``KeyError``/``DatasetError`` for a ``keep_categories`` that is not a
    categorical obs column, and what :func:`open_dataset` raises for unusable input.
    """
    if is_url(out_dir) or is_url(adata_or_path):
        return prepare_with_urls(
            prepare, adata_or_path, out_dir, overwrite=overwrite, storage_options=storage_options,
            options={"float32": float32, "chunk_cells": chunk_cells, "progress": progress,
                     "embedding": embedding, "layers": layers, "raw": raw,
                     "gene_symbols": gene_symbols, "keep_categories": keep_categories})
    out = Path(out_dir).expanduser()
    if isinstance(adata_or_path, (str, os.PathLike)) and \
            is_export_dir(Path(adata_or_path).expanduser()):
        raise DatasetError(f"{os.fspath(adata_or_path)!r} is already a cellucid export directory")
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise FileExistsError(f"{str(out)!r} exists and is not empty; choose another directory "
                              "or pass overwrite=True")
    started = time.perf_counter()
    dataset = open_dataset(adata_or_path, embedding=embedding, gene_symbols=gene_symbols)
    try:
        matrices = _matrices(dataset.stored_matrices(), layers, raw and dataset.has_raw)
        tmp = out.parent / f".{out.name}.{uuid.uuid4().hex[:8]}.tmp"
        tmp.mkdir(parents=True)
        try:
            manifest = _write_all(dataset, matrices, tmp, float32=float32,
                                  chunk_cells=chunk_cells, progress=progress,
                                  keep_categories=keep_categories)
            manifest["prepared_in_s"] = round(time.perf_counter() - started, 2)
            manifest["id"] = uuid.uuid4().hex   # names this export's files in remote caches
            (tmp / MANIFEST).write_text(json.dumps(manifest, indent=1))
            if out.exists():
                shutil.rmtree(out)
            os.rename(tmp, out)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    finally:
        dataset.close()
    return out


def _matrices(stored: dict, layers, raw: bool) -> dict:
    """``{layer: matrix}`` to export (`RAW` for ``.raw`` when kept) of the dataset's ``stored``
    matrices: store nodes (h5py/zarr) or in-memory/backed matrices."""
    stored = dict(stored)
    matrix_x, matrix_raw = stored.pop("X", None), stored.pop(RAW, None)
    found = stored
    chosen = {} if layers is None else (dict(found) if layers == "all" else {})
    if layers not in (None, "all"):
        for name in layers:
            if name not in found:
                raise UnknownLayer(name, list(found))
            chosen[name] = found[name]
    result = {} if matrix_x is None else {"X": matrix_x}
    result.update(chosen)
    if raw and matrix_raw is not None:
        result[RAW] = matrix_raw
    return result


def _write_graph(dataset, out: Path, progress: bool) -> dict | None:
    if not dataset.has_graph:
        return None
    name = dataset.manifest()["graph"]
    (out / "graph").mkdir()
    indptr, indices = dataset.graph_arrays()
    indptr = np.asarray(indptr[:], dtype=np.int64)
    np.save(out / "graph/indptr.npy", indptr - indptr[0])
    total = int(indptr[-1] - indptr[0])
    target = np.lib.format.open_memmap(out / "graph/indices.npy", mode="w+", dtype=np.uint32,
                                       shape=(total,)) if total else np.zeros(0, np.uint32)
    with progress_bar(total, "cellucid prepare: graph", unit="edges", enabled=progress) as bar:
        for a in range(0, total, GRAPH_COPY_VALUES):
            b = min(total, a + GRAPH_COPY_VALUES)
            target[a:b] = np.asarray(indices[indptr[0] + a:indptr[0] + b])
            bar.update(b - a)
    if total:
        target.flush()
    else:
        np.save(out / "graph/indices.npy", target)
    return {"name": name, "indptr": "graph/indptr.npy", "indices": "graph/indices.npy"}


def _write_all(dataset, matrices: dict, out: Path, *, float32: bool, chunk_cells, progress,
               keep_categories) -> dict:
    (out / "genes").mkdir()
    _write_genes(dataset.genes, out / "genes/var.json")
    cells = write_tiled_cells(dataset, matrices, out, float32=float32, chunk_cells=chunk_cells,
                              progress=progress, category=keep_categories)
    layers = dict(cells["layers"])
    raw = None
    if RAW in layers:
        raw = {"matrix": layers.pop(RAW), "var": "genes/raw_var.json"}
        _write_genes(dataset.raw_genes, out / raw["var"])
    return {
        "format": FORMAT, "version": VERSION, "cellucid_version": __version__,
        "n_cells": dataset.n_cells, "n_genes": dataset.n_genes,
        "default_embedding": dataset.default_embedding,
        "embeddings": cells["embeddings"],
        "skipped_embeddings": dataset.manifest()["skipped_embeddings"],
        "obs": cells["obs"],
        "genes": {"var": "genes/var.json", "symbols_column": dataset.gene_symbols},
        "layers": layers,
        "raw": raw,
        "log1p_base": dataset.log1p_base,
        "graph": _write_graph(dataset, out, progress),
        "lod": cells["lod"],
    }


def _write_genes(genes, path: Path) -> None:
    path.write_text(json.dumps({
        "names": list(genes.names),
        "symbols": None if genes.symbols is None else list(genes.symbols)}))
