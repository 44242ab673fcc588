// Bench page for the comparison renderer: regl-scatterplot draws the same points as cellucid.
// Bundled by bench/web.py with esbuild (bench-only); never part of the package.
import createScatterplot from "regl-scatterplot";

const palette = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
  "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#aec7e8", "#ffbb78",
];

async function main() {
  const params = new URLSearchParams(location.search);
  const n = Number(params.get("n"));
  const size = Number(params.get("size") || 2);
  const canvas = document.getElementById("canvas");
  const [coords, cats] = await Promise.all([
    fetch(`points-${n}.f32`).then((r) => r.arrayBuffer()).then((b) => new Float32Array(b)),
    fetch(`labels-${n}.u8`).then((r) => r.arrayBuffer()).then((b) => new Uint8Array(b)),
  ]);
  // Normalise to [-1, 1] (regl-scatterplot's data space), keeping the aspect ratio.
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = coords[2 * i], y = coords[2 * i + 1];
    if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
  }
  const s = 2 / Math.max(x1 - x0, y1 - y0) * 0.94, cx = (x0 + x1) / 2, cy = (y0 + y1) / 2;
  const xs = new Float32Array(n), ys = new Float32Array(n), zs = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    xs[i] = (coords[2 * i] - cx) * s;
    ys[i] = (coords[2 * i + 1] - cy) * s;
    zs[i] = cats[i];
  }
  const { width, height } = canvas.getBoundingClientRect();
  const sp = createScatterplot({ canvas, width, height, pointSize: size, pointColor: palette, colorBy: "valueA", performanceMode: false });
  await sp.draw({ x: xs, y: ys, valueA: zs });
  // regl-scatterplot renders in its own shared WebGL canvas, then copies into ours with a 2D
  // context: wait for both (a one-pixel read of each).
  const gl = sp.get("renderer").regl._gl;
  const ctx2d = canvas.getContext("2d");
  const finish = () => {
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, new Uint8Array(4));
    ctx2d.getImageData(0, 0, 1, 1);
  };
  finish();
  performance.mark("regl-first-frame");
  window.__bench = {
    sp,
    /** Pan by dx px and wait until that frame is drawn and finished on the GPU. */
    async panFrame(dx) {
      const drawn = new Promise((resolve) => sp.subscribe("draw", resolve, 1));
      const camera = sp.get("camera");
      camera.pan([(dx / width) * 2, 0]);
      sp.redraw();
      await drawn;
      finish();
    },
  };
  document.body.dataset.ready = "1";
}

main().catch((err) => { document.body.dataset.error = String(err && err.stack || err); });
