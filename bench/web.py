"""Viewer web app benchmark, in one headless-Chromium run (SwiftShader WebGL unless a GPU is given).

Run ``python bench/web.py``; it writes the "web" section of ``bench/RESULTS.md``.

* Time to first frame (page clock, from navigation start, the frame finished on the GPU) and to
  ``ready`` (received by Python, from the moment the page is asked to load) at 100k and 1M cells.
* Frame time while panning (2D) and orbiting (3D) at 1M cells: the camera moves, a frame is
  requested and drawn, and a one-pixel read waits for the GPU; median over frames.
* Mouse-up → Python callback for a lasso around ~100k cells (real mouse through Playwright).
* The live loop at 1M cells: Python call → recoloured frame for a float array pushed from Python,
  as a ratio to colouring by a numeric obs column not yet shown (both fetched by the page and
  drawn before the call returns); ``set_embedding`` of a 1M-row array → its first frame.
* In JupyterLab 4, with the seed's blocking calls in running cells, over the notebook's comm
  (with and without kernel subshells) and over HTTP in the same run: bench/web_notebook.py,
  which ``python bench/web.py notebook`` runs alone.
* The same first-frame and pan frame-time figures for regl-scatterplot (npm, bench-only,
  bundled here with esbuild) drawing the same 1M points in a canvas of the same size, as the
  ratio ours / theirs.

Bench-only npm packages live in ``bench/web/node_modules`` (gitignored); this script runs
``npm install`` there when they are missing.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from results import write_section  # noqa: E402

WEB = HERE / "web"
CACHE = HERE / ".cache" / "web"
SIZES = [100_000, 1_000_000]
FRAMES = 12
LASSO_REPEATS = 5
LIVE_REPEATS = 5
VIEWPORT = {"width": 1000, "height": 650}
CHROMIUM_ARGS = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def blobs(n: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """``n`` 2D points in 12 Gaussian clusters, and their cluster labels."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(scale=8, size=(12, 2))
    labels = rng.integers(0, 12, size=n)
    return (centers[labels] + rng.normal(size=(n, 2))).astype(np.float32), labels.astype(np.uint8)


def make_adata(n: int, dims: int = 2):
    import anndata as ad
    import pandas as pd
    import scipy.sparse as sp

    coords, labels = blobs(n)
    adata = ad.AnnData(sp.csr_matrix((n, 4), dtype=np.float32))
    if dims == 3:
        z = np.random.default_rng(3).normal(size=(n, 1)).astype(np.float32) * 4
        adata.obsm["X_umap_3d"] = np.hstack([coords, z])
    else:
        adata.obsm["X_umap"] = coords
    adata.obs["cluster"] = pd.Categorical([f"c{i}" for i in labels])
    if n >= 1_000_000 and dims == 2:   # fresh numeric columns for the live-loop comparison
        rng = np.random.default_rng(5)
        for k in range(LIVE_REPEATS):
            adata.obs[f"score{k}"] = rng.random(n, dtype=np.float32)
    return adata


def ensure_regl_bundle() -> Path:
    """Install the bench-only npm packages if needed and bundle the regl-scatterplot page."""
    if not (WEB / "node_modules" / "regl-scatterplot").exists():
        subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=WEB, check=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    bundle = CACHE / "regl-bundle.js"
    subprocess.run([str(WEB / "node_modules" / ".bin" / "esbuild"), str(WEB / "regl-entry.js"),
                    "--bundle", "--format=iife", "--minify", f"--outfile={bundle}"],
                   cwd=WEB, check=True, capture_output=True)
    shutil.copy(WEB / "regl.html", CACHE / "regl.html")
    return CACHE


