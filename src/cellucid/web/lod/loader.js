// Loading tile data: for a column (positions of an embedding, obs rows, colour values, a set's
// bits) and a list of tiles, the tiles not cached yet are fetched a few requests at a time,
// consecutive tiles together, each reply cut per tile into the cache. A tile whose request
// failed is not asked for again for a while (the error is kept and given to whoever asks).

import { splitTiles } from "./client.js";

export const defaults = {
  maxInFlight: 3,
  maxCells: 262_144,
  retryMs: 15_000,
};

/**
 * A column is {key, fetch(tiles) → Promise<{array, meta?}>, size(t) → elements of tile t,
 * onMeta?(meta)}: `key` names what it holds (the cache keys are `${key}|${tile}`).
 */
export class TileLoader {
  /** @param {object} o cache (a TileCache), counts (cells per tile), now, options. */
  constructor({ cache, counts, now = () => Date.now(), options = {} }) {
    this.cache = cache;
    this.counts = counts;
    this.now = now;
    this.options = { ...defaults, ...options };
    this.pending = new Map();   // cache key → promise of its request
    this.failed = new Map();    // cache key → {at, error}
    this.inFlight = 0;
    this.waiting = [];
    this.requests = 0;
  }

  key(column, t) {
    return `${column.key}|${t}`;
  }

  has(column, t) {
    return this.cache.has(this.key(column, t));
  }

  get(column, t) {
    return this.cache.get(this.key(column, t));
  }

  /** Whether `column` of tile `t` is being fetched. */
  loading(column, t) {
    return this.pending.has(this.key(column, t));
  }

  /**
   * Load `column` for `tiles`: resolves once each is cached, rejects with the first error (a
   * tile that failed lately rejects at once with its error).
   */
  ensure(column, tiles) {
    const waits = [];
    const todo = [];
    for (const t of tiles) {
      const k = this.key(column, t);
      if (this.cache.has(k)) continue;
      const pending = this.pending.get(k);
      if (pending) { waits.push(pending); continue; }
      const failure = this.failed.get(k);
      if (failure && this.now() - failure.at < this.options.retryMs) return Promise.reject(failure.error);
      todo.push(t);
    }
    todo.sort((a, b) => a - b);
    for (const chunk of this.chunks(todo)) waits.push(this.request(column, chunk));
    return Promise.all(waits).then(() => undefined);
  }

  /** `tiles` (ascending) cut into requests of at most `maxCells` cells (a larger tile alone). */
  chunks(tiles) {
    const out = [];
    let chunk = [], cells = 0;
    for (const t of tiles) {
      const n = this.counts[t];
      if (chunk.length && cells + n > this.options.maxCells) { out.push(chunk); chunk = []; cells = 0; }
      chunk.push(t);
      cells += n;
    }
    if (chunk.length) out.push(chunk);
    return out;
  }

  request(column, tiles) {
    const keys = tiles.map((t) => this.key(column, t));
    const run = async () => {
      await this.slot();
      try {
        this.requests += 1;
        const { array, meta } = await column.fetch(tiles);
        const parts = splitTiles(array, tiles, (t) => column.size(t));
        for (const [t, part] of parts) this.cache.set(this.key(column, t), part);
        if (meta && column.onMeta) column.onMeta(meta);
        for (const k of keys) this.failed.delete(k);
      } catch (error) {
        for (const k of keys) this.failed.set(k, { at: this.now(), error });
        throw error;
      } finally {
        this.release();
        for (const k of keys) this.pending.delete(k);
      }
    };
    const promise = run();
    for (const k of keys) this.pending.set(k, promise);
    return promise;
  }

  /** Cache a reply holding `column` for `tiles` (ascending), fetched by someone else. */
  store(column, tiles, array) {
    for (const [t, part] of splitTiles(array, tiles, (u) => column.size(u))) this.cache.set(this.key(column, t), part);
  }

  slot() {
    if (this.inFlight < this.options.maxInFlight) {
      this.inFlight += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  release() {
    const next = this.waiting.shift();
    if (next) next();
    else this.inFlight -= 1;
  }

  /** Forget the failures (after the user asked again, or the data changed). */
  forgive() {
    this.failed.clear();
  }
}
