// The dataset API client (docs/protocol.md, "Dataset API"): manifest, embeddings, obs columns,
// genes, gene search, neighbourhood queries, comparisons and gene plots. Per-cell payloads are
// little-endian typed arrays.

import { authQuery } from "./auth.js";
import { FLAG_INVALID } from "./constants.js";
import { fetcher, replyMessage } from "./http.js";

export const defaults = {
  geneSearchLimit: 20,
  jitterFraction: 0.12,
};

const dtypes = { float32: Float32Array, uint16: Uint16Array, uint32: Uint32Array, uint8: Uint8Array, int32: Int32Array };

/** An Error carrying the server's JSON message and the HTTP status. */
export class DataError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The client of the dataset API for one viewer. */
export class DataClient {
  /** @param {object} opts viewerId, viewerToken; optional fetch. */
  constructor(opts) {
    this.auth = authQuery(opts);
    this.fetch = fetcher(opts.fetch);
  }

  url(path, params = {}) {
    const q = Object.entries(params).map(([k, v]) => `&${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("");
    return `_cellucid/${path}?${this.auth}${q}`;
  }

  async get(path, params) {
    const res = await this.fetch(this.url(path, params), { cache: "no-store" });
    if (!res.ok) throw new DataError(res.status, await replyMessage(res, `HTTP ${res.status} for ${path}`));
    return res;
  }

  async json(path, params) {
    return (await this.get(path, params)).json();
  }

  /** A typed array from a binary endpoint, with its response headers. */
  async array(path, params) {
    const res = await this.get(path, params);
    const buf = await res.arrayBuffer();
    const dtype = res.headers.get("X-Cellucid-Dtype") || "float32";
    const Ctor = dtypes[dtype];
    if (!Ctor) throw new DataError(0, `unknown dtype ${dtype} from ${path}`);
    return { array: new Ctor(buf), headers: res.headers };
  }

  info() { return this.json("info"); }
  manifest() { return this.json("data/manifest"); }

  /** Coordinates of embedding `name`; `version` (the manifest's) only keys caches on the way. */
  async embedding(name, version) { return (await this.array("data/embedding", withVersion({ name }, version))).array; }
  /** Values of obs column (or Python-pushed column) `name`; `version` as for `embedding`. */
  async obs(name, version) { return (await this.array("data/obs", withVersion({ name }, version))).array; }

  /** Values of gene `name` in matrix `layer` (`X`, a layer, `.raw`; default: the default layer). */
  async gene(name, layer) {
    const { array, headers } = await this.array("data/gene", layer ? { name, layer } : { name });
    const min = Number(headers.get("X-Cellucid-Min")), max = Number(headers.get("X-Cellucid-Max"));
    return { values: array, min: headers.get("X-Cellucid-Min") === null ? undefined : min, max: headers.get("X-Cellucid-Max") === null ? undefined : max };
  }

  async searchGenes(q, limit = defaults.geneSearchLimit) {
    return this.json("data/genes", { q, limit });
  }

  /** A comparison computed by Python (`compare_request`, `viewer.compare`): its ranked genes. */
  async comparison(id) { return this.json("data/comparison", { id }); }
  /** The data of a gene plot (`plot_genes_request`, `viewer.plot_genes`): dot and violin summaries. */
  async genePlot(id) { return this.json("data/geneplot", { id }); }

  async knn(seed, hops) {
    const { array, headers } = await this.array("data/knn", { seed, hops });
    return { cells: Uint32Array.from(array), hopsReached: Number(headers.get("X-Cellucid-Hops-Reached") ?? hops) };
  }

  async radius(embedding, center, r) {
    const params = { embedding, r };
    ["x", "y", "z"].slice(0, center.length).forEach((k, i) => { params[k] = center[i]; });
    return Uint32Array.from((await this.array("data/radius", params)).array);
  }
}

function withVersion(params, version) {
  if (version !== undefined && version !== null) params.version = version;
  return params;
}

/** A deterministic number in [0, 1) for cell `i`: the 1D jitter (the kernel repeats it: `session/tiled_view.py`). */
export function hash01(i) {
  let h = (i + 0x9e3779b9) | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/**
 * GPU positions (n×3) for an embedding of `dims` columns: 1D gets a deterministic vertical jitter
 * so points spread into a band; NaN/inf rows are flagged invalid and parked at the origin.
 * Returns {positions, invalid (Uint8Array flags), min, max} with bounds over valid rows.
 */
export function toPositions(coords, dims) {
  const n = Math.floor(coords.length / dims);
  const positions = new Float32Array(n * 3);
  const flags = new Uint8Array(n);
  const min = [Infinity, Infinity, Infinity], max = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < n; i++) {
    let ok = true;
    for (let d = 0; d < dims; d++) if (!Number.isFinite(coords[i * dims + d])) ok = false;
    if (!ok) { flags[i] = FLAG_INVALID; continue; }
    for (let d = 0; d < dims; d++) {
      const v = coords[i * dims + d];
      positions[i * 3 + d] = v;
      if (v < min[d]) min[d] = v;
      if (v > max[d]) max[d] = v;
    }
  }
  const used = dims === 1 ? 2 : dims;
  if (dims === 1) {
    const span = (max[0] - min[0]) || 1;
    const half = span * defaults.jitterFraction;
    for (let i = 0; i < n; i++) if (!flags[i]) positions[i * 3 + 1] = (hash01(i) * 2 - 1) * half;
    min[1] = -half; max[1] = half;
  }
  for (let d = 0; d < 3; d++) if (!Number.isFinite(min[d])) { min[d] = 0; max[d] = d < used ? 1 : 0; }
  return { positions, invalid: flags, min: min.slice(0, Math.max(2, used)), max: max.slice(0, Math.max(2, used)) };
}
