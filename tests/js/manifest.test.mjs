import test from "node:test";
import assert from "node:assert/strict";
import { isNewer, refreshView, reloadManifest, revisionOf, staleness, syncRevision, titleOf, versionOf } from "../../src/cellucid/web/manifest.js";

test("a manifest without revision/version/title reads as 0, 0 and the name", () => {
  assert.equal(revisionOf({}), 0);
  assert.equal(revisionOf(null), 0);
  assert.equal(revisionOf({ revision: 4 }), 4);
  assert.equal(versionOf({ name: "louvain" }), 0);
  assert.equal(versionOf({ name: "louvain", version: 3 }), 3);
  assert.equal(titleOf({ name: "louvain" }), "louvain");
  assert.equal(titleOf({ name: "python:pyscore", title: "pyscore" }), "pyscore");
  assert.equal(titleOf({ name: "x", title: "" }), "x");
});

test("the revision rule: only a greater revision re-fetches", () => {
  assert.equal(isNewer(3, 2), true);
  assert.equal(isNewer(2, 2), false);
  assert.equal(isNewer(1, 2), false);
  assert.equal(isNewer(undefined, 0), false);
  assert.equal(isNewer(null, 0), false);
  assert.equal(isNewer("5", 0), true);
  assert.equal(isNewer("x", 0), false);
});

test("staleness compares version and title; gone for a missing or uncolourable entry", () => {
  const obs = [{ name: "a", version: 2 }, { name: "python:s", title: "s" }, { name: "id", kind: "uncolorable" }];
  assert.equal(staleness({ name: "a", version: 2, title: "a" }, obs), "current");
  assert.equal(staleness({ name: "a", version: 1, title: "a" }, obs), "changed");
  assert.equal(staleness({ name: "python:s", version: 0, title: "s" }, obs), "current");
  assert.equal(staleness({ name: "python:s", version: 0, title: "old" }, obs), "changed");
  assert.equal(staleness({ name: "gone", version: 0 }, obs), "gone");
  assert.equal(staleness({ name: "id", version: 0 }, obs), "gone");
});

function fakeApp(manifest, next) {
  const app = {
    manifest,
    calls: [],
    changes: [],
    colorBy: null,
    embedding: null,
    data: { manifest: async () => { app.calls.push("manifest"); return next(); } },
    changed(kind) { app.changes.push(kind); },
    replaceManifest(m) { app.manifest = m; app.changed("manifest"); },
    async setColorBy(field, kind) { app.calls.push(["setColorBy", field, kind]); },
    async setEmbedding(name) { app.calls.push(["setEmbedding", name]); },
    applyUniform() { app.calls.push("applyUniform"); },
  };
  return app;
}

test("syncRevision reloads only for a newer revision, and announces the new manifest", async () => {
  const app = fakeApp({ revision: 2, obs: [], embeddings: [] }, () => ({ revision: 3, obs: [], embeddings: [] }));
  await syncRevision(app, 2);
  await syncRevision(app, undefined);
  assert.deepEqual(app.calls, []);
  await syncRevision(app, 3);
  assert.deepEqual(app.calls, ["manifest"]);
  assert.equal(app.manifest.revision, 3);
  assert.deepEqual(app.changes, ["manifest"]);
});

test("of overlapping reloads the last one started wins", async () => {
  const replies = [];
  const app = fakeApp({ revision: 0 }, () => new Promise((r) => replies.push(r)));
  const first = reloadManifest(app), second = reloadManifest(app);
  await Promise.resolve();
  replies[1]({ revision: 2 });
  replies[0]({ revision: 1 });
  await Promise.all([first, second]);
  assert.equal(app.manifest.revision, 2);
  assert.deepEqual(app.changes, ["manifest"]);
});

test("refresh re-applies the colour and the embedding only when their version changed", async () => {
  const v1 = { revision: 1, obs: [{ name: "python:s", title: "s", version: 1, kind: "continuous" }], embeddings: [{ name: "X_umap", dims: 2, version: 0 }] };
  const v2 = { revision: 2, obs: [{ name: "python:s", title: "s", version: 2, kind: "continuous" }], embeddings: [{ name: "X_umap", dims: 2, version: 0 }] };
  const app = fakeApp(v1, () => v2);
  app.colorBy = { field: "python:s", kind: "obs", version: 1, title: "s" };
  app.embedding = { name: "X_umap", version: 0, title: "X_umap" };
  await refreshView(app);
  assert.deepEqual(app.calls, ["manifest", ["setColorBy", "python:s", "obs"]]);

  const moved = { ...v2, revision: 3, embeddings: [{ name: "X_umap", dims: 2, version: 1 }] };
  const again = fakeApp(v2, () => moved);
  again.colorBy = { field: "python:s", kind: "obs", version: 2, title: "s" };
  again.embedding = { name: "X_umap", version: 0, title: "X_umap" };
  await refreshView(again);
  assert.deepEqual(again.calls, ["manifest", ["setEmbedding", "X_umap"]]);
});

test("refresh: a column that is gone leaves uniform colour, a gone embedding the default; genes stay", async () => {
  const next = { revision: 5, obs: [], embeddings: [{ name: "X_pca", dims: 2 }, { name: "X_umap", dims: 2 }], default_embedding: "X_umap" };
  const app = fakeApp({ revision: 4, obs: [], embeddings: [] }, () => next);
  app.colorBy = { field: "python:s", kind: "obs", version: 1, title: "s" };
  app.embedding = { name: "python:emb", version: 1, title: "emb" };
  await refreshView(app);
  assert.deepEqual(app.calls, ["manifest", "applyUniform", ["setEmbedding", "X_umap"]]);

  const genes = fakeApp({ revision: 5, obs: [], embeddings: [] }, () => next);
  genes.colorBy = { field: "CST3", kind: "gene", version: null, title: "CST3" };
  await refreshView(genes);
  assert.deepEqual(genes.calls, ["manifest"]);
});
