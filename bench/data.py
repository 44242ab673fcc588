"""Benchmark of the dataset layer at atlas scale.

Generates (once, cached under ``bench/.cache/``) a synthetic ``.h5ad`` of 1M cells × 2,000 genes
(1 % non-zero CSR), 20 obs columns, UMAP + PCA embeddings and a 15-NN graph, then measures
``open_dataset``, the manifest, an embedding, one gene (first cache build and after), KNN hops,
a radius query and ``prepare``; then, each in a fresh process, a comparison of 100k cells against
the rest (Wilcoxon and t-test) and a 20-gene dot plot over 10 categories on the backed file, and
the same comparisons through scanpy on the in-memory AnnData (the ratio ours / scanpy). The
medians go into a section of ``bench/RESULTS.md``.

    python bench/data.py [--cells 1000000] [--repeat 7] [--no-prepare]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache"
N_GENES = 2000
NNZ_PER_CELL = 20  # 1 % of 2,000 genes
K = 15
LOAD_AT_START = 0.0
SHOW_TARGET_MB = 180   # growth of a process showing a 1M-cell file (issue: census scale)


def synthetic_path(n_cells: int) -> Path:
    """The cached synthetic file for ``n_cells`` (generated when missing)."""
    path = CACHE / f"synthetic_{n_cells}.h5ad"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.h5ad")
        write_synthetic(tmp, n_cells)
        tmp.rename(path)
    return path


def synthetic_zarr_path(n_cells: int) -> Path:
    """The same synthetic atlas as a ``.zarr`` store (written from the ``.h5ad`` when missing)."""
    path = CACHE / f"synthetic_{n_cells}.zarr"
    if not path.exists():
        import anndata as ad
        import shutil
        tmp = path.with_suffix(".tmp.zarr")
        shutil.rmtree(tmp, ignore_errors=True)
        ad.read_h5ad(synthetic_path(n_cells)).write_zarr(tmp)
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


def rss_mb() -> float:
    """Resident memory of this process, MB."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def timed(fn, repeat: int) -> tuple[list[float], object]:
    """Run ``fn`` ``repeat`` times; the durations in seconds and the last result."""
    samples, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        samples.append(time.perf_counter() - t0)
    return samples, result


def measure_open(path: str) -> dict:
    """In a fresh process: open time and memory growth against coordinates + obs bytes."""
    import anndata  # noqa: F401  (imports are not what we measure)
    import h5py  # noqa: F401
    import scipy.spatial  # noqa: F401

    from cellucid.data import open_dataset
    gc.collect()
    before = rss_mb()
    t0 = time.perf_counter()
    ds = open_dataset(path)
    seconds = time.perf_counter() - t0
    grown = rss_mb() - before
    coords = sum(ds.embedding(n).nbytes for n in ds.embedding_names) / 1e6
    obs = sum(ds.obs_field(n).values.nbytes for n in ds.obs_names
              if ds.obs_field(n).values is not None) / 1e6
    return {"seconds": seconds, "grown_mb": grown, "coords_mb": coords, "obs_mb": obs}


def measure_show(path: str) -> dict:
    """In a fresh process with the server running: show_anndata time and memory growth."""
    import contextlib
    import io

    import anndata  # noqa: F401
    import h5py  # noqa: F401
    import scipy.spatial  # noqa: F401

    import cellucid
    from cellucid.server import get_server
    get_server(None, "127.0.0.1")
    gc.collect()
    before = rss_mb()
    t0 = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        viewer = cellucid.show_anndata(path)
    seconds = time.perf_counter() - t0
    grown = rss_mb() - before
    viewer.stop()
    return {"seconds": seconds, "grown_mb": grown}


def _status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (``VmHWM``, ``RssAnon``), MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1e3
    return float("nan")


def peak_rss_mb() -> float:
    """High-water mark of this process's resident memory (VmHWM: reset by exec, unlike ru_maxrss)."""
    return _status_mb("VmHWM")


def anon_rss_mb() -> float:
    """Anonymous (heap) resident memory of this process: RSS without mapped files, MB."""
    return _status_mb("RssAnon")


