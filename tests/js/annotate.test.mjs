import test from "node:test";
import assert from "node:assert/strict";
import { annotationsKey, buildAnnotation, createAnnotate, defaults, placeholderFor } from "../../src/cellucid/web/ui/annotate.js";
import { Bridge } from "../../src/cellucid/web/bridge.js";
import { decodeCells } from "../../src/cellucid/web/cells.js";

test("the annotations key: info's annotationsKey, else cellucid_labels", () => {
  assert.equal(annotationsKey({ annotationsKey: "cell_type_manual" }), "cell_type_manual");
  assert.equal(annotationsKey({ annotationsKey: null }), "cellucid_labels");
  assert.equal(annotationsKey({}), "cellucid_labels");
  assert.equal(annotationsKey(null), "cellucid_labels");
  assert.equal(annotationsKey({ annotationsKey: "  " }), "cellucid_labels");
});

test("buildAnnotation: {key, label, cells}; refuses an empty selection or label, a long label", () => {
  const cells = Uint32Array.of(1, 4);
  assert.deepEqual(buildAnnotation({ key: "k", label: "  T cells ", cells }), { key: "k", label: "T cells", cells });
  assert.throws(() => buildAnnotation({ key: "k", label: "x", cells: new Uint32Array(0) }), /Select cells first/);
  assert.throws(() => buildAnnotation({ key: "k", label: "   ", cells }), /Type a label/);
  assert.throws(() => buildAnnotation({ key: "k", label: "x".repeat(defaults.maxLabelChars + 1), cells }), /at most 200/);
  assert.equal(buildAnnotation({ key: null, label: "x", cells }).key, "cellucid_labels");
  assert.equal(placeholderFor(12), "label for 12 cells");
});

test("the annotation's cells go out in the selection's wire form (array, or bitmask when smaller)", async () => {
  const n = 100000;
  const posted = [];
  const fetch = async (url, init) => { posted.push(JSON.parse(init.body)); return { ok: true, status: 200, headers: { get: () => null } }; };
  const bridge = new Bridge({ viewerId: "v", viewerToken: "t", nCells: n, fetch, prefix: "p" });
  await bridge.send("annotation", buildAnnotation({ key: "k", label: "few", cells: Uint32Array.of(3, 7) }));
  const many = Uint32Array.from({ length: 50000 }, (_, i) => i * 2);
  await bridge.send("annotation", buildAnnotation({ key: "k", label: "many", cells: many }));
  assert.deepEqual(posted[0].cells, [3, 7]);
  assert.equal(posted[0].label, "few");
  assert.equal(posted[1].cells.encoding, "bitmask");
  assert.deepEqual(Array.from(await decodeCells(posted[1].cells, n)), Array.from(many));
});

function fakeField() {
  const listeners = {};
  return {
    value: "", placeholder: "", focused: false,
    addEventListener(type, fn) { listeners[type] = fn; },
    focus() { this.focused = true; },
    blur() { this.focused = false; },
    select() {},
    key(key) {
      const ev = { key, stopped: false, prevented: false, stopPropagation() { this.stopped = true; }, preventDefault() { this.prevented = true; } };
      listeners.keydown(ev);
      return ev;
    },
  };
}

test("the field: Enter posts and closes, Escape cancels, an empty selection gets a message", () => {
  globalThis.document = { body: { dataset: {} } };
  const box = { hidden: true }, input = fakeField();
  const app = { selection: Uint32Array.of(2, 5, 9) };
  const sent = [], toasts = [];
  const bridge = { send: (type, payload) => { sent.push([type, payload]); return Promise.resolve(true); } };
  const ui = createAnnotate({ box, input, app, bridge, key: "labels", toast: (t) => toasts.push(t) });
  ui.open();
  assert.equal(box.hidden, false);
  assert.equal(input.focused, true);
  assert.equal(input.placeholder, "label for 3 cells");
  input.value = "B cells";
  const ev = input.key("Enter");
  assert.ok(ev.stopped, "keys typed in the field do not reach the tool shortcuts");
  assert.deepEqual(sent, [["annotation", { key: "labels", label: "B cells", cells: app.selection }]]);
  assert.equal(box.hidden, true);
  assert.equal(input.value, "");
  assert.equal(document.body.dataset.cellucidAnnotations, "1");
  assert.equal(app.selection.length, 3);

  ui.open();
  input.value = "zzz";
  assert.ok(input.key("Escape").stopped);
  assert.equal(box.hidden, true);
  assert.equal(sent.length, 1);

  app.selection = new Uint32Array(0);
  ui.open();
  input.value = "nothing";
  input.key("Enter");
  assert.equal(sent.length, 1);
  assert.match(toasts.at(-1), /Select cells first/);
  assert.equal(document.body.dataset.cellucidAnnotations, "1");
  delete globalThis.document;
});
