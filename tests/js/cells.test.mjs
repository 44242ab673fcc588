import test from "node:test";
import assert from "node:assert/strict";
import { encodeCells, decodeCells, cellsToMask, maskToCells, arrayCost, bytesToBase64, base64ToBytes, inflateRaw, defaults } from "../../src/cellucid/web/cells.js";

const range = (k, step = 1) => Uint32Array.from({ length: k }, (_, i) => i * step);

test("arrayCost: the digits of n-1 plus a comma per cell (as cellucid/cells.py estimates)", () => {
  assert.equal(arrayCost(0, 1000), 0);
  assert.equal(arrayCost(10, 1000), 40);
  assert.equal(arrayCost(10, 1001), 50);
  assert.equal(arrayCost(3, 1), 6);
  assert.equal(arrayCost(3, 0), 6);
});

test("thresholds match Python: array up to 4096 bytes of cost, then bitmask", async () => {
  assert.equal(defaults.arrayAlwaysBytes, 4096);
  assert.equal(defaults.bitmaskMarginBytes, 80);
  // n = 1000: 4 bytes per cell, so 1000 cells cost 4000 (the bitmask would be far smaller).
  assert.ok(Array.isArray(await encodeCells(range(1000), 1000)));
  // n = 10000: 5 bytes per cell; 819 cells cost 4095, 820 cost 4100.
  assert.ok(Array.isArray(await encodeCells(range(819, 12), 10000)));
  const over = await encodeCells(range(820, 12), 10000);
  assert.equal(over.encoding, "bitmask");
  assert.equal(over.count, 820);
});

test("thresholds match Python: above 4096, array while its cost <= base64 length + 80", async () => {
  // Without CompressionStream the mask goes uncompressed, so its base64 length is known:
  // n = 100000 → 12500 bytes → 16668 base64 chars; 6 bytes per cell, so 2791 cells cost
  // 16746 <= 16748 and 2792 cost 16752.
  const saved = globalThis.CompressionStream;
  globalThis.CompressionStream = undefined;
  try {
    const n = 100000;
    assert.ok(Array.isArray(await encodeCells(range(2791, 13), n)));
    const enc = await encodeCells(range(2792, 13), n);
    assert.equal(enc.encoding, "bitmask");
    assert.equal(enc.compression, "none");
    assert.equal(enc.data.length, 16668);
    assert.deepEqual(Array.from(await decodeCells(enc, n)), Array.from(range(2792, 13)));
  } finally {
    globalThis.CompressionStream = saved;
  }
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
