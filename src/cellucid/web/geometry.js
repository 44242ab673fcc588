// Pure 2D geometry for the selection tools: polygon tests and simplification.
// No DOM, no WebGL: importable by `node --test`.

export const defaults = {
  maxPolygonVertices: 1000,
  initialTolerancePx: 0.5,
};

/** True when (x, y) lies inside `poly` ([[x, y], ...]) by the even-odd (crossing) rule. */
export function pointInPolygon(x, y, poly) {
  let inside = false;
  const n = poly.length;
  for (let i = 0, j = n - 1; i < n; j = i++) {
    const xi = poly[i][0], yi = poly[i][1];
    const xj = poly[j][0], yj = poly[j][1];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Axis-aligned bounds of a polygon: [minX, minY, maxX, maxY]. */
export function polygonBounds(poly) {
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  for (const [x, y] of poly) {
    if (x < x0) x0 = x;
    if (y < y0) y0 = y;
    if (x > x1) x1 = x;
    if (y > y1) y1 = y;
  }
  return [x0, y0, x1, y1];
}

function segmentDistanceSq(p, a, b) {
  const dx = b[0] - a[0], dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  let t = len2 > 0 ? ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2 : 0;
  t = Math.max(0, Math.min(1, t));
  const ex = a[0] + t * dx - p[0], ey = a[1] + t * dy - p[1];
  return ex * ex + ey * ey;
}

/** Douglas–Peucker simplification of an open polyline with tolerance `eps` (same units). */
export function douglasPeucker(points, eps) {
  const n = points.length;
  if (n <= 2) return points.slice();
  const keep = new Uint8Array(n);
  keep[0] = keep[n - 1] = 1;
  const stack = [[0, n - 1]];
  const eps2 = eps * eps;
  while (stack.length) {
    const [s, e] = stack.pop();
    let maxD = -1, idx = -1;
    for (let i = s + 1; i < e; i++) {
      const d = segmentDistanceSq(points[i], points[s], points[e]);
      if (d > maxD) { maxD = d; idx = i; }
    }
    if (idx >= 0 && maxD > eps2) {
      keep[idx] = 1;
      stack.push([s, idx], [idx, e]);
    }
  }
  return points.filter((_, i) => keep[i]);
}

/**
 * Simplify a closed lasso path (screen px) to at most `maxVertices` vertices,
 * doubling the tolerance from `initialTolerancePx` until it fits. Consecutive duplicates are dropped.
 */
export function simplifyLasso(points, maxVertices = defaults.maxPolygonVertices) {
  const clean = [];
  for (const p of points) {
    const last = clean[clean.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) clean.push([p[0], p[1]]);
  }
  if (clean.length > 1) {
    const a = clean[0], b = clean[clean.length - 1];
    if (a[0] === b[0] && a[1] === b[1]) clean.pop();
  }
  let eps = defaults.initialTolerancePx;
  let out = clean.length > 2 ? douglasPeucker(clean, eps) : clean;
  while (out.length > maxVertices) {
    eps *= 2;
    out = douglasPeucker(clean, eps);
  }
  return out;
}
