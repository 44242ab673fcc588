import test from "node:test";
import assert from "node:assert/strict";
import { union, subtract, combine, modeFromModifiers, filterVisible } from "../../src/cellucid/web/selection.js";

const u = (a) => Uint32Array.from(a);

test("union and subtract of sorted lists", () => {
  assert.deepEqual(Array.from(union(u([1, 3, 5]), u([2, 3, 6]))), [1, 2, 3, 5, 6]);
  assert.deepEqual(Array.from(subtract(u([1, 3, 5, 7]), u([3, 4, 7]))), [1, 5]);
});

test("combine by mode", () => {
  assert.deepEqual(Array.from(combine(u([1, 2]), u([3]), "replace")), [3]);
  assert.deepEqual(Array.from(combine(u([1, 2]), u([3]), "add")), [1, 2, 3]);
  assert.deepEqual(Array.from(combine(u([1, 2]), u([2]), "subtract")), [1]);
});

test("modifiers: shift adds, alt subtracts", () => {
  assert.equal(modeFromModifiers({}), "replace");
  assert.equal(modeFromModifiers({ shiftKey: true }), "add");
  assert.equal(modeFromModifiers({ altKey: true }), "subtract");
});

test("filterVisible drops flagged cells", () => {
  const flags = new Uint8Array([0, 1, 0, 2]);
  assert.deepEqual(Array.from(filterVisible(u([0, 1, 2, 3]), flags, 1)), [0, 2, 3]);
});
