import test from "node:test";
import assert from "node:assert/strict";
import { colorLabel, embeddingLabel } from "../../src/cellucid/web/ui/controls.js";

test("menus show titles: Python-pushed entries by their title, the dataset's by name", () => {
  assert.equal(embeddingLabel({ name: "X_umap", dims: 2 }), "X_umap (2D)");
  assert.equal(embeddingLabel({ name: "python:emb", title: "emb", dims: 3, source: "python" }), "emb (3D)");
  assert.equal(colorLabel({ name: "louvain", kind: "categorical" }), "louvain");
  assert.equal(colorLabel({ name: "python:pyscore", title: "pyscore", kind: "continuous", source: "python" }), "pyscore");
  assert.equal(colorLabel({ name: "barcode", kind: "uncolorable" }), "barcode (cannot colour)");
});
