// Colour tables: categorical palettes, continuous colormaps, and the lookup textures built from them.

import { MISSING_CODE, MISSING_VALUE } from "./constants.js";

export const defaults = {
  colormap: "viridis",
  lutSize: 256,
  maxCategoryTextureWidth: 4096,
};

// Anchors sampled evenly on [0, 1]; intermediate colours are interpolated linearly.
export const colormaps = {
  viridis: ["#440154", "#472c7a", "#3b518b", "#2c718e", "#21908d", "#27ad81", "#5cc863", "#aadc32", "#fde725"],
  magma: ["#000004", "#1c1044", "#4f127b", "#812581", "#b5367a", "#e55064", "#fb8761", "#fec287", "#fcfdbf"],
  inferno: ["#000004", "#1f0c48", "#550f6d", "#88226a", "#ba3655", "#e35933", "#f98e09", "#f8c931", "#fcffa4"],
  plasma: ["#0d0887", "#4c02a1", "#7e03a8", "#a92395", "#cc4778", "#e56b5d", "#f89441", "#fdc328", "#f0f921"],
  coolwarm: ["#3b4cc0", "#6788ee", "#9abbff", "#c9d7f0", "#edd1c2", "#f7a889", "#e26952", "#b40426"],
};

export const categoricalPalette = [
  "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
  "#bcbd22", "#17becf", "#aec7e8", "#ffbb78", "#98df8a", "#ff9896", "#c5b0d5", "#c49c94",
  "#f7b6d2", "#dbdb8d", "#9edae5", "#393b79",
];

/** [r, g, b] (0–255) of a `#rgb` or `#rrggbb` string; throws on anything else. */
export function parseHex(hex) {
  const m = /^#?([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(String(hex).trim());
  if (!m) throw new Error(`not a colour: ${hex}`);
  let h = m[1];
  if (h.length === 3) h = h.split("").map((c) => c + c).join("");
  return [parseInt(h.slice(0, 2), 16), parseInt(h.slice(2, 4), 16), parseInt(h.slice(4, 6), 16)];
}

/** `#rrggbb` of an [r, g, b] triple. */
export function toHex([r, g, b]) {
  return "#" + [r, g, b].map((v) => Math.round(v).toString(16).padStart(2, "0")).join("");
}

/** A colour for category `i` of many: the palette first, then golden-angle hues. */
export function categoryColor(i) {
  if (i < categoricalPalette.length) return categoricalPalette[i];
  const hue = (i * 137.508) % 360;
  const light = 45 + ((i * 7) % 3) * 10;
  return toHex(hslToRgb(hue, 0.62, light / 100));
}

function hslToRgb(h, s, l) {
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const x = c * (1 - Math.abs(((h / 60) % 2) - 1));
  const m = l - c / 2;
  const [r, g, b] = h < 60 ? [c, x, 0] : h < 120 ? [x, c, 0] : h < 180 ? [0, c, x] : h < 240 ? [0, x, c] : h < 300 ? [x, 0, c] : [c, 0, x];
  return [(r + m) * 255, (g + m) * 255, (b + m) * 255];
}

/** Colours for `k` categories: the data's own (e.g. scanpy's `uns[...]_colors`) when valid, else ours. */
export function categoryColors(k, given) {
  const out = [];
  for (let i = 0; i < k; i++) {
    let c = given && given[i];
    try { if (c) c = toHex(parseHex(c)); } catch { c = null; }
    out.push(c || categoryColor(i));
  }
  return out;
}

/** RGBA bytes of `size` evenly spaced samples of colormap `name`. */
export function colormapRGBA(name, size = defaults.lutSize) {
  const anchors = (colormaps[name] || colormaps[defaults.colormap]).map(parseHex);
  const out = new Uint8Array(size * 4);
  for (let i = 0; i < size; i++) {
    const t = (i / (size - 1)) * (anchors.length - 1);
    const k = Math.min(anchors.length - 2, Math.floor(t));
    const f = t - k;
    for (let c = 0; c < 3; c++) out[i * 4 + c] = Math.round(anchors[k][c] * (1 - f) + anchors[k + 1][c] * f);
    out[i * 4 + 3] = 255;
  }
  return out;
}

/**
 * Lookup texture contents for `colors` (hex strings, one per category code):
 * {data: RGBA bytes, width, height}; code c lives at texel (c % width, floor(c / width)).
 */
export function categoryLUT(colors) {
  const k = Math.max(1, colors.length);
  const width = Math.min(k, defaults.maxCategoryTextureWidth);
  const height = Math.ceil(k / width);
  const data = new Uint8Array(width * height * 4);
  colors.forEach((hex, i) => {
    const [r, g, b] = parseHex(hex);
    data.set([r, g, b, 255], i * 4);
  });
  return { data, width, height };
}

/**
 * Per-cell colour values for the GPU from a continuous array: t in [0, 1], or MISSING_VALUE where missing
 * (NaN or infinite). Returns {values, min, max} with min/max over finite values.
 */
export function normalizeContinuous(raw, min, max) {
  if (min === undefined || max === undefined || !Number.isFinite(min) || !Number.isFinite(max)) {
    min = Infinity; max = -Infinity;
    for (let i = 0; i < raw.length; i++) {
      const v = raw[i];
      if (Number.isFinite(v)) { if (v < min) min = v; if (v > max) max = v; }
    }
  }
  const values = new Float32Array(raw.length);
  const span = max > min ? max - min : 1;
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i];
    values[i] = Number.isFinite(v) ? Math.min(1, Math.max(0, (v - min) / span)) : MISSING_VALUE;
  }
  return { values, min: Number.isFinite(min) ? min : 0, max: Number.isFinite(max) ? max : 0 };
}

/** Per-cell colour values from uint16 category codes: the code, or MISSING_VALUE for MISSING_CODE. */
export function codesToValues(codes) {
  const values = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i++) values[i] = codes[i] === MISSING_CODE ? MISSING_VALUE : codes[i];
  return values;
}
