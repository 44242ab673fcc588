// Entry point: learns the credentials and the transport (`transport.js`: the page URL and HTTP,
// or the notebook widget's comm), loads the data, draws the first frame, posts `ready` and
// `transport`, then listens for commands. Every URL is relative to the page. Also the entry of
// the widget's app script (`webdeps/build-widget.mjs`), which the widget loader imports in the notebook
// page for `createCommFetch` alone: the app starts only in a document holding its canvas.

import { Bridge, forwardConsole } from "./bridge.js";
import { createCommandHandler } from "./commands.js";
import { FLAGS_NOT_DRAWN } from "./constants.js";
import { DataClient } from "./data.js";
import { viewerGone } from "./http.js";
import { CommandStream } from "./stream.js";
import { pageTransport } from "./transport.js";
import { Interaction } from "./interaction.js";
import { createApp } from "./lod/app.js";
import { LassoTool } from "./tools/lasso.js";
import { KnnTool } from "./tools/knn.js";
import { ProximityTool } from "./tools/proximity.js";
import { Sketch } from "./ui/sketch.js";
import { createToolbar } from "./ui/toolbar.js";
import { renderLegend, renderHighlights } from "./ui/legend.js";
import { renderColorbar } from "./ui/colorbar.js";
import { createGeneSearch } from "./ui/search.js";
import { Messages } from "./ui/messages.js";
import { Tooltip, describeCell } from "./ui/tooltip.js";
import { createControls } from "./ui/controls.js";
import { createDock } from "./ui/dock.js";
import { annotationsKey, createAnnotate, createAnnotatePanel } from "./ui/annotate.js";
import { createComparePanel } from "./ui/compare.js";
import { createGenePlotPanel } from "./ui/geneplots.js";
import { downloadBlob } from "./ui/dom.js";
import { defaults as imageDefaults, renderImage } from "./image.js";
import { revisionOf } from "./manifest.js";
import { modeFromModifiers } from "./selection.js";
import { nextGroupColor, nextGroupName } from "./highlights.js";
import { createViewKeeper, panelState, restorePanel } from "./viewstate.js";
import { createSessionActions } from "./ui/sessionfile.js";
import { createPointSizeControl } from "./ui/pointsize.js";

export { createCommFetch } from "./commfetch.js";

const $ = (sel) => document.querySelector(sel);

async function main() {
  const transport = pageTransport(window);
  const { auth, fetch } = transport;
  const messages = new Messages(document);
  document.body.dataset.cellucidReady = "0";
  if (!auth.viewerId || !auth.viewerToken) {
    messages.gone(true);
    $("#gone .detail").textContent = "This page needs ?viewerId=…&viewerToken=… in its URL; open it from Python (cellucid.show_anndata).";
    return;
  }
  const bridge = connectBridge(auth, fetch, messages);
  const data = new DataClient({ ...auth, fetch });
  const canvas = $("#gl");
  // `_cellucid/info` says whether the page draws every cell or a point budget by tiles.
  let info, manifest;
  try {
    [info, manifest] = await Promise.all([data.info(), data.manifest()]);
  } catch (err) {
    if (viewerGone(err.status)) messages.gone(true);
    else messages.banner(`Could not load the data: ${err.message}`);
    throw err;
  }
  const app = await startApp({ canvas, data, bridge, messages, info });
  // The panels are made once the app holds the manifest.
  const panels = { annotate: null, compare: null, genePlots: null };
  const page = createControlsOfTheView({ app, data, bridge, messages, canvas, panels });
  app.useManifest(manifest);
  bridge.nCells = manifest.n_cells;
  if (info.title) document.title = `${info.title} · cellucid`;
  document.body.dataset.cellucidRevision = String(revisionOf(manifest));
  createPanels({ app, data, bridge, messages, info, manifest, panels, annotatePanel: page.annotatePanel });
  const views = createSessionParts({ app, auth, fetch, info, messages, panels, layout: page.layout });
  // A viewer shown with a session opens on it: `ready` means "the restored view is drawn".
  const openSession = () => views.restore(info.session).catch((err) => messages.toast(`Cannot restore the session: ${err.message}`));
  await drawFirstFrame(app, info, manifest, page.refreshStatus, info.session ? openSession : null, messages);
  bridge.send("ready", { n_cells: app.n, dimensions: app.embedding.dims, embedding: app.embedding.name });
  bridge.send("transport", { mode: transport.mode, reason: transport.reason });
  const stream = listenForCommands({ app, bridge, auth, fetch, transport, panels, messages, views });
  exposeForTests({ app, bridge, stream, interaction: page.interaction, canvas });
}

