// The colour bar for continuous colouring: a gradient of the colormap, min and max, and a
// colormap picker.

import { colormapRGBA, colormaps } from "../colors.js";
import { MISSING_RGB } from "../constants.js";
import { element, option } from "./dom.js";

export const defaults = {
  width: 200,
  height: 12,
};

/** A colour bar end value: 2 decimals, none from 100, exponent form below 0.01 or from 1e5; `–` for none. */
export function formatValue(v) {
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
  const name = color.title ?? color.field;
  const title = element("div", "panel-title", color.kind === "gene" ? `${name} (gene)` : name);
  title.dataset.testid = "colorbar-title";
  const canvas = element("canvas", "colorbar");
  canvas.dataset.testid = "colorbar";
  canvas.width = defaults.width;
  canvas.height = defaults.height;
  const ctx = canvas.getContext("2d");
  const rgba = colormapRGBA(colormap, defaults.width);
  for (let x = 0; x < defaults.width; x++) {
    ctx.fillStyle = `rgb(${rgba[x * 4]}, ${rgba[x * 4 + 1]}, ${rgba[x * 4 + 2]})`;
    ctx.fillRect(x, 0, 1, defaults.height);
  }
  const ticks = element("div", "ticks");
  ticks.append(element("span", "", formatValue(color.min)), element("span", "", formatValue(color.max)));
  const picker = element("select");
  picker.title = "Colormap";
  for (const name of Object.keys(colormaps)) {
    const o = option(name, name);
    o.selected = name === colormap;
    picker.appendChild(o);
  }
  picker.addEventListener("change", () => onColormap(picker.value));
  const missing = element("div", "muted");
  const swatch = element("span", "swatch");
  swatch.style.background = `rgb(${MISSING_RGB.join(", ")})`;
  missing.append(swatch, " missing");
  el.append(title, canvas, ticks, picker, missing);
}
