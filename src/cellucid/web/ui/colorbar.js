// The colour bar for continuous colouring: a gradient of the colormap, min and max, and a
// colormap picker.

import { colormapRGBA, colormaps } from "../colors.js";

export const defaults = {
  width: 200,
  height: 12,
};

function formatValue(v) {
  if (!Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a !== 0 && (a < 0.01 || a >= 1e5)) return v.toExponential(2);
  return Number(v.toFixed(a >= 100 ? 0 : 2)).toString();
}

/** Render the colour bar of `color` (continuous colour state) into `el`. */
export function renderColorbar(el, color, colormap, onColormap) {
  el.replaceChildren();
  if (!color || color.type !== "continuous") { el.hidden = true; return; }
  el.hidden = false;
  const title = document.createElement("div");
  title.className = "panel-title";
  title.textContent = color.kind === "gene" ? `${color.field} (gene)` : color.field;
  const canvas = document.createElement("canvas");
  canvas.className = "colorbar";
  canvas.dataset.testid = "colorbar";
  canvas.width = defaults.width;
  canvas.height = defaults.height;
  const ctx = canvas.getContext("2d");
  const rgba = colormapRGBA(colormap, defaults.width);
  for (let x = 0; x < defaults.width; x++) {
    ctx.fillStyle = `rgb(${rgba[x * 4]}, ${rgba[x * 4 + 1]}, ${rgba[x * 4 + 2]})`;
    ctx.fillRect(x, 0, 1, defaults.height);
  }
  const ticks = document.createElement("div");
  ticks.className = "ticks";
  const lo = document.createElement("span");
  lo.textContent = formatValue(color.min);
  const hi = document.createElement("span");
  hi.textContent = formatValue(color.max);
  ticks.append(lo, hi);
  const picker = document.createElement("select");
  picker.title = "Colormap";
  for (const name of Object.keys(colormaps)) {
    const o = document.createElement("option");
    o.value = o.textContent = name;
    o.selected = name === colormap;
    picker.appendChild(o);
  }
  picker.addEventListener("change", () => onColormap(picker.value));
  const missing = document.createElement("div");
  missing.className = "muted";
  missing.innerHTML = `<span class="swatch missing"></span> missing`;
  el.append(title, canvas, ticks, picker, missing);
}