/** The bridge that carries events to Python, and the page's console forwarded through it. */
function connectBridge(auth, fetch, messages) {
  const bridge = new Bridge({
    ...auth, fetch,
    onGiveUp: (type, reason) => messages.banner(`Could not deliver a "${type}" event to Python (${reason}). Later events are still sent.`),
    onGone: () => messages.gone(true),
    onRefused: (type, reason) => { if (type !== "hover" && type !== "console") messages.toast(`Python refused the ${type}: ${reason}`); },
  });
  const original = forwardConsole(bridge, window);
  bridge.log = original.warn;
  return bridge;
}

/**
 * The viewer's state and drawing on `canvas` (every cell, or a point budget by tiles when
 * `info.tiled`); a lost graphics context says so, and so do the tiles' problems.
 */
async function startApp({ canvas, data, bridge, messages, info }) {
  let app;
  try {
    app = await createApp({ canvas, data, bridge, info, search: location.search, onProblem: (text) => messages.toast(text) });
  } catch (err) {
    messages.banner(`Cannot draw: ${err.message}`);
    throw err;
  }
  canvas.addEventListener("webglcontextlost", (e) => {
    e.preventDefault();
    messages.banner("The graphics context was lost (the GPU was reset or is out of memory). Re-run the cell to draw again.");
    console.warn("cellucid: WebGL context lost");
  });
  return app;
}

/**
 * What the user drives the view with before any data is loaded: the tools, the toolbar and its
 * actions, the pointer and keys, the stage beside the docked panels (which opens them once
 * `panels` holds them). Returns {interaction, annotatePanel, refreshStatus, layout()} (`layout`
 * sizes the dock and the canvas at once).
 */
function createControlsOfTheView({ app, data, bridge, messages, canvas, panels }) {
  const sketch = new Sketch($("#sketch"), () => app.theme);
  const toolCtx = { app, data, sketch, toast: (t) => messages.toast(t), skipBits: FLAGS_NOT_DRAWN };
  const tools = new Map([["lasso", new LassoTool(toolCtx)], ["knn", new KnnTool(toolCtx)], ["proximity", new ProximityTool(toolCtx)]]);
  const actions = selectionActions(app, messages, panels);
  const interaction = new Interaction({
    canvas, app, tools, bridge,
    tooltip: new Tooltip($("#tooltip"), (cell) => describeCell(cell, app.colorBy)),
    onToolChange: (name) => toolbar.setActive(name),
    onClear: actions.clear,
    onHighlight: actions.highlight,
    onAnnotate: actions.annotate,
  });
  const toolbar = createToolbar($("#toolbar"), {
    tools: [{ name: "click", key: "c", title: "Click (C): pan/orbit with drag; click a cell to select it" }, ...tools.values()],
    actions: [
      { name: "reset", label: "Reset view", title: "Fit the data (R)", run: () => app.resetCamera() },
      { name: "highlight", label: "Highlight", key: "h", title: "Make the selection a highlight group (H)", run: actions.highlight },
      { name: "annotate", testid: "cellucid-annotate", label: "Annotate", key: "a", title: "Annotate selection (A)", run: actions.annotate },
      { name: "clear", label: "Clear", title: "Clear the selection (Esc)", run: actions.clear },
      { name: "compare", testid: "cellucid-compare", label: "Compare", title: "Marker genes of the selection against a reference", run: actions.compare },
      { name: "save-image", testid: "cellucid-save-image", label: "Save image", title: "Download the view as a PNG (twice its size)", run: actions.saveImage },
      { name: "theme", label: "Theme", title: "Dark / light background", run: () => app.setTheme(app.theme === "dark" ? "light" : "dark") },
    ],
    onTool: (name) => interaction.setTool(name),
  });
  interaction.setTool("click");
  app.setTheme(app.theme);
  const annotatePanel = createAnnotatePanel($("#annotate"));
  const layout = fitStageBesideTheDock(app, sketch);
  return { interaction, annotatePanel, refreshStatus: () => refreshStatus(app), layout };
}

/** The toolbar's and the keys' actions on the selection and the view. */
function selectionActions(app, messages, panels) {
  const clear = () => {
    if (app.selection.length) app.select(new Uint32Array(0), { source: "clear", mode: "replace" });
  };
  return {
    clear,
    // The selection becomes a highlight group, stored as the `highlight` command stores one.
    highlight: () => {
      if (!app.selection.length) { messages.toast("select cells first"); return; }
      const groups = [...app.highlights.values()];
      app.setHighlight(nextGroupName(groups), nextGroupColor(groups), app.selection);
      clear();
    },
    annotate: () => { if (panels.annotate && !app.frozen) panels.annotate.open(); },
    compare: () => {
      if (!panels.compare) return;
      if (app.selection.length) panels.compare.run();
      else panels.compare.open();
    },
    saveImage: () => {
      if (!app.embedding) return;
      renderImage(app, imageDefaults.saveScale)
        .then((png) => downloadBlob(png, imageDefaults.filename))
        .catch((err) => messages.toast(`Cannot save the image: ${err.message}`));
    },
  };
}

