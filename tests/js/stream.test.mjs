import test from "node:test";
import assert from "node:assert/strict";
import { CommandStream, SSEParser } from "../../src/cellucid/web/stream.js";
import { FakeClock } from "./fakeclock.mjs";

function streamResponse(chunks, { hold = false } = {}) {
  const enc = new TextEncoder();
  let i = 0;
  return {
    ok: true,
    status: 200,
    body: {
      getReader: () => ({
        read: async () => {
          if (i < chunks.length) return { value: enc.encode(chunks[i++]), done: false };
          if (hold) return new Promise(() => {});
          return { value: undefined, done: true };
        },
      }),
    },
  };
}

test("SSE commands are applied in order, once each, with seq tracked", async () => {
  const applied = [];
  let calls = 0;
  const fetch = async (url) => {
    calls++;
    assert.match(url, /^_cellucid\/commands\?viewerId=v&viewerToken=t$/);
    return streamResponse([": connected\n\n", 'id: 1\ndata: {"id":"c1","type":"ping"}\n\n', 'id: 2\ndata: {"id":"c2","type":"resetCamera"}\n\nid: 2\ndata: {"id":"c2","type":"resetCamera"}\n\n'], { hold: true });
  };
  const clock = new FakeClock();
  const s = new CommandStream({ viewerId: "v", viewerToken: "t", fetch, clock, onCommand: async (c) => { applied.push(c.id); } });
  s.start();
  await clock.settle();
  assert.deepEqual(applied, ["c1", "c2"]);
  assert.equal(s.lastSeq, 2);
  assert.equal(s.connected, true);
  assert.equal(calls, 1);
  s.stop();
});

test("no bytes within the timeout switches to long-polling", async () => {
  const applied = [];
  const urls = [];
  const clock = new FakeClock();
  const fetch = async (url, init) => {
    urls.push(url);
    if (url.startsWith("_cellucid/commands?")) {
      return new Promise((_, reject) => init.signal.addEventListener("abort", () => reject(new Error("aborted"))));
    }
    if (url.startsWith("_cellucid/commands/poll")) {
      const after = Number(new URL(url, "http://x/").searchParams.get("after"));
      if (after === 0) return { ok: true, status: 200, json: async () => ({ status: "ok", commands: [{ seq: 3, command: { id: "c3", type: "ping" } }] }) };
      await clock.sleep(20);
      return { ok: true, status: 200, json: async () => ({ status: "ok", commands: [] }) };
    }
    return { ok: true, status: 200 };
  };
  const s = new CommandStream({ viewerId: "v", viewerToken: "t", fetch, clock, onCommand: async (c) => { applied.push(c.id); }, options: { firstBytesTimeoutMs: 30 } });
  s.start();
  await clock.advance(29);
  assert.equal(s.mode, "sse");
  await clock.advance(91);
  s.stop();
  assert.equal(s.mode, "poll");
  assert.deepEqual(applied, ["c3"]);
  assert.ok(urls.some((u) => u.includes("after=3")), urls.join(" "));
});

test("a dropped stream with failing health reports the session gone, then back", async () => {
  const states = [];
  let healthy = false;
  let streams = 0;
  const fetch = async (url) => {
    if (url.startsWith("_cellucid/health")) {
      if (!healthy) throw new TypeError("Failed to fetch");
      return { ok: true, status: 200 };
    }
    streams++;
    if (streams === 1) return streamResponse([": connected\n\n"]);
    if (!healthy) throw new TypeError("Failed to fetch");
    return streamResponse([": connected\n\n"], { hold: true });
  };
  const clock = new FakeClock();
  const s = new CommandStream({ viewerId: "v", viewerToken: "t", fetch, clock, onCommand: async () => {}, onConnection: (st) => states.push({ ...st }), options: { healthIntervalMs: 10, reconnectDelayMs: 5 } });
  s.start();
  await clock.advance(50);
  assert.ok(states.some((st) => st.gone), JSON.stringify(states));
  healthy = true;
  await clock.advance(80);
  s.stop();
  const last = states[states.length - 1];
  assert.equal(last.gone, false);
  assert.equal(last.connected, true);
});

test("403/404 on the stream means the viewer is gone", async () => {
  const states = [];
  const fetch = async (url) => (url.startsWith("_cellucid/health") ? { ok: true, status: 200 } : { ok: false, status: 404 });
  const clock = new FakeClock();
  const s = new CommandStream({ viewerId: "v", viewerToken: "t", fetch, clock, onCommand: async () => {}, onConnection: (st) => states.push(st), options: { healthIntervalMs: 10 } });
  s.start();
  await clock.advance(30);
  s.stop();
  assert.ok(states[0].gone);
});

test("parses messages split across chunks, ignores comments", () => {
  const got = [];
  const p = new SSEParser((m) => got.push(m));
  p.push(": connected\n\n");
  assert.equal(p.sawBytes, true);
  assert.equal(got.length, 0);
  p.push('id: 7\ndata: {"id": "c7",');
  p.push(' "type": "ping"}\n');
  p.push("\n");
  p.push("data: a\r\ndata: b\r\n\r\n");
  assert.deepEqual(got, [
    { id: "7", event: "message", data: '{"id": "c7", "type": "ping"}' },
    { id: "7", event: "message", data: "a\nb" },
  ]);
});

test("a CR at a chunk boundary before LF is one line end", () => {
  const got = [];
  const p = new SSEParser((m) => got.push(m.data));
  p.push("data: x\r");
  p.push("\n\r\n");
  assert.deepEqual(got, ["x"]);
});

test("with sse: false (the notebook comm) the stream long-polls from the start", async () => {
  const urls = [];
  const applied = [];
  const clock = new FakeClock();
  const fetch = async (url) => {
    urls.push(url);
    if (urls.length > 1) await clock.sleep(20);
    return { ok: true, status: 200, json: async () => ({ status: "ok", commands: urls.length === 1 ? [{ seq: 1, command: { id: "c1", type: "ping" } }] : [] }) };
  };
  const states = [];
  const s = new CommandStream({ viewerId: "v", viewerToken: "t", fetch, clock, onCommand: async (c) => { applied.push(c.id); }, onConnection: (st) => states.push(st), options: { sse: false } });
  assert.equal(s.mode, "poll");
  s.start();
  await clock.advance(50);
  s.stop();
  assert.ok(urls.length >= 2);
  assert.ok(urls.every((u) => u.startsWith("_cellucid/commands/poll?")), urls.join(" "));
  assert.match(urls[0], /&after=0&wait=0$/);
  assert.match(urls[1], /&after=1&wait=25$/);
  assert.deepEqual(applied, ["c1"]);
  assert.equal(states[0].mode, "poll");
});
