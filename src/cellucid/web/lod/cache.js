// The tile cache: typed arrays of tile data by key, least recently used out first once their
// bytes pass a cap. Keys held by the tiles drawn now are pinned (never evicted).

export const defaults = {
  maxBytes: 192 * 1024 * 1024,
};

export class TileCache {
  constructor({ maxBytes = defaults.maxBytes } = {}) {
    this.maxBytes = maxBytes;
    // Insertion order is recency order: a hit moves its key to the end.
    this.entries = new Map();
    this.bytes = 0;
    this.pinned = new Set();
    this.evicted = 0;
  }

  has(key) {
    return this.entries.has(key);
  }

  /** The value of `key` (touched: most recently used), or undefined. */
  get(key) {
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key);
    this.entries.set(key, e);
    return e.value;
  }

  /** Keep `value` (a typed array) under `key`, then evict down to the cap. */
  set(key, value, bytes = value.byteLength) {
    const old = this.entries.get(key);
    if (old) { this.bytes -= old.bytes; this.entries.delete(key); }
    this.entries.set(key, { value, bytes });
    this.bytes += bytes;
    this.evict();
  }

  /** Pin exactly `keys` (a Set): they are never evicted. */
  pin(keys) {
    this.pinned = keys;
    this.evict();
  }

  evict() {
    if (this.bytes <= this.maxBytes) return;
    for (const [key, e] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      if (this.pinned.has(key)) continue;
      this.entries.delete(key);
      this.bytes -= e.bytes;
      this.evicted += 1;
    }
  }

  /** Forget every key for which `test(key)` is true. */
  drop(test) {
    for (const [key, e] of this.entries) {
      if (test(key)) { this.entries.delete(key); this.bytes -= e.bytes; }
    }
  }

  stats() {
    return { entries: this.entries.size, bytes: this.bytes, maxBytes: this.maxBytes, evicted: this.evicted };
  }
}
