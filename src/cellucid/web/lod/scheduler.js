// The tile scheduler of a tiled view: after each change of the view (or of the budget, or when
// tiles arrive) it plans the tiles wanted, draws those whose data are all cached, and fetches the
// data the others lack, coarse levels first, a bounded number of cells at a time.

export const defaults = {
  tickMs: 50,
  batchCells: 524_288,
};

function sameTiles(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class Scheduler {
  /**
   * @param {object} o app (plan(), requiredColumns(), showTiles(tiles), problem(error)),
   *   loader (a TileLoader), counts (cells per tile), setTimeout, options.
   */
  constructor({ app, loader, counts, setTimeout: later = (fn, ms) => setTimeout(fn, ms), options = {} }) {
    this.app = app;
    this.loader = loader;
    this.counts = counts;
    this.later = later;
    this.options = { ...defaults, ...options };
    this.timer = null;
    this.wanted = [];
    this.drawable = [];
    this.pending = 1;   // unknown until the first plan
    this.listeners = new Set();
  }

  /** Plan again soon (coalesced: at most one plan per `tickMs`). */
  request() {
    if (this.timer !== null) return;
    this.timer = this.later(() => { this.timer = null; this.tick(); }, this.options.tickMs);
  }

  /** `fn(pending)` after each plan: tiles wanted and not drawn yet. */
  onProgress(fn) {
    this.listeners.add(fn);
  }

  /** Plan now: draw what is ready, fetch what is missing. */
  tick() {
    const plan = this.app.plan();
    if (!plan) return;
    const columns = this.app.requiredColumns();
    const ready = (t) => columns.every((c) => this.loader.has(c, t));
    const drawable = plan.tiles.filter(ready);
    this.wanted = plan.tiles;
    if (!sameTiles(drawable, this.drawable)) {
      this.drawable = drawable;
      this.app.showTiles(drawable);
    }
    this.fetchMissing(plan.tiles, columns);
    this.pending = plan.tiles.length - drawable.length;
    for (const fn of this.listeners) fn(this.pending);
  }

  /** Start fetching what the first tiles wanted lack (up to `batchCells` cells' worth). */
  fetchMissing(tiles, columns) {
    const loader = this.loader;
    const missing = (c, t) => !loader.has(c, t) && !loader.loading(c, t);
    const batch = [];
    let cells = 0;
    for (const t of tiles) {
      if (cells >= this.options.batchCells) break;
      if (columns.some((c) => missing(c, t))) {
        batch.push(t);
        cells += this.counts[t];
      }
    }
    for (const column of columns) {
      const need = batch.filter((t) => missing(column, t));
      if (!need.length) continue;
      loader.ensure(column, need).then(() => this.request(), (err) => this.app.problem(err));
    }
  }

  /** Forget the tiles drawn (the next plan draws again, e.g. after the columns changed). */
  reset() {
    this.drawable = [];
  }
}
