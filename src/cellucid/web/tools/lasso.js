// Lasso: draw a free-hand loop; the cells inside it are selected. The polygon sent to Python is
// simplified (Douglas–Peucker in screen px, ≤ 1000 vertices) and given in data coordinates.

import { clipToScreen, toClip } from "../camera.js";
import { pointInPolygon, polygonBounds, simplifyLasso } from "../geometry.js";
import { modeFromModifiers } from "../selection.js";

export const defaults = {
  minStepPx: 1.5,
  minVertices: 3,
};

/**
 * Sorted cells of `n` (skipping those whose flag has any of `skipBits`) whose point, written by
 * `place(i, out)` into `out` {x, y} (false: no point), lies inside `polygon`.
 */
function cellsInside(n, flags, skipBits, polygon, place) {
  const [x0, y0, x1, y1] = polygonBounds(polygon);
  const p = { x: 0, y: 0 };
  const hits = [];
  for (let i = 0; i < n; i++) {
    if (flags[i] & skipBits) continue;
    if (!place(i, p)) continue;
    if (p.x < x0 || p.x > x1 || p.y < y0 || p.y > y1) continue;
    if (pointInPolygon(p.x, p.y, polygon)) hits.push(i);
  }
  return Uint32Array.from(hits);
}

/**
 * Sorted cells whose (x, y) in `positions` (n×3) lies inside `polygon` ([[x, y], ...], the same
 * space), skipping cells whose flag has any of `skipBits`.
 */
export function cellsInPolygon(positions, flags, skipBits, polygon) {
  return cellsInside(positions.length / 3, flags, skipBits, polygon, (i, out) => {
    out.x = positions[i * 3];
    out.y = positions[i * 3 + 1];
    return true;
  });
}

/** Sorted cells whose screen projection under `camera` lies inside the screen polygon (3D). */
export function cellsInScreenPolygon(positions, flags, skipBits, camera, polygon) {
  const m = camera.viewProjection();
  const c = [0, 0, 0, 0];
  return cellsInside(positions.length / 3, flags, skipBits, polygon, (i, out) => {
    toClip(m, positions[i * 3], positions[i * 3 + 1], positions[i * 3 + 2], c);
    if (c[3] <= 0) return false;
    clipToScreen(c, camera.width, camera.height, out);
    return true;
  });
}

/** A 3D lasso as the kernel resolves it: the screen outline and the camera that drew it. */
export function screenOutline(camera, screen) {
  return { polygon: screen, viewProjection: Array.from(camera.viewProjection()), width: camera.width, height: camera.height };
}

export class LassoTool {
  constructor(ctx) {
    this.ctx = ctx;
    this.name = "lasso";
    this.key = "l";
    this.title = "Lasso (L): draw around cells; Shift adds, Alt subtracts";
    this.points = null;
  }

  begin(ev, p) {
    this.points = [[p.x, p.y]];
    this.mode = modeFromModifiers(ev);
    return true;
  }

  move(ev, p) {
    const last = this.points[this.points.length - 1];
    if (Math.hypot(p.x - last[0], p.y - last[1]) < defaults.minStepPx) return;
    this.points.push([p.x, p.y]);
    this.ctx.sketch.path(this.points, true);
  }

  end(ev, p) {
    const pts = this.points;
    this.points = null;
    this.ctx.sketch.clear();
    if (!pts) return;
    pts.push([p.x, p.y]);
    const screen = simplifyLasso(pts);
    if (screen.length < defaults.minVertices) return;
    const { app } = this.ctx;
    const e = app.embedding;
    const skip = this.ctx.skipBits;
    const polygon = screen.map(([x, y]) => {
      const d = app.camera.unproject(x, y);
      return e.dims === 3 ? d : [d[0], d[1]];
    });
    const extra = { polygon, embedding: e.name };
    if (app.resolvesInKernel) {
      // The page draws a sample: the kernel finds every cell inside (in 3D: by the camera).
      if (e.dims === 3) extra.screen = screenOutline(app.camera, screen);
      app.select(null, { source: "lasso", mode: this.mode, extra });
      return;
    }
    const cells = e.dims === 3
      ? cellsInScreenPolygon(e.positions, app.flags, skip, app.camera, screen)
      : cellsInPolygon(e.positions, app.flags, skip, polygon);
    app.select(cells, { source: "lasso", mode: this.mode, extra });
  }

  cancel() {
    this.points = null;
    this.ctx.sketch.clear();
  }
}
