import test from "node:test";
import assert from "node:assert/strict";
import { createCommandHandler } from "../../src/cellucid/web/commands.js";
import { captureView } from "../../src/cellucid/web/viewstate.js";

function fakeApp() {
  return {
    n: 10,
    highlights: new Map(),
    selection: Uint32Array.of(2, 3),
    embedding: { name: "umap" },
    colorBy: { field: "leiden", kind: "obs" },
    camera: { width: 300, height: 200, state: () => ({ kind: "2d", cx: 0, cy: 0, scale: 1 }), pixelsPerUnit: () => 1 },
    flags: new Uint8Array(10),
    colormap: "viridis",
    theme: "dark",
    pointSize: () => 3,
    frameScheduled: false,
    draws: 0,
    calls: [],
    setHighlight(name, color, cells) {
      this.calls.push(["setHighlight", name, color, Array.from(cells)]);
      this.highlights.set(name, { name, color, cells });
      this.frameScheduled = true;
    },
    async setColorBy(field) { throw new Error(`unknown obs column ${field}`); },
    drawNow() { this.draws += 1; this.frameScheduled = false; },
  };
}

function fakeBridge() {
  return { sent: [], send(type, payload) { this.sent.push([type, payload]); return Promise.resolve(true); } };
}

const auth = { viewerId: "v", viewerToken: "t" };

test("a command is applied, drawn, then acknowledged", async () => {
  const app = fakeApp(), bridge = fakeBridge();
  const apply = createCommandHandler({ app, bridge, auth, commandsState: () => ({ connected: true }), onFreeze() {} });
  await apply({ id: "c1", type: "highlight", name: "tumour", color: "#00ff00", cells: [7, 1, 7] });
  assert.deepEqual(app.calls, [["setHighlight", "tumour", "#00ff00", [1, 7]]]);
  assert.equal(app.draws, 1);
  assert.deepEqual(bridge.sent, [["command_result", { id: "c1", ok: true }]]);
});

test("a failing command is acknowledged with the reason", async () => {
  const app = fakeApp(), bridge = fakeBridge();
  const apply = createCommandHandler({ app, bridge, auth, commandsState: () => ({}), onFreeze() {} });
  await apply({ id: "c2", type: "setColorBy", field: "nope", kind: "obs" });
  await apply({ id: "c3", type: "select", cells: [10] });
  assert.deepEqual(bridge.sent[0], ["command_result", { id: "c2", ok: false, error: "unknown obs column nope" }]);
  assert.equal(bridge.sent[1][1].ok, false);
  assert.match(bridge.sent[1][1].error, /cell 10/);
});

test("requestSessionBundle posts the bundle with the viewer's credentials", async () => {
  const app = fakeApp(), bridge = fakeBridge();
  const posts = [];
  const fetch = async (url, init) => {
    posts.push({ url, body: JSON.parse(init.body) });
    return posts.length === 1 ? { ok: true, status: 200 } : { ok: false, status: 409, json: async () => ({ message: "no such request" }) };
  };
  const apply = createCommandHandler({ app, bridge, auth, fetch, commandsState: () => ({}), onFreeze() {} });
  await apply({ id: "c4", type: "requestSessionBundle", requestId: "r 1" });
  assert.equal(posts[0].url, "_cellucid/session_bundle?viewerId=v&viewerToken=t&requestId=r%201");
  assert.deepEqual(posts[0].body, await captureView(app));
  assert.equal(posts[0].body.embedding, "umap");
  assert.equal(posts[0].body.format, "cellucid-session");
  assert.deepEqual(posts[0].body.selection, [2, 3]);
  assert.deepEqual(bridge.sent[0], ["command_result", { id: "c4", ok: true }]);
  await apply({ id: "c5", type: "requestSessionBundle", requestId: "r2" });
  assert.deepEqual(bridge.sent[1], ["command_result", { id: "c5", ok: false, error: "session bundle upload failed: no such request" }]);
});

test("freeze is acknowledged before the page freezes", async () => {
  const app = fakeApp(), bridge = fakeBridge();
  const order = [];
  bridge.send = (type) => { order.push(type); return Promise.resolve(true); };
  const apply = createCommandHandler({ app, bridge, auth, commandsState: () => ({}), onFreeze: (m) => order.push(`freeze:${m}`) });
  await apply({ id: "c6", type: "freeze", message: "stopped" });
  assert.deepEqual(order, ["command_result", "freeze:stopped"]);
});

