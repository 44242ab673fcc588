import test from "node:test";
import assert from "node:assert/strict";
import { fetcher, replyMessage, viewerGone } from "../../src/cellucid/web/http.js";

test("replyMessage: the server's JSON message, else the fallback", async () => {
  assert.equal(await replyMessage({ json: async () => ({ message: "unknown gene X" }) }, "HTTP 404"), "unknown gene X");
  assert.equal(await replyMessage({ json: async () => ({}) }, "HTTP 500"), "HTTP 500");
  assert.equal(await replyMessage({ json: async () => { throw new SyntaxError("not JSON"); } }, "HTTP 502"), "HTTP 502");
});

test("viewerGone: 403 and 404 only", () => {
  assert.deepEqual([200, 400, 403, 404, 429, 500].map(viewerGone), [false, false, true, true, false, false]);
});

test("fetcher: the given fetch, else the page's, called late", async () => {
  const given = async () => "given";
  assert.equal(fetcher(given), given);
  const saved = globalThis.fetch;
  globalThis.fetch = async (url) => `global ${url}`;
  try {
    assert.equal(await fetcher()("x"), "global x");
  } finally {
    globalThis.fetch = saved;
  }
});
