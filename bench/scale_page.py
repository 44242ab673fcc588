"""The page side of the census-scale benchmark (``bench/scale.py``): a viewer opened in headless
Chromium (SwiftShader WebGL) and timed the way a user meets it.

Each configuration runs its kernel — the Python process that shows the data — in a fresh child
process (``python bench/scale_page.py --kernel SPEC``), so its memory is its own: it opens the
data (a tiled export over HTTP through ``tests/range_server.py`` with a delay added to every
request, or an AnnData it builds in memory), shows it with a point budget, prints the viewer's
URL and answers the parent on its stdin (colour by a gene and time it, wait for a selection and
say when its hook ran, its peak memory, whether a selection is exact). The parent drives the
page with Playwright and measures, in order:

* first frame and ready (the page's own marks, from navigation start), ``ready`` at Python, and
  when every tile the first view wants is drawn;
* a pan frame at the budget: the camera moves, a frame is drawn and a one-pixel read waits for
  the GPU (median of ``FRAMES``), with the cells drawn then;
* colour by a gene from Python (the call returns once the page drew it);
* a lasso round the whole view with the real mouse (a rectangle 4 px inside the canvas): from
  mouse-up to the first line of the Python hook, which holds every cell inside (checked against
  a numpy test of every cell afterwards); the first one, and the median of ``LASSOS``;
* the kernel's peak resident memory (growth beyond the AnnData for one built in memory), and the
  page's memory: JS heap plus array buffers (CDP ``Performance.getMetrics`` ``JSHeapUsedSize``
  plus ``Runtime.getHeapUsage`` ``backingStorageSize``), the largest of samples taken after
  each step.
"""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
FRAMES = 8
LASSOS = 3
VIEWPORT = {"width": 1000, "height": 650}
GENE = "ENSG00000007"
DEFAULT_BUDGET = 1_000_000   # show_anndata's default point budget
MEMORY_GENES = 50   # genes of an AnnData built in memory (1 % non-zero)


# -- the kernel (child process) ---------------------------------------------------------------

def vm_kb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return float(line.split()[1])
    return float("nan")


def memory_adata(n: int):
    """The synthetic atlas of ``bench/scale.py`` as an AnnData in memory (a smaller matrix)."""
    import anndata as ad
    import pandas as pd
    import scipy.sparse as sp
    from scale import N_CLUSTERS, clusters_and_umap
    cluster, umap = clusters_and_umap(n)
    rng = np.random.default_rng(3)
    nnz = n // 2   # 1 % of MEMORY_GENES
    rows = np.sort(rng.integers(0, n, nnz))
    x = sp.csr_matrix((rng.gamma(2.0, 1.0, nnz).astype(np.float32),
                       (rows, rng.integers(0, MEMORY_GENES, nnz))), shape=(n, MEMORY_GENES))
    names = [f"c{j}" for j in range(N_CLUSTERS)] + ["rare"]
    obs = pd.DataFrame({"cluster": pd.Categorical.from_codes(cluster, names),
                        "score": rng.random(n, dtype=np.float32)},
                       index=pd.Index(np.char.add("cell", np.arange(n).astype(str)), dtype=object))
    adata = ad.AnnData(x, obs=obs)
    adata.var_names = [f"ENSG{j:08d}" for j in range(MEMORY_GENES)]
    adata.obsm["X_umap"] = umap
    adata.uns["cluster_colors"] = [f"#{(j * 2654435761) & 0xFFFFFF:06x}"
                                   for j in range(N_CLUSTERS + 1)]
    return adata


def inside_count(coords: np.ndarray, polygon) -> np.ndarray:
    """Cells of ``coords`` inside ``polygon`` by the even-odd rule, a million at a time."""
    poly = np.asarray(polygon, dtype=np.float64)
    out = []
    for a in range(0, len(coords), 1 << 20):
        x = coords[a:a + (1 << 20), 0].astype(np.float64)
        y = coords[a:a + (1 << 20), 1].astype(np.float64)
        hit = np.zeros(len(x), dtype=bool)
        j = len(poly) - 1
        with np.errstate(divide="ignore", invalid="ignore"):
            for i in range(len(poly)):
                (xi, yi), (xj, yj) = poly[i], poly[j]
                hit ^= ((yi > y) != (yj > y)) & (x < (xj - xi) * (y - yi) / (yj - yi) + xi)
                j = i
        out.append(np.flatnonzero(hit) + a)
    return np.concatenate(out)


