import test from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import loader, { commReason, frameSrc, mount, probeServer, srcdocFor } from "../../src/cellucid/widget/loader.js";
import { fakeModel, reply } from "./fakemodel.mjs";
import { FakeClock } from "./fakeclock.mjs";

const bundlePath = fileURLToPath(new URL("../../src/cellucid/widget/app.js", import.meta.url));

// ---- a small fake DOM: elements with attributes, children and removal ---------------------------

class FakeElement {
  constructor(tag, doc) {
    this.tagName = tag.toUpperCase();
    this.ownerDocument = doc;
    this.attributes = {};
    this.children = [];
    this.parent = null;
    this.style = {};
    this.textContent = "";
    this.events = [];
  }
  setAttribute(k, v) { this.attributes[k] = String(v); this.events.push(`attr:${k}`); }
  getAttribute(k) { return this.attributes[k] ?? null; }
  appendChild(c) { c.parent = this; this.children.push(c); c.events.push("attached"); return c; }
  remove() {
    if (!this.parent) return;
    this.parent.children = this.parent.children.filter((c) => c !== this);
    this.parent = null;
  }
  find(tag) {
    for (const c of this.children) {
      if (c.tagName === tag.toUpperCase()) return c;
      const deeper = c.find(tag);
      if (deeper) return deeper;
    }
    return null;
  }
}

class FakeIframe extends FakeElement {
  set srcdoc(v) { this._srcdoc = v; this.events.push(`srcdoc:${this.cellucid ? "after-cellucid" : "before-cellucid"}`); }
  get srcdoc() { return this._srcdoc; }
}

function fakeDocument() {
  const doc = { createElement: (tag) => (tag === "iframe" ? new FakeIframe(tag, doc) : new FakeElement(tag, doc)) };
  doc.body = new FakeElement("body", doc);
  return doc;
}

const traits = (over = {}) => ({
  viewer_id: "v1", viewer_token: "tok/+", http_url: "http://127.0.0.1:9/", height: 480,
  app_js: "export const x = 1;", app_css: "body{margin:0}", app_html: '<div id="app"><canvas id="gl"></canvas></div>',
  ...over,
});

const jsonResponse = (body, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

function env(over = {}) {
  const urls = { made: [], revoked: [] };
  return {
    urls,
    fetch: async () => jsonResponse({ status: "ok", version: "1" }),
    importModule: async () => import("../../src/cellucid/web/commfetch.js"),
    createObjectURL: () => { const u = `blob:fake/${urls.made.length}`; urls.made.push(u); return u; },
    revokeObjectURL: (u) => urls.revoked.push(u),
    probeTimeoutMs: 50,
    ...over,
  };
}

// ---- the probe ---------------------------------------------------------------------------------

test("probe: {status: ok} from the health endpoint is the HTTP path", async () => {
  const seen = [];
  const r = await probeServer("/user/x/proxy/8123/", { fetch: async (url, init) => { seen.push([url, init.mode]); return jsonResponse({ status: "ok" }); } });
  assert.equal(r.ok, true);
  assert.deepEqual(seen, [["/user/x/proxy/8123/_cellucid/health", "cors"]]);
});

test("probe: an HTTP error, a foreign answer, a network error, a timeout each say what was seen", async () => {
  const status = await probeServer("http://h/", { fetch: async () => jsonResponse({}, 502) });
  assert.deepEqual(status, { ok: false, reason: "http://h/_cellucid/health answered HTTP 502" });
  const foreign = await probeServer("http://h/", { fetch: async () => new Response("<html>") });
  assert.equal(foreign.ok, false);
  assert.match(foreign.reason, /not as a cellucid server/);
  const refused = await probeServer("http://h/", { fetch: async () => { throw new TypeError("Failed to fetch"); } });
  assert.deepEqual(refused, { ok: false, reason: "http://h/_cellucid/health could not be reached (network error: Failed to fetch)" });
  const clock = new FakeClock();
  const hang = (url, init) => new Promise((_, reject) => init.signal.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))));
  const probing = probeServer("http://h/", { fetch: hang, timeoutMs: 40, clock });
  await clock.advance(40);
  assert.deepEqual(await probing, { ok: false, reason: "no answer from http://h/_cellucid/health within 0.04 s" });
  assert.deepEqual(await probeServer("", {}), { ok: false, reason: "no HTTP address for the kernel's server" });
});