class HeapSampler:
    """Samples this process's heap (RssAnon) every 20 ms while in the ``with`` block; the
    mapping it yields holds ``base`` and ``peak`` (MB)."""

    def __enter__(self) -> dict:
        import threading

        self.figures = {"base": anon_rss_mb(), "peak": 0.0}
        self._done = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()
        return self.figures

    def _sample(self) -> None:
        while not self._done.wait(0.02):
            self.figures["peak"] = max(self.figures["peak"], anon_rss_mb())

    def __exit__(self, *exc) -> None:
        self._done.set()
        self.figures["peak"] = max(self.figures["peak"], anon_rss_mb())


def measure_prepare(path: str, out: str) -> dict:
    """In a fresh process: prepare time and peak memory (all of RSS, and heap only, sampled)."""

    from cellucid.data import prepare
    base = peak_rss_mb()
    with HeapSampler() as anon:
        t0 = time.perf_counter()
        prepare(path, out, progress=False, overwrite=True)
        seconds = time.perf_counter() - t0
    peak = peak_rss_mb()
    size = sum(f.stat().st_size for f in Path(out).rglob("*") if f.is_file()) / 1e6
    return {"seconds": seconds, "peak_mb": peak, "before_mb": base, "size_mb": size,
            "anon_peak_mb": anon["peak"], "anon_base_mb": anon["base"]}


COMPARE_GROUP = 100_000
DOT_GENES = 20
DOT_CATEGORIES = 10


