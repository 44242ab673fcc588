import test from "node:test";
import assert from "node:assert/strict";
import { createCommFetch, encodeRequest, toResponse } from "../../src/cellucid/web/commfetch.js";
import { FakeClock } from "./fakeclock.mjs";
import { fakeModel, reply } from "./fakemodel.mjs";

const tick = () => new Promise((r) => setTimeout(r, 0));

/** A promise's outcome as it stands: {state: "pending" | "fulfilled" | "rejected", value, error}. */
function settled(promise) {
  const outcome = { state: "pending" };
  promise.then((value) => Object.assign(outcome, { state: "fulfilled", value }),
    (error) => Object.assign(outcome, { state: "rejected", error }));
  return outcome;
}
const bytes = (n) => Uint8Array.from({ length: n }, (_, i) => (i * 7) % 256);

test("a GET goes out as a request message and its reply resolves a real Response", async () => {
  const model = fakeModel();
  const fetch = createCommFetch(model);
  const pending = fetch("_cellucid/data/manifest?viewerId=v&viewerToken=t", { cache: "no-store" });
  await tick();
  assert.equal(model.sent.length, 1);
  const { msg, callbacks, buffers } = model.sent[0];
  assert.deepEqual({ ...msg, rid: 0 }, { kind: "request", rid: 0, method: "GET", url: "_cellucid/data/manifest?viewerId=v&viewerToken=t", headers: {}, body: null });
  assert.ok(Number.isSafeInteger(msg.rid));
  assert.equal(callbacks, undefined);
  assert.deepEqual(buffers, []);
  reply(model, model.sent[0], { headers: { "content-type": "application/json", "x-cellucid-version": "3" }, body: new TextEncoder().encode('{"status":"ok","n_cells":7}') });
  const res = await pending;
  assert.ok(res instanceof Response);
  assert.equal(res.status, 200);
  assert.equal(res.ok, true);
  assert.equal(res.headers.get("X-Cellucid-Version"), "3");
  assert.deepEqual(await res.json(), { status: "ok", n_cells: 7 });
  assert.equal(fetch.pending(), 0);
});

test("a body in parts arriving out of order is put back together", async () => {
  const model = fakeModel();
  const fetch = createCommFetch(model);
  const pending = fetch("_cellucid/data/embedding?name=X_umap");
  await tick();
  const body = bytes(10_000);
  reply(model, model.sent[0], { body, parts: 4, order: [2, 0, 3, 1], headers: { "x-cellucid-dtype": "float32" } });
  const res = await pending;
  assert.deepEqual(new Uint8Array(await res.arrayBuffer()), body);
});

test("a repeated part, other rids and other message kinds are ignored", async () => {
  const model = fakeModel();
  const fetch = createCommFetch(model);
  const pending = fetch("_cellucid/info");
  await tick();
  const req = model.sent[0];
  model.emit("msg:custom", { kind: "something else", rid: req.msg.rid });
  model.emit("msg:custom", { kind: "response", rid: req.msg.rid + 1, status: 500, part: 0, parts: 1 }, []);
  const a = new Uint8Array([1, 2]), b = new Uint8Array([3]);
  model.emit("msg:custom", { kind: "response", rid: req.msg.rid, status: 200, headers: {}, part: 0, parts: 2 }, [new DataView(a.buffer)]);
  model.emit("msg:custom", { kind: "response", rid: req.msg.rid, status: 200, headers: {}, part: 0, parts: 2 }, [new DataView(new Uint8Array([9, 9]).buffer)]);
  assert.equal(fetch.pending(), 1);
  model.emit("msg:custom", { kind: "response", rid: req.msg.rid, status: 200, headers: {}, part: 1, parts: 2 }, [new DataView(b.buffer)]);
  assert.deepEqual(new Uint8Array(await (await pending).arrayBuffer()), new Uint8Array([1, 2, 3]));
});

