import test from "node:test";
import assert from "node:assert/strict";
import { cellsInPolygon, cellsInScreenPolygon } from "../../src/cellucid/web/tools/lasso.js";
import { hopsForDrag } from "../../src/cellucid/web/tools/knn.js";
import { toPositions } from "../../src/cellucid/web/data.js";
import { OrbitCamera } from "../../src/cellucid/web/camera.js";
import { FLAG_HIDDEN, FLAG_INVALID, FLAGS_NOT_DRAWN } from "../../src/cellucid/web/constants.js";

test("cellsInPolygon skips flagged cells and uses the bounding box", () => {
  const { positions, invalid } = toPositions(Float32Array.from([0, 0, 1, 1, 5, 5, NaN, 1, 2, 2]), 2);
  const flags = invalid.slice();
  flags[4] |= FLAG_HIDDEN;
  const square = [[-1, -1], [3, -1], [3, 3], [-1, 3]];
  assert.deepEqual(Array.from(cellsInPolygon(positions, flags, FLAGS_NOT_DRAWN, square)), [0, 1]);
});

test("cellsInScreenPolygon matches projection", () => {
  const cam = new OrbitCamera();
  cam.resize(400, 400);
  cam.fit([-1, -1, -1], [1, 1, 1]);
  const pos = Float32Array.from([0, 0, 0, 1, 1, 1]);
  const p = cam.project([1, 1, 1]);
  const box = [[p.x - 2, p.y - 2], [p.x + 2, p.y - 2], [p.x + 2, p.y + 2], [p.x - 2, p.y + 2]];
  assert.deepEqual(Array.from(cellsInScreenPolygon(pos, new Uint8Array(2), FLAGS_NOT_DRAWN, cam, box)), [1]);
});

test("hopsForDrag", () => {
  assert.equal(hopsForDrag(0), 1);
  assert.equal(hopsForDrag(39), 1);
  assert.equal(hopsForDrag(40), 2);
  assert.equal(hopsForDrag(100), 3);
  assert.equal(hopsForDrag(1e6), 50);
});

test("toPositions: 1D gets a jitter band, NaN rows flagged, bounds over valid rows", () => {
  const one = toPositions(Float32Array.from([1, 2, 3, NaN]), 1);
  assert.equal(one.invalid[3], FLAG_INVALID);
  assert.deepEqual(one.min.slice(0, 1), [1]);
  assert.deepEqual(one.max.slice(0, 1), [3]);
  for (let i = 0; i < 3; i++) assert.ok(Math.abs(one.positions[i * 3 + 1]) <= 0.24 + 1e-6);
  const three = toPositions(Float32Array.from([1, 2, 3, 4, 5, 6]), 3);
  assert.deepEqual(three.min, [1, 2, 3]);
  assert.deepEqual(three.max, [4, 5, 6]);
});