function liveApp() {
  const app = fakeApp();
  Object.assign(app, {
    manifest: { revision: 1, obs: [{ name: "leiden", kind: "categorical" }], embeddings: [{ name: "umap", dims: 2 }] },
    data: { manifest: async () => { app.calls.push(["manifest"]); return { revision: 2, obs: [{ name: "python:s", title: "s" }], embeddings: [{ name: "umap", dims: 2 }] }; } },
    changed(kind) { app.calls.push(["changed", kind]); },
    replaceManifest(m) { app.manifest = m; app.changed("manifest"); },
    async setColorBy(field, kind) { app.calls.push(["setColorBy", field, kind, this.manifest.revision]); },
    async setEmbedding(name) { app.calls.push(["setEmbedding", name, this.manifest.revision]); },
    showOnly(cells) { app.calls.push(["showOnly", Array.from(cells)]); },
    showAll() { app.calls.push(["showAll"]); },
    applyUniform() { app.calls.push(["applyUniform"]); },
  });
  return app;
}

test("setColorBy with a newer revision re-fetches the manifest first; an equal one does not", async () => {
  const app = liveApp(), bridge = fakeBridge();
  const apply = createCommandHandler({ app, bridge, auth, commandsState: () => ({}), onFreeze() {} });
  await apply({ id: "c7", type: "setColorBy", field: "python:s", kind: "obs", revision: 2 });
  assert.deepEqual(app.calls, [["manifest"], ["changed", "manifest"], ["setColorBy", "python:s", "obs", 2]]);
  app.calls.length = 0;
  await apply({ id: "c8", type: "setEmbedding", name: "umap", revision: 2 });
  await apply({ id: "c9", type: "setColorBy", field: "leiden", kind: "obs" });
  assert.deepEqual(app.calls, [["setEmbedding", "umap", 2], ["setColorBy", "leiden", "obs", 2]]);
  assert.ok(bridge.sent.every(([type, p]) => type === "command_result" && p.ok));
});

test("refresh, showOnly and showAll are applied and acknowledged", async () => {
  const app = liveApp(), bridge = fakeBridge();
  const apply = createCommandHandler({ app, bridge, auth, commandsState: () => ({}), onFreeze() {} });
  await apply({ id: "r1", type: "refresh", revision: 2 });
  await apply({ id: "s1", type: "showOnly", cells: [4, 1] });
  await apply({ id: "s2", type: "showAll" });
  await apply({ id: "s3", type: "showOnly", cells: [99] });
  // "leiden" is not in the new manifest: uniform colour; "umap" kept its version: no refit.
  assert.deepEqual(app.calls, [["manifest"], ["changed", "manifest"], ["applyUniform"], ["showOnly", [1, 4]], ["showAll"]]);
  assert.equal(app.manifest.revision, 2);
  assert.deepEqual(bridge.sent.map(([, p]) => p.ok), [true, true, true, false]);
});

test("an unknown command becomes a cellucid-command event on window", async () => {
  const app = fakeApp(), bridge = fakeBridge();
  globalThis.window = new EventTarget();
  const seen = [];
  window.addEventListener("cellucid-command", (e) => seen.push(e.detail));
  const apply = createCommandHandler({ app, bridge, auth, commandsState: () => ({}), onFreeze() {} });
  await apply({ id: "m1", type: "myThing", x: 1 });
  delete globalThis.window;
  assert.deepEqual(seen, [{ id: "m1", type: "myThing", x: 1 }]);
  assert.deepEqual(bridge.sent, [["command_result", { id: "m1", ok: true }]]);
});

