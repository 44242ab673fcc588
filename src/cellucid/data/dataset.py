"""The :class:`Dataset`: one opened dataset, whatever it came from, as the server and viewer use it."""

from __future__ import annotations

import threading
import warnings
import weakref
from collections.abc import Callable

import numpy as np

from ..errors import DatasetError
from .blocks import ColumnBlockSource
from .catalog import embedding_entry_json, obs_entry_json
from .embeddings import Embedding, default_embedding
from .genes import GeneIndex
from .graph import CellGraph
from .layers import RAW, LayerFactory, UnknownLayer, layer_names
from .names import UnknownName
from .obs import ObsField
from .spatial import SpatialIndex


class Dataset:
    """An opened dataset: cells, their embeddings, obs columns, genes and neighbourhood graph.

    Built by :func:`cellucid.data.open_dataset`; every input kind (in-memory AnnData, backed
    ``.h5ad``, ``.zarr``, export directory) ends up as one of these. Methods are thread-safe: the
    server calls them from its thread pool.

    The obs columns and embeddings come from a catalog (:mod:`cellucid.data.catalog`): for an
    in-memory AnnData it is live (``live`` is True), so names, values and the manifest follow
    ``adata`` as it is when asked, each name with a version and the whole with a ``revision``;
    files and export directories never change (versions and revision 1).
    """

    def __init__(self, *, kind: str, n_cells: int, catalog, default_embedding: str,
                 genes: GeneIndex, gene_symbols: str | None,
                 layers: dict[str, LayerFactory], default_layer: str,
                 graph_name: str | None, graph_arrays: Callable[[], tuple] | None,
                 adata_loader: Callable[[], object] | None = None,
                 closer: Callable[[], None] | None = None, path: str | None = None,
                 raw_genes: GeneIndex | None = None,
                 log1p_base: Callable[[], float | None] | float | None = None,
                 lod=None, cell_names_loader: Callable[[], object] | None = None,
                 stored_matrices: Callable[[], dict] | None = None) -> None:
        self.kind = kind
        self.path = path
        self.n_cells = int(n_cells)
        self.n_genes = len(genes)
        self.genes = genes
        self.gene_symbols = gene_symbols
        self.default_layer = default_layer
        self._catalog = catalog
        self._chosen_embedding = default_embedding
        self._layer_factories = layers
        if (RAW in layers) != (raw_genes is not None):
            raise ValueError("a dataset's .raw needs both its matrix and its genes")
        self.raw_genes = raw_genes
        self._log1p_base = log1p_base
        self._stored_matrices = stored_matrices
        self._graph_name = graph_name
        self._graph_arrays = graph_arrays
        self._graph: CellGraph | None = None
        # one spatial index per embedding record (a new version is a new record); pushed
        # embeddings of the viewers over this dataset (`overlay.DatasetView`) are kept here too
        self._spatial: weakref.WeakKeyDictionary[Embedding, SpatialIndex] = \
            weakref.WeakKeyDictionary()
        self._adata_loader = adata_loader
        self._adata = None
        self._cell_names_loader = cell_names_loader
        self._cell_names = None
        self._closer = closer
        self._manifest: dict | None = None
        # the stored tiles of a tiled export (cellucid.data.tiled_export.ExportTiles), else None
        self.lod = lod
        # one lock per lazily built thing: a gene cache build must not hold up a KNN query
        self._adata_lock = threading.Lock()
        self._graph_lock = threading.Lock()
        self._spatial_lock = threading.Lock()
        self._warn_invalid_rows()

    # -- what is in it -------------------------------------------------------------------------

    @property
    def adata(self):
        """The AnnData behind this dataset (backed for an ``.h5ad`` path), or None for an export.

        For a file this opens it with anndata, which reads everything but the matrix (a
        ``.zarr`` store: everything) into memory; names of cells are :attr:`cell_names`."""
        if self._adata is None and self._adata_loader is not None:
            with self._adata_lock:
                if self._adata is None:
                    self._adata = self._adata_loader()
        return self._adata

    @property
    def adata_in_memory(self):
        """The AnnData this dataset shows when it is held in memory (not backed): Python may write
        ``obs`` columns to it. None for a file, an AnnData opened backed, or an export."""
        if self.kind != "anndata":
            return None
        adata = self.adata
        return adata if adata is not None and not getattr(adata, "isbacked", False) else None

    @property
    def cell_names(self):
        """The cells' names (``obs_names``, a pandas Index) or None when the data has none (an
        export). Read on first use: for a file only its obs index, never the AnnData
        (:attr:`adata` opens the whole AnnData). An in-memory AnnData's are read each time."""
        if self.live and self._cell_names_loader is not None:
            return self._cell_names_loader()
        if self._cell_names is None and self._cell_names_loader is not None:
            with self._adata_lock:
                if self._cell_names is None:
                    self._cell_names = self._cell_names_loader()
        return self._cell_names

    @property
    def live(self) -> bool:
        """Whether names and values follow edits of the in-memory AnnData."""
        return self._catalog.live

    @property
    def revision(self) -> int:
        """Grows whenever an obs column or embedding is added, removed or gets a new version
        (always 1 for files); a cheap scan of every name's fingerprint."""
        return self._catalog.revision

    @property
    def embedding_names(self) -> list[str]:
        """Names of the drawable embeddings now, in manifest order."""
        return self._catalog.embedding_names()

    @property
    def obs_names(self) -> list[str]:
        """Names of every obs column now (colorable or not), in manifest order."""
        return self._catalog.obs_names()

    @property
    def default_embedding(self) -> str | None:
        """The embedding shown first: the one chosen at open while it exists, else the usual
        pick among the embeddings now (None when there are none left)."""
        return self._default_among(self.embedding_names)

    def _default_among(self, names: list[str]) -> str | None:
        if not names:
            return None
        if self._chosen_embedding in names:
            return self._chosen_embedding
        return default_embedding(names, None)

    @property
    def layers(self) -> list[str]:
        """Expression matrices gene values can come from (``"X"`` first), ``.raw`` aside."""
        return layer_names(self._layer_factories)

    @property
    def has_raw(self) -> bool:
        """Whether the data has a ``.raw`` matrix (read with the matrix key `layers.RAW`)."""
        return self.raw_genes is not None

    def genes_of(self, matrix: str | None = None) -> GeneIndex:
        """The genes of ``matrix`` (`layers.RAW` for ``.raw``; any other: the dataset's genes)."""
        return self.raw_genes if matrix == RAW and self.raw_genes is not None else self.genes

    @property
    def log1p_base(self) -> float | None:
        """The base the expression was log1p'd in (scanpy's ``uns["log1p"]["base"]``), as it is
        now for an AnnData in memory; None for the natural log or when not recorded."""
        base = self._log1p_base
        return base() if callable(base) else base

    @property
    def has_graph(self) -> bool:
        """Whether KNN queries are possible (the data has ``obsp["connectivities"]`` or ``distances``)."""
        return self._graph_arrays is not None

    def manifest(self) -> dict:
        """The manifest of ``docs/protocol.md`` (without ``"status"``) as the data is now.

        Built again only when the revision changed (the same dict is returned until then; do not
        modify it). Change detection is the cheap fingerprint: see :meth:`check_column`.
        """
        snap = self._catalog.snapshot()
        manifest = self._manifest
        if manifest is not None and manifest["revision"] == snap.revision:
            return manifest
        manifest = {
            "revision": snap.revision,
            "n_cells": self.n_cells, "n_genes": self.n_genes, "has_graph": self.has_graph,
            "graph": self._graph_name,
            "default_embedding": self._default_among([e.name for e, _ in snap.embeddings]),
            "embeddings": [embedding_entry_json(e, v) for e, v in snap.embeddings],
            "skipped_embeddings": list(snap.skipped_embeddings),
            "obs": [obs_entry_json(f, v) for f, v in snap.obs],
            "layers": self.layers, "default_layer": self.default_layer,
            "raw": {"n_genes": len(self.raw_genes)} if self.has_raw else None,
            "gene_symbols": self.gene_symbols,
        }
        self._manifest = manifest
        return manifest

    # -- per-cell values -----------------------------------------------------------------------

    def embedding(self, name: str) -> np.ndarray:
        """Coordinates of embedding ``name``: float32 C-contiguous ``(n, dims)``, invalid rows NaN.

        Raises ``KeyError`` naming the closest embeddings when ``name`` is unknown.
        """
        return self._embedding(name).coords

    def embedding_info(self, name: str) -> Embedding:
        """The :class:`Embedding` record (dims, bounds) of ``name``; ``KeyError`` if unknown."""
        return self._embedding(name)

    def embedding_entry(self, name: str) -> tuple[Embedding, int]:
        """``(embedding, version)`` of ``name``, read together (use the version as a cache key).

        Raises ``KeyError`` (`UnknownName`) naming the closest embeddings when unknown.
        """
        return self._catalog.embedding_entry(name)

    def _embedding(self, name: str) -> Embedding:
        return self._catalog.embedding_entry(name)[0]

    def obs_field(self, name: str) -> ObsField:
        """The :class:`ObsField` of obs column ``name``; ``KeyError`` naming close columns if unknown."""
        return self._catalog.obs_entry(name)[0]

    def obs_entry(self, name: str) -> tuple[ObsField, int]:
        """``(field, version)`` of obs column ``name``, read together; `UnknownName` if unknown."""
        return self._catalog.obs_entry(name)

    def check_column(self, name: str) -> int:
        """Compare obs column ``name`` with its cached copy down to its bytes; return its version.

        The manifest and every other lookup compare a cheap fingerprint only (dtype, length, data
        buffer address, categories, ``uns`` colours), which misses values written into the same
        buffer (``adata.obs.loc[mask, "x"] = 5``); this also compares a CRC of the column, so
        such an edit gets a new version (and revision). Call it when the user asks to colour by
        ``name``. Raises `UnknownName` for an unknown column.
        """
        return self._catalog.obs_entry(name, deep=True)[1]

    def check_embedding(self, name: str) -> int:
        """Like :meth:`check_column` for embedding ``name`` (catches in-place ``obsm`` edits)."""
        return self._catalog.embedding_entry(name, deep=True)[1]

    def obs_values(self, name: str) -> np.ndarray:
        """Values of obs column ``name``: uint16 codes (65535 missing) or float32 (NaN missing).

        Raises ``KeyError`` for an unknown column and ``DatasetError`` for an uncolorable one.
        """
        field = self.obs_field(name)
        if field.values is None:
            raise DatasetError(f"obs column {name!r} cannot be coloured: {field.info['reason']}")
        return field.values

    def gene_values(self, name: str, layer: str | None = None) -> np.ndarray:
        """Expression of gene ``name`` (var name or symbol) in every cell: float32 ``(n,)``.

        ``layer`` is ``"X"``, a layer name or `layers.RAW` (default: the dataset's default
        layer). Raises ``KeyError`` naming the closest genes (`UnknownLayer`: the layers) when
        unknown.
        """
        layer = self.check_layer(layer)
        pos = self.genes_of(layer).position(name)
        return self.layer(layer).column(pos)

    def check_layer(self, layer: str | None = None) -> str:
        """``layer`` (default: the default layer) if the dataset has that matrix: ``"X"``, a
        layer's name, or `layers.RAW` for ``.raw``. Raises `UnknownLayer` (a ``KeyError`` and a
        ``ValueError``) naming the layers otherwise."""
        layer = self.default_layer if layer is None else layer
        if layer not in self._layer_factories:
            raise UnknownLayer(layer, self.layers)
        return layer

    def layer(self, layer: str | None = None) -> ColumnBlockSource:
        """Matrix ``layer`` (see `check_layer`) as the source that reads it best
        (`cellucid.data.blocks`): ``column(j)`` gives gene ``j`` (a position in `genes_of` that
        matrix) in every cell, ``gene_columns(positions)`` a few genes, ``blocks(size)`` every
        gene in blocks; ``store`` is the column store it reads (a backed file's gene cache, an
        export's store) or None. The first call for a matrix on disk that is not CSC builds its
        gene cache. Raises `UnknownLayer`.
        """
        return self._layer_factories[self.check_layer(layer)]()

    def stored_matrices(self) -> dict:
        """``{"X": matrix, "<layer>": matrix, ..., RAW: matrix}``: the matrices as stored (a node
        of the h5py/zarr store, or the AnnData's own matrix), for reading in row chunks. Raises
        `DatasetError` for an export, which stores genes only by column."""
        if self._stored_matrices is None:
            raise DatasetError(f"{self.path or 'this dataset'} is a cellucid export: its "
                               f"matrices are stored by gene only")
        return self._stored_matrices()

    def search_genes(self, q: str, limit: int = 20) -> tuple[list[dict], int]:
        """Genes whose name or symbol contains ``q``: ``([{"name", "symbol"}, ...], total)``."""
        return self.genes.search(q, limit)

    def resolve_color_field(self, name: str) -> tuple[str, str]:
        """Say what ``name`` colours by: ``("obs", column)`` or ``("gene", var_name)``.

        An obs column wins over a gene of the same name. Raises ``KeyError`` whose message names
        the closest obs columns and genes; ``DatasetError`` for an obs column that cannot be coloured.
        """
        if name in self.obs_names:
            try:
                self.obs_values(name)
                return "obs", name
            except UnknownName:  # removed meanwhile: it may still be a gene
                pass
        pos = self.genes.find(name)
        if pos is not None:
            return "gene", str(self.genes.names[pos])
        colorable = [f.name for f, _ in self._catalog.snapshot().obs
                     if f.kind != "uncolorable"]   # not f.values: a remote column is not read
        raise UnknownName("obs column or gene", name, colorable + self.genes.all_labels())

    # -- neighbourhoods ------------------------------------------------------------------------

    def graph_arrays(self) -> tuple:
        """``(indptr, indices)`` of the cell graph in CSR form as stored (numpy arrays, memory
        maps, or unread h5py/zarr arrays that slice like numpy's), for copying in steps.

        Raises ``DatasetError`` saying how to make one when there is none.
        """
        if self._graph_arrays is None:
            raise DatasetError(
                "this dataset has no neighbourhood graph (obsp['connectivities'] or "
                "obsp['distances']); compute one with `sc.pp.neighbors(adata)` and open it again")
        return self._graph_arrays()

    def graph(self) -> CellGraph:
        """The cell graph (read on first use); ``DatasetError`` saying how to make one if absent."""
        if self._graph is None:
            indptr, indices = self.graph_arrays()
            with self._graph_lock:
                if self._graph is None:
                    self._graph = CellGraph(np.asarray(indptr[:]), np.asarray(indices[:]),
                                            self._graph_name)
        return self._graph

    def knn_search(self, seed: int, hops: int) -> tuple[np.ndarray, int]:
        """Cells within ``hops`` graph hops of ``seed`` (sorted uint32) and the hops that found cells.

        Raises ``IndexError`` for a seed outside ``[0, n_cells)``, ``ValueError`` for negative
        hops, ``DatasetError`` when there is no graph.
        """
        seed, hops = int(seed), int(hops)
        if not 0 <= seed < self.n_cells:
            raise IndexError(f"seed cell {seed} is outside [0, {self.n_cells})")
        if hops < 0:
            raise ValueError(f"hops must be ≥ 0, got {hops}")
        return self.graph().hops(seed, hops)

    def knn_cells(self, seed: int, hops: int) -> np.ndarray:
        """Cells within ``hops`` graph hops of ``seed``, seed included: sorted uint32."""
        return self.knn_search(seed, hops)[0]

    def spatial_index(self, embedding: str) -> SpatialIndex:
        """The spatial index of ``embedding`` as it is now, made on first use and kept until the
        embedding changes (its tree builds in the background after the first query)."""
        return self.spatial_index_of(self._catalog.embedding_entry(embedding)[0])

    def spatial_index_of(self, info: Embedding) -> SpatialIndex:
        """The spatial index of the embedding record ``info`` (one of this dataset's, or one
        pushed from Python for a viewer of it), made on first use and kept while ``info`` is."""
        with self._spatial_lock:
            index = self._spatial.get(info)
        if index is None:
            coords = info.coords
            with self._spatial_lock:
                index = self._spatial.get(info)
                if index is None:
                    index = SpatialIndex(coords, info.min, info.max)
                    self._spatial[info] = index
        return index

    def radius_cells(self, embedding: str, center, r: float) -> np.ndarray:
        """Cells within Euclidean distance ``r`` of ``center`` in ``embedding``: sorted uint32.

        ``center`` has one value per embedding dimension. Raises ``KeyError`` for an unknown
        embedding and ``ValueError`` for a centre of the wrong length or a negative/non-finite r.
        """
        return self.radius_in(self._catalog.embedding_entry(embedding)[0], center, r)

    def radius_in(self, info: Embedding, center, r: float) -> np.ndarray:
        """`radius_cells` in the embedding record ``info`` (see `spatial_index_of`)."""
        center = np.asarray(center, dtype=np.float64).ravel()
        if center.shape != (info.dims,) or not np.isfinite(center).all():
            raise ValueError(f"embedding {info.name!r} has {info.dims} dimensions; the centre "
                             f"must be {info.dims} finite numbers, got {center.tolist()}")
        r = float(r)
        if not np.isfinite(r) or r < 0:
            raise ValueError(f"radius must be a finite number ≥ 0, got {r}")
        return self.spatial_index_of(info).within(center, r)

    # -- life cycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Release open files; the dataset must not be used afterwards."""
        closer, self._closer = self._closer, None
        if closer is not None:
            closer()
            if self._adata is not None and getattr(self._adata, "isbacked", False):
                self._adata.file.close()  # the backed AnnData this dataset opened itself

    def __enter__(self) -> Dataset:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return (f"<Dataset {self.kind} {self.n_cells} cells × {self.n_genes} genes, "
                f"embeddings {self.embedding_names}>")

    def _warn_invalid_rows(self) -> None:
        bad = [(e.name, e.n_invalid) for e, _ in self._catalog.snapshot().embeddings if e.n_invalid]
        if bad:
            listed = ", ".join(f"{n} cells in {name!r}" for name, n in bad)
            warnings.warn(f"NaN or infinite coordinates: {listed}. These cells are kept out of "
                          "view; cell indices are unchanged.", UserWarning, stacklevel=4)

