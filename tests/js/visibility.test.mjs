import test from "node:test";
import assert from "node:assert/strict";
import { countFlagged, onlyCells, padBounds, visibleBounds } from "../../src/cellucid/web/visibility.js";
import { FLAG_HIDDEN, FLAG_INVALID, FLAG_SELECTED, FLAGS_NOT_DRAWN } from "../../src/cellucid/web/constants.js";

// n×3 positions from [x, y, z] rows.
const positions = (rows) => Float32Array.from(rows.flat());

test("onlyCells hides every other cell and keeps the other flag bits", () => {
  const flags = Uint8Array.of(0, FLAG_HIDDEN, FLAG_SELECTED, FLAG_INVALID, 0);
  onlyCells(flags, Uint32Array.of(1, 2), FLAG_HIDDEN);
  assert.deepEqual(Array.from(flags), [FLAG_HIDDEN, 0, FLAG_SELECTED, FLAG_INVALID | FLAG_HIDDEN, FLAG_HIDDEN]);
  assert.equal(countFlagged(flags, FLAG_HIDDEN), 3);
  assert.equal(countFlagged(flags, FLAGS_NOT_DRAWN), 3);
});

test("2D bounds of the drawn cells leave hidden and invalid cells out", () => {
  const pos = positions([[0, 0, 0], [10, 5, 0], [-3, 2, 0], [100, 100, 0], [4, -1, 0]]);
  const flags = Uint8Array.of(FLAG_HIDDEN, 0, 0, FLAG_INVALID, FLAG_SELECTED);
  assert.deepEqual(visibleBounds(pos, flags, FLAGS_NOT_DRAWN, 2), { min: [-3, -1], max: [10, 5], count: 3 });
});

test("1D bounds include the jitter axis; 3D bounds have three axes", () => {
  const pos1 = positions([[1, 0.2, 0], [5, -0.4, 0], [9, 0.1, 0]]);
  assert.deepEqual(visibleBounds(pos1, Uint8Array.of(0, 0, FLAG_HIDDEN), FLAGS_NOT_DRAWN, 1), { min: [1, -0.4000000059604645], max: [5, 0.20000000298023224], count: 2 });
  const pos3 = positions([[1, 2, 3], [-1, 4, -6], [50, 50, 50]]);
  assert.deepEqual(visibleBounds(pos3, Uint8Array.of(0, 0, FLAG_HIDDEN), FLAGS_NOT_DRAWN, 3), { min: [-1, 2, -6], max: [1, 4, 3], count: 2 });
});

test("no drawn cell gives null", () => {
  assert.equal(visibleBounds(positions([[1, 1, 0]]), Uint8Array.of(FLAG_HIDDEN), FLAGS_NOT_DRAWN, 2), null);
});

test("padBounds widens spans below a fraction of the full extent, about their centre", () => {
  const { min, max } = padBounds([5, 5], [5, 7], [0, 0], [100, 50], 0.02);
  assert.deepEqual(min, [4, 5]);
  assert.deepEqual(max, [6, 7]);
  const wide = padBounds([0, 0], [40, 30], [0, 0], [100, 50], 0.02);
  assert.deepEqual(wide, { min: [0, 0], max: [40, 30] });
  const flat = padBounds([3, 3], [3, 3], [3, 3], [3, 3]);
  assert.deepEqual(flat, { min: [2.5, 2.5], max: [3.5, 3.5] });
});