test("error statuses resolve (as fetch does); a 204 has no body; an empty reply is an empty body", async () => {
  const model = fakeModel();
  const fetch = createCommFetch(model);
  const a = fetch("_cellucid/data/obs?name=nope"), b = fetch("_cellucid/x", { method: "post" }), c = fetch("_cellucid/y");
  await tick();
  reply(model, model.sent[0], { status: 404, body: new TextEncoder().encode('{"status":"error","message":"unknown obs column"}') });
  model.emit("msg:custom", { kind: "response", rid: model.sent[1].msg.rid, status: 204, headers: {}, part: 0, parts: 1 }, []);
  model.emit("msg:custom", { kind: "response", rid: model.sent[2].msg.rid, status: 200, headers: {}, part: 0, parts: 0 });
  const ra = await a;
  assert.equal(ra.status, 404);
  assert.equal(ra.ok, false);
  assert.equal((await ra.json()).message, "unknown obs column");
  assert.equal(model.sent[1].msg.method, "POST");
  assert.equal((await b).status, 204);
  assert.equal(await (await c).text(), "");
});

test("no reply within the timeout rejects with a TypeError that names the path, not the token", async () => {
  const model = fakeModel();
  const clock = new FakeClock();
  const fetch = createCommFetch(model, { timeoutMs: 30, pollTimeoutMs: 80, clock });
  const outcome = settled(fetch("_cellucid/data/manifest?viewerId=v&viewerToken=secret"));
  await clock.advance(29);
  assert.equal(outcome.state, "pending");
  await clock.advance(1);
  assert.equal(outcome.state, "rejected");
  assert.ok(outcome.error instanceof TypeError);
  assert.match(outcome.error.message, /no reply from the Python kernel .* within 0\.03 s \(_cellucid\/data\/manifest\)/);
  assert.doesNotMatch(outcome.error.message, /secret/);
  // The command long-poll waits longer (the server holds it up to 25 s).
  const poll = settled(fetch("_cellucid/commands/poll?viewerId=v&after=0&wait=25"));
  await clock.advance(50);
  assert.equal(poll.state, "pending");
  assert.equal(fetch.pending(), 1);
  await clock.advance(30);
  assert.equal(poll.state, "rejected");
  assert.ok(poll.error instanceof TypeError);
  assert.equal(fetch.pending(), 0);
  // A late reply to a request that timed out is ignored.
  reply(model, model.sent[0]);
});

test("a request that says how long its answer may take (init.timeoutMs) waits that long", async () => {
  const model = fakeModel();
  const clock = new FakeClock();
  const fetch = createCommFetch(model, { timeoutMs: 30, clock });
  const slow = settled(fetch("_cellucid/session/open?viewerId=v", { method: "POST", body: "{}", timeoutMs: 500 }));
  const usual = settled(fetch("_cellucid/data/manifest?viewerId=v"));
  await clock.advance(30);
  assert.equal(usual.state, "rejected");
  assert.equal(slow.state, "pending");
  await clock.advance(469);
  assert.equal(slow.state, "pending");
  await clock.advance(1);
  assert.equal(slow.state, "rejected");
  assert.match(slow.error.message, /within 0\.5 s \(_cellucid\/session\/open\)/);
});

test("the timeout restarts with each part: a slow but moving transfer completes", async () => {
  const model = fakeModel();
  const clock = new FakeClock();
  const fetch = createCommFetch(model, { timeoutMs: 40, clock });
  const pending = fetch("_cellucid/data/gene?name=CD3E");
  await tick();
  const body = bytes(300);
  const rid = model.sent[0].msg.rid;
  for (let i = 0; i < 3; i++) {
    await clock.advance(39);   // 117 ms in all, each part within the 40 ms
    const part = body.subarray(i * 100, (i + 1) * 100);
    model.emit("msg:custom", { kind: "response", rid, status: 200, headers: {}, part: i, parts: 3 }, [new DataView(part.buffer, part.byteOffset, 100)]);
  }
  assert.deepEqual(new Uint8Array(await (await pending).arrayBuffer()), body);
});

test("init.signal aborts a request, before or while it waits", async () => {
  const model = fakeModel();
  const fetch = createCommFetch(model);
  const before = new AbortController();
  before.abort();
  await assert.rejects(fetch("_cellucid/health", { signal: before.signal }), { name: "AbortError" });
  assert.equal(model.sent.length, 0);
  const during = new AbortController();
  const pending = fetch("_cellucid/health", { signal: during.signal });
  await tick();
  during.abort();
  await assert.rejects(pending, { name: "AbortError" });
  assert.equal(fetch.pending(), 0);
  const reason = new AbortController();
  const p2 = fetch("_cellucid/health", { signal: reason.signal });
  reason.abort(new Error("gave up"));
  await assert.rejects(p2, /gave up/);
});

