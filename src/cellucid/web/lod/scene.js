// The cells a tiled view draws, assembled from the tiles' data into the renderer's arrays: one
// vertex per cell of the drawn tiles, with its position, colour value, flags, obs row, and the
// vertices of the selection and of each highlight group. Pure: the tiles' data come in through
// functions.

import { FLAG_HIDDEN, FLAG_INVALID, FLAG_SELECTED, MISSING_CODE, MISSING_VALUE } from "../constants.js";
import { defaults as dataDefaults, hash01 } from "../data.js";
import { bitAt } from "./client.js";

/** The vertical jitter of 1D embeddings: half the band's height for an x span of [min, max]. */
export function jitterHalf(min, max) {
  return ((max - min) || 1) * dataDefaults.jitterFraction;
}

function colorValue(v, color) {
  if (color.type === "categorical") return v === MISSING_CODE ? MISSING_VALUE : v;
  if (!Number.isFinite(v)) return MISSING_VALUE;
  const span = color.max > color.min ? color.max - color.min : 1;
  return Math.min(1, Math.max(0, (v - color.min) / span));
}

/**
 * Assemble the drawn cells. `o`: tiles (drawn, in order), counts (cells per tile), dims,
 * positions(t), rows(t), values(t) (codes or raw values; null: uniform colour), color
 * {type, min, max}, sets {selected(t), hidden(t), groups: [[name, bits(t)]]} (each giving a
 * tile's packed bits, or null when none are set), half (1D jitter).
 * Returns {n, positions (n×3), values, flags, rows, selected, groups (name → vertices), tileStarts}.
 */
export function assemble(o) {
  let n = 0;
  const tileStarts = new Int32Array(o.tiles.length + 1);
  o.tiles.forEach((t, i) => { tileStarts[i] = n; n += o.counts[t]; });
  tileStarts[o.tiles.length] = n;
  const positions = new Float32Array(n * 3);
  const values = new Float32Array(n);
  const flags = new Uint8Array(n);
  const rows = new Uint32Array(n);
  const selected = [];
  const groups = new Map((o.sets.groups || []).map(([name]) => [name, []]));
  const d = o.dims;
  o.tiles.forEach((t, i) => {
    const base = tileStarts[i], count = o.counts[t];
    const pos = o.positions(t), r = o.rows(t), vals = o.values ? o.values(t) : null;
    const sel = o.sets.selected ? o.sets.selected(t) : null;
    const hid = o.sets.hidden ? o.sets.hidden(t) : null;
    const groupBits = (o.sets.groups || []).map(([name, bits]) => [groups.get(name), bits(t)]);
    rows.set(r, base);
    for (let j = 0; j < count; j++) {
      const v = base + j;
      let ok = true;
      for (let a = 0; a < d; a++) {
        const x = pos[j * d + a];
        if (!Number.isFinite(x)) ok = false;
        positions[v * 3 + a] = x;
      }
      if (!ok) {
        positions[v * 3] = positions[v * 3 + 1] = positions[v * 3 + 2] = 0;
        flags[v] = FLAG_INVALID;
      } else if (d === 1) {
        positions[v * 3 + 1] = (hash01(r[j]) * 2 - 1) * o.half;
      }
      if (vals) values[v] = colorValue(vals[j], o.color);
      if (hid && bitAt(hid, j)) flags[v] |= FLAG_HIDDEN;
      if (sel && bitAt(sel, j)) { flags[v] |= FLAG_SELECTED; selected.push(v); }
      for (const [list, bits] of groupBits) if (bits && bitAt(bits, j)) list.push(v);
    }
  });
  const lists = new Map([...groups].map(([name, list]) => [name, Uint32Array.from(list)]));
  return { n, positions, values, flags, rows, selected: Uint32Array.from(selected), groups: lists, tileStarts };
}

/** Vertices (ascending) whose obs row is in the sorted `cells`, among `rows` of the drawn cells. */
export function verticesOf(rows, cells) {
  if (!cells || !cells.length) return new Uint32Array(0);
  const want = new Set(cells);
  const out = [];
  for (let v = 0; v < rows.length; v++) if (want.has(rows[v])) out.push(v);
  return Uint32Array.from(out);
}

/** The drawn vertex of obs row `cell`, or -1. */
export function vertexOf(rows, cell) {
  return rows.indexOf(cell);
}
