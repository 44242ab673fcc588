import test from "node:test";
import assert from "node:assert/strict";
import { pointInPolygon, douglasPeucker, simplifyLasso, polygonBounds } from "../../src/cellucid/web/geometry.js";

const square = [[0, 0], [10, 0], [10, 10], [0, 10]];

test("pointInPolygon: inside, outside, concave notch", () => {
  assert.equal(pointInPolygon(5, 5, square), true);
  assert.equal(pointInPolygon(11, 5, square), false);
  assert.equal(pointInPolygon(-1, -1, square), false);
  const u = [[0, 0], [9, 0], [9, 9], [6, 9], [6, 3], [3, 3], [3, 9], [0, 9]];
  assert.equal(pointInPolygon(4.5, 6, u), false);
  assert.equal(pointInPolygon(1.5, 6, u), true);
});

test("polygonBounds", () => {
  assert.deepEqual(polygonBounds(square), [0, 0, 10, 10]);
});

test("douglasPeucker drops collinear points and keeps corners", () => {
  const line = [[0, 0], [1, 0.01], [2, 0], [3, 0], [3, 5]];
  assert.deepEqual(douglasPeucker(line, 0.1), [[0, 0], [3, 0], [3, 5]]);
});

test("simplifyLasso caps vertices at the limit and keeps shape", () => {
  const pts = [];
  for (let i = 0; i < 20000; i++) {
    const a = (i / 20000) * 2 * Math.PI;
    pts.push([500 + 300 * Math.cos(a) + Math.sin(i) * 0.2, 500 + 300 * Math.sin(a)]);
  }
  const out = simplifyLasso(pts, 1000);
  assert.ok(out.length <= 1000, `${out.length} vertices`);
  assert.ok(out.length > 20);
  assert.equal(pointInPolygon(500, 500, out), true);
  assert.equal(pointInPolygon(500, 805, out), false);
});

test("simplifyLasso drops duplicates and the closing point", () => {
  const out = simplifyLasso([[0, 0], [0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]);
  assert.deepEqual(out, [[0, 0], [10, 0], [10, 10], [0, 10]]);
});
