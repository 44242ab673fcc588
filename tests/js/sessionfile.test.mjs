import test from "node:test";
import assert from "node:assert/strict";
import { createSessionActions, openedMessage, sessionFilename } from "../../src/cellucid/web/ui/sessionfile.js";

test("sessionFilename: the title made safe, else cellucid", () => {
  assert.equal(sessionFilename(null), "cellucid.cellucid-session");
  assert.equal(sessionFilename("PBMC 3k / run:2"), "PBMC 3k _ run_2.cellucid-session");
  assert.equal(sessionFilename("   "), "cellucid.cellucid-session");
  assert.equal(sessionFilename("x".repeat(200)).length, 80 + ".cellucid-session".length);
});

test("openedMessage says what a restore left out", () => {
  assert.equal(openedMessage(null), "Session opened");
  assert.equal(openedMessage({ dropped_cells: [], dropped: [] }), "Session opened");
  assert.equal(openedMessage({ dropped_cells: ["a", "b"], dropped: ["the embedding 'X' (gone)"] }),
    "Session opened; 2 of its cells are not in this data; without the embedding 'X' (gone)");
});

// A document just big enough for the actions: elements with datasets, a body, downloads counted.
function fakeDocument() {
  const made = [];
  const element = (tag) => {
    const e = { tag, dataset: {}, listeners: {}, clicks: 0, files: null, value: "" };
    e.addEventListener = (type, fn) => { e.listeners[type] = fn; };
    e.click = () => { e.clicks += 1; };
    e.remove = () => {};
    made.push(e);
    return e;
  };
  return { made, createElement: element, body: { dataset: {}, appendChild() {} } };
}

function reply(status, body) {
  return { ok: status < 300, status, json: async () => body, arrayBuffer: async () => new TextEncoder().encode(JSON.stringify(body)).buffer };
}

test("Save session posts the page's view and downloads Python's whole session", async () => {
  globalThis.document = fakeDocument();
  const posts = [], toasts = [], downloads = [];
  const actions = createSessionActions({
    download: (blob, filename) => downloads.push([blob, filename]),
    auth: { viewerId: "v", viewerToken: "t" }, title: () => "pbmc", toast: (t) => toasts.push(t),
    capture: async () => ({ format: "cellucid-session", selection: [1] }), confirm: () => false,
    fetch: async (url, init) => { posts.push([url, init]); return reply(200, { format: "cellucid-session", n_cells: 3 }); },
  });
  await actions.save();
  assert.equal(posts[0][0], "_cellucid/session/save?viewerId=v&viewerToken=t");
  assert.deepEqual(JSON.parse(posts[0][1].body), { format: "cellucid-session", selection: [1] });
  // Over the notebook comm, Python may take longer than a data request to answer.
  assert.equal(posts[0][1].timeoutMs, 15 * 60 * 1000);
  assert.equal(downloads[0][1], "pbmc.cellucid-session");
  assert.deepEqual(JSON.parse(await downloads[0][0].text()), { format: "cellucid-session", n_cells: 3 });
  assert.deepEqual(toasts, ["Session saved"]);
  delete globalThis.document;
});

test("Open session: a refusal is shown; other cells can be matched by name once confirmed", async () => {
  globalThis.document = fakeDocument();
  const urls = [], toasts = [], asked = [];
  const replies = [
    reply(400, { status: "error", message: "the file is not valid JSON" }),
    reply(409, { status: "error", message: "saved on 700 cells", matchable: true }),
    reply(200, { status: "ok", report: { dropped_cells: ["c1"], dropped: [] } }),
  ];
  const actions = createSessionActions({
    auth: { viewerId: "v", viewerToken: "t" }, title: () => null, toast: (t) => toasts.push(t),
    capture: async () => ({}), confirm: (text) => { asked.push(text); return true; },
    fetch: async (url) => { urls.push(url); return replies.shift(); },
  });
  assert.equal(await actions.openFile("bad"), false);
  assert.equal(document.body.dataset.cellucidSessionError, "the file is not valid JSON");
  assert.equal(await actions.openFile("other cells"), true);
  assert.deepEqual(urls, ["_cellucid/session/open?viewerId=v&viewerToken=t&strict=1",
    "_cellucid/session/open?viewerId=v&viewerToken=t&strict=1",
    "_cellucid/session/open?viewerId=v&viewerToken=t&strict=0"]);
  assert.match(asked[0], /saved on 700 cells[\s\S]*names match/);
  assert.deepEqual(toasts, ["Cannot open the session: the file is not valid JSON",
    "Session opened; 1 of its cells are not in this data"]);
  assert.equal(document.body.dataset.cellucidSessionError, undefined);
  actions.open();
  assert.equal(actions.input.clicks, 1);
  assert.equal(actions.input.dataset.testid, "cellucid-session-file");
  delete globalThis.document;
});
