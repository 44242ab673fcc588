"""Small datasets for the dataset-layer tests: one AnnData with every kind of column, on disk too."""

from __future__ import annotations

import warnings

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.spatial import cKDTree


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own gene-cache directory (never ``~/.cache``)."""
    path = tmp_path_factory.mktemp("cellucid-cache")
    monkeypatch.setenv("CELLUCID_CACHE_DIR", str(path))
    return path


def rich_adata(n: int = 300, n_genes: int = 40, seed: int = 0, sparse: str | None = "csr"
               ) -> ad.AnnData:
    """An AnnData with UMAP/PCA/3D/1D embeddings, every obs kind, a layer and a KNN graph."""
    rng = np.random.default_rng(seed)
    dense = rng.poisson(0.3, (n, n_genes)).astype(np.float32)
    X = {"csr": sp.csr_matrix, "csc": sp.csc_matrix, None: np.asarray}[sparse](dense)
    umap = rng.normal(0, 3, (n, 2)).astype(np.float32)
    obs = pd.DataFrame(index=[f"cell{i}" for i in range(n)])
    obs["cluster"] = pd.Categorical(np.array(["a", "b", "c"])[rng.integers(0, 3, n)])
    obs["score"] = rng.random(n)
    obs["count"] = rng.integers(0, 100, n)
    obs["flag"] = rng.random(n) < 0.3
    obs["batch"] = np.array(["b1", "b2"], dtype=object)[rng.integers(0, 2, n)]
    obs["barcode"] = [f"BC{i:06d}" for i in range(n)]
    obs["with_nan"] = np.where(rng.random(n) < 0.1, np.nan, rng.random(n))
    var = pd.DataFrame({"symbol": [f"Sym{i}" for i in range(n_genes)]},
                       index=[f"ENSG{i:05d}" for i in range(n_genes)])
    adata = ad.AnnData(X=X, obs=obs, var=var)
    adata.layers["counts"] = sp.csr_matrix(dense * 2)
    adata.obsm["X_umap"] = umap
    adata.obsm["X_pca"] = rng.normal(size=(n, 10)).astype(np.float32)
    adata.obsm["X_tsne_3d"] = rng.normal(size=(n, 3))
    adata.obsm["X_line"] = rng.normal(size=(n, 1))
    adata.obsm["X_sparse"] = sp.csr_matrix(rng.normal(size=(n, 2)))
    adata.uns["cluster_colors"] = ["#ff0000", "#00ff00", "#0000ffaa"]
    _, nbr = cKDTree(umap).query(umap, k=6)
    rows = np.repeat(np.arange(n), 5)
    conn = sp.csr_matrix((np.ones(n * 5, np.float32), (rows, nbr[:, 1:].ravel())), shape=(n, n))
    adata.obsp["connectivities"] = conn.maximum(conn.T).tocsr()
    return adata


def write_h5ad(adata: ad.AnnData, path) -> str:
    """Write ``adata`` as ``.h5ad`` and return the path as a string."""
    adata.write_h5ad(path)
    return str(path)


def write_zarr(adata: ad.AnnData, path) -> str:
    """Write ``adata`` as a ``.zarr`` store and return the path as a string."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        adata.write_zarr(path)
    return str(path)
