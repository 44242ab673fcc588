"""The :class:`Dataset`: one opened dataset, whatever it came from, as the server and viewer use it."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable

import numpy as np

from ..errors import DatasetError
from .embeddings import Embedding
from .expression import ColumnReader
from .genes import GeneIndex
from .graph import CellGraph
from .names import UnknownName
from .obs import ObsField
from .spatial import SpatialIndex


class Dataset:
    """An opened dataset: cells, their embeddings, obs columns, genes and neighbourhood graph.

    Built by :func:`cellucid.data.open_dataset`; every input kind (in-memory AnnData, backed
    ``.h5ad``, ``.zarr``, export directory) ends up as one of these. Methods are thread-safe: the
    server calls them from its thread pool.
    """

    def __init__(self, *, kind: str, n_cells: int, embeddings: list[Embedding],
                 skipped_embeddings: list[dict], default_embedding: str,
                 obs: list[ObsField], genes: GeneIndex, gene_symbols: str | None,
                 layers: dict[str, Callable[[], ColumnReader]], default_layer: str,
                 graph_name: str | None, graph_loader: Callable[[], CellGraph] | None,
                 adata_loader: Callable[[], object] | None = None,
                 closer: Callable[[], None] | None = None, path: str | None = None) -> None:
        self.kind = kind
        self.path = path
        self.n_cells = int(n_cells)
        self.n_genes = len(genes)
        self.default_embedding = default_embedding
        self.genes = genes
        self.gene_symbols = gene_symbols
        self.default_layer = default_layer
        self._embeddings = {e.name: e for e in embeddings}
        self._skipped_embeddings = skipped_embeddings
        self._obs = {f.name: f for f in obs}
        self._layer_factories = layers
        self._readers: dict[str, ColumnReader] = {}
        self._graph_name = graph_name
        self._graph_loader = graph_loader
        self._graph: CellGraph | None = None
        self._spatial: dict[str, SpatialIndex] = {}
        self._adata_loader = adata_loader
        self._adata = None
        self._closer = closer
        self._manifest: dict | None = None
        # one lock per lazily built thing: a gene cache build must not hold up a KNN query
        self._adata_lock = threading.Lock()
        self._reader_lock = threading.Lock()
        self._graph_lock = threading.Lock()
        self._spatial_lock = threading.Lock()
        self._warn_invalid_rows()

    # -- what is in it -------------------------------------------------------------------------

    @property
    def adata(self):
        """The AnnData behind this dataset (backed for an ``.h5ad`` path), or None for an export."""
        if self._adata is None and self._adata_loader is not None:
            with self._adata_lock:
                if self._adata is None:
                    self._adata = self._adata_loader()
        return self._adata

    @property
    def embedding_names(self) -> list[str]:
        """Names of the drawable embeddings, in manifest order."""
        return list(self._embeddings)

    @property
    def obs_names(self) -> list[str]:
        """Names of every obs column (colorable or not), in manifest order."""
        return list(self._obs)

    @property
    def layers(self) -> list[str]:
        """Expression matrices gene values can come from (``"X"`` first)."""
        return list(self._layer_factories)

    @property
    def has_graph(self) -> bool:
        """Whether KNN queries are possible (the data has ``obsp["connectivities"]`` or ``distances``)."""
        return self._graph_loader is not None

    def manifest(self) -> dict:
        """The manifest of ``docs/protocol.md`` (without ``"status"``), computed once."""
        if self._manifest is None:
            self._manifest = {
                "n_cells": self.n_cells, "n_genes": self.n_genes, "has_graph": self.has_graph,
                "graph": self._graph_name,
                "default_embedding": self.default_embedding,
                "embeddings": [e.describe() for e in self._embeddings.values()],
                "skipped_embeddings": list(self._skipped_embeddings),
                "obs": [f.describe() for f in self._obs.values()],
                "layers": self.layers, "default_layer": self.default_layer,
                "gene_symbols": self.gene_symbols,
            }
        return self._manifest

    # -- per-cell values -----------------------------------------------------------------------

    def embedding(self, name: str) -> np.ndarray:
        """Coordinates of embedding ``name``: float32 C-contiguous ``(n, dims)``, invalid rows NaN.

        Raises ``KeyError`` naming the closest embeddings when ``name`` is unknown.
        """
        return self._embedding(name).coords

    def embedding_info(self, name: str) -> Embedding:
        """The :class:`Embedding` record (dims, bounds) of ``name``; ``KeyError`` if unknown."""
        return self._embedding(name)

    def _embedding(self, name: str) -> Embedding:
        try:
            return self._embeddings[name]
        except KeyError:
            raise UnknownName("embedding", name, list(self._embeddings)) from None

    def obs_field(self, name: str) -> ObsField:
        """The :class:`ObsField` of obs column ``name``; ``KeyError`` naming close columns if unknown."""
        try:
            return self._obs[name]
        except KeyError:
            raise UnknownName("obs column", name, list(self._obs)) from None

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

        ``layer`` is ``"X"`` or a layer name (default: the dataset's default layer). Raises
        ``KeyError`` naming the closest genes (or layers) when unknown.
        """
        pos = self.genes.position(name)
        return self._reader(layer)(pos)

    def _reader(self, layer: str | None) -> ColumnReader:
        layer = self.default_layer if layer is None else layer
        reader = self._readers.get(layer)
        if reader is None:
            if layer not in self._layer_factories:
                raise UnknownName("layer", layer, list(self._layer_factories))
            with self._reader_lock:
                reader = self._readers.get(layer)
                if reader is None:
                    reader = self._layer_factories[layer]()
                    self._readers[layer] = reader
        return reader

    def prepare_genes(self, layer: str | None = None) -> None:
        """Make gene reads fast now (builds the on-disk column cache of a backed file if needed)."""
        self._reader(layer)

    def search_genes(self, q: str, limit: int = 20) -> tuple[list[dict], int]:
        """Genes whose name or symbol contains ``q``: ``([{"name", "symbol"}, ...], total)``."""
        return self.genes.search(q, limit)

    def resolve_color_field(self, name: str) -> tuple[str, str]:
        """Say what ``name`` colours by: ``("obs", column)`` or ``("gene", var_name)``.

        An obs column wins over a gene of the same name. Raises ``KeyError`` whose message names
        the closest obs columns and genes; ``DatasetError`` for an obs column that cannot be coloured.
        """
        if name in self._obs:
            self.obs_values(name)
            return "obs", name
        pos = self.genes.find(name)
        if pos is not None:
            return "gene", str(self.genes.names[pos])
        raise UnknownName("obs column or gene", name,
                          [n for n, f in self._obs.items() if f.values is not None]
                          + self.genes.all_labels())

    # -- neighbourhoods ------------------------------------------------------------------------

    def graph(self) -> CellGraph:
        """The cell graph (loaded on first use); ``DatasetError`` saying how to make one if absent."""
        if self._graph is None:
            if self._graph_loader is None:
                raise DatasetError(
                    "this dataset has no neighbourhood graph (obsp['connectivities'] or "
                    "obsp['distances']); compute one with `sc.pp.neighbors(adata)` and open it again")
            with self._graph_lock:
                if self._graph is None:
                    self._graph = self._graph_loader()
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
        """The spatial index of ``embedding``, made on first use and kept (its tree builds in the
        background after the first query)."""
        index = self._spatial.get(embedding)
        if index is None:
            info = self._embedding(embedding)
            coords = info.coords
            with self._spatial_lock:
                index = self._spatial.get(embedding)
                if index is None:
                    index = SpatialIndex(coords, info.min, info.max)
                    self._spatial[embedding] = index
        return index

    def radius_cells(self, embedding: str, center, r: float) -> np.ndarray:
        """Cells within Euclidean distance ``r`` of ``center`` in ``embedding``: sorted uint32.

        ``center`` has one value per embedding dimension. Raises ``KeyError`` for an unknown
        embedding and ``ValueError`` for a centre of the wrong length or a negative/non-finite r.
        """
        info = self._embedding(embedding)
        center = np.asarray(center, dtype=np.float64).ravel()
        if center.shape != (info.dims,) or not np.isfinite(center).all():
            raise ValueError(f"embedding {embedding!r} has {info.dims} dimensions; the centre "
                             f"must be {info.dims} finite numbers, got {center.tolist()}")
        r = float(r)
        if not np.isfinite(r) or r < 0:
            raise ValueError(f"radius must be a finite number ≥ 0, got {r}")
        return self.spatial_index(embedding).within(center, r)

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
        bad = [(e.name, e.n_invalid) for e in self._embeddings.values() if e.n_invalid]
        if bad:
            listed = ", ".join(f"{n} cells in {name!r}" for name, n in bad)
            warnings.warn(f"NaN or infinite coordinates: {listed}. These cells are kept out of "
                          "view; cell indices are unchanged.", UserWarning, stacklevel=4)