test("requestImage renders at the asked scale and posts the PNG with the credentials", async () => {
  const app = fakeApp(), bridge = fakeBridge();
  const png = { type: "image/png", size: 3 };
  const scales = [], posts = [];
  const fetch = async (url, init) => {
    posts.push({ url, init });
    return posts.length === 1 ? { ok: true, status: 200 } : { ok: false, status: 409, json: async () => ({ message: "nobody waits for r2" }) };
  };
  const renderImage = async (scale) => { scales.push(scale); return png; };
  const apply = createCommandHandler({ app, bridge, auth, fetch, renderImage, commandsState: () => ({}), onFreeze() {} });
  await apply({ id: "i1", type: "requestImage", requestId: "r1", scale: 2 });
  assert.deepEqual(scales, [2]);
  assert.equal(posts[0].url, "_cellucid/image?viewerId=v&viewerToken=t&requestId=r1");
  assert.equal(posts[0].init.method, "POST");
  assert.deepEqual(posts[0].init.headers, { "Content-Type": "image/png" });
  assert.equal(posts[0].init.body, png);
  assert.deepEqual(bridge.sent[0], ["command_result", { id: "i1", ok: true }]);
  await apply({ id: "i2", type: "requestImage", requestId: "r2" });
  assert.deepEqual(scales, [2, 1]);
  assert.deepEqual(bridge.sent[1], ["command_result", { id: "i2", ok: false, error: "image upload failed: nobody waits for r2" }]);
});

test("a refused render is acknowledged with the reason and nothing is posted", async () => {
  const app = fakeApp(), bridge = fakeBridge();
  let posted = false;
  const fetch = async () => { posted = true; return { ok: true }; };
  const renderImage = async () => { throw new Error("an image of 40000×30000 px is over this GPU's limit"); };
  const apply = createCommandHandler({ app, bridge, auth, fetch, renderImage, commandsState: () => ({}), onFreeze() {} });
  await apply({ id: "i3", type: "requestImage", requestId: "r3", scale: 50 });
  assert.equal(posted, false);
  assert.match(bridge.sent[0][1].error, /over this GPU's limit/);
});

test("showComparison and showGenePlot go to the panels; acknowledged once they are shown", async () => {
  const app = fakeApp(), bridge = fakeBridge();
  const shown = [];
  const apply = createCommandHandler({
    app, bridge, auth, commandsState: () => ({}), onFreeze() {},
    showComparison: async (c) => { await Promise.resolve(); shown.push(["comparison", c.resultId, bridge.sent.length]); },
    showGenePlot: async (c) => { if (c.resultId === "bad") throw new Error("unknown gene plot 'bad'"); shown.push(["geneplot", c.resultId]); },
  });
  await apply({ id: "k1", type: "showComparison", requestId: "q", resultId: "r1" });
  await apply({ id: "k2", type: "showGenePlot", resultId: "r2" });
  await apply({ id: "k3", type: "showGenePlot", resultId: "bad" });
  assert.deepEqual(shown, [["comparison", "r1", 0], ["geneplot", "r2"]]);
  assert.deepEqual(bridge.sent.map(([, p]) => p), [{ id: "k1", ok: true }, { id: "k2", ok: true }, { id: "k3", ok: false, error: "unknown gene plot 'bad'" }]);
  // A page without the panels refuses rather than dropping the command.
  const bareBridge = fakeBridge();
  const bare = createCommandHandler({ app, bridge: bareBridge, auth, commandsState: () => ({}), onFreeze() {} });
  await bare({ id: "k4", type: "showComparison", resultId: "r1" });
  assert.deepEqual(bareBridge.sent, [["command_result", { id: "k4", ok: false, error: "this page cannot showComparison" }]]);
});

test("restoreSession reloads a newer manifest, then hands the view to the page's views", async () => {
  const app = fakeApp(), bridge = fakeBridge();
  const restored = [];
  let manifests = 0;
  app.manifest = { revision: 1 };
  app.data = { manifest: async () => { manifests += 1; return { revision: 3 }; } };
  app.replaceManifest = (m) => { app.manifest = m; };
  const views = { capture: async () => ({}), restore: async (c) => { restored.push(c.restoreId); } };
  const apply = createCommandHandler({ app, bridge, auth, views, commandsState: () => ({}), onFreeze() {} });
  await apply({ id: "c9", type: "restoreSession", restoreId: "s1", revision: 3, selection: [] });
  assert.equal(manifests, 1);
  assert.deepEqual(restored, ["s1"]);
  assert.deepEqual(bridge.sent[0], ["command_result", { id: "c9", ok: true }]);
  const bare = createCommandHandler({ app, bridge, auth, commandsState: () => ({}), onFreeze() {} });
  await bare({ id: "c10", type: "restoreSession", restoreId: "s2" });
  assert.deepEqual(bridge.sent[1], ["command_result", { id: "c10", ok: false, error: "this page cannot restore a session" }]);
});
