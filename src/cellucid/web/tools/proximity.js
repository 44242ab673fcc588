// Proximity: press on a cell (or anywhere) and drag to set a radius; release selects the cells
// within that Euclidean distance (data units) of the centre, computed where the data lives.

import { modeFromModifiers } from "../selection.js";

export const defaults = {
  minRadiusPx: 3,
};

export class ProximityTool {
  constructor(ctx) {
    this.ctx = ctx;
    this.name = "proximity";
    this.key = "p";
    this.title = "Proximity (P): press, drag to set the radius; Shift adds, Alt subtracts";
    this.state = null;
  }

  begin(ev, p) {
    const { app } = this.ctx;
    const dims = app.embedding.dims;
    const seed = app.pick(p.x, p.y);
    let center, origin;
    if (seed >= 0) {
      const pos = app.position(seed);
      center = [pos.x, pos.y, pos.z].slice(0, dims);
      origin = app.screenOf(seed);
    } else {
      center = app.camera.unproject(p.x, p.y).slice(0, dims);
      origin = { x: p.x, y: p.y };
    }
    this.state = { seed, center, origin, radiusPx: 0, mode: modeFromModifiers(ev) };
    return true;
  }

  /** Radius in data units for a radius in screen pixels. */
  radiusFor(px) {
    return px / this.ctx.app.camera.pixelsPerUnit();
  }

  move(ev, p) {
    const s = this.state;
    if (!s) return;
    s.radiusPx = Math.hypot(p.x - s.origin.x, p.y - s.origin.y);
    this.ctx.sketch.circle(s.origin.x, s.origin.y, s.radiusPx, `r = ${formatNumber(this.radiusFor(s.radiusPx))}`);
  }

  async end(ev, p) {
    const s = this.state;
    this.state = null;
    this.ctx.sketch.clear();
    if (!s) return;
    s.radiusPx = Math.hypot(p.x - s.origin.x, p.y - s.origin.y);
    if (s.radiusPx < defaults.minRadiusPx) return;
    const radius = this.radiusFor(s.radiusPx);
    const { app } = this.ctx;
    try {
      // A page drawing a sample leaves the cells to the kernel, which holds them all.
      const cells = app.resolvesInKernel ? null : app.visibleOnly(await this.ctx.data.radius(app.embedding.name, s.center, radius));
      const extra = { center: s.center, radius, embedding: app.embedding.name };
      if (s.seed >= 0) extra.seed = s.seed;
      app.select(cells, { source: "proximity", mode: s.mode, extra });
    } catch (err) {
      this.ctx.toast(`Proximity: ${err.message}`);
    }
  }

  cancel() {
    this.state = null;
    this.ctx.sketch.clear();
  }
}

function formatNumber(v) {
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(3);
}
