// The per-cell values cache: obs columns (the dataset's and Python-pushed ones) and embeddings,
// keyed by (kind, name, version). Re-colouring by an unchanged column reuses its values; a new
// version fetches again. Bounded (least recently used out first): at 1M cells one entry is
// 2–12 MB, so a handful of entries is the memory budget.

export const defaults = {
  maxEntries: 8,
};

/** The cache key of `name` at `version` among the entries of `kind` ("obs", "embedding"). */
export function cacheKey(kind, name, version) {
  return JSON.stringify([kind, name, version]);
}

/** A bounded LRU cache of fetched per-cell arrays; concurrent requests for one key share a fetch. */
export class ValueCache {
  constructor({ maxEntries = defaults.maxEntries } = {}) {
    this.maxEntries = maxEntries;
    // Insertion order is recency order: a hit moves its key to the end.
    this.entries = new Map();
    this.hits = 0;
    this.fetches = 0;
  }

  /**
   * The values of (kind, name, version): cached, else `load()` (→ Promise of the values). A
   * failed load is not kept. Storing a version drops the other versions of the same name: the
   * server only ever serves the current one.
   */
  get(kind, name, version, load) {
    const key = cacheKey(kind, name, version);
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      this.hits += 1;
      return hit.promise;
    }
    this.fetches += 1;
    const promise = Promise.resolve().then(load);
    const entry = { kind, name, version, promise };
    for (const [k, e] of this.entries) if (e.kind === kind && e.name === name) this.entries.delete(k);
    this.entries.set(key, entry);
    promise.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value);
    return promise;
  }

  /** Whether (kind, name, version) is cached (or being fetched). */
  has(kind, name, version) {
    return this.entries.has(cacheKey(kind, name, version));
  }

  /** For tests and diagnostics: the cached entries (least recent first), hits and fetches. */
  stats() {
    return {
      entries: [...this.entries.values()].map((e) => ({ kind: e.kind, name: e.name, version: e.version })),
      hits: this.hits,
      fetches: this.fetches,
    };
  }
}
