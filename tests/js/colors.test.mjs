import test from "node:test";
import assert from "node:assert/strict";
import { parseHex, toHex, categoryColors, colormapRGBA, categoryLUT, normalizeContinuous, codesToValues, categoryColor } from "../../src/cellucid/web/colors.js";

test("hex parsing", () => {
  assert.deepEqual(parseHex("#ff00aa"), [255, 0, 170]);
  assert.deepEqual(parseHex("#f0a"), [255, 0, 170]);
  assert.equal(toHex([255, 0, 170]), "#ff00aa");
  assert.throws(() => parseHex("red"));
});

test("category colours: data colours first, palette for the rest, all distinct for many", () => {
  const c = categoryColors(3, ["#123456", "not a colour", null]);
  assert.equal(c[0], "#123456");
  assert.equal(c[1], categoryColor(1));
  const many = new Set(categoryColors(200));
  assert.ok(many.size > 190);
});

test("colormap endpoints match the anchors", () => {
  const v = colormapRGBA("viridis", 256);
  assert.deepEqual(Array.from(v.slice(0, 4)), [0x44, 0x01, 0x54, 255]);
  assert.deepEqual(Array.from(v.slice(255 * 4, 256 * 4)), [0xfd, 0xe7, 0x25, 255]);
});

test("category LUT wraps rows past the texture width", () => {
  const lut = categoryLUT(new Array(5000).fill("#010203"));
  assert.equal(lut.width, 4096);
  assert.equal(lut.height, 2);
  assert.deepEqual(Array.from(lut.data.slice(4999 * 4, 5000 * 4)), [1, 2, 3, 255]);
});

test("continuous values normalise to [0, 1], missing to -1", () => {
  const { values, min, max } = normalizeContinuous(Float32Array.from([2, NaN, 4, Infinity, 3]));
  assert.equal(min, 2);
  assert.equal(max, 4);
  assert.deepEqual(Array.from(values), [0, -1, 1, -1, 0.5]);
  const clamped = normalizeContinuous(Float32Array.from([0, 10]), 2, 4).values;
  assert.deepEqual(Array.from(clamped), [0, 1]);
  assert.deepEqual(Array.from(codesToValues(Uint16Array.from([0, 65535, 7]))), [0, -1, 7]);
});