def kernel_main(spec: dict) -> None:
    """Show the data of ``spec`` and answer the parent's commands on stdin."""
    import contextlib
    import io

    import cellucid
    import cellucid.data.open  # noqa: F401 — imports are not what we measure
    from cellucid.server import get_server
    get_server(None, "127.0.0.1")
    data = memory_adata(spec["n"]) if spec["source"] == "memory" else spec["url"]
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")   # the high-water mark starts again here
    base_kb = vm_kb("VmRSS")
    got: dict = {}
    done = threading.Event()
    got["show_t"] = time.monotonic()
    with contextlib.redirect_stdout(io.StringIO()):
        viewer = cellucid.show_anndata(data, point_budget=spec["budget"])
    got["shown_t"] = time.monotonic()

    def on_ready(event):
        got.setdefault("ready_t", time.monotonic())

    def on_selection(event):
        got.update(selection_t=time.monotonic(), cells=event["cells"],
                   polygon=event.get("polygon"))
        done.set()
    viewer.on_ready(on_ready)
    viewer.on_selection(on_selection)
    print(json.dumps({"url": viewer.viewer_url}), flush=True)
    for line in sys.stdin:
        command, _, arg = line.strip().partition(" ")
        if command == "color":
            t0 = time.perf_counter()
            try:
                viewer.set_color_by(arg)
            except cellucid.CommandError as exc:
                # the all-cells page can take longer than a command's wait: the command stays
                # queued until the page applies it (a refusal is an error still)
                if not viewer.pending_commands:
                    raise exc
                while viewer.pending_commands:
                    time.sleep(0.01)
            reply = {"color_s": time.perf_counter() - t0}
        elif command == "ready":
            viewer.wait_for_ready(timeout=600)
            reply = {"ready_t": got["ready_t"], "show_t": got["show_t"],
                     "shown_t": got["shown_t"]}
        elif command == "selection":
            done.wait(600)
            done.clear()
            reply = {"selection_t": got["selection_t"], "selected": len(got["cells"])}
        elif command == "memory":
            reply = {"peak_mb": vm_kb("VmHWM") / 1024, "base_mb": base_kb / 1024}
        elif command == "check":
            coords = viewer.dataset.embedding("X_umap")
            truth = inside_count(coords, got["polygon"])
            reply = {"exact": bool(np.array_equal(np.asarray(got["cells"]), truth)),
                     "inside": int(len(truth))}
        else:
            break
        print(json.dumps(reply), flush=True)
    viewer.stop()


