"""Building a :class:`Dataset` from an AnnData object held in memory (or opened backed by anndata)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from ..errors import DatasetError
from .dataset import Dataset
from .embeddings import default_embedding, make_embedding, no_embedding_message, plan_embeddings
from .expression import column_reader
from .genes import GeneIndex
from .graph import CellGraph
from .names import UnknownName
from .obs import classify_obs


def obsm_shape(value) -> tuple[int, ...] | None:
    """The shape of an ``obsm`` value if it can be drawn (a numeric dense array or frame), else None."""
    if sp.issparse(value):
        return None
    if isinstance(value, pd.DataFrame):
        if not all(pd.api.types.is_numeric_dtype(t) for t in value.dtypes):
            return None
        return value.shape
    dtype = getattr(value, "dtype", None)
    shape = getattr(value, "shape", None)
    if dtype is None or shape is None or not np.issubdtype(dtype, np.number) or \
            np.issubdtype(dtype, np.complexfloating):
        return None
    return tuple(int(s) for s in shape)


def build_embeddings(obsm, n_cells: int, requested: str | None):
    """Embeddings, skipped entries and the default, from a mapping like ``adata.obsm``."""
    shapes = {str(k): obsm_shape(obsm[k]) for k in obsm.keys()}
    plans, skipped = plan_embeddings(shapes, n_cells)
    if not plans:
        raise DatasetError(no_embedding_message(list(shapes), skipped))
    embeddings = []
    for name, key, n_cols in plans:
        value = obsm[key]
        value = value.to_numpy() if isinstance(value, pd.DataFrame) else value
        columns = value[:, None] if len(value.shape) == 1 else value[:, :n_cols]
        embeddings.append(make_embedding(name, key, np.asarray(columns), n_cols))
    default = default_embedding([e.name for e in embeddings], requested)
    return embeddings, skipped, default


def gene_index(var: pd.DataFrame, var_names, gene_symbols: str | None) -> GeneIndex:
    """The :class:`GeneIndex` of ``var``; ``KeyError`` if ``gene_symbols`` is not a var column."""
    if gene_symbols is None:
        return GeneIndex(var_names)
    if gene_symbols not in var.columns:
        raise UnknownName("var column (gene_symbols)", gene_symbols, [str(c) for c in var.columns])
    return GeneIndex(var_names, var[gene_symbols].to_numpy())


def graph_from(obsp) -> tuple[str | None, object]:
    """Which ``obsp`` graph to use (connectivities, else distances) and a loader for it."""
    for key in ("connectivities", "distances"):
        if key in obsp.keys():
            def load(key=key) -> CellGraph:
                matrix = sp.csr_matrix(obsp[key])
                return CellGraph(matrix.indptr, matrix.indices, key)
            return key, load
    return None, None


def layer_factories(adata, matrix_reader=column_reader) -> dict:
    """``{"X": factory, layer: factory, ...}``: each factory returns a column reader."""
    factories = {}
    if adata.X is not None:
        factories["X"] = lambda: matrix_reader(adata.X)
    for name in adata.layers.keys():
        factories[str(name)] = lambda name=name: matrix_reader(adata.layers[name])
    return factories


def dataset_from_anndata(adata, *, embedding=None, layer=None, gene_symbols=None) -> Dataset:
    """Build a :class:`Dataset` over ``adata`` (in memory, or backed with its X read in place).

    Raises ``DatasetError`` when no obsm entry can be drawn, ``KeyError`` for an unknown
    ``embedding``, ``layer`` or ``gene_symbols`` column.
    """
    n = int(adata.n_obs)
    embeddings, skipped, default = build_embeddings(adata.obsm, n, embedding)
    uns = adata.uns
    obs = classify_obs(adata.obs, lambda key: uns.get(f"{key}_colors"))
    genes = gene_index(adata.var, adata.var_names, gene_symbols)
    if adata.isbacked:
        from .backed import backed_layer_factories  # late: backed -> store -> this module
        layers = backed_layer_factories(adata)
    else:
        layers = layer_factories(adata)
    default_layer = default_layer_of(layers, layer)
    graph_name, graph_loader = graph_from(adata.obsp)
    return Dataset(kind="anndata-backed" if adata.isbacked else "anndata", n_cells=n,
                   embeddings=embeddings, skipped_embeddings=skipped, default_embedding=default,
                   obs=obs, genes=genes, gene_symbols=gene_symbols, layers=layers,
                   default_layer=default_layer, graph_name=graph_name, graph_loader=graph_loader,
                   adata_loader=lambda: adata,
                   path=str(adata.filename) if adata.isbacked else None)


def default_layer_of(layers: dict, layer: str | None) -> str:
    if layer is not None:
        if layer not in layers:
            raise UnknownName("layer", layer, list(layers))
        return layer
    return "X" if "X" in layers else next(iter(layers), "X")
