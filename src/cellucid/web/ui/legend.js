// The categorical legend: a swatch, name and cell count per category; clicking a row selects
// that category (shift adds, alt subtracts).

export const defaults = {
  maxRows: 500,
};

/** Render the legend of `color` (the app's categorical colour state) into `el`. */
export function renderLegend(el, color, onPick) {
  el.replaceChildren();
  if (!color || color.type !== "categorical") { el.hidden = true; return; }
  el.hidden = false;
  const title = document.createElement("div");
  title.className = "panel-title";
  title.textContent = color.field;
  el.appendChild(title);
  const list = document.createElement("ul");
  list.className = "legend";
  const rows = Math.min(color.categories.length, defaults.maxRows);
  for (let i = 0; i < rows; i++) {
    const li = document.createElement("li");
    li.dataset.category = String(color.categories[i]);
    li.dataset.testid = "legend-item";
    li.title = `Select ${color.categories[i]} (Shift adds, Alt subtracts)`;
    const sw = document.createElement("span");
    sw.className = "swatch";
    sw.style.background = color.colors[i];
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = String(color.categories[i]);
    const count = document.createElement("span");
    count.className = "count";
    count.textContent = Number(color.counts[i] || 0).toLocaleString("en-US");
    li.append(sw, name, count);
    li.addEventListener("click", (ev) => onPick(i, ev));
    list.appendChild(li);
  }
  el.appendChild(list);
  if (color.categories.length > rows) {
    const more = document.createElement("div");
    more.className = "muted";
    more.textContent = `… ${color.categories.length - rows} more categories`;
    el.appendChild(more);
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
  const title = document.createElement("div");
  title.className = "panel-title";
  title.textContent = "Highlights";
  const list = document.createElement("ul");
  list.className = "legend";
  for (const g of groups) list.appendChild(highlightRow(g, onRemove));
  el.append(title, list);
}

function highlightRow(g, onRemove) {
  const li = document.createElement("li");
  li.dataset.group = g.name;
  const sw = document.createElement("span");
  sw.className = "swatch ring";
  sw.style.background = g.color;
  const name = document.createElement("span");
  name.className = "name";
  name.textContent = g.name;
  const count = document.createElement("span");
  count.className = "count";
  count.textContent = g.cells.length.toLocaleString("en-US");
  const remove = document.createElement("button");
  remove.type = "button";
  remove.className = "remove";
  remove.dataset.testid = "highlight-remove";
  remove.setAttribute("aria-label", `Remove highlight group ${g.name}`);
  remove.title = `Remove ${g.name}`;
  remove.textContent = "\u00d7";
  remove.addEventListener("click", () => onRemove(g.name));
  li.append(sw, name, count, remove);
  return li;
}