/**
 * The panels dock beside (or below) the stage; the stage keeps the rest, and the canvas follows
 * it. Returns `layout()`: the dock and the canvas sized now (not on the next resize callback).
 */
function fitStageBesideTheDock(app, sketch) {
  const stage = $("#stage");
  const dock = createDock({ view: $("#view"), dock: $("#dock") });
  const fit = () => {
    const r = stage.getBoundingClientRect();
    const dpr = window.devicePixelRatio || 1;
    app.resize(r.width, r.height, dpr);
    sketch.resize(r.width, r.height);
  };
  fit();
  new ResizeObserver(fit).observe(stage);
  const watchDpr = () => {
    matchMedia(`(resolution: ${window.devicePixelRatio}dppx)`).addEventListener("change", () => { fit(); watchDpr(); }, { once: true });
  };
  watchDpr();
  return () => { dock.layout(); fit(); };
}

/** The status line: cells, selected, hidden. */
function refreshStatus(app) {
  const hidden = app.hiddenCount();
  $("#status").textContent = `${app.n.toLocaleString("en-US")} cells` +
    (app.selection.length ? ` · ${app.selection.length.toLocaleString("en-US")} selected` : "") +
    (hidden ? ` · ${hidden.toLocaleString("en-US")} hidden` : "");
  document.body.dataset.cellucidHidden = String(hidden);
}

/**
 * What needs the loaded manifest: the annotate, compare and gene-plot panels (kept in `panels`),
 * the header selects, gene search, and the legend, colour bar and status that follow the app.
 */
function createPanels({ app, data, bridge, messages, info, manifest, panels, annotatePanel }) {
  panels.annotate = createAnnotate({
    box: annotatePanel.box, input: annotatePanel.input, app, bridge,
    key: annotationsKey(info), toast: (t) => messages.toast(t),
  });
  const selects = createControls({
    embeddingSelect: $("#embedding"), colorSelect: $("#colorby"), manifest, app,
    onError: (err) => messages.toast(err.message),
  });
  const pointSize = createPointSizeControl($("#pointsize"), app);
  const controls = { sync: (kind) => { selects.sync(kind); pointSize.sync(kind); } };
  const colorByGene = (name, layer) => app.setColorBy(name, "gene", layer).catch((err) => messages.toast(err.message));
  createGeneSearch($("#gene"), $("#gene-suggestions"), {
    search: (q, limit) => data.searchGenes(q, limit),
    onPick: colorByGene,
  });
  panels.genePlots = createGenePlotPanel($("#geneplots"), { app, bridge, data, onGene: colorByGene });
  panels.compare = createComparePanel($("#compare"), {
    app, bridge, data, onGene: colorByGene, onPlotGenes: (genes, matrix) => panels.genePlots.request(genes, matrix),
  });
  followTheApp(app, controls, panels);
}

/**
 * Sessions in the page: the view captured and restored with its panels (`viewstate.js`), and
 * the Save session / Open session actions. Returns the view keeper.
 */
function createSessionParts({ app, auth, fetch, info, messages, panels, layout }) {
  const views = createViewKeeper(app, {
    panels: () => ({ compare: panelState(panels.compare), genePlots: panelState(panels.genePlots) }),
    setPanels: async (p) => {
      await restorePanel(panels.compare, p.compare);
      await restorePanel(panels.genePlots, p.genePlots);
    },
    layout,
  });
  createSessionActions({
    el: $("#session"), auth, fetch, capture: views.capture, title: () => info.title,
    toast: (t) => messages.toast(t), confirm: (text) => window.confirm(text),
  });
  return views;
}

/** Keep the menus, panels, legend, colour bar, page markers and status in step with the app. */
function followTheApp(app, controls, panels) {
  const legendEl = $("#legend"), colorbarEl = $("#colorbar"), highlightsEl = $("#highlights");
  const pickCategory = (code, ev) => {
    const c = app.colorBy;
    const cells = app.categoryCells(code);
    app.select(cells, { source: "annotation", mode: modeFromModifiers(ev), extra: { field: c.field, category: String(c.categories[code]) } });
  };
  app.onChange((kind) => {
    controls.sync(kind);
    panels.compare.sync(kind);
    if (kind === "color") {
      renderLegend(legendEl, app.colorBy, pickCategory);
      renderColorbar(colorbarEl, app.colorBy, app.colormap, (name) => app.setColormap(name));
      document.body.dataset.cellucidColorBy = app.colorBy ? app.colorBy.field : "";
    } else if (kind === "embedding") {
      document.body.dataset.cellucidEmbedding = app.embedding.name;
      document.body.dataset.cellucidDims = String(app.embedding.dims);
    } else if (kind === "selection") {
      panels.annotate.update();
    } else if (kind === "manifest") {
      document.body.dataset.cellucidRevision = String(revisionOf(app.manifest));
    } else if (kind === "highlights") {
      renderHighlights(highlightsEl, [...app.highlights.values()], (name) => app.clearHighlights(name));
    }
    refreshStatus(app);
  });
}

