"""Benchmark of reading an export remotely: a 5M-cell × 2,000-gene export over HTTP with latency.

Generates (once, cached under ``bench/.cache/``) a synthetic AnnData of 5,000,000 cells × 2,000
genes (1 % non-zero, built gene by gene as CSC), 6 obs columns, a 2D UMAP and a 10-column PCA,
writes it with ``cellucid.prepare``, then serves that directory from a loopback HTTP server that
answers Range requests and adds 20 ms to every request (``tests/range_server.py``). Each run,
with an empty local cache, measures: open → manifest, the first embedding, an obs column, the
first gene, and the same gene again (from the local cache) — time and bytes the server sent.
The medians go into the ``remote`` section of ``bench/RESULTS.md``.

    python bench/remote.py [--cells 5000000] [--repeat 5] [--latency-ms 20]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
N_GENES = 2000
DENSITY = 0.01
TARGETS_MS = {"open": 1000, "embedding": 3000, "gene": 500, "cached": 50, "reopened": 50}

sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from results import machine, write_section  # noqa: E402
from tests.range_server import RangeServer  # noqa: E402


def synthetic_adata(n: int, seed: int = 0):
    """The synthetic atlas in memory (CSC X, built one gene at a time)."""
    import anndata as ad
    import pandas as pd
    import scipy.sparse as sp

    rng = np.random.default_rng(seed)
    indptr = np.zeros(N_GENES + 1, dtype=np.int64)
    rows_of, values_of = [], []
    for j in range(N_GENES):
        rows = np.unique(rng.integers(0, n, int(rng.poisson(DENSITY * n)))).astype(np.int32)
        rows_of.append(rows)
        values_of.append(rng.gamma(2.0, 1.0, rows.size).astype(np.float32))
        indptr[j + 1] = indptr[j] + rows.size
    X = sp.csc_matrix((np.concatenate(values_of), np.concatenate(rows_of), indptr),
                      shape=(n, N_GENES))
    del rows_of, values_of
    n_clusters = 30
    cluster = rng.integers(0, n_clusters, n)
    umap = (rng.normal(0, 10, (n_clusters, 2))[cluster] + rng.normal(0, 1.2, (n, 2))
            ).astype(np.float32)
    labels = np.array([f"c{j}" for j in range(n_clusters)])
    obs = pd.DataFrame({
        "cluster": pd.Categorical.from_codes(cluster, labels),
        "batch": pd.Categorical.from_codes(rng.integers(0, 8, n), [f"b{j}" for j in range(8)]),
        "n_counts": rng.poisson(3000, n).astype(np.float32),
        "n_genes": rng.poisson(1000, n).astype(np.int32),
        "score": rng.random(n).astype(np.float32),
        "is_doublet": rng.random(n) < 0.05,
    }, index=pd.RangeIndex(n).astype(str))
    var = pd.DataFrame(index=pd.Index([f"ENSG{j:08d}" for j in range(N_GENES)]))
    return ad.AnnData(X=X, obs=obs, var=var,
                      obsm={"X_umap": umap, "X_pca": rng.normal(size=(n, 10)).astype(np.float32)})


def export_path(n: int) -> tuple[Path, float | None]:
    """The cached export of ``n`` cells (written when missing) and its writing time, if now."""
    import cellucid
    site = CACHE / "remote_site"
    path = site / f"synthetic_{n}.cellucid"
    if (path / "manifest.json").exists():
        return path, None
    site.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    adata = synthetic_adata(n)
    print(f"  generated in {time.perf_counter() - t0:.0f} s", flush=True)
    cellucid.prepare(adata, path, overwrite=True)
    return path, time.perf_counter() - t0


def one_run(url: str, server: RangeServer, gene: str, other_gene: str) -> dict:
    """Open, then first embedding, obs column, gene, the gene again, the gene in a reopened
    dataset, and ``other_gene`` through a viewer's dataset API: seconds and bytes each."""
    import contextlib
    import io

    import cellucid
    from cellucid.data import open_dataset
    out = {}

    def step(name, fn):
        server.counters.reset()
        t0 = time.perf_counter()
        result = fn()
        out[name] = (time.perf_counter() - t0, server.counters.bytes, server.counters.requests)
        return result

    def open_and_list():
        dataset = open_dataset(url)
        dataset.manifest()
        return dataset
    ds = step("open", open_and_list)
    step("embedding", lambda: ds.embedding(ds.default_embedding))
    step("obs", lambda: ds.obs_values("cluster"))
    values = step("gene", lambda: ds.gene_values(gene))
    again = step("cached", lambda: ds.gene_values(gene))
    assert np.array_equal(values, again)
    reopened = open_dataset(url)   # a new session: only the manifest is read again
    step("reopened", lambda: reopened.gene_values(gene))
    with contextlib.redirect_stdout(io.StringIO()):
        api_gene.viewers[url] = cellucid.show_anndata(url)   # not timed
    step("api", lambda: api_gene(url, other_gene))
    api_gene.viewers.pop(url).stop()
    return out


