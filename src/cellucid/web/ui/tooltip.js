// The hover tooltip: the cell's index and its value in the current colouring.

import { MISSING_CODE } from "../constants.js";

/** The tooltip text of `cell` under the app's colour state `color` (null: no colouring). */
export function describeCell(cell, color) {
  const c = color;
  if (!c) return `cell ${cell}`;
  if (c.type === "categorical") {
    const code = c.valueAt ? c.valueAt(cell) : c.codes[cell];
    return `cell ${cell} · ${c.title ?? c.field}: ${code === MISSING_CODE ? "missing" : c.categories[code]}`;
  }
  const v = c.valueAt ? c.valueAt(cell) : c.raw[cell];
  return `cell ${cell} · ${c.title ?? c.field}: ${Number.isFinite(v) ? Number(v.toPrecision(4)) : "missing"}`;
}

/** The tooltip element; `describe(cell)` gives its text. */
export class Tooltip {
  constructor(el, describe) {
    this.el = el;
    this.describe = describe;
  }

  show(cell, at) {
    this.el.textContent = this.describe(cell);
    this.el.hidden = false;
    if (at) this.move(at);
  }

  move(at) {
    const parent = this.el.parentElement.getBoundingClientRect();
    const w = this.el.offsetWidth, h = this.el.offsetHeight;
    const x = at.x + 14 + w > parent.width ? at.x - 14 - w : at.x + 14;
    const y = at.y + 14 + h > parent.height ? at.y - 14 - h : at.y + 14;
    this.el.style.transform = `translate(${Math.max(0, x)}px, ${Math.max(0, y)}px)`;
  }

  hide() {
    this.el.hidden = true;
  }
}