test("binary bodies (Blob, ArrayBuffer, Uint8Array) go as buffers[0]; text in body", async () => {
  const model = fakeModel();
  const fetch = createCommFetch(model);
  const png = new Uint8Array([137, 80, 78, 71, 1, 2, 3]);
  const all = [
    fetch("_cellucid/image?requestId=r1", { method: "POST", headers: { "Content-Type": "image/png" }, body: new Blob([png], { type: "image/png" }) }),
    fetch("_cellucid/image?requestId=r2", { method: "POST", body: png.buffer }),
    fetch("_cellucid/image?requestId=r3", { method: "POST", body: png }),
    fetch("_cellucid/events", { method: "POST", keepalive: true, headers: { "Content-Type": "application/json" }, body: '{"type":"ready"}' }),
  ];
  await tick(); await tick();
  const byUrl = Object.fromEntries(model.sent.map((s) => [s.msg.url.split("requestId=")[1] || "events", s]));
  for (const key of ["r1", "r2", "r3"]) {
    const { msg, buffers } = byUrl[key];
    assert.equal(msg.body, null);
    assert.equal(buffers.length, 1);
    const b = buffers[0];
    assert.deepEqual(new Uint8Array(b.buffer ? b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) : b), png, key);
  }
  assert.equal(byUrl.r1.msg.headers["content-type"], "image/png");
  assert.deepEqual(byUrl.events.msg.headers, { "content-type": "application/json" });
  assert.equal(byUrl.events.msg.body, '{"type":"ready"}');
  assert.deepEqual(byUrl.events.buffers, []);
  fetch.close();
  await Promise.allSettled(all);
});

test("a Blob from another window (no instanceof) is still sent as bytes with its type", async () => {
  const foreign = { size: 3, type: "image/png", arrayBuffer: async () => new Uint8Array([1, 2, 3]).buffer };
  const { msg, buffers } = await encodeRequest(5, "_cellucid/image", { method: "POST", body: foreign });
  assert.equal(msg.headers["content-type"], "image/png");
  assert.deepEqual(new Uint8Array(buffers[0]), new Uint8Array([1, 2, 3]));
  await assert.rejects(encodeRequest(6, "x", { method: "POST", body: { some: "object" } }), TypeError);
  // A request that may take long asks the kernel for as long, in seconds.
  assert.equal((await encodeRequest(7, "x", { method: "POST", body: "{}", timeoutMs: 900000 })).msg.timeout, 900);
  assert.equal("timeout" in (await encodeRequest(8, "x")).msg, false);
});

test("close() rejects what is pending, stops listening, and refuses later requests", async () => {
  const model = fakeModel();
  const fetch = createCommFetch(model);
  assert.equal(model.listeners("msg:custom"), 1);
  const a = fetch("_cellucid/commands/poll?after=0&wait=25"), b = fetch("_cellucid/info");
  await tick();
  fetch.close("removed");
  await assert.rejects(a, { name: "TypeError", message: "removed" });
  await assert.rejects(b, TypeError);
  assert.equal(model.listeners("msg:custom"), 0);
  await assert.rejects(fetch("_cellucid/info"), TypeError);
});

test("two fetches on one model (two views of a widget) never share a rid", async () => {
  const model = fakeModel();
  const one = createCommFetch(model), two = createCommFetch(model);
  const p1 = one("_cellucid/info"), p2 = two("_cellucid/info");
  await tick();
  const [r1, r2] = model.sent;
  assert.notEqual(r1.msg.rid, r2.msg.rid);
  reply(model, r2, { body: new TextEncoder().encode("two") });
  reply(model, r1, { body: new TextEncoder().encode("one") });
  assert.equal(await (await p1).text(), "one");
  assert.equal(await (await p2).text(), "two");
});

test("a reply the Response constructor refuses, or an error reply, rejects with a TypeError", async () => {
  const model = fakeModel();
  const fetch = createCommFetch(model);
  const a = fetch("_cellucid/a"), b = fetch("_cellucid/b");
  await tick();
  model.emit("msg:custom", { kind: "response", rid: model.sent[0].msg.rid, status: 0, headers: {}, part: 0, parts: 1 }, []);
  model.emit("msg:custom", { kind: "response", rid: model.sent[1].msg.rid, error: "the server is stopping" }, []);
  await assert.rejects(a, TypeError);
  await assert.rejects(b, /the server is stopping/);
  assert.equal(toResponse(304, {}, [new Uint8Array(2)]).body, null);
});
