import test from "node:test";
import assert from "node:assert/strict";
import { SSEParser } from "../../src/cellucid/web/sse.js";

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
