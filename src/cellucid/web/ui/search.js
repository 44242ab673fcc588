// Gene search: a text box that suggests gene names from `_cellucid/data/genes` as the user types;
// Enter or a click on a suggestion colours by that gene.

export const defaults = {
  debounceMs: 150,
  limit: 12,
};

export function createGeneSearch(input, list, { search, onPick }) {
  let timer = null;
  let ticket = 0;
  let items = [];
  let active = -1;

  const render = () => {
    list.replaceChildren();
    list.hidden = items.length === 0;
    items.forEach((g, i) => {
      const li = document.createElement("li");
      li.textContent = g.symbol && g.symbol !== g.name ? `${g.symbol} (${g.name})` : g.name;
      li.classList.toggle("active", i === active);
      li.addEventListener("mousedown", (ev) => { ev.preventDefault(); pick(g.name); });
      list.appendChild(li);
    });
  };

  const pick = (name) => {
    items = [];
    render();
    input.value = name;
    input.blur();
    onPick(name);
  };

  const query = async () => {
    const q = input.value.trim();
    const mine = ++ticket;
    if (!q) { items = []; render(); return; }
    try {
      const res = await search(q, defaults.limit);
      if (mine !== ticket) return;
      items = res.genes || [];
      active = items.length ? 0 : -1;
      render();
    } catch {
      items = [];
      render();
    }
  };

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(query, defaults.debounceMs);
  });
  input.addEventListener("keydown", (ev) => {
    ev.stopPropagation();
    if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
      if (!items.length) return;
      active = (active + (ev.key === "ArrowDown" ? 1 : items.length - 1)) % items.length;
      render();
      ev.preventDefault();
    } else if (ev.key === "Enter") {
      const q = input.value.trim();
      if (active >= 0 && items[active]) pick(items[active].name);
      else if (q) pick(q);
    } else if (ev.key === "Escape") {
      items = [];
      render();
      input.blur();
    }
  });
  input.addEventListener("blur", () => setTimeout(() => { items = []; render(); }, 100));
}
