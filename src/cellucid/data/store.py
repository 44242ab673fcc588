"""Building a :class:`Dataset` from an ``.h5ad`` file or ``.zarr`` store without loading it.

Only what the manifest needs is read at open time: obs columns (not the cell names), the first
two or three columns of each ``obsm`` entry, ``var`` and the colours in ``uns``. The expression
matrices stay on disk (genes come from a CSC matrix directly, or from the gene cache of
:mod:`cellucid.data.cache`), and the graph is read on the first neighbourhood query.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from anndata.io import read_elem

from ..errors import DatasetError
from .catalog import StaticCatalog
from .chunks import encoding_of
from .dataset import Dataset
from .embeddings import default_embedding, make_embedding, obsm_shape, plan_embeddings
from .genes import gene_index
from .layers import RAW, default_layer_of, store_layers, store_matrices
from .memory import release_freed_memory
from .obs import SAMPLE_ROWS, classify_column, classify_from_sample
from .raw import store_log1p_base, store_raw_genes


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _check_anndata(root, label: str) -> None:
    missing = [k for k in ("obs", "var") if k not in root]
    if missing:
        raise DatasetError(f"{label} is not an AnnData file: it has no {' or '.join(missing)} "
                           f"group (found: {', '.join(sorted(root.keys())) or 'nothing'})")


def _n_obs(root) -> int:
    obs = root["obs"]
    index_key = _text(obs.attrs.get("_index", "_index"))
    if index_key in obs:
        return int(obs[index_key].shape[0])
    raise DatasetError("the obs table has no index; the file is not a valid AnnData file")


def obs_index(root) -> pd.Index:
    """The obs names of a store: its obs index array alone."""
    obs = root["obs"]
    return pd.Index(read_elem(obs[_text(obs.attrs.get("_index", "_index"))]))


def read_elem_partial(node, n: int):
    """The first ``n`` values of a string array in a store."""
    values = node[:n]
    if values.dtype.kind in "SO":
        values = [v.decode() if isinstance(v, bytes) else v for v in values]
    return values


def read_obs_fields(root, n: int):
    """Classify every obs column, reading one column at a time and skipping the cell names."""
    obs = root["obs"]
    order = [_text(c) for c in np.atleast_1d(obs.attrs.get("column-order", []))]
    uns = root["uns"] if "uns" in root else None
    fields = []
    for name in order:
        node = obs[name]
        if encoding_of(node) == "string-array" and node.shape[0] > SAMPLE_ROWS:
            decided = classify_from_sample(name, read_elem_partial(node, SAMPLE_ROWS))
            if decided is not None:
                fields.append(decided)
                continue
        values = read_elem(node)
        colors = None
        if uns is not None and f"{name}_colors" in uns:
            try:
                colors = read_elem(uns[f"{name}_colors"])
            except Exception:  # colours are a nicety: a malformed entry just means no colours
                colors = None
        series = pd.Series(values) if not isinstance(values, pd.Series) else values
        if len(series) != n:
            raise DatasetError(f"obs column {name!r} has {len(series)} values for {n} cells")
        fields.append(classify_column(name, series, colors))
    return fields


def _obsm_shape(node) -> tuple[int, ...] | None:
    enc = encoding_of(node)
    if enc == "dataframe":
        return obsm_shape(read_elem(node))
    return obsm_shape(node) if enc == "array" else None


def read_embeddings(root, n: int, requested: str | None):
    """Embeddings (first columns of each obsm array), skipped entries and the default."""
    obsm = root["obsm"] if "obsm" in root else {}
    shapes = {str(k): _obsm_shape(obsm[k]) for k in obsm.keys()}
    plans, skipped = plan_embeddings(shapes, n)
    widest: dict[str, int] = {}
    for _, key, n_cols in plans:
        widest[key] = max(widest.get(key, 0), n_cols)
    read: dict[str, np.ndarray] = {}  # one read per obsm entry, shared by its 2D and 3D views
    embeddings = []
    for name, key, n_cols in plans:
        if key not in read:
            node = obsm[key]
            if encoding_of(node) == "dataframe":
                read[key] = read_elem(node).to_numpy()[:, :widest[key]]
            elif len(node.shape) == 1:
                read[key] = np.asarray(node[:])
            else:
                read[key] = np.asarray(node[:, :widest[key]])
        embeddings.append(make_embedding(name, key, read[key], n_cols))
    return embeddings, skipped, default_embedding([e.name for e in embeddings], requested)


def graph_arrays(root):
    """``(name, arrays)`` for ``obsp["connectivities"]`` (else ``distances``), or ``(None, None)``;
    ``arrays()`` gives its ``(indptr, indices)`` unread."""
    obsp = root["obsp"] if "obsp" in root else {}
    for key in ("connectivities", "distances"):
        if key in obsp and encoding_of(obsp[key]) in ("csr_matrix", "csc_matrix"):
            group = obsp[key]

            def arrays(group=group) -> tuple:
                # a CSC graph read as CSR follows edges backwards: the same for symmetric graphs
                return group["indptr"], group["indices"]
            return key, arrays
    return None, None


def dataset_from_store(root, path: str, kind: str, *, embedding=None, layer=None,
                       gene_symbols=None, closer=None, adata_loader=None,
                       layer_factories=store_layers) -> Dataset:
    """Build a :class:`Dataset` over an open h5py file or zarr group holding an AnnData.

    ``layer_factories(root, path, n)`` gives the matrices' reader factories (default: read in
    place when CSC, else through the gene cache), ``.raw`` included; its genes come from
    ``raw/var``, and the log1p base from ``uns/log1p``.
    """
    _check_anndata(root, repr(path))
    n = _n_obs(root)
    embeddings, skipped, default = read_embeddings(root, n, embedding)
    obs = read_obs_fields(root, n)
    var = read_elem(root["var"])
    genes = gene_index(var, var.index, gene_symbols)
    layers = layer_factories(root, path, n)
    raw_genes = store_raw_genes(root, gene_symbols)
    if raw_genes is None:
        layers.pop(RAW, None)
    graph_name, arrays = graph_arrays(root)
    release_freed_memory()   # the chunks read for a few columns of each obsm entry
    return Dataset(kind=kind, n_cells=n, catalog=StaticCatalog(embeddings, skipped, obs),
                   default_embedding=default, genes=genes, gene_symbols=gene_symbols,
                   layers=layers, default_layer=default_layer_of(layers, layer),
                   graph_name=graph_name, graph_arrays=arrays, adata_loader=adata_loader,
                   closer=closer, path=path, raw_genes=raw_genes,
                   log1p_base=store_log1p_base(root), cell_names_loader=lambda: obs_index(root),
                   stored_matrices=lambda: store_matrices(root))