def measure_compare(path: str, kind: str) -> dict:
    """In a fresh process: one comparison or dot plot, its time and peak memory growth.

    ``kind``: ``wilcoxon``/``t-test`` (ours, backed file, gene cache already built),
    ``scanpy-wilcoxon``/``scanpy-t-test`` (scanpy's rank_genes_groups on the AnnData read into
    memory; reading is not timed), or ``dotplot``.
    """

    import pandas as pd
    rng = np.random.default_rng(4)
    if kind.startswith("scanpy"):
        import anndata as ad
        import scanpy as sc
        adata = ad.read_h5ad(path)
        group = rng.choice(adata.n_obs, COMPARE_GROUP, replace=False)
        labels = np.full(adata.n_obs, "rest", dtype=object)
        labels[group] = "group"
        adata.obs["side"] = pd.Categorical(labels)
        work = lambda: sc.tl.rank_genes_groups(  # noqa: E731
            adata, "side", groups=["group"], reference="rest", method=kind.split("-", 1)[1],
            pts=True, tie_correct=False)
    else:
        from cellucid.compare import dataset_source, gene_summary, rank_genes
        from cellucid.data import open_dataset
        ds = open_dataset(path)
        ds.layer()   # builds the gene cache, outside the measurement
        if kind == "dotplot":
            codes = (ds.obs_values("cat_0").astype(np.int64) % DOT_CATEGORIES).astype(np.uint16)
            genes = [str(g) for g in ds.genes.names[::N_GENES // DOT_GENES][:DOT_GENES]]
            work = lambda: gene_summary(ds, genes, codes,  # noqa: E731
                                        [f"g{k}" for k in range(DOT_CATEGORIES)])
        else:
            group = rng.choice(ds.n_cells, COMPARE_GROUP, replace=False)
            names = np.asarray(ds.genes.names, dtype=object)
            work = lambda: rank_genes(dataset_source(ds), group, method=kind,  # noqa: E731
                                      gene_names=names, progress=False)
    gc.collect()
    with open("/proc/self/clear_refs", "w") as refs:   # reset VmHWM to the current RSS
        refs.write("5")
    base = peak_rss_mb()
    with HeapSampler() as anon:
        t0 = time.perf_counter()
        work()
        seconds = time.perf_counter() - t0
    return {"seconds": seconds, "peak_growth_mb": peak_rss_mb() - base,
            "anon_growth_mb": max(anon["peak"], anon_rss_mb()) - anon["base"]}


def in_subprocess(*args: str) -> dict:
    """Run this script with ``args`` in a fresh interpreter and return its JSON answer."""
    env = {**os.environ, "PYTHONPATH": str(HERE.parent / "src")}
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          env=env, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def http_getter(viewer):
    """``get(path, **params) -> httpx.Response`` against the viewer's dataset API."""
    import httpx
    client = httpx.Client(base_url=viewer.server_url.rstrip("/") + "/_cellucid/data/",
                          params={"viewerId": viewer.viewer_id,
                                  "viewerToken": viewer.viewer_token}, timeout=120)

    def get(path: str, **params):
        response = client.get(path, params=params)
        response.raise_for_status()
        return response
    return get


def run(n_cells: int, repeat: int, with_prepare: bool) -> list[tuple]:
    """Every measurement; rows of (what, median ms or figure, target, note)."""
    global LOAD_AT_START
    LOAD_AT_START = os.getloadavg()[0]
    path = str(synthetic_path(n_cells))
    size_mb = Path(path).stat().st_size / 1e6
    cache_dir = CACHE / "gene-cache"
    os.environ["CELLUCID_CACHE_DIR"] = str(cache_dir)
    rows = []

    opens = [in_subprocess("--measure-open", path) for _ in range(max(3, repeat // 2))]
    open_s = statistics.median(o["seconds"] for o in opens)
    grown = statistics.median(o["grown_mb"] for o in opens)
    budget = opens[0]["coords_mb"] + opens[0]["obs_mb"]
    rows.append(("`open_dataset(path)` (fresh process)", open_s * 1e3, "≤ 2000 ms", ""))
    rows.append(("memory growth of open", f"{grown:.0f} MB", f"< {2 * budget:.0f} MB",
                 f"2 × (coords {opens[0]['coords_mb']:.0f} MB + obs {opens[0]['obs_mb']:.0f} MB)"))

    for kind, shown_path in (("backed `.h5ad`", path),
                             ("`.zarr`", str(synthetic_zarr_path(n_cells)))):
        shows = [in_subprocess("--measure-show", shown_path) for _ in range(max(3, repeat // 2))]
        rows.append((f"`cellucid.show_anndata(path)`, {kind} (fresh process, server started)",
                     statistics.median(s["seconds"] for s in shows) * 1e3, "≤ 2000 ms",
                     f"memory growth {statistics.median(s['grown_mb'] for s in shows):.0f} MB "
                     f"(target < {SHOW_TARGET_MB} MB)"))

    import cellucid
    from cellucid.data import open_dataset
    ds = open_dataset(path)
    samples, _ = timed(lambda: open_dataset(path).close(), repeat)
    rows.append(("`open_dataset(path)` (warm process)", statistics.median(samples) * 1e3,
                 "≤ 2000 ms", ""))

    viewers = []
    def show():
        viewers.append(cellucid.show_anndata(path))
    show()  # starts the server once
    samples, _ = timed(show, repeat)
    rows.append(("`cellucid.show_anndata(path)` (warm process)", statistics.median(samples) * 1e3,
                 "≤ 2000 ms", "server already running"))
    viewer = viewers[-1]
    for v in viewers[:-1]:
        v.stop()
    get = http_getter(viewer)
    vds = viewer.dataset

    samples, _ = timed(lambda: open_dataset(path).manifest(), 3)
    samples, _ = timed(lambda: get("manifest"), repeat)
    rows.append(("manifest (HTTP GET)", statistics.median(samples) * 1e3, "≤ 100 ms", ""))
    samples, _ = timed(lambda: get("embedding", name="X_umap"), repeat)
    rows.append((f"embedding X_umap, {n_cells:,} × 2 float32 (HTTP GET)",
                 statistics.median(samples) * 1e3, "≤ 200 ms", f"{n_cells * 8 / 1e6:.0f} MB"))

    import shutil
    shutil.rmtree(cache_dir, ignore_errors=True)
    rng = np.random.default_rng(0)
    genes = [f"ENSG{j:08d}" for j in rng.integers(0, N_GENES, repeat + 1)]
    t0 = time.perf_counter()
    vds.gene_values(genes[0])
    rows.append(("first gene: builds the on-disk gene cache", (time.perf_counter() - t0) * 1e3,
                 "(reported)", f"{size_mb:.0f} MB .h5ad, once per file version"))
    it = iter(genes[1:])
    samples, _ = timed(lambda: get("gene", name=next(it)), repeat)
    rows.append(("one gene after the cache (HTTP GET)", statistics.median(samples) * 1e3,
                 "≤ 300 ms", f"{n_cells * 4 / 1e6:.0f} MB"))
    fresh = open_dataset(path)
    it = iter(genes[1:])
    samples, _ = timed(lambda: fresh.gene_values(next(it)), repeat)
    rows.append(("one gene, new session reusing the cache", statistics.median(samples) * 1e3,
                 "≤ 300 ms", "`Dataset.gene_values`"))

    t0 = time.perf_counter()
    vds.graph()
    rows.append(("graph load (first KNN query)", (time.perf_counter() - t0) * 1e3, "(reported)",
                 "obsp/connectivities, read once"))
    seeds = iter(rng.integers(0, n_cells, repeat).tolist())
    sizes = []
    def knn():
        response = get("knn", seed=next(seeds), hops=3)
        sizes.append(len(response.content) // 4)
    samples, _ = timed(knn, repeat)
    rows.append(("3 KNN hops from one cell (HTTP GET)", statistics.median(samples) * 1e3,
                 "≤ 50 ms", f"median {statistics.median(sizes):.0f} cells"))

    from cellucid.data.spatial import SpatialIndex
    t0 = time.perf_counter()
    info = vds.embedding_info("X_umap")
    SpatialIndex(info.coords, info.min, info.max, background=False)
    rows.append(("k-d tree build", (time.perf_counter() - t0) * 1e3, "(reported)",
                 "once per embedding, in a background thread; queries scan until it is ready"))
    t0 = time.perf_counter()
    get("radius", embedding="X_umap", x=0, y=0, r=1.0)
    rows.append(("first radius query (HTTP GET, tree not built yet)",
                 (time.perf_counter() - t0) * 1e3, "≤ 50 ms", "a scan of the coordinates"))
    vds.spatial_index("X_umap").wait()
    coords = vds.embedding("X_umap")
    centres = iter(coords[rng.integers(0, n_cells, repeat)].tolist())
    sizes = []
    def radius():
        x, y = next(centres)
        response = get("radius", embedding="X_umap", x=x, y=y, r=1.0)
        sizes.append(len(response.content) // 4)
    samples, _ = timed(radius, repeat)
    rows.append(("radius query r=1 (HTTP GET)", statistics.median(samples) * 1e3, "≤ 50 ms",
                 f"median {statistics.median(sizes):.0f} cells"))
    viewer.stop()

    import anndata
    adata = anndata.read_h5ad(path)
    samples, _ = timed(lambda: open_dataset(adata), max(3, repeat // 2))
    rows.append(("`open_dataset(adata)`, the same data in memory", statistics.median(samples) * 1e3,
                 "≤ 2000 ms", "in-memory AnnData (CSR X)"))
    mem = open_dataset(adata)
    it = iter(genes[1:])
    samples, _ = timed(lambda: mem.gene_values(next(it)), repeat)
    rows.append(("one gene from in-memory CSR X", statistics.median(samples) * 1e3, "≤ 300 ms",
                 "vectorised scan, no copy of X"))
    del adata, mem
    gc.collect()

    if with_prepare:
        out = str(CACHE / f"export_{n_cells}")
        result = in_subprocess("--measure-prepare", path, out)
        rows.append(("`prepare(path, out)`", result["seconds"] * 1e3, "(reported)",
                     f"peak RSS {result['peak_mb']:.0f} MB, of which heap "
                     f"{result['anon_peak_mb']:.0f} MB (the rest: pages of the memory-mapped "
                     f"output); process before: {result['before_mb']:.0f} MB; writes "
                     f"{result['size_mb']:.0f} MB"))
        opens = [in_subprocess("--measure-open", out) for _ in range(3)]
        rows.append(("`open_dataset(export)` (fresh process)",
                     statistics.median(o["seconds"] for o in opens) * 1e3, "≤ 2000 ms",
                     f"memory growth {statistics.median(o['grown_mb'] for o in opens):.0f} MB "
                     "(coords are read on first use)"))
        exp = open_dataset(out)
        it = iter(genes[1:])
        samples, _ = timed(lambda: exp.gene_values(next(it)), repeat)
        rows.append(("one gene from the export", statistics.median(samples) * 1e3, "≤ 300 ms",
                     "`Dataset.gene_values`"))
        samples, _ = timed(lambda: open_dataset(out).embedding("X_umap"), repeat)
        rows.append(("open export + decode X_umap", statistics.median(samples) * 1e3, "", ""))
    rows += compare_rows(path, repeat)
    return rows


def compare_rows(path: str, repeat: int) -> list[tuple]:
    """Comparisons and the dot plot on the backed file, and scanpy's comparisons in memory."""
    rows, runs = [], max(3, repeat // 2)
    median = statistics.median
    for method, target in (("wilcoxon", "≤ 10000 ms"), ("t-test", "≤ 3000 ms")):
        ours = [in_subprocess("--measure-compare", path, method) for _ in range(runs)]
        theirs = [in_subprocess("--measure-compare", path, f"scanpy-{method}")
                  for _ in range(runs)]
        ours_s, theirs_s = median(o["seconds"] for o in ours), median(t["seconds"] for t in theirs)
        rows.append((f"`viewer.compare` {COMPARE_GROUP // 1000}k cells vs rest, {method} "
                     "(backed `.h5ad`, gene cache built)", ours_s * 1e3, target,
                     f"peak memory growth {max(o['peak_growth_mb'] for o in ours):.0f} MB "
                     f"(heap {max(o['anon_growth_mb'] for o in ours):.0f} MB; target ≤ 1 GB); "
                     f"scanpy `rank_genes_groups` on the AnnData in memory: "
                     f"{theirs_s * 1e3:.0f} ms, heap growth "
                     f"{max(t['anon_growth_mb'] for t in theirs):.0f} MB; "
                     f"**ours / scanpy {ours_s / theirs_s:.2f}**"))
    dots = [in_subprocess("--measure-compare", path, "dotplot") for _ in range(runs)]
    rows.append((f"dot plot, {DOT_GENES} genes × {DOT_CATEGORIES} categories (backed `.h5ad`)",
                 median(d["seconds"] for d in dots) * 1e3, "≤ 2000 ms",
                 f"peak memory growth {max(d['peak_growth_mb'] for d in dots):.0f} MB "
                 f"(heap {max(d['anon_growth_mb'] for d in dots):.0f} MB)"))
    return rows


def report(rows: list[tuple], n_cells: int, repeat: int) -> str:
    """The markdown body of the data section."""
    lines = [f"Synthetic `.h5ad`: {n_cells:,} cells × {N_GENES:,} genes (1 % non-zero, CSR "
             "float32), 20 obs columns (6 categorical, 12 numeric, 1 boolean, 1 unique barcode), "
             "X_umap (2D) + X_pca (50 columns), symmetric 15-NN connectivities. "
             f"Medians of {repeat} runs unless a single figure (first-time costs). Load average "
             f"when the run started: {LOAD_AT_START:.1f} on {os.cpu_count()} cores (the machine "
             "is shared; figures under load are upper bounds).",
             "", "| measurement | result | target | note |", "|---|---|---|---|"]
    for what, value, target, note in rows:
        shown = f"{value:.1f} ms" if isinstance(value, float) else value
        lines.append(f"| {what} | {shown} | {target} | {note} |")
    return "\n".join(lines)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--no-prepare", action="store_true")
    ap.add_argument("--generate-only", action="store_true")
    ap.add_argument("--measure-open", metavar="PATH")
    ap.add_argument("--measure-show", metavar="PATH")
    ap.add_argument("--measure-prepare", nargs=2, metavar=("PATH", "OUT"))
    ap.add_argument("--measure-compare", nargs=2, metavar=("PATH", "KIND"))
    args = ap.parse_args()
    if args.measure_open:
        print(json.dumps(measure_open(args.measure_open)))
    elif args.measure_show:
        print(json.dumps(measure_show(args.measure_show)))
    elif args.measure_prepare:
        print(json.dumps(measure_prepare(*args.measure_prepare)))
    elif args.measure_compare:
        print(json.dumps(measure_compare(*args.measure_compare)))
    elif args.generate_only:
        print(synthetic_path(args.cells))
    else:
        sys.path.insert(0, str(HERE))
        sys.path.insert(0, str(HERE.parent / "src"))
        from results import write_section
        rows = run(args.cells, args.repeat, not args.no_prepare)
        body = report(rows, args.cells, args.repeat)
        print(body)
        write_section("data", "Dataset layer at 1M cells (bench/data.py)", body)