def api_gene(url: str, gene: str) -> np.ndarray:
    """A gene through the dataset API of a viewer of ``url``, as the page asks for it (the
    viewer is made before the clock starts: only the request is timed)."""
    import httpx
    viewer = api_gene.viewers.get(url)
    if viewer is None:
        raise RuntimeError("api_gene.viewers[url] must hold a viewer")
    response = httpx.get(f"{viewer.server_url.rstrip('/')}/_cellucid/data/gene",
                         params={"viewerId": viewer.viewer_id,
                                 "viewerToken": viewer.viewer_token, "name": gene}, timeout=60)
    response.raise_for_status()
    return np.frombuffer(response.content, np.float32)


api_gene.viewers = {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"export of {args.cells:,} cells × {N_GENES} genes", flush=True)
    path, written_s = export_path(args.cells)
    total = sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    runs = []
    with RangeServer(path.parent, delay_s=args.latency_ms / 1000) as server:
        url = f"{server.url}/{path.name}"
        for r in range(args.repeat):
            cache = tempfile.mkdtemp(prefix="cellucid-bench-cache-")
            os.environ["CELLUCID_CACHE_DIR"] = cache   # every run starts with an empty cache
            try:
                runs.append(one_run(url, server, f"ENSG{(137 + 389 * r) % N_GENES:08d}",
                                    f"ENSG{(1001 + 389 * r) % N_GENES:08d}"))
            finally:
                shutil.rmtree(cache, ignore_errors=True)
            print(f"  run {r + 1}: " + ", ".join(f"{k} {v[0] * 1000:.0f} ms"
                                                  for k, v in runs[-1].items()), flush=True)
    write_results(args, runs, total, written_s, load)


def write_results(args, runs: list[dict], total: int, written_s, load: float) -> None:
    labels = {"open": "open → manifest (manifest.json + genes/var.json)",
              "embedding": "first embedding (X_umap, uint16, whole file)",
              "obs": "first obs column (cluster, uint16)",
              "gene": "first gene (columns.json + indptr + one range)",
              "cached": "the same gene again (local disk cache)",
              "reopened": "the same gene in a new session (disk cache; not the manifest)",
              "api": "another first gene through a viewer's dataset API (as the page gets it)"}
    moved = ("open", "embedding", "obs", "gene")
    rows = []
    for key, label in labels.items():
        seconds = statistics.median(run[key][0] for run in runs)
        sent = statistics.median(run[key][1] for run in runs)
        requests = statistics.median(run[key][2] for run in runs)
        target = f"≤ {TARGETS_MS[key]:,} ms" if key in TARGETS_MS else ""
        rows.append(f"| {label} | {seconds * 1000:,.0f} ms | {target} | {sent / 1e6:,.3f} MB | "
                    f"{requests:.0f} |")
    size = f"{total / 1e9:.2f} GB"
    written = f"; written by `cellucid.prepare` in {written_s:.0f} s (generation included)" \
        if written_s else " (cached from an earlier run)"
    body = f"""
Export of a synthetic {args.cells:,} cells × {N_GENES:,} genes ({DENSITY:.0%} non-zero, CSC),
6 obs columns, X_umap + X_pca (10 columns): {size} on disk{written}. No KNN graph: building a
5M-cell one here costs more than everything else together, and a graph is read like an embedding
(its two files, whole, on the first KNN query). Served by a
loopback HTTP server with Range support that adds {args.latency_ms:.0f} ms to every request
(`tests/range_server.py`); read through `open_dataset(url)` (fsspec's HTTP filesystem). Each of
{len(runs)} runs starts with an empty local cache (`CELLUCID_CACHE_DIR`); medians. Load average
when the run started: {load:.1f} on {os.cpu_count()} cores.

| step | median | target | bytes served | requests |
|---|---|---|---|---|
""" + "\n".join(rows) + f"""

The export holds {size}; opening and colouring by one embedding, one obs column and one gene
moved {sum(statistics.median(run[k][1] for run in runs) for k in moved) / 1e6:,.1f} MB.
"""
    write_section("remote", "Remote export over HTTP (bench/remote.py)", body)
    print(body)
    print(machine())


if __name__ == "__main__":
    main()
