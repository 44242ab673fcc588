// The toolbar: one button per tool (with its key) and the view actions.

export const defaults = {
  labels: { click: "Click", lasso: "Lasso", knn: "KNN", proximity: "Proximity" },
};

/**
 * Build buttons into `el`. `tools` = [{name, key, title}], `actions` = [{name, label, title, run,
 * key?}] (the key is only shown; the keyboard is handled by `interaction.js`).
 * Returns {setActive(name)}.
 */
export function createToolbar(el, { tools, actions, onTool }) {
  const buttons = new Map();
  for (const t of tools) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "tool";
    b.dataset.tool = t.name;
    b.dataset.testid = `tool-${t.name}`;
    b.title = t.title;
    b.innerHTML = `<span class="label"></span><kbd></kbd>`;
    b.querySelector(".label").textContent = defaults.labels[t.name] || t.name;
    b.querySelector("kbd").textContent = t.key.toUpperCase();
    b.addEventListener("click", () => onTool(t.name));
    el.appendChild(b);
    buttons.set(t.name, b);
  }
  const sep = document.createElement("span");
  sep.className = "sep";
  el.appendChild(sep);
  for (const a of actions) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "action";
    b.dataset.testid = `action-${a.name}`;
    b.title = a.title;
    b.innerHTML = a.key ? `<span class="label"></span><kbd></kbd>` : `<span class="label"></span>`;
    b.querySelector(".label").textContent = a.label;
    if (a.key) b.querySelector("kbd").textContent = a.key.toUpperCase();
    b.addEventListener("click", () => a.run());
    el.appendChild(b);
  }
  return {
    setActive(name) {
      for (const [n, b] of buttons) b.classList.toggle("active", n === name);
    },
  };
}
