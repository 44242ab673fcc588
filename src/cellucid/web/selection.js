// Set algebra on sorted Uint32Array cell lists, for the replace/add/subtract selection modes.

/** Cells in `a` or `b` (both sorted, unique). */
export function union(a, b) {
  const out = new Uint32Array(a.length + b.length);
  let i = 0, j = 0, k = 0;
  while (i < a.length && j < b.length) {
    if (a[i] < b[j]) out[k++] = a[i++];
    else if (a[i] > b[j]) out[k++] = b[j++];
    else { out[k++] = a[i++]; j++; }
  }
  while (i < a.length) out[k++] = a[i++];
  while (j < b.length) out[k++] = b[j++];
  return out.slice(0, k);
}

/** Cells in `a` but not in `b` (both sorted, unique). */
export function subtract(a, b) {
  const out = new Uint32Array(a.length);
  let i = 0, j = 0, k = 0;
  while (i < a.length) {
    while (j < b.length && b[j] < a[i]) j++;
    if (j < b.length && b[j] === a[i]) i++;
    else out[k++] = a[i++];
  }
  return out.slice(0, k);
}

/** The selection after a step: `mode` is "replace", "add" or "subtract". */
export function combine(previous, step, mode) {
  if (mode === "add") return union(previous, step);
  if (mode === "subtract") return subtract(previous, step);
  return step;
}

/** Selection mode from a pointer or keyboard event's modifiers: shift adds, alt subtracts. */
export function modeFromModifiers(ev) {
  if (ev.altKey) return "subtract";
  if (ev.shiftKey) return "add";
  return "replace";
}

/** Keep the cells whose flag byte has none of the bits of `hiddenBits` set. */
export function filterVisible(cells, flags, hiddenBits) {
  if (!flags) return cells;
  const out = new Uint32Array(cells.length);
  let k = 0;
  for (let i = 0; i < cells.length; i++) if ((flags[cells[i]] & hiddenBits) === 0) out[k++] = cells[i];
  return out.slice(0, k);
}
