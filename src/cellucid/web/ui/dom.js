// Element construction shared by the panels and controls.

/** A new `tag` element with `className` and text content `text` (each optional). */
export function element(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A new <option> with `value` and label `text`. */
export function option(value, text) {
  const o = element("option", "", text);
  o.value = value;
  return o;
}

/** Save `blob` as a file named `filename` through a temporary <a download>. */
export function downloadBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = element("a");
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoked later, not at once: a browser may read the URL after click() has returned.
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