test("probe: a cross-origin server without CORS headers answers a no-cors retry opaquely: reachable", async () => {
  const modes = [];
  const fetch = async (url, init) => {
    modes.push(init.mode);
    if (init.mode === "cors") throw new TypeError("Failed to fetch");
    return { type: "opaque", ok: false, status: 0 };
  };
  const r = await probeServer("http://127.0.0.1:8123/", { fetch });
  assert.equal(r.ok, true);
  assert.match(r.reason, /cross-origin/);
  assert.deepEqual(modes, ["cors", "no-cors"]);
});

// ---- the pieces of the output ------------------------------------------------------------------

test("frameSrc is the viewer URL of the iframe output; srcdocFor assembles the page", () => {
  assert.equal(frameSrc("http://127.0.0.1:8123/", "v1", "a/b+c"), "http://127.0.0.1:8123/?viewerId=v1&viewerToken=a%2Fb%2Bc");
  const doc = srcdocFor({ html: "<body>\n<div id=\"app\"></div>\n</body>", css: "a{b:c}</style><script>", scriptUrl: "blob:null/1" });
  assert.match(doc, /^<!doctype html><html lang="en"><head><meta charset="utf-8">/);
  assert.match(doc, /<style>a\{b:c\}<\\\/style><script><\/style>/);
  assert.match(doc, /<body>\n<div id="app"><\/div>\n<script type="module" src="blob:null\/1"><\/script><\/body><\/html>$/);
  assert.equal((doc.match(/<body>/g) || []).length, 1);
  const bare = srcdocFor({ html: '<div id="app"></div>', css: "", scriptUrl: "blob:x" });
  assert.match(bare, /<body><div id="app"><\/div><script type="module" src="blob:x"><\/script><\/body>/);
  assert.match(commReason("no answer"), /\(no answer\); using the notebook's comm$/);
});

// ---- mount -------------------------------------------------------------------------------------

test("HTTP path: an iframe of the viewer URL, sized like the iframe output; no bundle loaded", async () => {
  const doc = fakeDocument();
  const model = fakeModel(traits());
  const e = env();
  const cleanup = mount({ model, el: doc.body }, e);
  assert.deepEqual(await cleanup.started, { mode: "http", reason: 'http://127.0.0.1:9/_cellucid/health answered {"status":"ok"}' });
  const iframe = doc.body.find("iframe");
  assert.equal(iframe.getAttribute("src"), "http://127.0.0.1:9/?viewerId=v1&viewerToken=tok%2F%2B");
  assert.equal(iframe.getAttribute("width"), "100%");
  assert.equal(iframe.getAttribute("height"), "480");
  assert.equal(iframe.getAttribute("style"), "border:0;width:100%;height:480px;display:block");
  assert.equal(iframe.getAttribute("title"), "cellucid viewer v1");
  assert.equal(iframe.getAttribute("allow"), "clipboard-write");
  assert.equal(iframe.cellucid, undefined);
  assert.deepEqual(e.urls.made, []);
  model.set("height", 300);
  assert.equal(iframe.getAttribute("style"), "border:0;width:100%;height:300px;display:block");
  cleanup();
  assert.equal(doc.body.children.length, 0);
  assert.equal(model.listeners("change:height"), 0);
});

test("comm path: the bundle from a blob URL, frameElement.cellucid set before srcdoc, requests over the comm", async () => {
  const doc = fakeDocument();
  const model = fakeModel(traits());
  const e = env({ fetch: async () => { throw new TypeError("Failed to fetch"); } });
  const cleanup = mount({ model, el: doc.body }, e);
  const started = await cleanup.started;
  assert.equal(started.mode, "comm");
  assert.match(started.reason, /could not be reached \(network error: Failed to fetch\)\); using the notebook's comm$/);
  const iframe = doc.body.find("iframe");
  assert.deepEqual(e.urls.made, ["blob:fake/0"]);
  assert.ok(iframe.events.includes("srcdoc:after-cellucid"));
  assert.ok(iframe.events.indexOf("srcdoc:after-cellucid") < iframe.events.indexOf("attached"));
  assert.deepEqual(iframe.cellucid.auth, { viewerId: "v1", viewerToken: "tok/+" });
  assert.equal(iframe.cellucid.mode, "comm");
  assert.equal(iframe.cellucid.reason, started.reason);
  assert.match(iframe.srcdoc, /<style>body\{margin:0\}<\/style>/);
  assert.match(iframe.srcdoc, /<canvas id="gl"><\/canvas><\/div><script type="module" src="blob:fake\/0"><\/script>/);
  assert.equal(iframe.getAttribute("src"), null);
  // The fetch handed to the app talks over this model's comm.
  const pending = iframe.cellucid.fetch("_cellucid/info?viewerId=v1&viewerToken=tok");
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(model.sent.length, 1);
  reply(model, model.sent[0], { body: new TextEncoder().encode('{"status":"ok"}') });
  assert.deepEqual(await (await pending).json(), { status: "ok" });
  // Removal: pending requests rejected, the blob URL revoked, the comm listener gone.
  const waiting = iframe.cellucid.fetch("_cellucid/commands/poll?after=0&wait=25");
  cleanup();
  await assert.rejects(waiting, TypeError);
  assert.deepEqual(e.urls.revoked, ["blob:fake/0"]);
  assert.equal(model.listeners("msg:custom"), 0);
  assert.equal(doc.body.children.length, 0);
  cleanup();
  assert.deepEqual(e.urls.revoked, ["blob:fake/0"]);
});

test("removed while probing: nothing is shown, no bundle is loaded; the signal cleans up too", async () => {
  const doc = fakeDocument();
  const model = fakeModel(traits());
  const e = env({ fetch: (url, init) => new Promise((_, reject) => init.signal.addEventListener("abort", () => reject(new Error("aborted")))) });
  const ctrl = new AbortController();
  const cleanup = mount({ model, el: doc.body, signal: ctrl.signal }, e);
  ctrl.abort();
  assert.equal(await cleanup.started, null);
  assert.equal(doc.body.children.length, 0);
  assert.deepEqual(e.urls.made, []);
});

test("a bundle that cannot be imported (a CSP without blob:) shows why", async () => {
  const doc = fakeDocument();
  const model = fakeModel(traits());
  const e = env({ fetch: async () => jsonResponse({}, 503), importModule: async () => { throw new TypeError("Failed to fetch dynamically imported module"); } });
  const cleanup = mount({ model, el: doc.body }, e);
  assert.equal((await cleanup.started).mode, "error");
  const p = doc.body.find("p");
  assert.match(p.textContent, /could not start the viewer .*dynamically imported module.*answered HTTP 503/);
  cleanup();
  assert.deepEqual(e.urls.revoked, ["blob:fake/0"]);
});

test("two widgets on one page keep their own comm and requests", async () => {
  const doc = fakeDocument();
  const e = env({ fetch: async () => jsonResponse({}, 404) });
  const a = fakeModel(traits({ viewer_id: "a" })), b = fakeModel(traits({ viewer_id: "b" }));
  const ca = mount({ model: a, el: doc.body }, e), cb = mount({ model: b, el: doc.body }, e);
  await Promise.all([ca.started, cb.started]);
  const [fa, fb] = doc.body.children.map((box) => box.find("iframe").cellucid);
  assert.equal(fa.auth.viewerId, "a");
  const pa = fa.fetch("_cellucid/info"), pb = fb.fetch("_cellucid/info");
  await new Promise((r) => setTimeout(r, 0));
  assert.equal(a.sent.length, 1);
  assert.equal(b.sent.length, 1);
  reply(b, b.sent[0], { body: new TextEncoder().encode("b") });
  reply(a, a.sent[0], { body: new TextEncoder().encode("a") });
  assert.equal(await (await pa).text(), "a");
  assert.equal(await (await pb).text(), "b");
  ca(); cb();
});

test("the default export is anywidget's render, returning the cleanup", () => {
  assert.equal(typeof loader.render, "function");
});

test("the committed bundle exports createCommFetch and starts no app outside the viewer page", async () => {
  const text = readFileSync(bundlePath, "utf8");
  assert.doesNotMatch(text, /\bimport\(|import\.meta/, "the bundle must not load anything relative to its URL");
  const mod = await import(bundlePath);
  assert.deepEqual(Object.keys(mod), ["createCommFetch"]);
  const model = fakeModel();
  const fetch = mod.createCommFetch(model);
  const pending = fetch("_cellucid/health");
  await new Promise((r) => setTimeout(r, 0));
  reply(model, model.sent[0], { body: new TextEncoder().encode('{"status":"ok"}') });
  assert.equal((await (await pending).json()).status, "ok");
  fetch.close();
});
