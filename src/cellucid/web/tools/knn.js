// KNN: press on a cell and drag outwards; every `pxPerHop` pixels adds one graph hop over the
// dataset's KNN graph. Release selects the cells within that many hops of the seed.

import { modeFromModifiers } from "../selection.js";

export const defaults = {
  pxPerHop: 40,
  maxHops: 50,
};

/** Hops for a drag of `distPx` pixels: 1 on a press, one more per `pxPerHop`. */
export function hopsForDrag(distPx, pxPerHop = defaults.pxPerHop, maxHops = defaults.maxHops) {
  return Math.min(maxHops, 1 + Math.floor(Math.max(0, distPx) / pxPerHop));
}

export class KnnTool {
  constructor(ctx) {
    this.ctx = ctx;
    this.name = "knn";
    this.key = "k";
    this.title = "KNN (K): press on a cell, drag to grow graph hops; Shift adds, Alt subtracts";
    this.state = null;
    this.request = 0;
  }

  begin(ev, p) {
    const seed = this.ctx.app.pick(p.x, p.y);
    if (seed < 0) {
      this.ctx.toast("KNN: press on a cell, then drag to grow its neighbourhood");
      return false;
    }
    const origin = this.ctx.app.screenOf(seed);
    this.state = { seed, origin, hops: 1, mode: modeFromModifiers(ev) };
    this.preview();
    return true;
  }

  move(ev, p) {
    const s = this.state;
    if (!s) return;
    const hops = hopsForDrag(Math.hypot(p.x - s.origin.x, p.y - s.origin.y));
    this.ctx.sketch.label(s.origin.x, s.origin.y, `${hops} hop${hops === 1 ? "" : "s"}`, p);
    if (hops !== s.hops) {
      s.hops = hops;
      this.preview();
    }
  }

  async preview() {
    const s = this.state;
    const ticket = ++this.request;
    try {
      const { app, data } = this.ctx;
      const cells = app.resolvesInKernel ? await app.knnPreview(s.seed, s.hops) : (await data.knn(s.seed, s.hops)).cells;
      if (ticket === this.request && this.state) app.setPreview(cells);
    } catch (err) {
      this.ctx.toast(`KNN: ${err.message}`);
    }
  }

  async end() {
    const s = this.state;
    this.state = null;
    this.request++;
    this.ctx.sketch.clear();
    if (!s) return;
    try {
      const { app, data } = this.ctx;
      // A page drawing a sample leaves the cells to the kernel, which holds them all.
      const visible = app.resolvesInKernel ? null : app.visibleOnly((await data.knn(s.seed, s.hops)).cells);
      app.setPreview(null);
      app.select(visible, { source: "knn", mode: s.mode, extra: { seed: s.seed, hops: s.hops } });
    } catch (err) {
      this.ctx.app.setPreview(null);
      this.ctx.toast(`KNN: ${err.message}`);
    }
  }

  cancel() {
    this.state = null;
    this.request++;
    this.ctx.sketch.clear();
    this.ctx.app.setPreview(null);
  }
}
