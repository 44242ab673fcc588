// Kernel density estimates for the violins of the gene plots: a Gaussian kernel over a value
// sample, with the rule-of-thumb bandwidth R's `bw.nrd0` uses.

export const defaults = {
  points: 40,
};

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** The finite numbers of `values`, sorted ascending (a new Float64Array). */
export function finiteSorted(values) {
  const out = [];
  for (const v of values ?? []) if (v !== null && Number.isFinite(Number(v))) out.push(Number(v));
  return Float64Array.from(out).sort();
}

/** Quantile `q` (0–1) of an ascending sample, interpolating linearly (R's type 7). */
export function quantileSorted(sorted, q) {
  if (!sorted.length) return NaN;
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at), hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/**
 * Silverman's rule-of-thumb bandwidth of `values` (as R's `bw.nrd0`):
 * 0.9 · min(sd, IQR / 1.34) · n^(−1/5), falling back to sd, then |x₀|, then 1 when that is 0
 * (expression samples often have an IQR of 0: most cells at zero).
 */
export function silvermanBandwidth(values) {
  const xs = finiteSorted(values);
  const n = xs.length;
  if (n === 0) return 1;
  let mean = 0;
  for (const x of xs) mean += x;
  mean /= n;
  let ss = 0;
  for (const x of xs) ss += (x - mean) ** 2;
  const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  const iqr = quantileSorted(xs, 0.75) - quantileSorted(xs, 0.25);
  const lo = Math.min(sd, iqr / 1.34) || sd || Math.abs(xs[0]) || 1;
  return 0.9 * lo * n ** -0.2;
}

/**
 * The Gaussian kernel density of `values` at `points` evenly spaced positions from `lo` to `hi`
 * (default: the sample's minimum and maximum): `[{value, density}]`, densities integrating to 1
 * over the whole line. `bandwidth` defaults to `silvermanBandwidth`. An empty sample gives `[]`;
 * `lo === hi` gives one point.
 */
export function kde(values, { points = defaults.points, lo, hi, bandwidth } = {}) {
  const xs = finiteSorted(values);
  const n = xs.length;
  if (!n) return [];
  const a = lo ?? xs[0], b = hi ?? xs[n - 1];
  const h = bandwidth > 0 ? bandwidth : silvermanBandwidth(xs);
  const steps = a === b ? 1 : Math.max(2, points);
  const out = [];
  for (let k = 0; k < steps; k++) {
    const at = steps === 1 ? a : a + ((b - a) * k) / (steps - 1);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const u = (at - xs[i]) / h;
      sum += Math.exp(-0.5 * u * u);
    }
    out.push({ value: at, density: (sum * INV_SQRT_2PI) / (n * h) });
  }
  return out;
}

/**
 * The outline of one violin: its sample's density from the violin's `min` to `max` (the sample's
 * own range when those are missing), scaled so the widest point has half-width 1:
 * `[{value, width}]`. No finite value gives `[]`.
 */
export function violinShape(violin, { points = defaults.points } = {}) {
  const xs = finiteSorted(violin.values);
  if (!xs.length) return [];
  const lo = Number.isFinite(violin.min) ? Math.min(violin.min, xs[0]) : xs[0];
  const hi = Number.isFinite(violin.max) ? Math.max(violin.max, xs[xs.length - 1]) : xs[xs.length - 1];
  const curve = kde(xs, { points, lo, hi });
  let peak = 0;
  for (const p of curve) peak = Math.max(peak, p.density);
  return curve.map((p) => ({ value: p.value, width: peak > 0 ? p.density / peak : 0 }));
}
