"""Building a :class:`Dataset` from an AnnData object held in memory (or opened backed by anndata)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .catalog import StaticCatalog
from .dataset import Dataset
from .embeddings import default_embedding, make_embedding, obsm_shape, plan_embeddings
from .genes import gene_index
from .layers import RAW, anndata_layers, default_layer_of
from .live import LiveCatalog
from .obs import classify_obs
from .raw import anndata_raw_genes, log1p_base_of


def build_embeddings(obsm, n_cells: int) -> tuple[list, list[dict]]:
    """Embeddings and skipped entries, read once from a mapping like ``adata.obsm``.

    Raises ``DatasetError`` saying how to add one when nothing can be drawn.
    """
    shapes = {str(k): obsm_shape(obsm[k]) for k in obsm.keys()}
    plans, skipped = plan_embeddings(shapes, n_cells)
    embeddings = []
    for name, key, n_cols in plans:
        value = obsm[key]
        value = value.to_numpy() if isinstance(value, pd.DataFrame) else value
        columns = value[:, None] if len(value.shape) == 1 else value[:, :n_cols]
        embeddings.append(make_embedding(name, key, np.asarray(columns), n_cols))
    return embeddings, skipped


def static_catalog(adata, n_cells: int) -> StaticCatalog:
    """A catalog read once from ``adata`` (for a backed AnnData: what its file holds)."""
    embeddings, skipped = build_embeddings(adata.obsm, n_cells)
    uns = adata.uns
    obs = classify_obs(adata.obs, lambda key: uns.get(f"{key}_colors"))
    return StaticCatalog(embeddings, skipped, obs)


def graph_from(obsp) -> tuple[str | None, object]:
    """Which ``obsp`` graph to use (connectivities, else distances) and a function giving its
    CSR ``(indptr, indices)``."""
    for key in ("connectivities", "distances"):
        if key in obsp.keys():
            def arrays(key=key) -> tuple:
                matrix = sp.csr_matrix(obsp[key])
                return matrix.indptr, matrix.indices
            return key, arrays
    return None, None


def stored_matrices(adata) -> dict:
    """``{"X": matrix, "<layer>": matrix, ..., RAW: matrix}`` of an AnnData, as it holds them."""
    found = {} if adata.X is None else {"X": adata.X}
    found.update((str(k), adata.layers[k]) for k in adata.layers.keys())
    if adata.raw is not None:
        found[RAW] = adata.raw.X
    return found


def dataset_from_anndata(adata, *, embedding=None, layer=None, gene_symbols=None) -> Dataset:
    """Build a :class:`Dataset` over ``adata`` (in memory, or backed with its X read in place),
    with its ``.raw`` and ``uns["log1p"]["base"]`` (read as they are when asked).

    An in-memory AnnData gives a live dataset: its obs columns, ``obsm`` embeddings and ``uns``
    colours are read as they are when asked (see :mod:`cellucid.data.live`); a backed one is read
    once. Raises ``DatasetError`` when no obsm entry can be drawn, ``KeyError`` for an unknown
    ``embedding``, ``layer`` or ``gene_symbols`` column.
    """
    n = int(adata.n_obs)
    catalog = static_catalog(adata, n) if adata.isbacked else LiveCatalog(adata, n)
    default = default_embedding(catalog.embedding_names(), embedding)
    genes = gene_index(adata.var, adata.var_names, gene_symbols)
    layers = anndata_layers(adata)
    default_layer = default_layer_of(layers, layer)
    graph_name, graph_arrays = graph_from(adata.obsp)
    return Dataset(kind="anndata-backed" if adata.isbacked else "anndata", n_cells=n,
                   catalog=catalog, default_embedding=default, genes=genes,
                   gene_symbols=gene_symbols, layers=layers, default_layer=default_layer,
                   graph_name=graph_name, graph_arrays=graph_arrays, adata_loader=lambda: adata,
                   path=str(adata.filename) if adata.isbacked else None,
                   raw_genes=anndata_raw_genes(adata, gene_symbols),
                   log1p_base=lambda: log1p_base_of(adata.uns.get("log1p")),
                   cell_names_loader=lambda: adata.obs_names,
                   stored_matrices=lambda: stored_matrices(adata))
