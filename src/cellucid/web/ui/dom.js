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