def serve_static(root: Path) -> str:
    """Serve ``root`` on loopback with the same server stack as cellucid (Starlette + uvicorn)."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.staticfiles import StaticFiles

    app = Starlette()
    app.mount("/", StaticFiles(directory=str(root)))
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning")
    server = uvicorn.Server(config)
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    return f"http://127.0.0.1:{port}"


def mark(page, name: str) -> float:
    return page.evaluate(f"performance.getEntriesByName('{name}')[0].startTime")


def our_frames(page, kind: str, frames: int = FRAMES) -> list[float]:
    """Per-frame ms for camera moves (pan in 2D, orbit in 3D), each frame finished on the GPU."""
    return page.evaluate("""async ([kind, frames]) => {
        const a = window.__cellucid.app; const out = [];
        for (let i = 0; i < frames; i++) {
          const t0 = performance.now(); const f0 = a.frames;
          if (kind === 'orbit') a.camera.rotate(6, 2); else a.camera.pan(6, 0);
          a.invalidate();
          while (a.frames === f0) await new Promise((r) => requestAnimationFrame(r));
          a.renderer.finish();
          out.push(performance.now() - t0);
        }
        return out; }""", [kind, frames])


def open_ours(page, viewer, ready_times: dict) -> dict:
    t0 = time.perf_counter()
    page.goto(viewer.viewer_url)
    page.wait_for_selector("body[data-cellucid-ready='1']", state="attached", timeout=300_000)
    viewer.wait_for_ready(timeout=300)
    return {"first_frame_ms": mark(page, "cellucid-first-frame"),
            "ready_ms": (ready_times["t"] - t0) * 1000}


def warm_up(browser) -> None:
    """Load a small viewer once so browser start-up and module loading are not timed."""
    import cellucid

    viewer = cellucid.show_anndata(make_adata(1000))
    page = browser.new_page(viewport=VIEWPORT)
    open_ours(page, viewer, {"t": time.perf_counter()})
    page.close()
    viewer.stop()


def bench_ours(browser, results: dict) -> None:
    import cellucid

    warm_up(browser)
    for n in SIZES:
        viewer = cellucid.show_anndata(make_adata(n))
        ready_times: dict = {}
        viewer.on_ready(lambda e: ready_times.setdefault("t", time.perf_counter()))
        page = browser.new_page(viewport=VIEWPORT)
        results[("ours", n)] = open_ours(page, viewer, ready_times)
        results[("ours", n)]["point_px"] = page.evaluate("window.__cellucid.pointSize()")
        results[("ours", n)]["canvas"] = page.evaluate(
            "(() => { const r = document.querySelector('#gl').getBoundingClientRect(); return [r.width, r.height]; })()")
        if n == 100_000:
            results[("ours", "lasso")] = lasso_latency(page, viewer)
        if n == 1_000_000:
            results[("ours", "live")] = live_loop(page, viewer)
            results["ours_page"], results["ours_viewer"] = page, viewer
            continue
        page.close()
        viewer.stop()
    viewer = cellucid.show_anndata(make_adata(1_000_000, dims=3))
    page = browser.new_page(viewport=VIEWPORT)
    open_ours(page, viewer, {"t": time.perf_counter()})
    results[("ours", "orbit")] = our_frames(page, "orbit")
    page.close()
    viewer.stop()


def lasso_whole_canvas(page, box: dict, clock) -> float:
    """Draw a lasso (a rectangle 4 px inside the canvas ``box``) with the real mouse; returns
    ``clock()`` just before the mouse-up."""
    x0, y0 = box["x"] + 4, box["y"] + 4
    x1, y1 = box["x"] + box["width"] - 4, box["y"] + box["height"] - 4
    page.mouse.move(x0, y0)
    page.mouse.down()
    for x, y in [(x1, y0), (x1, y1), (x0, y1)]:
        page.mouse.move(x, y, steps=3)
    t_up = clock()
    page.mouse.up()
    return t_up


def lasso_latency(page, viewer) -> list[float]:
    """Mouse-up → first line of the Python callback, ms, for a lasso around ~all 100k cells."""
    got = {}
    done = threading.Event()

    def on_selection(event):
        got["t"] = time.perf_counter()
        got["n"] = len(event["cells"])
        done.set()

    viewer.on_selection(on_selection)
    box = page.locator("[data-testid=cellucid-canvas]").bounding_box()
    page.keyboard.press("l")
    out = []
    for _ in range(LASSO_REPEATS):
        done.clear()
        t_up = lasso_whole_canvas(page, box, time.perf_counter)
        deadline = time.monotonic() + 60
        while not done.is_set() and time.monotonic() < deadline:
            page.wait_for_timeout(1)
        out.append((got["t"] - t_up) * 1000)
    out.append(got["n"])
    return out


def live_loop(page, viewer) -> dict:
    """Seconds from a Python call to its frame finished on the GPU (the call returns once the
    page drew and acknowledged; then the GPU is waited for): an obs column shown for the first
    time vs values pushed from Python (alternating, so both see the same load), and coordinates
    pushed from Python."""
    rng = np.random.default_rng(11)
    n = viewer.n_cells

    def timed(call) -> float:
        t0 = time.perf_counter()
        call()
        page.evaluate("window.__cellucid.app.renderer.finish()")
        return time.perf_counter() - t0

    obs, pushed, embedding = [], [], []
    for k in range(LIVE_REPEATS):
        obs.append(timed(lambda: viewer.set_color_by(f"score{k}")))
        values = rng.random(n, dtype=np.float32)
        pushed.append(timed(lambda: viewer.set_color_by(values, name="pyscore")))
    coords, _ = blobs(n, seed=3)
    for k in range(3):
        embedding.append(timed(lambda: viewer.set_embedding(coords * (k + 2), name="pushed")))
    viewer.set_embedding("X_umap")
    return {"obs": obs, "pushed": pushed, "embedding": embedding}


def bench_regl(browser, results: dict, point_px: float, canvas: list[float]) -> None:
    n = 1_000_000
    coords, labels = blobs(n)
    (CACHE / f"points-{n}.f32").write_bytes(coords.tobytes())
    (CACHE / f"labels-{n}.u8").write_bytes(labels.tobytes())
    base = serve_static(CACHE)
    page = browser.new_page(viewport=VIEWPORT)
    page.add_init_script(f"document.addEventListener('DOMContentLoaded', () => {{ const c = document.getElementById('canvas'); c.style.width = '{canvas[0]}px'; c.style.height = '{canvas[1]}px'; }});")
    page.goto(f"{base}/regl.html?n={n}&size={point_px}")
    page.wait_for_selector("body[data-ready='1'], body[data-error]", state="attached", timeout=300_000)
    err = page.evaluate("document.body.dataset.error")
    if err:
        raise RuntimeError(f"regl-scatterplot page failed: {err}")
    results[("regl", n)] = {"first_frame_ms": mark(page, "regl-first-frame")}
    # Pan frames alternate between the two pages, so both see the same machine load.
    ours = results.pop("ours_page")
    results[("ours", "pan")], results[("regl", "pan")] = [], []
    for _ in range(FRAMES):
        results[("ours", "pan")] += our_frames(ours, "pan", 1)
        results[("regl", "pan")] += page.evaluate("""async () => { const t0 = performance.now();
            await window.__bench.panFrame(6); return [performance.now() - t0]; }""")
    ours.close()
    results.pop("ours_viewer").stop()
    page.close()


def render(results: dict, renderer: str) -> str:
    med = statistics.median
    o100, o1m, r1m = results[("ours", 100_000)], results[("ours", 1_000_000)], results[("regl", 1_000_000)]
    pan, orbit, rpan = med(results[("ours", "pan")]), med(results[("ours", "orbit")]), med(results[("regl", "pan")])
    lasso = results[("ours", "lasso")]
    lasso_n, lasso_ms = lasso[-1], lasso[:-1]
    rows = [
        "| measurement | cellucid | regl-scatterplot | ours / theirs |",
        "|---|---|---|---|",
        f"| first frame, 100k cells | {o100['first_frame_ms']:.0f} ms | | |",
        f"| `ready` at Python, 100k cells | {o100['ready_ms']:.0f} ms | | |",
        f"| first frame, 1M cells | {o1m['first_frame_ms']:.0f} ms | {r1m['first_frame_ms']:.0f} ms | {o1m['first_frame_ms'] / r1m['first_frame_ms']:.2f} |",
        f"| `ready` at Python, 1M cells | {o1m['ready_ms']:.0f} ms | | |",
        f"| frame while panning (2D), 1M cells, median of {FRAMES} | {pan:.0f} ms | {rpan:.0f} ms | {pan / rpan:.2f} |",
        f"| frame while orbiting (3D), 1M cells, median of {FRAMES} | {orbit:.0f} ms | (2D only) | |",
        f"| mouse-up → Python callback, lasso of {lasso_n:,} cells (100k dataset), median of {len(lasso_ms)} | {med(lasso_ms):.0f} ms | | |",
    ]
    live = results[("ours", "live")]
    obs_ms, pushed_ms = med(live["obs"]) * 1000, med(live["pushed"]) * 1000
    rows += [
        "",
        "| live loop, 1M cells | time | baseline in the same run | ratio (target ≤ 1.5) |",
        "|---|---|---|---|",
        f"| `set_color_by(float32 array)` → recoloured frame, median of {len(live['pushed'])} | "
        f"{pushed_ms:.0f} ms | `set_color_by(obs column)` {obs_ms:.0f} ms | {pushed_ms / obs_ms:.2f} |",
        f"| `set_embedding((1M, 2) array)` → first frame, median of {len(live['embedding'])} | "
        f"{med(live['embedding']) * 1000:.0f} ms | | |",
    ]
    notes = (
        f"\nWebGL renderer: `{renderer}`. Both draw the same 1M points (12 Gaussian clusters, "
        f"coloured by cluster) at the same point size ({o1m['point_px']:.2f} CSS px) in a "
        f"{o1m['canvas'][0]:.0f}×{o1m['canvas'][1]:.0f} canvas at devicePixelRatio 1; every "
        "frame time includes the GPU (a one-pixel read after the frame). First frame is measured "
        "on the page clock from navigation start and includes fetching the data (cellucid: from "
        "its own server; regl-scatterplot: the same float32 points from a Starlette static server). "
        "cellucid's first frame is drawn with the colours and finished on the GPU before `ready` "
        "is posted; `ready` is timed in Python from the moment the page is asked to load until "
        "the `ready` callback runs. The browser loaded one small viewer first, so start-up is not timed. "
        "Live-loop calls are timed in Python from the call until the frame is finished on the GPU "
        "(the call returns once the page fetched the values — binary, from the viewer's own "
        "routes — drew them and acknowledged); each obs column is one the page has not shown "
        "before, each pushed array holds new values. "
        "On SwiftShader (a CPU rasteriser on this 2-core machine) absolute times "
        "are far above a real GPU's; the ratio is the comparable figure. The viewer in "
        "JupyterLab (comm vs HTTP) has a section of its own (bench/web_notebook.py).\n"
    )
    return "\n".join(rows) + "\n" + notes


def main() -> None:
    """``python bench/web.py``: everything; ``python bench/web.py notebook``: only the viewer
    in JupyterLab (bench/web_notebook.py), which writes its own section."""
    from playwright.sync_api import sync_playwright

    import web_notebook

    if sys.argv[1:] == ["notebook"]:
        web_notebook.main()
        return
    ensure_regl_bundle()
    exe = os.environ.get("CELLUCID_CHROMIUM", "/usr/bin/chromium")
    results: dict = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        bench_ours(browser, results)
        o1m = results[("ours", 1_000_000)]
        bench_regl(browser, results, o1m["point_px"], o1m["canvas"])
        page = browser.new_page()
        renderer = page.evaluate("""(() => { const gl = document.createElement('canvas').getContext('webgl2');
            const ext = gl.getExtension('WEBGL_debug_renderer_info');
            return ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER); })()""")
        page.close()
        browser.close()
    body = render(results, renderer)
    print(body)
    write_section("web", "Viewer web app in headless Chromium (bench/web.py)", body)
    web_notebook.main()


if __name__ == "__main__":
    main()
