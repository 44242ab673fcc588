"""Benchmark of the dataset layer at atlas scale.

Generates (once, cached under ``bench/.cache/``) a synthetic ``.h5ad`` of 1M cells × 2,000 genes
(1 % non-zero CSR), 20 obs columns, UMAP + PCA embeddings and a 15-NN graph, then measures
``open_dataset``, the manifest, an embedding, one gene (first cache build and after), KNN hops,
a radius query and ``prepare``; the medians go into a section of ``bench/RESULTS.md``.

    python bench/data.py [--cells 1000000] [--repeat 7] [--no-prepare]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
RESULTS = HERE / "RESULTS.md"
N_GENES = 2000
NNZ_PER_CELL = 20  # 1 % of 2,000 genes
K = 15


def synthetic_path(n_cells: int) -> Path:
    """The cached synthetic file for ``n_cells`` (generated when missing)."""
    path = CACHE / f"synthetic_{n_cells}.h5ad"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.h5ad")
        write_synthetic(tmp, n_cells)
        tmp.rename(path)
    return path


def write_synthetic(path: Path, n: int, seed: int = 0) -> None:
    """Write the synthetic atlas to ``path``."""
    import anndata as ad
    import pandas as pd
    import scipy.sparse as sp
    from scipy.spatial import cKDTree

    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    n_clusters = 30
    cluster = rng.integers(0, n_clusters, n)
    centres = rng.normal(0, 10, (n_clusters, 2))
    umap = (centres[cluster] + rng.normal(0, 1.2, (n, 2))).astype(np.float32)
    pca = rng.normal(0, 1, (n, 50)).astype(np.float32)
    pca[:, :2] += umap / 3

    gaps = rng.integers(1, 100, (n, NNZ_PER_CELL))
    cols = (np.cumsum(gaps, axis=1) - 1).astype(np.int32)
    cols = (cols + rng.integers(0, N_GENES, n)[:, None]) % N_GENES
    cols.sort(axis=1)
    data = rng.gamma(2.0, 1.0, n * NNZ_PER_CELL).astype(np.float32)
    indptr = np.arange(0, n * NNZ_PER_CELL + 1, NNZ_PER_CELL, dtype=np.int64)
    X = sp.csr_matrix((data, cols.ravel(), indptr), shape=(n, N_GENES))
    print(f"  matrix {time.perf_counter() - t0:.1f}s", flush=True)

    tree = cKDTree(umap)
    dist, nbr = tree.query(umap, k=K + 1, workers=-1)
    rows = np.repeat(np.arange(n), K)
    conn = sp.csr_matrix((np.exp(-dist[:, 1:].ravel()).astype(np.float32),
                          (rows, nbr[:, 1:].ravel())), shape=(n, n))
    conn = conn.maximum(conn.T).tocsr()
    dists = sp.csr_matrix((dist[:, 1:].ravel().astype(np.float32), (rows, nbr[:, 1:].ravel())),
                          shape=(n, n))
    print(f"  graph {time.perf_counter() - t0:.1f}s", flush=True)

    obs = {}
    for i, k in enumerate((3, 8, 30, 120, 500, 12)):
        labels = np.array([f"c{i}_{j}" for j in range(k)])
        obs[f"cat_{i}"] = pd.Categorical(labels[rng.integers(0, k, n)], categories=labels)
    obs["cat_0"] = pd.Categorical(np.array([f"c0_{j}" for j in range(n_clusters)])[cluster])
    for i in range(10):
        obs[f"num_{i}"] = rng.normal(i, 1, n).astype(np.float32)
    obs["n_counts"] = rng.poisson(3000, n).astype(np.int64)
    obs["n_genes"] = rng.poisson(1000, n).astype(np.int32)
    obs["is_doublet"] = rng.random(n) < 0.05
    obs["barcode"] = np.array([f"BC{j:08d}" for j in range(n)], dtype=object)
    obs_frame = pd.DataFrame(obs, index=pd.Index([f"cell{j}" for j in range(n)]))
    var = pd.DataFrame({"symbol": [f"SYM{j}" for j in range(N_GENES)]},
                       index=pd.Index([f"ENSG{j:08d}" for j in range(N_GENES)]))
    adata = ad.AnnData(X=X, obs=obs_frame, var=var, obsm={"X_umap": umap, "X_pca": pca},
                       obsp={"connectivities": conn, "distances": dists})
    adata.uns["cat_0_colors"] = [f"#{(j * 2654435761) & 0xFFFFFF:06x}" for j in range(n_clusters)]
    adata.write_h5ad(path)
    print(f"  written {path} in {time.perf_counter() - t0:.1f}s", flush=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, default=1_000_000)
    ap.add_argument("--generate-only", action="store_true")
    args = ap.parse_args()
    print(synthetic_path(args.cells))
