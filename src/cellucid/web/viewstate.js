// The page's part of a session (docs/sessions.md): what the view shows, captured for Python
// (`requestSessionBundle`, Save session) and shown again from a `restoreSession` command (or the
// `session` of `_cellucid/info`, as the page starts). Python adds its part (labels, values,
// what the panels show) and checks a session before the page ever sees it.

import { decodeCells, encodeCells } from "./cells.js";
import { colormaps } from "./colors.js";
import { FLAG_HIDDEN } from "./constants.js";

export const defaults = {
  format: "cellucid-session",
  version: 2,
  // The `source` of the `selection` event a restored selection posts.
  selectionSource: "session",
};

/** Sorted cells (Uint32Array) whose flag has `bit`. */
export function flaggedCells(flags, bit) {
  let k = 0;
  for (let i = 0; i < flags.length; i++) if (flags[i] & bit) k++;
  const out = new Uint32Array(k);
  k = 0;
  for (let i = 0; i < flags.length; i++) if (flags[i] & bit) out[k++] = i;
  return out;
}

/** A docked panel's state: {open, collapsed, resultId} (`view` has `panel` and `shownId()`). */
export function panelState(view) {
  const open = view.panel.isOpen();
  return { open, collapsed: open && view.panel.isCollapsed(), resultId: open ? view.shownId() : null };
}

/**
 * Put a docked panel (`view`: `panel`, `show(command)`) in `state`: closed, or open (showing the
 * result `state.resultId` when there is one) and collapsed or not. A result that cannot be
 * fetched any more leaves the panel open with the reason (the panel shows it).
 */
export async function restorePanel(view, state) {
  if (!state || !state.open) {
    view.panel.close();
    return;
  }
  if (state.resultId !== null && state.resultId !== undefined) {
    try {
      await view.show({ resultId: state.resultId });
    } catch (err) {
      console.warn(`cellucid: a restored panel cannot show ${state.resultId}: ${err.message}`);
    }
  }
  view.panel.open();
  view.panel.collapse(Boolean(state.collapsed));
}

/**
 * The page's view as a (partial) session: embedding, camera (with the canvas size and the
 * point-size reference), colouring, colour map, point size, theme, selection, highlight groups,
 * hidden cells and the panels (`ui.panels()`: {compare, genePlots} of `panelState`).
 */
export async function captureView(app, ui) {
  const n = app.n;
  const groups = [];
  for (const g of app.highlights.values()) groups.push({ name: g.name, color: g.color, cells: await encodeCells(g.cells, n) });
  // a tiled view's hidden cells are a set the kernel holds (its flags cover the drawn cells)
  const hidden = app.hiddenCells ? app.hiddenCells() : flaggedCells(app.flags, FLAG_HIDDEN);
  const c = app.colorBy;
  const camera = app.embedding ? {
    ...app.camera.state(), width: app.camera.width, height: app.camera.height,
    homePixelsPerUnit: app.homePixelsPerUnit || app.camera.pixelsPerUnit(),
  } : null;
  return {
    format: defaults.format,
    version: defaults.version,
    n_cells: n,
    embedding: app.embedding ? app.embedding.name : null,
    camera,
    colorBy: c ? { field: c.field, kind: c.kind, ...(c.layer ? { layer: c.layer } : {}) } : null,
    colormap: app.colormap,
    pointSize: app.pointSize(),
    theme: app.theme,
    selection: await encodeCells(app.selection, n),
    highlightGroups: groups,
    hidden: hidden.length ? await encodeCells(hidden, n) : null,
    panels: ui && ui.panels ? ui.panels() : {},
  };
}

/** Every cell list of a restored `view`, decoded (so a bad one refuses before anything changes). */
async function decodeView(view, n) {
  const groups = [];
  for (const g of view.highlightGroups || []) groups.push({ name: String(g.name), color: String(g.color), cells: await decodeCells(g.cells, n) });
  return {
    groups,
    selection: await decodeCells(view.selection || [], n),
    hidden: view.hidden == null ? new Uint32Array(0) : await decodeCells(view.hidden, n),
  };
}

/** Whether `name` must be (re)loaded: another embedding than the one shown, or a newer version. */
function needsEmbedding(app, name) {
  if (!app.embedding || app.embedding.name !== name) return true;
  const meta = app.manifest.embeddings.find((e) => e.name === name);
  return Boolean(meta) && Number(meta.version || 0) !== Number(app.embedding.version || 0);
}

/**
 * Show a restored view (a `restoreSession` command, or `_cellucid/info`'s `session`): theme,
 * panels (then `ui.layout()` sizes the dock and the canvas at once), embedding, hidden cells,
 * colour map and colouring, highlight groups, the selection (posting `selection` with source
 * "session"), the camera, and last the point size (the user's setting that draws points
 * `pointSize` CSS px across at that camera). A field left out (`embedding`, `colorBy`, `camera`,
 * `pointSize`) keeps what the page shows. `ui`: setPanels(panels) (async), layout().
 */
export async function restoreView(app, ui, view) {
  const cells = await decodeView(view, app.n);
  if (view.theme && view.theme !== app.theme) app.setTheme(view.theme);
  if (ui && ui.setPanels) await ui.setPanels(view.panels || {});
  if (ui && ui.layout) ui.layout();
  if (view.embedding && needsEmbedding(app, view.embedding)) await app.setEmbedding(view.embedding);
  app.setVisibility(null, true);
  if (cells.hidden.length) app.setVisibility(cells.hidden, false);
  if (view.colormap && Object.prototype.hasOwnProperty.call(colormaps, view.colormap)) app.setColormap(view.colormap);
  if ("colorBy" in view) {
    if (view.colorBy) await app.setColorBy(view.colorBy.field, view.colorBy.kind, view.colorBy.layer);
    else app.applyUniform();
  }
  app.clearHighlights(null);
  for (const g of cells.groups) app.setHighlight(g.name, g.color, g.cells);
  app.select(cells.selection, { source: defaults.selectionSource, mode: "replace" });
  if ("camera" in view) app.restoreCamera(view.camera);
  if (view.pointSize > 0) app.setPointScale(view.pointSize / app.autoPointSize());
}

/**
 * One page's capture and restore: `capture()` its view (with `ui.panels()`), `restore(view)`
 * shows one (`restoreView`), once per `restoreId` — a page that restored a session as it started
 * skips the command of that same restore — and counts restores in `data-cellucid-restores`.
 */
export function createViewKeeper(app, ui) {
  let last = null, count = 0;
  return {
    capture: () => captureView(app, ui),
    async restore(view) {
      if (view.restoreId && view.restoreId === last) return false;
      await restoreView(app, ui, view);
      last = view.restoreId || null;
      count += 1;
      if (globalThis.document) document.body.dataset.cellucidRestores = String(count);
      return true;
    },
  };
}
