// The toolbar: one button per tool (with its key) and the view actions.

import { element } from "./dom.js";

export const defaults = {
  labels: { click: "Click", lasso: "Lasso", knn: "KNN", proximity: "Proximity" },
};

/** A toolbar button: its label, and the key (shown only) when given. */
function button(className, testid, title, label, key, onClick) {
  const b = element("button", className);
  b.type = "button";
  b.dataset.testid = testid;
  b.title = title;
  b.appendChild(element("span", "label", label));
  if (key) b.appendChild(element("kbd", "", key.toUpperCase()));
  b.addEventListener("click", onClick);
  return b;
}

/**
 * Build buttons into `el`. `tools` = [{name, key, title}], `actions` = [{name, label, title, run,
 * key?, testid?}] (the key is only shown; the keyboard is handled by `interaction.js`; the
 * test id defaults to `action-<name>`).
 * Returns {setActive(name)}.
 */
export function createToolbar(el, { tools, actions, onTool }) {
  const buttons = new Map();
  for (const t of tools) {
    const b = button("tool", `tool-${t.name}`, t.title, defaults.labels[t.name] || t.name, t.key, () => onTool(t.name));
    b.dataset.tool = t.name;
    el.appendChild(b);
    buttons.set(t.name, b);
  }
  el.appendChild(element("span", "sep"));
  for (const a of actions) el.appendChild(button("action", a.testid || `action-${a.name}`, a.title, a.label, a.key, () => a.run()));
  return {
    setActive(name) {
      for (const [n, b] of buttons) b.classList.toggle("active", n === name);
    },
  };
}
