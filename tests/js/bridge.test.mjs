import test from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "./fakeclock.mjs";
import { Bridge, retryDelay, isRetryable, formatConsoleArgs } from "../../src/cellucid/web/bridge.js";

function fakeFetch(script) {
  const calls = [];
  const fn = async (url, init) => {
    calls.push({ url, init, body: JSON.parse(init.body) });
    const step = script.length ? script.shift() : 200;
    if (step === "network") throw new TypeError("Failed to fetch");
    const status = typeof step === "number" ? step : step.status;
    const headers = new Map(Object.entries(step.headers || {}));
    return { ok: status >= 200 && status < 300, status, headers: { get: (k) => headers.get(k) ?? null }, json: async () => ({ message: "m" }) };
  };
  fn.calls = calls;
  return fn;
}

const noSleep = [];
const sleep = async (ms) => { noSleep.push(ms); };

test("events carry routing fields and a per-page eventId", async () => {
  const fetch = fakeFetch([]);
  const b = new Bridge({ viewerId: "v1", viewerToken: "t", nCells: 10, fetch, sleep, prefix: "abc" });
  await b.send("ready", { n_cells: 10 });
  await b.send("custom", { x: 1 });
  assert.equal(fetch.calls.length, 2);
  const [a, c] = fetch.calls.map((x) => x.body);
  assert.deepEqual(a, { type: "ready", viewerId: "v1", viewerToken: "t", eventId: "abc-1", n_cells: 10 });
  assert.equal(c.eventId, "abc-2");
  const init = fetch.calls[0].init;
  assert.equal(init.method, "POST");
  assert.equal(init.keepalive, true);
  assert.equal(init.headers["Content-Type"], "application/json");
});

test("keepalive only for bodies under 60 KB", async () => {
  const fetch = fakeFetch([]);
  const b = new Bridge({ viewerId: "v", viewerToken: "t", nCells: 10, fetch, sleep });
  await b.send("custom", { blob: "x".repeat(70 * 1024) });
  assert.equal(fetch.calls[0].init.keepalive, false);
});

test("retries network errors, 429 (Retry-After) and 5xx in order; same eventId on retry", async () => {
  noSleep.length = 0;
  const fetch = fakeFetch(["network", { status: 429, headers: { "Retry-After": "2" } }, 503, 200, 200]);
  const b = new Bridge({ viewerId: "v", viewerToken: "t", nCells: 10, fetch, sleep, prefix: "p" });
  const first = b.send("a");
  const second = b.send("b");
  assert.equal(await first, true);
  assert.equal(await second, true);
  const types = fetch.calls.map((c) => c.body.type);
  assert.deepEqual(types, ["a", "a", "a", "a", "b"]);
  assert.deepEqual(new Set(fetch.calls.slice(0, 4).map((c) => c.body.eventId)).size, 1);
  assert.equal(noSleep[1], 2000);
});

test("4xx other than 429 is not retried; 404 reports the viewer gone", async () => {
  let gone = null;
  const fetch = fakeFetch([404]);
  const b = new Bridge({ viewerId: "v", viewerToken: "t", fetch, sleep, onGone: (s) => { gone = s; } });
  assert.equal(await b.send("x"), false);
  assert.equal(fetch.calls.length, 1);
  assert.equal(gone, 404);
});

test("gives up after maxAttempts and says so", async () => {
  let gaveUp = null;
  const fetch = fakeFetch([500, 500, 500]);
  const b = new Bridge({ viewerId: "v", viewerToken: "t", fetch, sleep, onGiveUp: (t, r) => { gaveUp = [t, r]; }, options: { maxAttempts: 3 } });
  assert.equal(await b.send("selection", {}), false);
  assert.deepEqual(gaveUp, ["selection", "HTTP 500"]);
  assert.equal(await b.send("next"), true);
});

test("cells go out as an array or a bitmask, whichever is smaller", async () => {
  const fetch = fakeFetch([]);
  const n = 200000;
  const b = new Bridge({ viewerId: "v", viewerToken: "t", nCells: n, fetch, sleep });
  await b.send("selection", { cells: Uint32Array.from([1, 2, 3]) });
  await b.send("selection", { cells: new Uint32Array(n).map((_, i) => i) });
  assert.deepEqual(fetch.calls[0].body.cells, [1, 2, 3]);
  const mask = fetch.calls[1].body.cells;
  assert.equal(mask.encoding, "bitmask");
  assert.equal(mask.count, n);
  assert.equal(mask.compression, "deflate-raw");
});

test("hover: only on change, at most every 50 ms, newest wins", async () => {
  const clock = new FakeClock();
  const fetch = fakeFetch([]);
  const b = new Bridge({ viewerId: "v", viewerToken: "t", fetch, sleep, clock });
  b.sendHover(5, { x: 1, y: 2, z: 0 });
  b.sendHover(5, { x: 1, y: 2, z: 0 });
  await b.idle;
  assert.equal(fetch.calls.length, 1);
  await clock.advance(10);
  b.sendHover(6, null);
  b.sendHover(7, null);
  b.sendHover(null, null);
  await clock.advance(39);   // 49 ms after the first: still held back
  assert.equal(fetch.calls.length, 1);
  await clock.advance(1);
  await b.idle;
  const cells = fetch.calls.map((c) => c.body.cell);
  assert.deepEqual(cells, [5, null]);
  b.sendHover(null, null);
  await clock.advance(60);
  assert.equal(fetch.calls.length, 2);
});

test("frozen bridge sends nothing", async () => {
  const fetch = fakeFetch([]);
  const b = new Bridge({ viewerId: "v", viewerToken: "t", fetch, sleep });
  b.freeze();
  assert.equal(await b.send("x"), false);
  assert.equal(fetch.calls.length, 0);
});

test("retryDelay, isRetryable, formatConsoleArgs", () => {
  assert.equal(retryDelay(0, null), 200);
  assert.equal(retryDelay(3, null), 1600);
  assert.equal(retryDelay(20, null), 8000);
  assert.equal(retryDelay(0, "1"), 1000);
  assert.equal(isRetryable(429), true);
  assert.equal(isRetryable(502), true);
  assert.equal(isRetryable(400), false);
  assert.equal(formatConsoleArgs(["a", { b: 1 }, 3]), 'a {"b":1} 3');
  assert.equal(formatConsoleArgs(["x".repeat(5000)]).length, 4000);
});
