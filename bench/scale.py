"""Benchmark at census scale: the level-of-detail order, tiled exports and kernel selections.

For each size (default 5M, 20M and 60M cells) it makes, once, a synthetic atlas — a 2-D UMAP
of 30 clusters, a categorical column ``cluster`` (with a category of 5 cells) and a numeric
``score``, 2,000 genes at 1 % non-zero (20 per cell) — written chunk by chunk to a ``.zarr``
store (bounded memory, fixed seeds), then a tiled export of it with ``cellucid.prepare`` in a
fresh process (its time and peak memory measured). Both are cached under
``bench/.cache/scale/`` (the 60M ``.zarr`` is removed once prepared unless ``--keep-inputs``).

Then, each in a fresh process:

* kernel: the level-of-detail order of all cells (``lod_order``; baseline in the same run: a
  plain random permutation of as many cells), a lasso over the whole view resolved over every
  cell — through an order computed in memory (what showing an AnnData does), through the
  export's stored tiles, and testing every cell (baseline) — and turning it into
  ``event["cells"]``;
* serve: opening the export and answering a first view (tile index, levels 0-2 positions,
  colours, one gene) and a whole-view lasso; peak memory;
* remote: the same first view over HTTP with 20 ms added to every request
  (``tests/range_server.py``), with an empty local cache each time;
* page (``--page``, its own section; ``bench/scale_page.py``): each export opened in headless
  Chromium from a kernel that reads it over that slow HTTP — first frame, ready, a pan frame at
  the point budget, colour by a gene, a lasso round the whole view into a Python hook, kernel
  and page memory — with the all-cells path (a budget of every cell) at 5M and 20M in the same
  run as the baseline, and an AnnData of 60M cells built in the kernel's memory.

    python bench/scale.py [--sizes 5M,20M,60M] [--repeat 5] [--latency-ms 20] [--keep-inputs]
    python bench/scale.py --page [--sizes 5M,20M,60M] [--memory 60M]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CACHE = HERE / ".cache" / "scale"
N_GENES, NNZ_PER_CELL, N_CLUSTERS, RARE_CELLS = 2000, 20, 30, 5
ROWS_PER_CHUNK = 1 << 20
FIRST_VIEW_LEVELS = 3   # levels 0-2: what a first frame draws

sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
from results import write_section  # noqa: E402


def cells_of(label: str) -> int:
    """``"5M"`` → 5,000,000."""
    label = label.strip().upper()
    scale = {"K": 10**3, "M": 10**6}.get(label[-1], 1)
    return int(float(label.rstrip("KM")) * scale)


# -- the synthetic atlas -----------------------------------------------------------------------

def clusters_and_umap(n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    centres = rng.normal(0, 10, (N_CLUSTERS, 2)).astype(np.float32)
    cluster = rng.integers(0, N_CLUSTERS, n).astype(np.int8)
    cluster[rng.choice(n, RARE_CELLS, replace=False)] = N_CLUSTERS   # the rare type
    umap = centres[np.minimum(cluster, N_CLUSTERS - 1)]
    umap += rng.normal(0, 1.2, (n, 2)).astype(np.float32)
    return cluster, umap


def matrix_rows(i: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Chunk ``i``: each cell's 20 genes (sorted, distinct) and their values."""
    rng = np.random.default_rng([7, i])
    gaps = rng.integers(1, N_GENES // NNZ_PER_CELL, (rows, NNZ_PER_CELL))
    cols = (np.cumsum(gaps, axis=1) - 1 + rng.integers(0, N_GENES, rows)[:, None]) % N_GENES
    cols.sort(axis=1)
    return cols.astype(np.int32).ravel(), rng.gamma(2.0, 1.0, rows * NNZ_PER_CELL
                                                     ).astype(np.float32)


def write_input(n: int, path: Path) -> None:
    """The synthetic atlas as an AnnData ``.zarr`` store, written chunk by chunk."""
    import pandas as pd
    import zarr
    from anndata.io import write_elem
    root = zarr.open_group(str(path), mode="w", zarr_format=2)
    root.attrs.update({"encoding-type": "anndata", "encoding-version": "0.1.0"})
    cluster, umap = clusters_and_umap(n)
    obs = root.create_group("obs")
    obs.attrs.update({"encoding-type": "dataframe", "encoding-version": "0.2.0",
                      "_index": "_index", "column-order": ["cluster", "score"]})
    index = obs.create_array("_index", shape=(n,), chunks=(ROWS_PER_CHUNK,), dtype=str,
                             compressors=None)
    index.attrs.update({"encoding-type": "string-array", "encoding-version": "0.2.0"})
    for a in range(0, n, ROWS_PER_CHUNK):
        b = min(n, a + ROWS_PER_CHUNK)
        index[a:b] = np.array([f"cell{j}" for j in range(a, b)], dtype=object)
    names = [f"c{j}" for j in range(N_CLUSTERS)] + ["rare"]
    write_elem(obs, "cluster", pd.Categorical.from_codes(cluster, names))
    write_elem(obs, "score", np.random.default_rng(2).random(n, dtype=np.float32))
    write_elem(root, "obsm", {"X_umap": umap})
    del cluster, umap
    write_elem(root, "var", pd.DataFrame(index=[f"ENSG{j:08d}" for j in range(N_GENES)]))
    write_elem(root, "uns", {"cluster_colors": [f"#{(j * 2654435761) & 0xFFFFFF:06x}"
                                                for j in range(N_CLUSTERS + 1)]})
    x = root.create_group("X")
    x.attrs.update({"encoding-type": "csr_matrix", "encoding-version": "0.1.0",
                    "shape": [n, N_GENES]})
    nnz = n * NNZ_PER_CELL
    chunk = ROWS_PER_CHUNK * NNZ_PER_CELL
    indices = x.create_array("indices", shape=(nnz,), chunks=(chunk,), dtype=np.int32,
                             compressors=None)
    data = x.create_array("data", shape=(nnz,), chunks=(chunk,), dtype=np.float32,
                          compressors=None)
    x.create_array("indptr", data=np.arange(0, nnz + 1, NNZ_PER_CELL, dtype=np.int64),
                   chunks=(chunk,), compressors=None)
    for i, a in enumerate(range(0, n, ROWS_PER_CHUNK)):
        rows = min(n, a + ROWS_PER_CHUNK) - a
        cols, values = matrix_rows(i, rows)
        indices[a * NNZ_PER_CELL:(a + rows) * NNZ_PER_CELL] = cols
        data[a * NNZ_PER_CELL:(a + rows) * NNZ_PER_CELL] = values


def directory_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def prepared(n: int, keep_inputs: bool) -> tuple[Path, dict]:
    """The cached export of ``n`` cells and what making it cost (measured when it was made);
    a cached export of another format version is prepared again."""
    from cellucid.data.export import VERSION
    CACHE.mkdir(parents=True, exist_ok=True)
    export, record = CACHE / f"synthetic_{n}.cellucid", CACHE / f"prepared_{n}.json"
    if (export / "manifest.json").exists() and record.exists() and \
            json.loads((export / "manifest.json").read_text()).get("version") == VERSION:
        return export, json.loads(record.read_text())
    source = CACHE / f"synthetic_{n}.zarr"
    figures = {}
    if not (source / ".zgroup").exists():
        print(f"writing the {n:,}-cell input ...", flush=True)
        tmp = source.with_suffix(".tmp.zarr")
        shutil.rmtree(tmp, ignore_errors=True)
        t0 = time.perf_counter()
        write_input(n, tmp)
        figures["input_seconds"] = time.perf_counter() - t0
        tmp.rename(source)
    figures["input_bytes"] = directory_bytes(source)
    print(f"preparing {n:,} cells ...", flush=True)
    shutil.rmtree(export, ignore_errors=True)
    figures.update(in_subprocess("--measure-prepare", str(source), str(export)))
    figures["export_bytes"] = directory_bytes(export)
    record.write_text(json.dumps(figures))
    if n >= 50_000_000 and not keep_inputs:
        shutil.rmtree(source)
    return export, figures


# -- measurements, each in a fresh process ------------------------------------------------------

def vm_kb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return float(line.split()[1])
    return float("nan")


def measure_prepare(source: str, out: str) -> dict:
    import cellucid
    import cellucid.data.open  # noqa: F401 — imports are not what we measure
    base = vm_kb("VmRSS")
    t0 = time.perf_counter()
    cellucid.prepare(source, out, progress=False)
    return {"prepare_seconds": time.perf_counter() - t0,
            "prepare_peak_mb": (vm_kb("VmHWM") - base) / 1024}


def whole_view_polygon(ds, vertices: int = 256) -> list:
    """A lasso drawn round the whole view: a slightly wavy loop inscribed in the data's box."""
    info = ds.embedding_info("X_umap")
    lo, hi = np.asarray(info.min), np.asarray(info.max)
    centre, radius = (lo + hi) / 2, (hi - lo) / 2 * 0.98
    angle = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    wave = 1 + 0.02 * np.sin(angle * 12)
    return np.c_[centre[0] + radius[0] * wave * np.cos(angle),
                 centre[1] + radius[1] * wave * np.sin(angle)].tolist()


CPU = {}   # CPU seconds (all threads) of the last timing of each name, for a loaded machine


def median_s(function, repeat: int, name: str = "") -> tuple[float, object]:
    """Median wall time of ``repeat`` runs, and the last result; the median CPU time (every
    thread of the process) goes into ``CPU[name]``."""
    samples, cpu, result = [], [], None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        result = function()
        samples.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    CPU[name] = statistics.median(cpu)
    return statistics.median(samples), result


def measure_kernel(export: str, repeat: int) -> dict:
    from cellucid.data import open_dataset
    from cellucid.data.lod import lod_order
    from cellucid.data.tile_reader import MemoryTiles
    from cellucid.selection.lasso import polygon_mask
    from cellucid.selection.selector import CellSelector
    from cellucid.selection.sequence import event_cells
    from cellucid.selection.sources import CellPositions
    ds = open_dataset(export)
    coords, codes = ds.embedding("X_umap"), ds.obs_values("cluster")
    n = ds.n_cells
    figures = {"n": n}
    figures["shuffle_s"], shuffled = median_s(lambda: np.random.default_rng(0).permutation(n),
                                              repeat, "shuffle")
    del shuffled
    Path("/proc/self/clear_refs").write_text("5")   # the high-water mark starts again here
    base = vm_kb("VmRSS")
    figures["lod_s"], lod = median_s(lambda: lod_order(coords, codes, embedding="X_umap"),
                                     repeat, "lod")
    figures["n_tiles"] = lod.tiles.n_tiles
    polygon = whole_view_polygon(ds)
    memory = CellSelector(ds, MemoryTiles(ds, lod))
    figures["lasso_memory_s"], mask = median_s(lambda: memory.lasso("X_umap", polygon), repeat,
                                               "lasso_memory")
    figures["selected"] = int(mask.sum())
    figures["lasso_all_cells_s"], every = median_s(
        lambda: polygon_mask(CellPositions(coords), polygon), repeat, "lasso_all_cells")
    assert np.array_equal(every, mask)
    stored = CellSelector(ds)
    stored.lasso("X_umap", polygon)   # the files into the page cache once
    figures["lasso_export_s"], from_export = median_s(lambda: stored.lasso("X_umap", polygon),
                                                      repeat, "lasso_export")
    assert np.array_equal(from_export, mask)
    figures["cells_s"], cells = median_s(lambda: event_cells(mask), repeat, "cells")
    assert len(cells) == figures["selected"]
    figures.update({f"{name}_cpu_s": seconds for name, seconds in CPU.items()})
    figures["peak_mb"] = (vm_kb("VmHWM") - base) / 1024
    return figures


def first_view(ds) -> dict:
    """What a first frame asks for: levels 0-2 positions and colours, and one gene."""
    tiles = ds.lod
    levels = tiles.tiles.level_tiles()
    first = list(range(int(levels[min(FIRST_VIEW_LEVELS, tiles.tiles.n_levels)])))
    steps = {}
    t0 = time.perf_counter()
    tiles.tiles, tiles.bounds("X_umap")
    steps["index_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    positions = tiles.positions("X_umap", first)
    steps["positions_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    tiles.obs_values("cluster", first)
    steps["colours_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    tiles.gene_values("ENSG00000007", first)
    steps["gene_s"] = time.perf_counter() - t0
    steps["cells"] = int(sum(len(p) for p in positions))
    steps["tiles"] = len(first)
    return steps


def measure_serve(export: str) -> dict:
    import cellucid.data.open  # noqa: F401
    from cellucid.data import open_dataset
    from cellucid.selection.selector import CellSelector
    base = vm_kb("VmRSS")
    t0 = time.perf_counter()
    ds = open_dataset(export)
    ds.manifest()
    figures = {"open_s": time.perf_counter() - t0}
    figures.update(first_view(ds))
    t0 = time.perf_counter()
    mask = CellSelector(ds).lasso("X_umap", whole_view_polygon(ds))
    figures["lasso_s"] = time.perf_counter() - t0
    figures["selected"] = int(mask.sum())
    figures["peak_mb"] = (vm_kb("VmHWM") - base) / 1024
    figures["after_mb"] = (vm_kb("VmRSS") - base) / 1024
    return figures


def measure_remote(export: str, repeat: int, latency_ms: float) -> dict:
    from cellucid.data import open_dataset
    from tests.range_server import RangeServer
    runs = []
    with RangeServer(Path(export).parent, delay_s=latency_ms / 1000) as server:
        for _ in range(repeat):
            with tempfile.TemporaryDirectory() as cache:
                os.environ["CELLUCID_CACHE_DIR"] = cache
                server.counters.reset()
                t0 = time.perf_counter()
                ds = open_dataset(f"{server.url}/{Path(export).name}")
                opened = time.perf_counter() - t0
                steps = first_view(ds)
                steps.update(open_s=opened, total_s=time.perf_counter() - t0,
                             requests=server.counters.requests, bytes=server.counters.bytes)
                runs.append(steps)
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


def in_subprocess(*args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(HERE.parent / "src"), str(HERE.parent), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the report ---------------------------------------------------------------------------------

def report(rows: dict, repeat: int, latency_ms: float) -> str:
    sizes = list(rows)

    def line(label, key, fmt="{:,.0f} ms", scale=1000.0, source="kernel"):
        cells = []
        for n in sizes:
            figures = rows[n][source]
            text = fmt.format(figures[key] * scale)
            cpu = figures.get(key[:-2] + "_cpu_s") if key.endswith("_s") else None
            cells.append(text if cpu is None else f"{text} (CPU {cpu * scale:,.0f} ms)")
        return f"| {label} | " + " | ".join(cells) + " |"
    head = "| measurement | " + " | ".join(f"{n / 1e6:g}M cells" for n in sizes) + " |\n" + \
        "|---|" + "---|" * len(sizes)
    out = [f"Synthetic atlases: a 2-D UMAP of {N_CLUSTERS} clusters, obs `cluster` (categorical, "
           f"with a category of {RARE_CELLS} cells) and `score`, {N_GENES:,} genes at 1 % "
           f"non-zero; written as `.zarr`, then `cellucid.prepare` into a tiled export "
           f"(format version 4). Medians of {repeat} runs unless a single figure. Each "
           "measurement in a fresh process. CPU: seconds of CPU of all the process's threads "
           "(robust to other work on the machine; the work runs on up to 2 threads here).", "",
           head]
    out.append(line("input `.zarr` written (once)", "input_seconds", "{:,.0f} s", 1, "prepare"))
    out.append(line("`cellucid.prepare(zarr)` (once)", "prepare_seconds", "{:,.0f} s", 1,
                    "prepare"))
    out.append(line("prepare: peak memory growth", "prepare_peak_mb", "{:,.0f} MB", 1,
                    "prepare"))
    out.append(line("export size on disk", "export_bytes", "{:,.2f} GB", 1e-9, "prepare"))
    out.append(line("level-of-detail order (`lod_order`)", "lod_s"))
    out.append(line("baseline: a random permutation of as many cells", "shuffle_s"))
    out.append(line("tiles", "n_tiles", "{:,.0f}", 1))
    out.append(line("lasso over the whole view, order in memory → mask", "lasso_memory_s"))
    out.append(line("lasso over the whole view, export's stored tiles → mask", "lasso_export_s"))
    out.append(line("baseline: the same lasso testing every cell", "lasso_all_cells_s"))
    out.append(line("cells selected (exact over all cells)", "selected", "{:,.0f}", 1))
    out.append(line("mask → `event[\"cells\"]` (`CellSequence`)", "cells_s"))
    out.append(line("kernel: peak memory growth beyond coordinates and codes (all of the above)",
                    "peak_mb", "{:,.0f} MB", 1))
    out.append(line("serve: open the export + manifest", "open_s", source="serve"))
    out.append(line("serve: first view (index, levels 0-2 positions, colours, a gene)",
                    "first_view_s", source="serve"))
    out.append(line("serve: whole-view lasso, cold", "lasso_s", source="serve"))
    out.append(line("serve: peak memory growth (all of the above)", "peak_mb", "{:,.0f} MB", 1,
                    "serve"))
    out.append(line(f"HTTP +{latency_ms:g} ms/request: open", "open_s", source="remote"))
    out.append(line(f"HTTP +{latency_ms:g} ms/request: tile index and boxes", "index_s",
                    source="remote"))
    out.append(line(f"HTTP +{latency_ms:g} ms/request: levels 0-2 positions", "positions_s",
                    source="remote"))
    out.append(line(f"HTTP +{latency_ms:g} ms/request: their colours", "colours_s",
                    source="remote"))
    out.append(line(f"HTTP +{latency_ms:g} ms/request: a gene in those tiles", "gene_s",
                    source="remote"))
    out.append(line(f"HTTP +{latency_ms:g} ms/request: first view in all (requests)",
                    "requests", "{:,.0f}", 1, "remote"))
    out.append(line("first view: cells (tiles)", "cells", "{:,.0f}", 1, "remote"))
    return "\n".join(out)


def run(sizes: list[int], repeat: int, latency_ms: float, keep_inputs: bool) -> dict:
    rows = {}
    load_before = os.getloadavg()[0]
    for n in sizes:
        export, making = prepared(n, keep_inputs)
        print(f"measuring {n:,} cells ...", flush=True)
        rows[n] = {"prepare": making,
                   "kernel": in_subprocess("--measure-kernel", str(export), str(repeat)),
                   "serve": in_subprocess("--measure-serve", str(export)),
                   "remote": in_subprocess("--measure-remote", str(export), str(repeat),
                                           str(latency_ms))}
        serve = rows[n]["serve"]
        serve["first_view_s"] = serve["index_s"] + serve["positions_s"] + serve["colours_s"] + \
            serve["gene_s"]
        print(json.dumps(rows[n]), flush=True)
    body = report(rows, repeat, latency_ms)
    body += f"\n\nLoad average when the run started: {load_before:.1f} on {os.cpu_count()} " \
            "cores (the machine is shared; figures under load are upper bounds)."
    write_section("scale", "Census scale: level of detail, tiled exports, kernel lasso "
                           "(bench/scale.py)", body)
    print(body)
    return rows


def run_page(sizes: list[int], latency_ms: float, memory_n: int | None) -> list[dict]:
    """The page measurements (``bench/scale_page.py``), written to their own section."""
    import scale_page
    exports = {n: str(prepared(n, False)[0]) for n in sizes}
    load_before = os.getloadavg()[0]
    results = scale_page.run_page(exports, latency_ms, memory_n)
    body = ("Each export served over HTTP with "
            f"{latency_ms:g} ms added to every request (`tests/range_server.py`), opened by a "
            "fresh kernel process (`cellucid.show(url)`, default point budget 1,000,000) and "
            "shown in headless Chromium 1000×650 with SwiftShader WebGL (software, on this "
            "machine's CPUs); one run per column, in one browser. \"all cells\": the same "
            "export with a point budget of every cell — today's path, the page holding every "
            "cell — as the baseline. \"AnnData in memory\": the same atlas (50 genes) built in "
            "the kernel's memory and shown without `prepare`; its kernel figure is the growth "
            "beyond the AnnData. Memory of the kernel: `VmHWM`; of the page: CDP "
            "`JSHeapUsedSize` + `backingStorageSize`. Times from the page's clock are from "
            "navigation start; the lasso is timed on the machine's monotonic clock from the "
            "mouse-up (Playwright) to the hook's first line (kernel process).\n\n")
    body += scale_page.report_page(results, latency_ms)
    body += f"\n\nLoad average when the run started: {load_before:.1f} on {os.cpu_count()} " \
            "cores (the machine is shared; figures under load are upper bounds)."
    write_section("scale-page", "Census scale in the browser: level of detail against all "
                                "cells (bench/scale.py --page)", body)
    print(body)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="5M,20M,60M")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--keep-inputs", action="store_true")
    parser.add_argument("--page", action="store_true")
    parser.add_argument("--memory", default="60M", help="cells of the in-memory AnnData ('0': none)")
    parser.add_argument("--measure-prepare", nargs=2)
    parser.add_argument("--measure-kernel", nargs=2)
    parser.add_argument("--measure-serve", nargs=1)
    parser.add_argument("--measure-remote", nargs=3)
    args = parser.parse_args()
    if args.measure_prepare:
        print(json.dumps(measure_prepare(*args.measure_prepare)))
    elif args.measure_kernel:
        print(json.dumps(measure_kernel(args.measure_kernel[0], int(args.measure_kernel[1]))))
    elif args.measure_serve:
        print(json.dumps(measure_serve(args.measure_serve[0])))
    elif args.measure_remote:
        path, repeat, latency = args.measure_remote
        print(json.dumps(measure_remote(path, int(repeat), float(latency))))
    elif args.page:
        run_page([cells_of(s) for s in args.sizes.split(",")], args.latency_ms,
                 cells_of(args.memory) or None)
    else:
        run([cells_of(s) for s in args.sizes.split(",")], args.repeat, args.latency_ms,
            args.keep_inputs)


if __name__ == "__main__":
    main()
