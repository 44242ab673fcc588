// A panel docked beside the view (compare, gene plots, annotate; see dock.js): a title bar with
// collapse and close buttons, a status line for progress and refusals, and a body.

import { element } from "./dom.js";

/**
 * Make `el` a panel titled `title` with test id `testid`; hidden until `open()`. Returns {el, body,
 * open(), close(), isOpen(), collapse(flag), isCollapsed(), status(text, kind)}: `open` also
 * expands a collapsed panel; `kind` "busy", "error" or "" (a plain note); an empty text hides the
 * status line. A collapsed panel shows its title bar only.
 */
export function createPanel(el, { title, testid }) {
  el.classList.add("panel");
  el.dataset.testid = testid;
  el.hidden = true;
  const head = element("div", "panel-head");
  const name = element("span", "panel-title", title);
  const fold = element("button", "panel-fold");
  fold.type = "button";
  fold.dataset.testid = `${testid}-collapse`;
  const close = element("button", "panel-close", "\u00d7");
  close.type = "button";
  close.dataset.testid = `${testid}-close`;
  close.title = `Close ${title}`;
  close.setAttribute("aria-label", `Close ${title}`);
  head.append(name, fold, close);
  const statusEl = element("div", "panel-status");
  statusEl.dataset.testid = `${testid}-status`;
  statusEl.setAttribute("role", "status");
  statusEl.hidden = true;
  const body = element("div", "panel-body");
  el.replaceChildren(head, statusEl, body);
  const api = {
    el,
    body,
    open() { api.collapse(false); el.hidden = false; },
    close() { el.hidden = true; },
    isOpen: () => !el.hidden,
    collapse(flag) {
      el.classList.toggle("collapsed", flag);
      fold.textContent = flag ? "\u25b8" : "\u25be";
      fold.title = `${flag ? "Expand" : "Collapse"} ${title}`;
      fold.setAttribute("aria-label", fold.title);
      fold.setAttribute("aria-expanded", String(!flag));
    },
    isCollapsed: () => el.classList.contains("collapsed"),
    status(text, kind = "") {
      statusEl.textContent = text || "";
      statusEl.hidden = !text;
      statusEl.dataset.kind = kind;
      statusEl.classList.toggle("panel-error", kind === "error");
    },
  };
  api.collapse(false);
  close.addEventListener("click", () => api.close());
  fold.addEventListener("click", () => api.collapse(!api.isCollapsed()));
  name.addEventListener("dblclick", () => api.collapse(!api.isCollapsed()));
  return api;
}

/**
 * Open `panel` for a `show…` command `c` and fetch its result with `load(resultId)`. Resolves to
 * {id, result}, or null when the reply is stale (`isCurrent(c)` false) or a refusal (its reason is
 * shown). Throws, with the reason shown, when the command names no result or the fetch fails.
 * `command` and `what` name them in messages ("showComparison", "comparison").
 */
export async function fetchShownResult(panel, c, { isCurrent, load, command, what }) {
  panel.open();
  if (!isCurrent(c)) return null;
  if (c.error) {
    panel.status(String(c.error), "error");
    return null;
  }
  // `resultId`, not `id`: a command's `id` is its own (acknowledgements name it).
  const id = c.resultId;
  if (id === undefined || id === null) throw new Error(`${command} needs a resultId or an error`);
  panel.status(`Loading the ${what}…`, "busy");
  try {
    return { id, result: await load(id) };
  } catch (err) {
    panel.status(`Cannot load ${what} ${id}: ${err.message}`, "error");
    throw err;
  }
}
