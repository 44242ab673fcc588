import test from "node:test";
import assert from "node:assert/strict";
import { ValueCache, cacheKey } from "../../src/cellucid/web/columns.js";

function loader() {
  const calls = [];
  const load = (kind, name, version) => () => {
    calls.push(`${kind}:${name}@${version}`);
    return Promise.resolve(Float32Array.of(version));
  };
  return { calls, load };
}

test("keys tell kind, name and version apart", () => {
  assert.notEqual(cacheKey("obs", "a", 1), cacheKey("obs", "a", 2));
  assert.notEqual(cacheKey("obs", "a", 1), cacheKey("embedding", "a", 1));
  assert.notEqual(cacheKey("obs", "a\u00001", 2), cacheKey("obs", "a", "1\u00002"));
});

test("an unchanged (name, version) is fetched once; a new version fetches again and replaces it", async () => {
  const cache = new ValueCache();
  const { calls, load } = loader();
  const a = await cache.get("obs", "python:s", 1, load("obs", "python:s", 1));
  const b = await cache.get("obs", "python:s", 1, load("obs", "python:s", 1));
  assert.equal(a, b);
  assert.deepEqual(calls, ["obs:python:s@1"]);
  const c = await cache.get("obs", "python:s", 2, load("obs", "python:s", 2));
  assert.equal(c[0], 2);
  assert.deepEqual(calls, ["obs:python:s@1", "obs:python:s@2"]);
  assert.equal(cache.has("obs", "python:s", 1), false, "the old version is dropped");
  assert.equal(cache.has("obs", "python:s", 2), true);
  await cache.get("embedding", "python:s", 2, load("embedding", "python:s", 2));
  assert.equal(cache.has("obs", "python:s", 2), true, "another kind of the same name stays");
  assert.deepEqual(cache.stats(), {
    entries: [{ kind: "obs", name: "python:s", version: 2 }, { kind: "embedding", name: "python:s", version: 2 }],
    hits: 1, fetches: 3,
  });
});

test("concurrent requests share one fetch", async () => {
  const cache = new ValueCache();
  const { calls, load } = loader();
  const [x, y] = await Promise.all([cache.get("obs", "a", 0, load("obs", "a", 0)), cache.get("obs", "a", 0, load("obs", "a", 0))]);
  assert.equal(x, y);
  assert.equal(calls.length, 1);
});

test("bounded: the least recently used entry goes first", async () => {
  const cache = new ValueCache({ maxEntries: 3 });
  const { calls, load } = loader();
  for (const name of ["a", "b", "c"]) await cache.get("obs", name, 0, load("obs", name, 0));
  await cache.get("obs", "a", 0, load("obs", "a", 0));
  await cache.get("obs", "d", 0, load("obs", "d", 0));
  assert.equal(cache.has("obs", "b", 0), false);
  assert.deepEqual(cache.stats().entries.map((e) => e.name), ["c", "a", "d"]);
  await cache.get("obs", "b", 0, load("obs", "b", 0));
  assert.deepEqual(calls, ["obs:a@0", "obs:b@0", "obs:c@0", "obs:d@0", "obs:b@0"]);
  assert.equal(cache.stats().entries.length, 3);
});

test("a failed fetch is not kept", async () => {
  const cache = new ValueCache();
  await assert.rejects(cache.get("obs", "a", 0, () => Promise.reject(new Error("404"))), /404/);
  assert.equal(cache.has("obs", "a", 0), false);
  const v = await cache.get("obs", "a", 0, () => Promise.resolve(Uint16Array.of(1)));
  assert.equal(v[0], 1);
});
