// Lasso: draw a free-hand loop; the cells inside it are selected. The polygon sent to Python is
// simplified (Douglas–Peucker in screen px, ≤ 1000 vertices) and given in data coordinates.

import { pointInPolygon, polygonBounds, simplifyLasso } from "../geometry.js";
import { modeFromModifiers } from "../selection.js";

export const defaults = {
  minStepPx: 1.5,
  minVertices: 3,
};

/**
 * Sorted cells whose (x, y) in `positions` (n×3) lies inside `polygon` ([[x, y], ...], the same
 * space), skipping cells whose flag has any of `skipBits`.
 */
export function cellsInPolygon(positions, flags, skipBits, polygon) {
  const [x0, y0, x1, y1] = polygonBounds(polygon);
  const n = positions.length / 3;
  const hits = [];
  for (let i = 0; i < n; i++) {
    if (flags[i] & skipBits) continue;
    const x = positions[i * 3], y = positions[i * 3 + 1];
    if (x < x0 || x > x1 || y < y0 || y > y1) continue;
    if (pointInPolygon(x, y, polygon)) hits.push(i);
  }
  return Uint32Array.from(hits);
}

/** Sorted cells whose screen projection under `camera` lies inside the screen polygon (3D). */
export function cellsInScreenPolygon(positions, flags, skipBits, camera, polygon) {
  const [x0, y0, x1, y1] = polygonBounds(polygon);
  const m = camera.viewProjection();
  const w = camera.width, h = camera.height;
  const n = positions.length / 3;
  const hits = [];
  for (let i = 0; i < n; i++) {
    if (flags[i] & skipBits) continue;
    const px = positions[i * 3], py = positions[i * 3 + 1], pz = positions[i * 3 + 2];
    const cw = m[3] * px + m[7] * py + m[11] * pz + m[15];
    if (cw <= 0) continue;
    const sx = (((m[0] * px + m[4] * py + m[8] * pz + m[12]) / cw + 1) / 2) * w;
    const sy = ((1 - (m[1] * px + m[5] * py + m[9] * pz + m[13]) / cw) / 2) * h;
    if (sx < x0 || sx > x1 || sy < y0 || sy > y1) continue;
    if (pointInPolygon(sx, sy, polygon)) hits.push(i);
  }
  return Uint32Array.from(hits);
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
    const cells = e.dims === 3
      ? cellsInScreenPolygon(e.positions, app.flags, skip, app.camera, screen)
      : cellsInPolygon(e.positions, app.flags, skip, polygon);
    app.select(cells, { source: "lasso", mode: this.mode, extra: { polygon, embedding: e.name } });
  }

  cancel() {
    this.points = null;
    this.ctx.sketch.clear();
  }
}
