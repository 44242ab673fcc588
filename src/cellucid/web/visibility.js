// Visibility on the per-cell flag bytes, and the bounds the view fits when some cells are
// hidden (`showOnly`, `showAll`, Reset view): pure functions over the app's arrays.

export const defaults = {
  // A fit never zooms in past this fraction of the whole embedding's largest span per axis,
  // so one visible cell (or a line of them) still gets a sensible view.
  minSpanFraction: 0.02,
};

/** Set `bit` on every flag, then clear it on `cells`: only `cells` keep it off. Mutates `flags`. */
export function onlyCells(flags, cells, bit) {
  for (let i = 0; i < flags.length; i++) flags[i] |= bit;
  for (let k = 0; k < cells.length; k++) flags[cells[k]] &= ~bit;
  return flags;
}

/** Number of flags with any of `bits` set. */
export function countFlagged(flags, bits) {
  let k = 0;
  for (let i = 0; i < flags.length; i++) if (flags[i] & bits) k++;
  return k;
}

/**
 * Bounds of the drawn cells: `positions` n×3 (what `toPositions` gives: 1D has its jitter in y),
 * cells whose flag has any of `skipBits` left out. Returns {min, max, count} with one entry per
 * axis in use (2 for 1D and 2D, 3 for 3D, as `toPositions`), or null when no cell is drawn.
 */
export function visibleBounds(positions, flags, skipBits, dims) {
  const axes = Math.max(2, dims);
  const min = new Array(axes).fill(Infinity), max = new Array(axes).fill(-Infinity);
  let count = 0;
  for (let i = 0; i < flags.length; i++) {
    if (flags[i] & skipBits) continue;
    count++;
    for (let d = 0; d < axes; d++) {
      const v = positions[i * 3 + d];
      if (v < min[d]) min[d] = v;
      if (v > max[d]) max[d] = v;
    }
  }
  return count ? { min, max, count } : null;
}

/**
 * [min, max] widened, about their centre, so no axis spans less than `fraction` of the largest
 * span of the full bounds [fullMin, fullMax] (1 when that is 0).
 */
export function padBounds(min, max, fullMin, fullMax, fraction = defaults.minSpanFraction) {
  let full = 0;
  for (let d = 0; d < fullMin.length; d++) full = Math.max(full, fullMax[d] - fullMin[d]);
  const least = full > 0 ? full * fraction : 1;
  const lo = min.slice(), hi = max.slice();
  for (let d = 0; d < lo.length; d++) {
    const span = hi[d] - lo[d];
    if (span < least) {
      const c = (lo[d] + hi[d]) / 2;
      lo[d] = c - least / 2;
      hi[d] = c + least / 2;
    }
  }
  return { min: lo, max: hi };
}
