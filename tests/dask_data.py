"""The data of the dask tests: one AnnData in memory, and the same values as dask arrays.

``dask_adata(kind)`` holds ``X`` as a dask array — ``"sparse"``: CSR chunks of 500 cells
(``da.from_array(csr, asarray=False)``); ``"dense"``: numpy chunks of 500 cells × 100 genes;
``"lazy"``: anndata's lazy reader over an ``.h5ad`` (``read_elem_lazy``) — with the same obs and
obsm, in memory. ``dask_array("generated")`` is another matrix (`generated_matrix`) whose chunks
are made by a seeded function (``da.map_blocks``), so no task holds the whole matrix.
"""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

N_CELLS, N_GENES, CHUNK = 2000, 300, 500
KINDS = ("sparse", "dense", "lazy")


def log_counts(seed: int = 3) -> sp.csr_matrix:
    """log1p of Poisson counts (CSR float32); the first cells of cluster A express genes 0-4
    more; every gene is expressed somewhere."""
    rng = np.random.default_rng(seed)
    counts = rng.poisson(rng.gamma(0.6, 0.4, N_GENES), (N_CELLS, N_GENES)).astype(np.float32)
    counts[: N_CELLS // 5, :5] += rng.poisson(2.0, (N_CELLS // 5, 5))
    counts[0] += 1
    return sp.csr_matrix(np.log1p(counts))


def clusters() -> pd.Categorical:
    """A (the first fifth of the cells), then B, C, D at random."""
    rng = np.random.default_rng(1)
    labels = np.array(["B", "C", "D"])[rng.integers(0, 3, N_CELLS)]
    labels[: N_CELLS // 5] = "A"
    return pd.Categorical(labels, categories=["A", "B", "C", "D"])


def memory_adata() -> ad.AnnData:
    """The reference AnnData: CSR ``X``, a dense layer ``"dense"``, obs ``cluster``, X_umap."""
    x = log_counts()
    adata = ad.AnnData(x.copy())
    adata.obs_names = [f"cell{i}" for i in range(N_CELLS)]
    adata.var_names = [f"G{j}" for j in range(N_GENES)]
    adata.obs["cluster"] = clusters()
    adata.obsm["X_umap"] = np.random.default_rng(2).normal(size=(N_CELLS, 2)).astype(np.float32)
    adata.layers["dense"] = x.toarray()
    return adata


def generated_block(i: int, rows: int = CHUNK) -> sp.csr_matrix:
    """Row chunk ``i`` of the ``"generated"`` matrix (5 % non-zero), the same every time."""
    rng = np.random.default_rng([7, i])
    return sp.random(rows, N_GENES, density=0.05, format="csr", dtype=np.float32,
                     random_state=rng)


def generated_matrix() -> sp.csr_matrix:
    """The whole ``"generated"`` matrix, in memory (the reference of the bounded tests)."""
    return sp.vstack([generated_block(i) for i in range(N_CELLS // CHUNK)], format="csr")


def _generated_chunk(block_info=None):
    info = block_info[None]
    (r0, r1), _ = info["array-location"]
    return generated_block(info["chunk-location"][0], r1 - r0)


def dask_array(kind: str, tmp_path=None, chunks=(CHUNK, N_GENES)):
    """``X`` of `memory_adata` as a dask array of ``kind`` (see the module docstring)."""
    import dask.array as da
    x = log_counts()
    if kind == "sparse":
        return da.from_array(x, chunks=chunks, asarray=False)
    if kind == "dense":
        return da.from_array(x.toarray(), chunks=(CHUNK, 100))
    if kind == "generated":  # whole rows: a chunk is one call of generated_block
        return da.map_blocks(_generated_chunk, chunks=((CHUNK,) * (N_CELLS // CHUNK), (N_GENES,)),
                             dtype=np.float32, meta=sp.csr_matrix((0, 0), dtype=np.float32))
    if kind == "lazy":
        import h5py
        from anndata.experimental import read_elem_lazy
        path = tmp_path / "lazy.h5ad"
        ad.AnnData(x).write_h5ad(path)
        return read_elem_lazy(h5py.File(path, "r")["X"], chunks=(CHUNK, -1))
    raise ValueError(kind)


def dask_adata(kind: str, tmp_path=None, chunks=(CHUNK, N_GENES)) -> ad.AnnData:
    """`memory_adata` with ``X`` (and layer ``"dense"``) as dask arrays; obs and obsm in memory."""
    reference = memory_adata()
    adata = ad.AnnData(dask_array(kind, tmp_path, chunks), obs=reference.obs.copy(),
                       var=reference.var.copy(), obsm={"X_umap": reference.obsm["X_umap"]})
    adata.layers["dense"] = dask_array("dense")
    return adata


@pytest.fixture
def client():
    """A 2-worker in-process ``LocalCluster`` and its ``Client``, the default during the test."""
    from dask.distributed import Client, LocalCluster
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as c:
        yield c


def task_names(records) -> set[str]:
    """The function names of a task stream's records (``slab_counts``, ``csc_slab``, ...)."""
    from dask.utils import key_split
    return {key_split(r["key"]) for r in records}


def largest_result(records, name: str) -> int:
    """Bytes of the largest result of tasks named ``name`` in a task stream."""
    from dask.utils import key_split
    sizes = [r["nbytes"] for r in records if key_split(r["key"]) == name]
    assert sizes, f"no {name} task ran"
    return max(sizes)
