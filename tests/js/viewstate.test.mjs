import test from "node:test";
import assert from "node:assert/strict";
import { FLAG_HIDDEN, FLAG_SELECTED } from "../../src/cellucid/web/constants.js";
import {
  captureView, createViewKeeper, flaggedCells, panelState, restorePanel, restoreView,
} from "../../src/cellucid/web/viewstate.js";

function fakeCamera(kind = "2d") {
  return {
    kind, width: 640, height: 480,
    state: () => (kind === "2d" ? { kind, cx: 1, cy: 2, scale: 30 } : { kind, target: [0, 1, 2], distance: 9, yaw: 0.5, pitch: 0.25 }),
    pixelsPerUnit: () => 30,
  };
}

function fakeApp({ kind = "2d" } = {}) {
  const calls = [];
  const flags = new Uint8Array(10);
  flags[4] = FLAG_HIDDEN;
  flags[6] = FLAG_HIDDEN | FLAG_SELECTED;
  return {
    calls, n: 10, flags, theme: "dark", colormap: "viridis", homePixelsPerUnit: 25,
    manifest: { embeddings: [{ name: "umap", version: 1 }, { name: "pca3d", version: 0 }] },
    embedding: { name: "umap", version: 1 },
    camera: fakeCamera(kind),
    colorBy: { field: "CD3E", kind: "gene", layer: ".raw" },
    selection: Uint32Array.of(6),
    highlights: new Map([["g", { name: "g", color: "#ff00ff", cells: Uint32Array.of(1, 2) }]]),
    pointSize: () => 3.5,
    setTheme(t) { calls.push(["setTheme", t]); this.theme = t; },
    async setEmbedding(name) { calls.push(["setEmbedding", name]); this.embedding = { name, version: 0 }; },
    setVisibility(cells, visible) { calls.push(["setVisibility", cells && Array.from(cells), visible]); },
    setColormap(name) { calls.push(["setColormap", name]); },
    async setColorBy(field, kind, layer) { calls.push(["setColorBy", field, kind, layer]); },
    applyUniform() { calls.push(["applyUniform"]); },
    clearHighlights(name) { calls.push(["clearHighlights", name]); },
    setHighlight(name, color, cells) { calls.push(["setHighlight", name, color, Array.from(cells)]); },
    select(cells, opts) { calls.push(["select", Array.from(cells), opts.source, opts.mode]); },
    restoreCamera(s) { calls.push(["restoreCamera", s]); },
    autoPointSize: () => 2,
    setPointScale(scale) { calls.push(["setPointScale", scale]); },
  };
}

const noPanels = { panels: () => ({}) };

test("flaggedCells lists the cells whose flag has the bit, sorted", () => {
  assert.deepEqual(Array.from(flaggedCells(Uint8Array.of(0, 1, 3, 0, 1), 1)), [1, 2, 4]);
  assert.equal(flaggedCells(new Uint8Array(3), 1).length, 0);
});

test("captureView: the page's part of a session", async () => {
  const app = fakeApp();
  const panels = { compare: { open: true, collapsed: false, resultId: "r3" } };
  const view = await captureView(app, { panels: () => panels });
  assert.deepEqual(view, {
    format: "cellucid-session", version: 2, n_cells: 10, embedding: "umap",
    camera: { kind: "2d", cx: 1, cy: 2, scale: 30, width: 640, height: 480, homePixelsPerUnit: 25 },
    colorBy: { field: "CD3E", kind: "gene", layer: ".raw" }, colormap: "viridis", pointSize: 3.5,
    theme: "dark", selection: [6], highlightGroups: [{ name: "g", color: "#ff00ff", cells: [1, 2] }],
    hidden: [4, 6], panels,
  });
  app.colorBy = { field: "louvain", kind: "obs" };
  app.flags = new Uint8Array(10);
  app.camera = fakeCamera("3d");
  const again = await captureView(app, noPanels);
  assert.deepEqual(again.colorBy, { field: "louvain", kind: "obs" });
  assert.equal(again.hidden, null);
  assert.deepEqual(again.camera.target, [0, 1, 2]);
  assert.equal(again.camera.kind, "3d");
});

test("restoreView applies the view in order, the camera last; the selection posts as 'session'", async () => {
  const app = fakeApp();
  const ui = { steps: [], setPanels: async (p) => ui.steps.push(["panels", p]), layout: () => ui.steps.push(["layout"]) };
  const camera = { kind: "2d", cx: 0, cy: 0, scale: 2, width: 640, height: 480, homePixelsPerUnit: 1 };
  await restoreView(app, ui, {
    theme: "light", panels: { compare: { open: false } }, embedding: "pca3d", hidden: [3, 4],
    colormap: "magma", colorBy: { field: "louvain", kind: "obs" }, selection: [5, 1],
    highlightGroups: [{ name: "a", color: "#00ff00", cells: [7] }], camera, pointSize: 5,
  });
  assert.deepEqual(ui.steps, [["panels", { compare: { open: false } }], ["layout"]]);
  assert.deepEqual(app.calls, [
    ["setTheme", "light"], ["setEmbedding", "pca3d"], ["setVisibility", null, true],
    ["setVisibility", [3, 4], false], ["setColormap", "magma"],
    ["setColorBy", "louvain", "obs", undefined], ["clearHighlights", null],
    ["setHighlight", "a", "#00ff00", [7]], ["select", [1, 5], "session", "replace"],
    ["restoreCamera", camera], ["setPointScale", 2.5],   // 5 px across where automatic is 2
  ]);
});

