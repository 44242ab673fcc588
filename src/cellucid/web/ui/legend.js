// The categorical legend: the column's title, then a swatch, name and cell count per category;
// clicking a row selects that category (shift adds, alt subtracts).

import { element } from "./dom.js";

export const defaults = {
  maxRows: 500,
};

/** Render the legend of `color` (the app's categorical colour state) into `el`. */
export function renderLegend(el, color, onPick) {
  el.replaceChildren();
  if (!color || color.type !== "categorical") { el.hidden = true; return; }
  el.hidden = false;
  const title = element("div", "panel-title", color.title ?? color.field);
  title.dataset.testid = "legend-title";
  el.appendChild(title);
  const list = element("ul", "legend");
  const rows = Math.min(color.categories.length, defaults.maxRows);
  for (let i = 0; i < rows; i++) {
    const li = document.createElement("li");
    li.dataset.category = String(color.categories[i]);
    li.dataset.testid = "legend-item";
    li.dataset.count = String(Number(color.counts[i] || 0));
    li.title = `Select ${color.categories[i]} (Shift adds, Alt subtracts)`;
    const sw = element("span", "swatch");
    sw.style.background = color.colors[i];
    const name = element("span", "name", String(color.categories[i]));
    const count = element("span", "count", Number(color.counts[i] || 0).toLocaleString("en-US"));
    li.append(sw, name, count);
    li.addEventListener("click", (ev) => onPick(i, ev));
    list.appendChild(li);
  }
  el.appendChild(list);
  if (color.categories.length > rows) {
    el.appendChild(element("div", "muted", `… ${color.categories.length - rows} more categories`));
  }
}

/**
 * Render the list of highlight groups (name, colour, count) into `el`; each row has a remove
 * button calling `onRemove(name)`.
 */
export function renderHighlights(el, groups, onRemove) {
  el.replaceChildren();
  el.hidden = groups.length === 0;
  if (!groups.length) return;
  const title = element("div", "panel-title", "Highlights");
  const list = element("ul", "legend");
  for (const g of groups) list.appendChild(highlightRow(g, onRemove));
  el.append(title, list);
}

function highlightRow(g, onRemove) {
  const li = document.createElement("li");
  li.dataset.group = g.name;
  const sw = element("span", "swatch ring");
  sw.style.background = g.color;
  const name = element("span", "name", g.name);
  const count = element("span", "count", g.cells.length.toLocaleString("en-US"));
  const remove = element("button", "remove", "\u00d7");
  remove.type = "button";
  remove.dataset.testid = "highlight-remove";
  remove.setAttribute("aria-label", `Remove highlight group ${g.name}`);
  remove.title = `Remove ${g.name}`;
  remove.addEventListener("click", () => onRemove(g.name));
  li.append(sw, name, count, remove);
  return li;
}