/**
 * Load the embedding and the first colouring together, and draw the first frame with both.
 * Python's `color=` (an {field, kind} object) wins; else the first categorical with colours.
 * `openSession` (when the viewer was shown with a session) restores it before that frame.
 */
async function drawFirstFrame(app, info, manifest, refresh, openSession, messages) {
  const colorable = manifest.obs.filter((o) => o.kind !== "uncolorable");
  const fallback = colorable.find((o) => o.kind === "categorical" && o.colors) || colorable.find((o) => o.kind === "categorical") || colorable[0] || {};
  const start = info.color ? info.color.field : fallback.name;
  const startKind = info.color ? info.color.kind : undefined;
  const [, applyColor] = await Promise.all([
    app.setEmbedding(info.embedding || manifest.default_embedding || manifest.embeddings[0].name).catch((err) => {
      messages.banner(`Could not load the data: ${err.message}`);
      throw err;
    }),
    start ? app.fetchColor(start, startKind).catch((err) => {
      console.warn(`cellucid: cannot colour by ${start}: ${err.message}`);
      return null;
    }) : null,
  ]);
  performance.mark("cellucid-data-loaded");
  if (applyColor) applyColor();
  else app.applyUniform();
  if (openSession) await openSession();
  performance.mark("cellucid-colors-applied");
  app.finishStarting();
  app.drawNow();
  refresh();
  document.body.dataset.cellucidReady = "1";
  performance.mark("cellucid-ready");
}

/** Apply Python's commands as they stream in (SSE, or long polls over the comm); returns the stream. */
function listenForCommands({ app, bridge, auth, fetch, transport, panels, messages, views }) {
  let stream;
  const apply = createCommandHandler({
    app, bridge, auth, fetch, views,
    commandsState: () => ({ connected: stream.connected, mode: stream.mode }),
    showComparison: (c) => panels.compare.show(c),
    showGenePlot: (c) => panels.genePlots.show(c),
    renderImage: (scale) => renderImage(app, scale),
    onFreeze: (message) => {
      app.freeze();
      bridge.freeze();
      stream.stop();
      messages.freeze(message);
    },
  });
  stream = new CommandStream({
    ...auth, fetch,
    options: { sse: transport.mode !== "comm" },
    onCommand: apply,
    onConnection: (s) => {
      document.body.dataset.cellucidConnected = s.connected ? "1" : "0";
      document.body.dataset.cellucidCommandMode = s.mode;
      if (s.gone) messages.gone(true);
      else if (s.connected) messages.gone(false);
    },
  });
  stream.start();
  return stream;
}

/** `window.__cellucid`: what tests read to compute ground truth (they drive the page with the mouse). */
function exposeForTests({ app, bridge, stream, interaction, canvas }) {
  window.__cellucid = {
    app, bridge, stream, interaction,
    /** Screen position (CSS px, relative to the canvas) of a cell. */
    project: (cell) => app.screenOf(cell),
    /** Screen position (CSS px, relative to the page) of a cell. */
    pagePoint: (cell) => {
      const r = canvas.getBoundingClientRect();
      const p = app.screenOf(cell);
      return { x: r.left + p.x, y: r.top + p.y };
    },
    unproject: (x, y) => app.camera.unproject(x, y),
    camera: () => app.camera.state(),
    pointSize: () => app.pointSize(),
    /** The values cache: cached (kind, name, version) entries, hits, fetches. */
    valueCache: () => app.values.stats(),
    /** The manifest revision the page holds. */
    revision: () => revisionOf(app.manifest),
    /** A tiled view's state: tiles drawn and wanted, cells drawn, the budget, the tile cache. */
    tiles: () => (app.tiled ? { drawn: app.drawn.slice(), wanted: app.scheduler.wanted.slice(), cells: app.scene ? app.scene.n : 0, pending: app.scheduler.pending, budget: app.budget.value, cache: app.cache.stats(), requests: app.loader.requests } : null),
  };
}

if (globalThis.document && document.querySelector("[data-testid=cellucid-canvas]")) {
  main().catch((err) => {
    document.body.dataset.cellucidError = String(err && err.message ? err.message : err);
    console.error("cellucid: the viewer failed to start:", err);
  });
}