class Kernel:
    """A kernel child process and the JSON lines it answers."""

    def __init__(self, spec: dict) -> None:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(HERE.parent / "src"), str(HERE.parent), str(HERE),
             os.environ.get("PYTHONPATH", "")])}
        self.proc = subprocess.Popen([sys.executable, __file__, "--kernel", json.dumps(spec)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     env=env)
        self.url = self.read()["url"]

    def read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the kernel process ended (exit {self.proc.wait()})")
        return json.loads(line)

    def ask(self, command: str) -> dict:
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        return self.read()

    def close(self) -> None:
        try:
            self.proc.stdin.write("quit\n")
            self.proc.stdin.close()
        except OSError:
            pass
        self.proc.wait(120)


# -- the page (parent) --------------------------------------------------------------------------

def page_memory_mb(cdp) -> float:
    """The page's JS heap plus its array buffers, MB."""
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    buffers = cdp.send("Runtime.getHeapUsage").get("backingStorageSize", 0)
    return (metrics["JSHeapUsedSize"] + buffers) / 1e6


def pan_frames(page) -> list[float]:
    """Per-frame ms while panning, each frame finished on the GPU."""
    return page.evaluate("""async (frames) => {
        const a = window.__cellucid.app; const out = [];
        for (let i = 0; i < frames; i++) {
          const t0 = performance.now(); const f0 = a.frames;
          a.camera.pan(6, 0); a.cameraTouched = true; a.invalidate();
          while (a.frames === f0) await new Promise((r) => requestAnimationFrame(r));
          a.renderer.finish();
          out.push(performance.now() - t0);
        }
        return out; }""", FRAMES)


def whole_view_lasso(page) -> float:
    """A rectangle 4 px inside the canvas with the real mouse; ``time.monotonic()`` at mouse-up."""
    box = page.locator("[data-testid=cellucid-canvas]").bounding_box()
    x0, y0 = box["x"] + 4, box["y"] + 4
    x1, y1 = box["x"] + box["width"] - 4, box["y"] + box["height"] - 4
    page.keyboard.press("l")
    page.mouse.move(x0, y0)
    page.mouse.down()
    for x, y in [(x1, y0), (x1, y1), (x0, y1)]:
        page.mouse.move(x, y, steps=3)
    t_up = time.monotonic()
    page.mouse.up()
    return t_up


def settle(page, tiled: bool) -> None:
    """Wait until every tile the view wants is drawn (a tiled page), and a frame later."""
    if not tiled:
        return
    page.wait_for_function("""() => { const c = window.__cellucid;
        return c.tiles().pending === 0 && c.app.frameScheduled === false; }""", timeout=600_000)


def ready_figures(kernel: dict, t0: float) -> dict:
    """``ready`` at Python from the page's load, and from the call that showed the data."""
    return {"python_ready_s": kernel["ready_t"] - t0,
            "show_s": kernel["shown_t"] - kernel["show_t"],
            "show_to_ready_s": kernel["ready_t"] - kernel["show_t"]}


def measure_page(browser, spec: dict) -> dict:
    """Every page figure of one configuration (see module docstring)."""
    kernel = Kernel(spec)
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    memory = []
    try:
        t0 = time.monotonic()
        page.goto(kernel.url)
        page.wait_for_selector("body[data-cellucid-ready='1']", state="attached",
                               timeout=900_000)
        out = {"first_frame_s": page.evaluate(
                   "performance.getEntriesByName('cellucid-first-frame')[0].startTime") / 1000,
               "ready_s": page.evaluate(
                   "performance.getEntriesByName('cellucid-ready')[0].startTime") / 1000,
               **ready_figures(kernel.ask("ready"), t0)}
        tiled = page.evaluate("document.body.dataset.cellucidTiled === '1'")
        if tiled:
            settle(page, tiled)
            out["refined_s"] = page.evaluate("performance.now()") / 1000
        memory.append(page_memory_mb(cdp))
        out["kernel_after_ready_mb"] = kernel.ask("memory")["peak_mb"]
        frames = pan_frames(page)
        out["pan_frame_s"] = statistics.median(frames) / 1000
        out["drawn"] = page.evaluate("window.__cellucid.app.tiled ? window.__cellucid.app.scene.n"
                                     " : window.__cellucid.app.n")
        memory.append(page_memory_mb(cdp))
        page.evaluate("window.__cellucid.app.resetCamera()")
        settle(page, tiled)
        out["color_s"] = kernel.ask(f"color {spec.get('gene', GENE)}")["color_s"]
        memory.append(page_memory_mb(cdp))
        out["kernel_after_color_mb"] = kernel.ask("memory")["peak_mb"]
        settle(page, tiled)   # the lasso is drawn on the finished view, as a user would
        lassos = []
        for _ in range(LASSOS):
            t_up = whole_view_lasso(page)
            got = kernel.ask("selection")
            lassos.append(got["selection_t"] - t_up)
            settle(page, tiled)
        out.update(first_lasso_s=lassos[0], lasso_s=statistics.median(lassos),
                   selected=got["selected"])
        memory.append(page_memory_mb(cdp))
        out["page_mb"] = max(memory)
        out.update(kernel.ask("memory"))
        out.update(kernel.ask("check"))
        out["tiled"] = tiled
        return out
    finally:
        context.close()
        kernel.close()


def run_configs(configs: list[dict]) -> list[dict]:
    """Measure each configuration in one Chromium (a small viewer loaded first, so start-up is
    not timed); returns the figures in order."""
    from playwright.sync_api import sync_playwright
    from tests.browser import CHROMIUM_ARGS, chromium_path
    results = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            for spec in configs:
                print(f"page: {spec['label']} ...", flush=True)
                results.append({**spec, **measure_page(browser, spec)})
                print(json.dumps(results[-1]), flush=True)
        finally:
            browser.close()
    return results


def page_configs(exports: dict, url_of, latency_ms: float, memory_n: int | None) -> list[dict]:
    """The configurations of one run: each export drawn by level of detail (the default point
    budget), the all-cells path (a budget of every cell) at the sizes up to 20M as the baseline,
    and an AnnData of ``memory_n`` cells built in the kernel's memory."""
    configs = []
    for n, export in exports.items():
        configs.append({"label": f"{n / 1e6:g}M", "source": "export", "url": url_of(export),
                        "n": n, "budget": DEFAULT_BUDGET, "latency_ms": latency_ms})
    for n, export in exports.items():
        if n <= 20_000_000:
            configs.append({"label": f"{n / 1e6:g}M all cells", "source": "export",
                            "url": url_of(export), "n": n, "budget": n,
                            "latency_ms": latency_ms})
    if memory_n:
        configs.append({"label": f"{memory_n / 1e6:g}M AnnData in memory", "source": "memory",
                        "n": memory_n, "budget": DEFAULT_BUDGET})
    return configs


def run_page(exports: dict, latency_ms: float, memory_n: int | None) -> list[dict]:
    """Serve the exports with ``latency_ms`` added to every request and measure every
    configuration (:func:`page_configs`)."""
    from tests.range_server import RangeServer
    roots = {Path(e).parent for e in exports.values()}
    assert len(roots) == 1, "the exports must share a directory"
    with RangeServer(roots.pop(), delay_s=latency_ms / 1000) as server:
        configs = page_configs(exports, lambda e: f"{server.url}/{Path(e).name}", latency_ms,
                               memory_n)
        return run_configs(configs)


TARGETS = {"first_frame_s": "≤ 3 s at 60M", "lasso_s": "≤ 2 s", "first_lasso_s": "≤ 2 s", "pan_frame_s": "≤ 500 ms",
           "page_mb": "≤ 500 MB", "peak_mb": "≤ 1.5 GB (export)",
           "show_to_ready_s": "≤ 10 s (AnnData in memory)"}
ROWS = [   # label, key, format, scale
    ("first frame (page clock, from navigation)", "first_frame_s", "{:,.2f} s", 1),
    ("ready (page clock)", "ready_s", "{:,.2f} s", 1),
    ("`ready` at Python, from the page's load", "python_ready_s", "{:,.2f} s", 1),
    ("`show_anndata` → `ready` at Python", "show_to_ready_s", "{:,.2f} s", 1),
    ("every tile of the first view drawn (page clock)", "refined_s", "{:,.2f} s", 1),
    ("pan frame at the budget, GPU included (median)", "pan_frame_s", "{:,.0f} ms", 1000),
    ("cells drawn then", "drawn", "{:,.0f}", 1),
    ("colour by a gene (Python call → drawn)", "color_s", "{:,.0f} ms", 1000),
    ("lasso round the whole view: mouse-up → Python hook, first", "first_lasso_s", "{:,.0f} ms",
     1000),
    (f"the same, median of {LASSOS}", "lasso_s", "{:,.0f} ms", 1000),
    ("cells the hook holds (every cell inside: checked)", "selected", "{:,.0f}", 1),
    ("kernel: peak resident memory", "peak_mb", "{:,.0f} MB", 1),
    ("page: JS heap + array buffers (largest sample)", "page_mb", "{:,.0f} MB", 1),
]


def report_page(results: list[dict], latency_ms: float) -> str:
    """The markdown of the page measurements: a column per configuration, then the ratios of
    the level-of-detail path to the all-cells path measured in the same run."""
    head = "| measurement | target | " + " | ".join(r["label"] for r in results) + " |\n" + \
        "|---|---|" + "---|" * len(results)
    lines = [head]
    for label, key, fmt, scale in ROWS:
        cells = []
        for r in results:
            value = r.get(key)
            if value is None:
                cells.append("—")
                continue
            text = fmt.format(value * scale)
            if key == "selected":
                text += " (exact)" if r.get("exact") else " (**not exact**)"
            if key == "peak_mb" and r["source"] == "memory":
                text = f"{(r['peak_mb'] - r['base_mb']):,.0f} MB beyond the AnnData"
            cells.append(text)
        lines.append(f"| {label} | {TARGETS.get(key, '')} | " + " | ".join(cells) + " |")
    ratios = []
    by_label = {r["label"]: r for r in results}
    for r in results:
        base = by_label.get(f"{r['label']} all cells")
        if base:
            parts = [f"{name} {r[key] / base[key]:.2f}" for name, key in
                     (("first frame", "first_frame_s"), ("ready", "ready_s"),
                      ("pan frame", "pan_frame_s"), ("lasso", "lasso_s"),
                      ("page memory", "page_mb"), ("kernel memory", "peak_mb"))]
            ratios.append(f"{r['label']}: " + ", ".join(parts))
    body = "\n".join(lines)
    if ratios:
        body += "\n\nLevel of detail / all cells, same run: " + "; ".join(ratios) + "."
    return body


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--kernel":
        sys.path.insert(0, str(HERE))
        kernel_main(json.loads(sys.argv[2]))
