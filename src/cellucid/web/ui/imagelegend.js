// The legend drawn into an exported image with the 2D canvas API: a box in the top-right corner
// with the colour-by title, then a swatch and name per category or the colormap's ramp with its
// min and max, then the highlight groups.

import { colormapRGBA } from "../colors.js";
import { formatValue } from "./colorbar.js";

export const defaults = {
  font: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
  fontPx: 12,
  rowPx: 17,
  swatchPx: 10,
  padPx: 8,
  marginPx: 10,
  rampWidthPx: 160,
  rampHeightPx: 10,
  maxTextPx: 200,
  colors: {
    dark: { box: "rgba(27, 29, 35, 0.88)", text: "#e8e8ea", muted: "#9a9ca3", ring: "#e8e8ea" },
    light: { box: "rgba(246, 247, 249, 0.9)", text: "#1d1f24", muted: "#60646c", ring: "#1d1f24" },
  },
};

/** `text` cut with an ellipsis to at most `maxPx` wide by `measure`. */
export function fitText(text, maxPx, measure) {
  const s = String(text);
  if (measure(s) <= maxPx) return s;
  let lo = 0, hi = s.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (measure(`${s.slice(0, mid)}…`) <= maxPx) lo = mid;
    else hi = mid - 1;
  }
  return `${s.slice(0, lo)}…`;
}

/**
 * The legend's rows and box size in CSS px: `colorBy` (the app's colour state, or null),
 * `highlights` ([{name, color}]); `measure(text, bold)` gives a text's width; rows that would pass
 * `maxHeight` are summed up as "… N more". Rows: {kind: "title"|"swatch"|"ring"|"ramp"|"ticks"|"more",
 * y (top), text?, color?, min?, max?}. Null when there is nothing to show.
 */
export function legendLayout({ colorBy, highlights = [] }, measure, maxHeight = Infinity) {
  const d = defaults;
  const rows = [];
  const push = (row, height = d.rowPx) => rows.push({ ...row, height });
  if (colorBy) {
    const name = colorBy.title ?? colorBy.field;
    push({ kind: "title", text: colorBy.kind === "gene" ? `${name} (gene)` : name });
    if (colorBy.type === "continuous") {
      push({ kind: "ramp" }, d.rampHeightPx + 4);
      push({ kind: "ticks", min: formatValue(colorBy.min), max: formatValue(colorBy.max) });
    } else {
      colorBy.categories.forEach((c, i) => push({ kind: "swatch", text: String(c), color: colorBy.colors[i] }));
    }
  }
  if (highlights.length) {
    push({ kind: "title", text: "Highlights" });
    for (const g of highlights) push({ kind: "ring", text: g.name, color: g.color });
  }
  if (!rows.length) return null;
  let y = d.padPx;
  const kept = [];
  for (let i = 0; i < rows.length; i++) {
    const room = maxHeight - d.padPx - (i < rows.length - 1 ? d.rowPx : 0);
    if (y + rows[i].height > room && kept.length) {
      kept.push({ kind: "more", text: `… ${rows.length - i} more`, y, height: d.rowPx });
      y += d.rowPx;
      break;
    }
    kept.push({ ...rows[i], y });
    y += rows[i].height;
  }
  let width = d.rampWidthPx;
  for (const r of kept) {
    if (r.text === undefined) continue;
    r.text = fitText(r.text, d.maxTextPx, (t) => measure(t, r.kind === "title"));
    const indent = r.kind === "swatch" || r.kind === "ring" ? d.swatchPx + 6 : 0;
    width = Math.max(width, indent + measure(r.text, r.kind === "title"));
  }
  return { width: Math.ceil(width + 2 * d.padPx), height: Math.ceil(y + d.padPx), rows: kept };
}

function font(bold) {
  return `${bold ? "600 " : ""}${defaults.fontPx}px ${defaults.font}`;
}

/**
 * Draw the legend box into `ctx` (a 2D context over the whole image): `colorBy`, `colormap`,
 * `highlights`, `theme`, `ratio` (image px per CSS px), `cssWidth`, `cssHeight` (the image in CSS
 * px). Draws nothing when there is nothing to show.
 */
export function drawLegendBox(ctx, { colorBy, colormap, highlights, theme, ratio, cssWidth, cssHeight }) {
  const d = defaults;
  const measure = (text, bold) => {
    ctx.font = font(bold);
    return ctx.measureText(text).width;
  };
  const layout = legendLayout({ colorBy, highlights }, measure, cssHeight - 2 * d.marginPx);
  if (!layout) return;
  const c = d.colors[theme] || d.colors.dark;
  const x0 = Math.max(0, cssWidth - d.marginPx - layout.width), y0 = d.marginPx;
  ctx.save();
  ctx.scale(ratio, ratio);
  ctx.fillStyle = c.box;
  ctx.beginPath();
  if (ctx.roundRect) ctx.roundRect(x0, y0, layout.width, layout.height, 6);
  else ctx.rect(x0, y0, layout.width, layout.height);
  ctx.fill();
  ctx.textBaseline = "middle";
  const left = x0 + d.padPx;
  for (const r of layout.rows) {
    const mid = y0 + r.y + d.rowPx / 2;
    if (r.kind === "ramp") {
      const rgba = colormapRGBA(colormap, d.rampWidthPx);
      for (let i = 0; i < d.rampWidthPx; i++) {
        ctx.fillStyle = `rgb(${rgba[i * 4]}, ${rgba[i * 4 + 1]}, ${rgba[i * 4 + 2]})`;
        ctx.fillRect(left + i, y0 + r.y + 2, 1.5, d.rampHeightPx);
      }
      continue;
    }
    ctx.font = font(r.kind === "title");
    if (r.kind === "ticks") {
      ctx.fillStyle = c.muted;
      ctx.textAlign = "left";
      ctx.fillText(r.min, left, mid);
      ctx.textAlign = "right";
      ctx.fillText(r.max, left + d.rampWidthPx, mid);
      ctx.textAlign = "left";
      continue;
    }
    let textX = left;
    if (r.kind === "swatch" || r.kind === "ring") {
      ctx.beginPath();
      ctx.arc(left + d.swatchPx / 2, mid, d.swatchPx / 2, 0, 2 * Math.PI);
      ctx.fillStyle = r.color;
      ctx.fill();
      if (r.kind === "ring") {
        ctx.strokeStyle = c.ring;
        ctx.lineWidth = 1.5;
        ctx.stroke();
      }
      textX += d.swatchPx + 6;
    }
    ctx.fillStyle = r.kind === "more" ? c.muted : c.text;
    ctx.fillText(r.text, textX, mid);
  }
  ctx.restore();
}
