// Which tiles a tiled view draws: those whose box meets the view, level by level from the
// coarsest, while they fit in the point budget; within the last level that fits only in part,
// the tiles nearest the centre of the view first (docs/protocol.md, "Level of detail").

import { toClip } from "../camera.js";

/** The tile index as the page uses it: typed arrays and the first tile of each level. */
export function tileIndex(json) {
  const starts = Float64Array.from(json.starts);
  const levels = Uint8Array.from(json.levels);
  const nTiles = levels.length;
  const counts = new Int32Array(nTiles);
  for (let t = 0; t < nTiles; t++) counts[t] = starts[t + 1] - starts[t];
  const nLevels = nTiles ? levels[nTiles - 1] + 1 : 0;
  const levelTiles = new Int32Array(nLevels + 1);
  for (let k = 0, t = 0; k <= nLevels; k++) {
    while (t < nTiles && levels[t] < k) t++;
    levelTiles[k] = t;
  }
  return { nCells: json.n_cells, nTiles, nLevels, starts, levels, counts, levelTiles };
}

/** Cells of level 0: what every view draws at least. */
export function coarsestCells(index) {
  let n = 0;
  for (let t = index.levelTiles[0]; t < index.levelTiles[1]; t++) n += index.counts[t];
  return n;
}

/** The tiles of level `k`, ascending. */
export function levelTileList(index, k) {
  const out = [];
  for (let t = index.levelTiles[k]; t < index.levelTiles[k + 1]; t++) out.push(t);
  return out;
}

/** The data box a 1D/2D camera shows: {min: [x, y], max: [x, y]}. */
export function viewBox(camera) {
  const a = camera.unproject(0, 0), b = camera.unproject(camera.width, camera.height);
  return { min: [Math.min(a[0], b[0]), Math.min(a[1], b[1])], max: [Math.max(a[0], b[0]), Math.max(a[1], b[1])] };
}

/**
 * A test of tile `t` against the view: `bounds` is the tiles' boxes (n_tiles × 2 × dims,
 * float32: low corner then high corner), `dims` the embedding's dimensions. In 1D only x is
 * tested (y is the page's jitter). Returns {visible(t), distance(t)}.
 */
export function viewTest(camera, bounds, dims) {
  const at = (t, corner, axis) => bounds[(t * 2 + corner) * dims + axis];
  const empty = (t) => !(at(t, 0, 0) <= at(t, 1, 0));
  if (camera.kind === "3d") {
    const m = camera.viewProjection();
    const target = camera.target;
    const c = [0, 0, 0, 0];
    return {
      visible(t) {
        if (empty(t)) return false;
        let out = 0b111111;   // planes every corner is outside of: -x, +x, -y, +y, near, far
        for (let k = 0; k < 8 && out; k++) {
          toClip(m, at(t, k & 1, 0), at(t, (k >> 1) & 1, 1), at(t, (k >> 2) & 1, 2), c);
          let o = 0;
          if (c[0] < -c[3]) o |= 1;
          if (c[0] > c[3]) o |= 2;
          if (c[1] < -c[3]) o |= 4;
          if (c[1] > c[3]) o |= 8;
          if (c[2] < -c[3]) o |= 16;
          if (c[2] > c[3]) o |= 32;
          out &= o;
        }
        return out === 0;
      },
      distance: (t) => Math.hypot(...[0, 1, 2].map((d) => (at(t, 0, d) + at(t, 1, d)) / 2 - target[d])),
    };
  }
  const v = viewBox(camera);
  const centre = [(v.min[0] + v.max[0]) / 2, (v.min[1] + v.max[1]) / 2];
  const axes = dims === 1 ? 1 : 2;
  return {
    visible(t) {
      if (empty(t)) return false;
      for (let d = 0; d < axes; d++) if (at(t, 1, d) < v.min[d] || at(t, 0, d) > v.max[d]) return false;
      return true;
    },
    distance: (t) => Math.hypot(...[0, 1].slice(0, axes).map((d) => (at(t, 0, d) + at(t, 1, d)) / 2 - centre[d])),
  };
}

/**
 * The tiles to draw, coarse first: every visible tile of level 0, then each next level's visible
 * tiles while they fit in `budget` cells; of the level that fits in part, the tiles nearest the
 * view's centre that fit. Returns {tiles (in that order), cells, levels (whole levels taken)}.
 */
export function planTiles(index, test, budget) {
  const tiles = [];
  let cells = 0, levels = 0;
  for (let k = 0; k < index.nLevels; k++) {
    const seen = [];
    let sum = 0;
    for (let t = index.levelTiles[k]; t < index.levelTiles[k + 1]; t++) {
      if (index.counts[t] > 0 && test.visible(t)) { seen.push(t); sum += index.counts[t]; }
    }
    if (k === 0 || cells + sum <= budget) {
      for (const t of seen) tiles.push(t);
      cells += sum;
      levels = k + 1;
      continue;
    }
    seen.sort((a, b) => test.distance(a) - test.distance(b));
    for (const t of seen) {
      if (cells + index.counts[t] > budget) break;
      tiles.push(t);
      cells += index.counts[t];
    }
    break;
  }
  return { tiles, cells, levels };
}
