import test from "node:test";
import assert from "node:assert/strict";
import { finiteSorted, kde, quantileSorted, silvermanBandwidth, violinShape } from "../../src/cellucid/web/kde.js";

const close = (a, b, tol = 1e-9) => assert.ok(Math.abs(a - b) <= tol, `${a} is not ${b}`);

test("finiteSorted drops null, NaN and infinities and sorts numerically", () => {
  assert.deepEqual(Array.from(finiteSorted([3, null, 10, NaN, -1, Infinity, 2])), [-1, 2, 3, 10]);
  assert.equal(finiteSorted(undefined).length, 0);
});

test("quantiles interpolate linearly between order statistics (R type 7)", () => {
  const xs = Float64Array.from([1, 2, 3, 4]);
  close(quantileSorted(xs, 0.25), 1.75);
  close(quantileSorted(xs, 0.5), 2.5);
  close(quantileSorted(xs, 1), 4);
  assert.ok(Number.isNaN(quantileSorted(new Float64Array(0), 0.5)));
});

test("the bandwidth is R's bw.nrd0", () => {
  // bw.nrd0(1:5) in R: 0.9 * min(sd, IQR / 1.34) * 5^(-1/5)
  close(silvermanBandwidth([5, 4, 3, 2, 1]), 0.9 * Math.min(Math.sqrt(2.5), 2 / 1.34) * 5 ** -0.2);
  // Mostly zeros: IQR 0, so the sd is used.
  const sample = [0, 0, 0, 0, 0, 0, 0, 0, 3, 5];
  const mean = 0.8, sd = Math.sqrt(sample.reduce((s, x) => s + (x - mean) ** 2, 0) / 9);
  close(silvermanBandwidth(sample), 0.9 * sd * 10 ** -0.2);
  // No spread at all: |x0|, then 1.
  close(silvermanBandwidth([2, 2, 2]), 0.9 * 2 * 3 ** -0.2);
  close(silvermanBandwidth([0, 0]), 0.9 * 2 ** -0.2);
});

test("the density integrates to 1 and peaks at the centre of a symmetric sample", () => {
  const sample = [-1, -0.5, 0, 0, 0.5, 1];
  const curve = kde(sample, { points: 801, lo: -8, hi: 8 });
  assert.equal(curve.length, 801);
  let area = 0;
  for (let i = 1; i < curve.length; i++) area += ((curve[i].density + curve[i - 1].density) / 2) * (curve[i].value - curve[i - 1].value);
  close(area, 1, 1e-6);
  const peak = curve.reduce((a, b) => (b.density > a.density ? b : a));
  close(peak.value, 0, 1e-9);
  // A single point with bandwidth h is the normal density of sd h.
  close(kde([0], { bandwidth: 2, lo: 0, hi: 0 })[0].density, 1 / (2 * Math.sqrt(2 * Math.PI)));
});

test("kde of nothing is empty; a constant sample gives one point at its value", () => {
  assert.deepEqual(kde([]), []);
  assert.deepEqual(kde([null, NaN]), []);
  const one = kde([3, 3, 3]);
  assert.equal(one.length, 1);
  assert.equal(one[0].value, 3);
  assert.ok(one[0].density > 0);
});

test("a violin spans its min to max with half-width 1 at its widest", () => {
  const v = { min: 0, max: 4, values: [0, 0, 0, 1, 2, 4, null] };
  const shape = violinShape(v, { points: 30 });
  assert.equal(shape.length, 30);
  assert.equal(shape[0].value, 0);
  assert.equal(shape[29].value, 4);
  assert.equal(Math.max(...shape.map((p) => p.width)), 1);
  assert.ok(shape.every((p) => p.width >= 0 && p.width <= 1));
  // The sample's own range when the summary has none; empty when there are no values.
  const own = violinShape({ values: [1, 2, 3] });
  assert.equal(own[0].value, 1);
  assert.equal(own[own.length - 1].value, 3);
  assert.deepEqual(violinShape({ min: 0, max: 1, values: [] }), []);
});
