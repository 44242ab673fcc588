import test from "node:test";
import assert from "node:assert/strict";
import { flipRows, imageSize, imageUploadUrl } from "../../src/cellucid/web/image.js";
import { fitText, legendLayout } from "../../src/cellucid/web/ui/imagelegend.js";

test("an image is round(css size × scale) pixels at devicePixelRatio 1", () => {
  assert.deepEqual(imageSize(780, 613, 2), { width: 1560, height: 1226, ratio: 2 });
  assert.deepEqual(imageSize(780, 612.5, 1), { width: 780, height: 613, ratio: 1 });
  assert.deepEqual(imageSize(801, 333, 1.5), { width: 1202, height: 500, ratio: 1.5 });
  assert.deepEqual(imageSize(0.2, 0.2, 1), { width: 1, height: 1, ratio: 1 });
});

test("on a denser screen the image keeps the screen's density too", () => {
  assert.deepEqual(imageSize(780, 613, 2, 2), { width: 3120, height: 2452, ratio: 4 });
  assert.deepEqual(imageSize(100, 50, 1, 1.25), { width: 125, height: 63, ratio: 1.25 });
  assert.deepEqual(imageSize(100, 50, 1, 0), { width: 100, height: 50, ratio: 1 });
});

test("scales outside (0, 16] are refused", () => {
  for (const bad of [0, -1, NaN, Infinity, 17, "x", null]) assert.throws(() => imageSize(100, 100, bad), /scale must be/);
  assert.doesNotThrow(() => imageSize(100, 100, "2"));
});

test("WebGL rows (bottom-up) are turned top-down", () => {
  // 2×3 pixels; each row's bytes are its row number.
  const gl = new Uint8Array(2 * 3 * 4);
  for (let y = 0; y < 3; y++) gl.fill(y, y * 8, y * 8 + 8);
  const out = flipRows(gl, 2, 3);
  assert.ok(out instanceof Uint8ClampedArray);
  assert.deepEqual(Array.from(out), [...Array(8).fill(2), ...Array(8).fill(1), ...Array(8).fill(0)]);
});

test("the upload URL carries the credentials and the request id", () => {
  assert.equal(imageUploadUrl({ viewerId: "v", viewerToken: "t" }, "r 1"), "_cellucid/image?viewerId=v&viewerToken=t&requestId=r%201");
});

const measure = (text, bold) => text.length * (bold ? 8 : 7);

test("legend layout: title, then one row per category", () => {
  const colorBy = { field: "leiden", title: "Leiden", type: "categorical", categories: ["0", "1", "2"], colors: ["#111111", "#222222", "#333333"] };
  const layout = legendLayout({ colorBy }, measure);
  assert.deepEqual(layout.rows.map((r) => [r.kind, r.text]), [["title", "Leiden"], ["swatch", "0"], ["swatch", "1"], ["swatch", "2"]]);
  assert.deepEqual(layout.rows.map((r) => r.y), [8, 25, 42, 59]);
  assert.equal(layout.rows[2].color, "#222222");
  assert.equal(layout.height, 8 + 4 * 17 + 8);
  assert.ok(layout.width >= 160 + 16);
});

test("legend layout: a gene's colour bar, then the highlight groups", () => {
  const colorBy = { field: "CD3E", kind: "gene", type: "continuous", min: 0, max: 4.5 };
  const layout = legendLayout({ colorBy, highlights: [{ name: "group 1", color: "#ff0000" }] }, measure);
  assert.deepEqual(layout.rows.map((r) => r.kind), ["title", "ramp", "ticks", "title", "ring"]);
  assert.equal(layout.rows[0].text, "CD3E (gene)");
  assert.deepEqual([layout.rows[2].min, layout.rows[2].max], ["0", "4.5"]);
  assert.equal(legendLayout({ colorBy: null }, measure), null);
});

test("legend layout: rows past the height become '… N more'; long names are cut", () => {
  const categories = Array.from({ length: 50 }, (_, i) => `category number ${i} with a very long name indeed`);
  const colorBy = { field: "c", type: "categorical", categories, colors: categories.map(() => "#000000") };
  const layout = legendLayout({ colorBy }, measure, 200);
  assert.ok(layout.height <= 200, `${layout.height}`);
  const last = layout.rows[layout.rows.length - 1];
  assert.equal(last.kind, "more");
  assert.equal(last.text, `… ${51 - (layout.rows.length - 1)} more`);
  assert.ok(layout.rows[1].text.endsWith("…"));
  assert.ok(measure(layout.rows[1].text) <= 200);
});

test("fitText keeps short text and cuts long text to the width", () => {
  assert.equal(fitText("abc", 100, (t) => t.length * 10), "abc");
  assert.equal(fitText("abcdefghij", 50, (t) => t.length * 10), "abcd…");
});
