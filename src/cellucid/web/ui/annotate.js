// Annotate (A): a text field in a docked panel; Enter posts an `annotation` event
// {key, label, cells} with the current selection to Python, Escape cancels. The selection stays.

import { element } from "./dom.js";
import { createPanel } from "./panel.js";

export const defaults = {
  // The annotations key when Python did not name one (`annotationsKey` null in `_cellucid/info`).
  key: "cellucid_labels",
  maxLabelChars: 200,
  maxKeyChars: 256,
};

/** The annotations key from `GET _cellucid/info`: its `annotationsKey`, else the default. */
export function annotationsKey(info) {
  const k = info && info.annotationsKey;
  return typeof k === "string" && k.trim() ? k : defaults.key;
}

/** The field's placeholder for a selection of `count` cells. */
export function placeholderFor(count) {
  return `label for ${count} cells`;
}

/**
 * The `annotation` event payload {key, label, cells} (cells: the sorted selection; the bridge puts
 * it in its wire form), or throws an Error whose message is for the user: empty selection, empty
 * or too long label.
 */
export function buildAnnotation({ key, label, cells }) {
  if (!cells || cells.length === 0) throw new Error("Select cells first, then annotate them (A).");
  const text = String(label ?? "").trim();
  if (!text) throw new Error("Type a label, then press Enter.");
  if (text.length > defaults.maxLabelChars) throw new Error(`A label has at most ${defaults.maxLabelChars} characters.`);
  const k = String(key || defaults.key).slice(0, defaults.maxKeyChars);
  return { key: k, label: text, cells };
}

/**
 * The annotate panel in `el`: a panel holding the label field. Returns {panel, input, box}: `box`
 * is what `createAnnotate` shows and hides (`box.hidden`), the panel (opening expands it).
 */
export function createAnnotatePanel(el) {
  const panel = createPanel(el, { title: "Annotate", testid: "cellucid-annotate-panel" });
  const input = element("input");
  Object.assign(input, { type: "text", maxLength: defaults.maxLabelChars, autocomplete: "off", spellcheck: false });
  input.dataset.testid = "cellucid-annotate-label";
  input.setAttribute("aria-label", "Label for the selected cells");
  const hint = element("div", "muted", "Enter sends the label with the selection to Python; Esc cancels.");
  panel.body.append(input, hint);
  const box = {
    get hidden() { return !panel.isOpen(); },
    set hidden(flag) { if (flag) panel.close(); else panel.open(); },
  };
  return { panel, input, box };
}

/**
 * Wire the annotate field: `box` (the field's container, hidden when closed), `input`, `app`
 * (its `selection`), `bridge`, `key` (annotations key), `toast(text)`. Returns {open, close,
 * isOpen, update}; call `update()` when the selection changes.
 */
export function createAnnotate({ box, input, app, bridge, key, toast }) {
  let posted = 0;
  const update = () => { input.placeholder = placeholderFor(app.selection.length); };
  const close = () => {
    box.hidden = true;
    input.value = "";
    input.blur();
  };
  const open = () => {
    update();
    box.hidden = false;
    input.focus();
    input.select();
  };
  const apply = () => {
    let payload;
    try {
      payload = buildAnnotation({ key, label: input.value, cells: app.selection });
    } catch (err) {
      toast(err.message);
      if (!app.selection.length) close();
      return;
    }
    bridge.send("annotation", payload);
    posted += 1;
    document.body.dataset.cellucidAnnotations = String(posted);
    toast(`"${payload.label}": ${payload.cells.length.toLocaleString("en-US")} cells sent to Python`);
    close();
  };
  // Keys typed here stay here: no tool shortcuts, and Escape does not clear the selection.
  input.addEventListener("keydown", (ev) => {
    ev.stopPropagation();
    if (ev.key === "Enter") {
      ev.preventDefault();
      apply();
    } else if (ev.key === "Escape") {
      ev.preventDefault();
      close();
    }
  });
  input.addEventListener("keyup", (ev) => ev.stopPropagation());
  return { open, close, update, isOpen: () => !box.hidden };
}