test("restoreView keeps what a view leaves out; an unknown colour map is ignored; null colours uniformly", async () => {
  const app = fakeApp();
  await restoreView(app, {}, { embedding: "umap", colormap: "no-such-map", selection: [], highlightGroups: [] });
  assert.deepEqual(app.calls.map((c) => c[0]), ["setVisibility", "clearHighlights", "select"]);
  const other = fakeApp();
  await restoreView(other, {}, { colorBy: null, camera: null });
  assert.deepEqual(other.calls.map((c) => c[0]), ["setVisibility", "applyUniform", "clearHighlights", "select", "restoreCamera"]);
});

test("restoreView reloads an embedding of the same name whose version changed", async () => {
  const app = fakeApp();
  app.manifest.embeddings[0].version = 2;
  await restoreView(app, {}, { embedding: "umap" });
  assert.deepEqual(app.calls[0], ["setEmbedding", "umap"]);
});

test("restoreView refuses bad cells before changing anything", async () => {
  const app = fakeApp();
  await assert.rejects(restoreView(app, {}, { theme: "light", selection: [10] }), /cell 10/);
  await assert.rejects(restoreView(app, {}, { highlightGroups: [{ name: "g", color: "#fff", cells: [-1] }] }));
  assert.deepEqual(app.calls, []);
});

test("createViewKeeper restores once per restoreId and counts restores", async () => {
  const app = fakeApp();
  const keeper = createViewKeeper(app, noPanels);
  assert.equal(await keeper.restore({ restoreId: "a", selection: [1] }), true);
  assert.equal(await keeper.restore({ restoreId: "a", selection: [1] }), false);
  assert.equal(await keeper.restore({ restoreId: "b", selection: [2] }), true);
  assert.deepEqual(app.calls.filter((c) => c[0] === "select").map((c) => c[1]), [[1], [2]]);
  assert.equal((await keeper.capture()).format, "cellucid-session");
  const failing = createViewKeeper(app, noPanels);
  await assert.rejects(failing.restore({ restoreId: "c", selection: [99] }));
  assert.equal(await failing.restore({ restoreId: "c", selection: [3] }), true);   // a failed one may be retried
});

function fakePanelView() {
  const log = [];
  let open = false, collapsed = false;
  return {
    log,
    panel: {
      isOpen: () => open, isCollapsed: () => collapsed,
      open() { open = true; collapsed = false; log.push("open"); },
      close() { open = false; log.push("close"); },
      collapse(flag) { collapsed = flag; log.push(`collapse ${flag}`); },
    },
    shownId: () => "r7",
    async show(c) { log.push(`show ${c.resultId}`); if (c.resultId === "gone") throw new Error("404"); open = true; },
  };
}

test("panelState and restorePanel: open, collapsed, the result shown", async () => {
  const view = fakePanelView();
  assert.deepEqual(panelState(view), { open: false, collapsed: false, resultId: null });
  await restorePanel(view, { open: true, collapsed: true, resultId: "r9" });
  assert.deepEqual(view.log, ["show r9", "open", "collapse true"]);
  assert.deepEqual(panelState(view), { open: true, collapsed: true, resultId: "r7" });
  await restorePanel(view, { open: false });
  assert.equal(view.panel.isOpen(), false);
  await restorePanel(view, { open: true, resultId: "gone" });   // a result no longer kept
  assert.equal(view.panel.isOpen(), true);
});

test("the point size slider sets the app's factor on a log scale, and follows a restored one", async () => {
  const { createPointSizeControl, scaleOf, sliderValue } = await import("../../src/cellucid/web/ui/pointsize.js");
  const listeners = {};
  const input = { addEventListener: (type, fn) => { listeners[type] = fn; } };
  const app = { pointScale: 1, setPointScale(s) { this.pointScale = Math.min(4, Math.max(0.25, s)); } };
  const control = createPointSizeControl(input, app);
  assert.equal(input.type, "range");
  assert.deepEqual([Number(input.min), Number(input.max), Number(input.value)], [-2, 2, 0]);
  input.value = "1";
  listeners.input();
  assert.equal(app.pointScale, 2);
  listeners.dblclick();
  assert.equal(app.pointScale, 1);
  app.pointScale = 0.5;   // a restored session's setting
  control.sync("pointSize");
  assert.equal(Number(input.value), -1);
  assert.equal(scaleOf(sliderValue(3)), 3);
});
