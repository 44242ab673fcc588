import test from "node:test";
import assert from "node:assert/strict";
import { encodeCells, decodeCells, cellsToMask, maskToCells, arrayJsonLength, bytesToBase64, base64ToBytes, inflateRaw } from "../../src/cellucid/web/cells.js";

test("arrayJsonLength matches JSON.stringify", () => {
  const cells = [0, 9, 10, 99, 100, 12345, 999999, 1000000, 123456789];
  assert.equal(arrayJsonLength(cells), JSON.stringify(cells).length);
  assert.equal(arrayJsonLength([]), 2);
});

test("mask round trip, bit order least significant first", () => {
  const mask = cellsToMask([0, 3, 8, 17], 18);
  assert.deepEqual(Array.from(mask), [0b1001, 0b1, 0b10]);
  assert.deepEqual(Array.from(maskToCells(mask, 18)), [0, 3, 8, 17]);
});

test("small selections stay arrays", async () => {
  assert.deepEqual(await encodeCells(Uint32Array.from([1, 5, 9]), 1000), [1, 5, 9]);
});

test("large selections become a deflate-raw bitmask that decodes exactly", async () => {
  const n = 1_000_003;
  const cells = [];
  for (let i = 0; i < n; i++) if ((i * 2654435761) % 97 < 30) cells.push(i);
  const enc = await encodeCells(Uint32Array.from(cells), n);
  assert.equal(enc.encoding, "bitmask");
  assert.equal(enc.n, n);
  assert.equal(enc.count, cells.length);
  assert.ok(JSON.stringify(enc).length < JSON.stringify(cells).length);
  const raw = enc.compression === "deflate-raw" ? await inflateRaw(base64ToBytes(enc.data)) : base64ToBytes(enc.data);
  assert.equal(raw.length, Math.ceil(n / 8));
  const dec = await decodeCells(enc, n);
  assert.deepEqual(Array.from(dec), cells);
});

test("all cells selected compress to a tiny body", async () => {
  const n = 1_000_000;
  const all = new Uint32Array(n).map((_, i) => i);
  const enc = await encodeCells(all, n);
  assert.equal(enc.compression, "deflate-raw");
  assert.ok(enc.data.length < 2000);
  assert.equal((await decodeCells(enc, n)).length, n);
});

test("decodeCells sorts, dedups and validates arrays", async () => {
  assert.deepEqual(Array.from(await decodeCells([5, 1, 5, 3], 10)), [1, 3, 5]);
  await assert.rejects(decodeCells([10], 10));
  await assert.rejects(decodeCells({ encoding: "bitmask", n: 9, data: "" }, 10));
});

test("base64 helpers round trip large arrays", () => {
  const bytes = new Uint8Array(100000).map((_, i) => (i * 31) & 255);
  assert.deepEqual(base64ToBytes(bytesToBase64(bytes)), bytes);
});
